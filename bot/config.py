"""Settings from the environment (prefix TIERBOT_) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Locale = Literal["en", "zh_Hans"]
DEFAULT_SQLITE_PATH = Path("var") / "tierbot.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIERBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    # The bot's @username, for invite links; asked of the Bot API (getMe) when unset.
    bot_username: str | None = None
    database_url: str = Field(default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH.as_posix()}")
    telegram_api: str = "https://api.telegram.org"
    default_locale: Locale = "en"
    base_currency: str = Field(default="CNY", min_length=3, max_length=3)
    redis_url: SecretStr | None = None
    # The tier rules in force (TOML); None means the rules that ship with tierbot.
    rules_file: Path | None = None

    @field_validator("base_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
