"""Settings from the environment or a `.env` file, in sections: telegram, database, redis, firm.

Each section reads the variables of its own prefix (`TIERBOT_TELEGRAM_API`, `TIERBOT_DATABASE_URL`, ...). The names
the first releases used still work: `TIERBOT_BOT_TOKEN` and `TIERBOT_BOT_USERNAME` are the telegram section's token
and username, and the firm's settings keep their bare `TIERBOT_` names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args, get_origin

from babel.numbers import is_currency
from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SQLITE_PATH", "DatabaseSettings", "FirmSettings", "InvalidSettings", "Locale", "RedisSettings",
           "SettingProblem", "Settings", "TelegramSettings", "get_settings"]

Locale = Literal["en", "zh_Hans"]
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

    # Optional: conversation state survives restarts and is shared by several bot processes when set.
    url: SecretStr | None = None


class FirmSettings(BaseSettings):
    """The firm's conventions: the language of people whose language is unknown, the currency of its data, its tier
    rules."""

    model_config = _section("TIERBOT_")

    default_locale: Locale = "en"
    base_currency: str = "CNY"
    # The tier rules in force (TOML); None means the rules that ship with tierbot.
    rules_file: Path | None = None

    @field_validator("base_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        code = value.upper()
        if not is_currency(code):
            raise ValueError("use an ISO 4217 code such as CNY, HKD or USD")  # "RMB" is no code: CNY is
        return code


class Settings(BaseModel):
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    firm: FirmSettings = Field(default_factory=FirmSettings)


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
    section.__name__: section for section in (TelegramSettings, DatabaseSettings, RedisSettings, FirmSettings)}


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
