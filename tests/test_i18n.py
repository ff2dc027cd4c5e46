"""Catalog loading and lookup, fallbacks, nested messages, and locale formatting."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import discord
import pytest

from bot.i18n import (
    SUPPORTED_LOCALES,
    Text,
    catalog,
    compile_po,
    discord_timestamp,
    format_number,
    format_when,
    load_messages,
    normalize_locale,
    po_path,
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


def test_catalogs_match_their_po_files() -> None:
    for locale in SUPPORTED_LOCALES:
        source = po_path(locale).read_bytes()
        assert catalog(locale).messages == compile_po(source, locale), locale


PO = b"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "a.key"
msgstr "caf\xc3\xa9 {name}"

#, fuzzy
msgid "b.fuzzy"
msgstr "not yet"

msgid "c.empty"
msgstr ""
"""


def test_compiled_messages_are_cached_and_follow_the_po(tmp_path: Path) -> None:
    po, compiled = tmp_path / "messages.po", tmp_path / "compiled"
    po.write_bytes(PO)
    assert load_messages("fr", po, compiled) == {"a.key": "café {name}"}
    [first] = compiled.glob("fr.*.json")

    with patch("bot.i18n.compile_po", side_effect=AssertionError("read the .po again")):
        assert load_messages("fr", po, compiled) == {"a.key": "café {name}"}

    po.write_bytes(PO + b'\nmsgid "d.new"\nmsgstr "nouveau"\n')
    assert load_messages("fr", po, compiled) == {"a.key": "café {name}", "d.new": "nouveau"}
    assert [path.name for path in compiled.glob("fr.*.json")] != [first.name]
    assert len(list(compiled.glob("fr.*.json"))) == 1  # the stale one is gone

    [current] = compiled.glob("fr.*.json")
    current.write_text("{not json")  # damaged: compiled again
    assert load_messages("fr", po, compiled)["d.new"] == "nouveau"


def test_an_unwritable_cache_still_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    po, blocker = tmp_path / "messages.po", tmp_path / "file"
    po.write_bytes(PO)
    blocker.write_text("")
    assert load_messages("da", po, blocker / "compiled") == {"a.key": "café {name}"}
    assert "could not cache" in caplog.text


def test_loading_the_catalogs_leaves_babel_out() -> None:
    for locale in SUPPORTED_LOCALES:
        catalog(locale)  # compiled by now
    code = (
        "import sys; from bot.i18n import SUPPORTED_LOCALES, catalog, t\n"
        "for locale in SUPPORTED_LOCALES: catalog(locale)\n"
        "print(t('no.such.key'), sorted(m for m in sys.modules if m.startswith(('babel', 'pytz'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["no.such.key", "[]"]
