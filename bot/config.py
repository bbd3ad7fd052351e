"""Settings from the environment or a `.env` file, in sections: telegram, database, redis, firm, delivery,
campaign.

Each section reads the variables of its own prefix (`TIERBOT_TELEGRAM_API`, `TIERBOT_DATABASE_URL`, ...). The names
the first releases used still work: `TIERBOT_BOT_TOKEN` and `TIERBOT_BOT_USERNAME` are the telegram section's token
and username, and the firm's settings keep their bare `TIERBOT_` names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import is_currency
from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SQLITE_PATH", "CampaignSettings", "DatabaseSettings", "DeliverySettings", "FirmSettings",
           "InvalidSettings", "Locale", "RedisSettings", "SettingProblem", "Settings", "TelegramSettings",
           "firm_day", "firm_today", "get_settings", "is_time_zone", "parse_quiet_hours", "zone_or"]

Locale = Literal["en", "zh_Hans", "zh_Hant"]
DEFAULT_SQLITE_PATH = Path("var") / "tierbot.sqlite3"


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore",
                              populate_by_name=True)


class TelegramSettings(BaseSettings):
    model_config = _section("TIERBOT_TELEGRAM_")

    # The bot's token from @BotFather.
    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TIERBOT_TELEGRAM_TOKEN", "TIERBOT_BOT_TOKEN"))
    # The bot's @username, for invite links; asked of the Bot API (getMe) when unset.
    username: str | None = Field(
        default=None, validation_alias=AliasChoices("TIERBOT_TELEGRAM_USERNAME", "TIERBOT_BOT_USERNAME"))
    # The Bot API server: Telegram's own, a local Bot API server, or a test stand-in.
    api: str = "https://api.telegram.org"


class DatabaseSettings(BaseSettings):
    model_config = _section("TIERBOT_DATABASE_")

    url: str = f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH.as_posix()}"


class RedisSettings(BaseSettings):
    model_config = _section("TIERBOT_REDIS_")

    # Optional: conversation state survives restarts and is shared by several bot processes when set, and the
    # outbox's senders share the send rate through it.
    url: SecretStr | None = None
    # The start of the names of the keys tierbot writes itself ("<prefix>:pace:<bot id>", the senders' pace).
    prefix: str = Field(default="tierbot", min_length=1, max_length=64)


class FirmSettings(BaseSettings):
    """The firm's conventions: the language of people whose language is unknown, the currency of its data, its tier
    rules."""

    model_config = _section("TIERBOT_")

    default_locale: Locale = "en"
    base_currency: str = "CNY"
    # How amounts in the base currency are written: "symbol", as each locale writes it (CN¥500,000 in English,
    # ¥500,000 in Chinese), or "code" (CNY 500,000); `money_label` writes another sign or code in its place
    # ("¥", "RMB"); `money_chinese_units` writes whole amounts from 10,000 up as 50万元 / 50萬元 in Chinese.
    money_style: Literal["symbol", "code"] = "symbol"
    money_label: str | None = Field(default=None, min_length=1, max_length=8)
    money_chinese_units: bool = False
    # The tier rules in force (TOML); None means the rules that ship with tierbot.
    rules_file: Path | None = None
    # The firm's IANA time zone: an adviser's when their record gives none (quiet hours, dates shown to staff).
    timezone: str = "Asia/Shanghai"

    @field_validator("base_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        code = value.upper()
        if not is_currency(code):
            raise ValueError("use an ISO 4217 code such as CNY, HKD or USD")  # "RMB" is no code: CNY is
        return code

    @field_validator("money_chinese_units")
    @classmethod
    def _units_of_the_yuan(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("base_currency") != "CNY":
            raise ValueError("50万元 counts in yuan: it needs TIERBOT_BASE_CURRENCY=CNY")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError("use an IANA time zone such as Asia/Shanghai, Asia/Hong_Kong or Europe/London")
        return value


def is_time_zone(name: str) -> bool:
    """`name` is an IANA time zone this machine knows (e.g. "Asia/Shanghai")."""
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def zone_or(name: str | None, fallback: str) -> ZoneInfo:
    """The time zone `name` (a person's, from their record), or `fallback` (the firm's) when `name` is None or a
    zone this machine does not know."""
    return ZoneInfo(name if name is not None and is_time_zone(name) else fallback)


def firm_day(moment: datetime) -> date:
    """The day of `moment` on the firm's calendar (TIERBOT_TIMEZONE): the day an adviser's departure or a risk
    assessment's expiry is judged on, as the firm's records date them."""
    return moment.astimezone(ZoneInfo(get_settings().firm.timezone)).date()


def firm_today() -> date:
    return firm_day(datetime.now(UTC))


class DeliverySettings(BaseSettings):
    """The outbox sender: how fast it may send, when advisers are not disturbed, how hard it tries."""

    model_config = _section("TIERBOT_DELIVERY_")

    # Messages per second across all chats (Telegram allows about 30 for a bot; a margin is kept), for all the
    # senders of the bot together.
    rate: float = Field(default=25.0, gt=0, le=1000)
    # How many sender processes share the rate. With Redis they share it exactly; without Redis, or while it cannot
    # be reached, each sends at rate / senders.
    senders: int = Field(default=1, ge=1, le=100)
    # At most one message per chat in this many seconds (Telegram's limit for a private chat is about 1/s).
    per_chat_interval: float = Field(default=1.0, ge=0)
    # Pushes are held from the start to the end of quiet hours, in the recipient's time zone ("21:00-08:00").
    quiet_hours: str = "21:00-08:00"
    # Sends tried per message before it is marked failed (network errors before the request reached Telegram).
    max_attempts: int = Field(default=5, ge=1, le=50)
    # How long a claimed message is the sender's: one found still claimed after this is reported unknown.
    lease_seconds: float = Field(default=60.0, gt=0)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @property
    def quiet(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours)


class CampaignSettings(BaseSettings):
    """Campaigns: how often a client may be surveyed or sent marketing, and how long a survey takes answers."""

    model_config = _section("TIERBOT_CAMPAIGN_")

    # A client is surveyed at most once in this many days (a relationship survey once a quarter, as vendors advise).
    survey_interval_days: int = Field(default=90, ge=0, le=3650)
    # At most this many strategy (marketing) messages reach a client in `marketing_window_days`.
    marketing_cap: int = Field(default=1, ge=0, le=100)
    marketing_window_days: int = Field(default=14, ge=1, le=3650)
    # A survey takes answers for this many days after its campaign starts; after that it is closed.
    answer_days: int = Field(default=30, ge=1, le=3650)
    # A low rating's alert waits this long for the client's "why?" (sent as soon as it is given or skipped), so
    # that the adviser reads both in one message; 0 sends it at once, without. At most the hour a "why?" is taken.
    feedback_wait_minutes: int = Field(default=10, ge=0, le=60)


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """("21:00-08:00") -> (21:00, 08:00); "" or "off" -> None (no quiet hours). ValueError when malformed."""
    text = value.strip().lower()
    if text in ("", "off", "none"):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError('write quiet hours as start-end in 24-hour time, e.g. "21:00-08:00", or "off"') from None
    if start == end:
        raise ValueError('quiet hours must start and end at different times; "off" turns them off')
    return start, end


class Settings(BaseModel):
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    firm: FirmSettings = Field(default_factory=FirmSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    campaign: CampaignSettings = Field(default_factory=CampaignSettings)


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """A setting whose value is not valid: its variable, the values it allows when they are few, and otherwise
    what is wrong (pydantic's words). The value itself is not repeated: it may be a secret."""

    variable: str
    allowed: tuple[str, ...]
    reason: str


class InvalidSettings(Exception):
    def __init__(self, problems: list[SettingProblem]) -> None:
        super().__init__("; ".join(problem.variable for problem in problems))
        self.problems = problems


_SECTIONS: dict[str, type[BaseSettings]] = {
    section.__name__: section for section in (TelegramSettings, DatabaseSettings, RedisSettings, FirmSettings,
                                                       DeliverySettings, CampaignSettings)}


def _problem(section: type[BaseSettings], error: dict[str, object]) -> SettingProblem:
    loc = error.get("loc") or ("",)
    name = str(loc[0])  # type: ignore[index]
    field = section.model_fields.get(name)
    variable = f"{section.model_config.get('env_prefix', '')}{name}".upper()
    allowed: tuple[str, ...] = ()
    if field is not None:
        if isinstance(field.validation_alias, AliasChoices):
            variable = str(field.validation_alias.choices[0])
        if get_origin(field.annotation) is Literal:
            allowed = tuple(str(value) for value in get_args(field.annotation))
    return SettingProblem(variable, allowed, str(error.get("msg", "")).removeprefix("Value error, "))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings; raises InvalidSettings naming every variable whose value is not valid."""
    try:
        return Settings()
    except ValidationError as error:
        section = _SECTIONS.get(error.title)
        if section is None:
            raise
        raise InvalidSettings([_problem(section, dict(detail)) for detail in error.errors()]) from None
