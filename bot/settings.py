"""Settings, read once from the environment and `.env` by the composition root."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import SUPPORTED_LOCALES, normalize_locale

#: The value `.env.example` ships with; treated exactly like a missing token.
TOKEN_PLACEHOLDER = "paste-your-bot-token-here"
TOKEN_HELP = (
    "DISCORD_TOKEN is not set: copy .env.example to .env and paste the bot token from "
    "https://discord.com/developers/applications -> your application -> Bot -> Reset Token."
)

_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}


class Settings(BaseSettings):
    """Everything the bot can be configured with; see `.env.example` for the documentation."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    discord_token: SecretStr | None = None
    database_path: Path = Path("data/community.db")
    discord_api_base_url: str | None = None
    command_guild_id: Annotated[int, Field(gt=0)] | None = None
    log_level: str = "INFO"
    default_locale: str = "en-US"

    @field_validator("discord_api_base_url", mode="before")
    @classmethod
    def _blank_url_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value:
                return None
            if not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
        return value

    @field_validator("command_guild_id", mode="before")
    @classmethod
    def _blank_guild_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(sorted(_LOG_LEVELS))}")
        return level

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        locale = normalize_locale(value)
        if locale is None:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return locale

    @property
    def token_is_usable(self) -> bool:
        """Whether a real-looking token was given (not missing, blank or the placeholder)."""
        if self.discord_token is None:
            return False
        token = self.discord_token.get_secret_value().strip()
        return bool(token) and token != TOKEN_PLACEHOLDER

    @property
    def log_level_number(self) -> int:
        """The numeric logging level."""
        return logging.getLevelNamesMapping()[self.log_level]
