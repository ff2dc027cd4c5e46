"""Unexpected failures: a localized message with a reference, never the exception, never silence."""

from __future__ import annotations

import logging
import re

import pytest

from bot.i18n import Text, t
from tests.emulator import Emulator
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply

SECRET = "internal detail 7f3a: do not show"


def unexpected_pattern(locale: str) -> re.Pattern[str]:
    """The localized 'something went wrong' message, capturing its reference."""
    before, after = t("errors.unexpected", locale, reference="\0").split("\0")
    return re.compile(f"^{re.escape(before)}(?P<ref>[0-9a-f]{{8}}){re.escape(after)}$")


def logged_references(caplog: pytest.LogCaptureFixture) -> list[str]:
    """References of the unexpected errors the bot logged (with their traceback)."""
    found = []
    for record in caplog.records:
        match = re.fullmatch(r"unexpected error \(reference ([0-9a-f]{8})\)", record.getMessage())
        if match and record.levelno == logging.ERROR and record.exc_info:
            found.append(match[1])
    return found


async def test_failure_after_defer_becomes_a_localized_followup(
    emulator: Emulator, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    fault = emulator.inject_fault("POST", r"^/guilds/\d+/roles$", 400, code=50035, message=SECRET)
    rec = await harness.slash("setup", "auto", locale="fr")

    text = await ephemeral_text(rec)
    assert fault.hits == 1
    match = unexpected_pattern("fr").match(text)
    assert match, text
    assert SECRET not in text and "HTTPException" not in text and "50035" not in text
    assert rec.ack is not None and not rec.failed
    assert logged_references(caplog) == [match["ref"]]


async def test_failure_before_answering_becomes_a_localized_response(
    emulator: Emulator, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    # The bot's first answer is rejected; the error handler still answers the interaction.
    emulator.inject_fault("POST", r"^/interactions/\d+/[^/]+/callback$", 400, message=SECRET)
    rec = await harness.slash("setup", "show", locale="da")

    msg = await reply(rec)
    assert msg.ephemeral
    match = unexpected_pattern("da").match(msg.content)
    assert match, msg.content
    assert SECRET not in msg.text()
    assert logged_references(caplog) == [match["ref"]]


async def test_failure_in_a_button_becomes_a_localized_response(
    emulator: Emulator, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    owner = harness.guild.owner.id
    ask = await reply(await harness.slash("privacy", "forget"))
    emulator.inject_fault("POST", r"^/interactions/\d+/[^/]+/callback$", 400, message=SECRET)

    rec = await emulator.click(ask.id, f"privacy:keep:{owner}", owner, locale="pt-BR")
    text = await ephemeral_text(rec)
    match = unexpected_pattern("pt-BR").match(text)
    assert match, text
    assert logged_references(caplog) == [match["ref"]]


async def test_discord_refusal_is_reported_without_a_reference(
    emulator: Emulator, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A 403 on one role is a known refusal: say which permission, create the rest."""
    emulator.inject_fault("POST", r"^/guilds/\d+/roles$", 403, code=50013)
    rec = await harness.slash("setup", "auto")

    lines = (await ephemeral_text(rec)).splitlines()
    refused = t(
        "setup.auto.failed",
        "en-US",
        what=t("role.newcomer", "en-US"),
        permission=Text("permission.manage_roles"),
    )
    assert refused in lines
    config = await harness.bot.services.config.get(harness.guild.id)
    assert "newcomer" not in config.roles and len(config.roles) == 4
    assert logged_references(caplog) == []
