"""Catalog lookup, fallbacks, nested messages, and locale formatting."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest

from bot.i18n import (
    Text,
    discord_timestamp,
    format_number,
    format_when,
    normalize_locale,
    resolve_locale,
    t,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en-GB", "en-US"),
        ("pt_BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("da-DK", "da"),
        (discord.Locale.french, "fr"),
        ("de", None),
        ("", None),
    ],
)
def test_normalize_locale(raw: object, expected: str | None) -> None:
    assert normalize_locale(raw) == expected


def test_resolve_takes_the_first_supported() -> None:
    assert resolve_locale(None, "de", "da") == "da"
    assert resolve_locale("xx") == "en-US"


def test_unknown_key_falls_back_to_the_key_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert t("no.such.key", "fr") == "no.such.key"
    assert "missing translation key" in caplog.text


def test_nested_text_is_rendered_in_the_same_language() -> None:
    message = t(
        "setup.role.dangerous",
        "fr",
        role="Staff",
        permissions=(Text("permission.administrator"), Text("permission.ban_members")),
    )
    assert "Administrateur, Bannir des membres" in message
    assert "Staff" in message


def test_numbers_and_dates_follow_the_locale() -> None:
    assert format_number(1234.5, "en-US") == "1,234.5"
    assert format_number(1234.5, "da") == "1.234,5"
    moment = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert "déc." in format_when(moment, "fr", "Europe/Paris")
    assert "18:00" in format_when(moment, "fr", "Europe/Paris")
    assert discord_timestamp(moment, "R") == f"<t:{int(moment.timestamp())}:R>"
