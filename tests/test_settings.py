"""Settings: the token stays secret, placeholders count as missing, values are validated."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import TOKEN_PLACEHOLDER, Settings


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_token_never_appears_in_repr_or_str() -> None:
    settings = make(discord_token="abc.very-secret.xyz")
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings)
    assert settings.token_is_usable


@pytest.mark.parametrize("token", [None, "", "   ", TOKEN_PLACEHOLDER])
def test_placeholder_or_blank_token_is_not_usable(token: str | None) -> None:
    assert not make(discord_token=token).token_is_usable


def test_defaults() -> None:
    settings = make()
    assert settings.database_path == Path("data/community.db")
    assert settings.discord_api_base_url is None
    assert settings.command_guild_id is None
    assert settings.log_level_number == logging.INFO
    assert settings.default_locale == "en-US"


def test_values_are_normalized() -> None:
    settings = make(
        discord_api_base_url="http://127.0.0.1:8080/api/v10/",
        command_guild_id="",
        log_level="debug",
        default_locale="pt_BR",
    )
    assert settings.discord_api_base_url == "http://127.0.0.1:8080/api/v10"
    assert settings.command_guild_id is None
    assert settings.log_level == "DEBUG"
    assert settings.default_locale == "pt-BR"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("discord_api_base_url", "ftp://example"),
        ("command_guild_id", "-5"),
        ("log_level", "LOUD"),
        ("default_locale", "de"),
    ],
)
def test_invalid_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(**{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_PATH", "/tmp/x.db")
    monkeypatch.setenv("COMMAND_GUILD_ID", "42")
    settings = make()
    assert settings.database_path == Path("/tmp/x.db")
    assert settings.command_guild_id == 42
