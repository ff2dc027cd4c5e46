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

WEBHOOK_HOST_DEFAULT = "127.0.0.1"

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
    webhook_host: str = WEBHOOK_HOST_DEFAULT
    #: 1-65535; 0 binds any free port (tests read the bound one from `bot.webhooks.port`).
    webhook_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    shopify_webhook_secret: SecretStr | None = None

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

    @field_validator("webhook_port", "shopify_webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):  # a pasted secret's stray spaces are never part of it
            return value.strip() or None
        return value

    @field_validator("webhook_host", mode="before")
    @classmethod
    def _blank_host_is_local(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or WEBHOOK_HOST_DEFAULT
        return value

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
    def webhooks_enabled(self) -> bool:
        """Whether the store webhook receiver runs: it needs both a port and a secret."""
        return self.webhook_port is not None and self.shopify_webhook_secret is not None

    @property
    def webhook_problem(self) -> str | None:
        """A one-line explanation when only half of the webhook settings is given."""
        if (self.webhook_port is None) == (self.shopify_webhook_secret is None):
            return None
        missing = "SHOPIFY_WEBHOOK_SECRET" if self.webhook_port is not None else "WEBHOOK_PORT"
        return (
            f"store webhooks need both WEBHOOK_PORT and SHOPIFY_WEBHOOK_SECRET: set {missing} "
            "too, or leave both empty to turn webhooks off (see .env.example)"
        )

    @property
    def log_level_number(self) -> int:
        """The numeric logging level."""
        return logging.getLevelNamesMapping()[self.log_level]
