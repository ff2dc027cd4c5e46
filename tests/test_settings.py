"""Settings: the token stays secret, placeholders count as missing, values are validated."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.__main__ import main
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


def test_webhooks_are_off_by_default() -> None:
    settings = make()
    assert settings.webhook_host == "127.0.0.1"
    assert settings.webhook_port is None
    assert settings.shopify_webhook_secret is None
    assert not settings.webhooks_enabled
    assert settings.webhook_problem is None


def test_webhook_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_HOST", " 0.0.0.0 ")
    monkeypatch.setenv("WEBHOOK_PORT", "8081")
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRET", " shpss_very-secret \n")
    settings = make()
    assert (settings.webhook_host, settings.webhook_port) == ("0.0.0.0", 8081)
    assert settings.shopify_webhook_secret is not None
    assert settings.shopify_webhook_secret.get_secret_value() == "shpss_very-secret"
    assert settings.webhooks_enabled
    assert settings.webhook_problem is None
    assert "very-secret" not in repr(settings) + str(settings)


def test_blank_webhook_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOK_HOST", "WEBHOOK_PORT", "SHOPIFY_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "  ")
    settings = make()
    assert settings.webhook_host == "127.0.0.1"
    assert (settings.webhook_port, settings.shopify_webhook_secret) == (None, None)
    assert not settings.webhooks_enabled


def test_port_zero_picks_a_free_port() -> None:
    assert make(webhook_port="0", shopify_webhook_secret="s").webhooks_enabled


@pytest.mark.parametrize("port", ["-1", "65536", "http", "80.5"])
def test_invalid_webhook_port_is_refused(port: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(webhook_port=port)
    assert caught.value.errors()[0]["loc"] == ("webhook_port",)


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"webhook_port": "8081"}, "SHOPIFY_WEBHOOK_SECRET"),
        ({"shopify_webhook_secret": "s", "webhook_port": ""}, "WEBHOOK_PORT"),
    ],
)
def test_half_configured_webhooks_are_a_problem(values: dict[str, str], missing: str) -> None:
    settings = make(**values)
    assert not settings.webhooks_enabled
    problem = settings.webhook_problem
    assert problem is not None
    assert f"set {missing} too" in problem
    assert "\n" not in problem


def test_half_configured_webhooks_stop_startup_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "community.db"))
    monkeypatch.setenv("WEBHOOK_PORT", "8081")
    monkeypatch.delenv("SHOPIFY_WEBHOOK_SECRET", raising=False)
    assert main(["run"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("vouch: store webhooks need both")
    assert not (tmp_path / "data").exists()  # refused before anything was created
