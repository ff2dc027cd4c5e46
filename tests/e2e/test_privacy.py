"""/privacy export and /privacy forget (with its two persistent buttons)."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from tests.emulator import Emulator, InteractionRecord, Message
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply


async def set_language(h: BotHarness, user_id: int, code: str) -> None:
    rec = await h.slash("language", options={"language": code}, user_id=user_id)
    await ephemeral_text(rec)


async def export(h: BotHarness, user_id: int, locale: str = "en-US") -> dict[str, Any]:
    """Run /privacy export and return the JSON document it attached."""
    rec = await h.slash("privacy", "export", user_id=user_id, locale=locale)
    ack = await rec.wait_ack()
    assert ack.type == 5 and ack.ephemeral
    msg = await reply(rec)
    assert msg.ephemeral
    assert msg.content == t("privacy.export.ready", locale)
    [attachment] = msg.attachments
    assert attachment.filename == f"vouch-data-{user_id}.json"
    document: dict[str, Any] = attachment.json()
    return document


async def ask_forget(h: BotHarness, user_id: int, locale: str = "en-US") -> Message:
    """Run /privacy forget and return the ephemeral question with its buttons."""
    rec = await h.slash("privacy", "forget", user_id=user_id, locale=locale)
    msg = await reply(rec)
    assert msg.ephemeral
    assert msg.content == t("privacy.forget.ask", locale)
    return msg


def buttons(msg: Message) -> dict[str, str]:
    """custom_id -> label of every button."""
    return {
        c["custom_id"]: c["label"]
        for row in msg.components
        for c in row.get("components", [])
        if c.get("type") == 2
    }


async def click(
    emu: Emulator, msg: Message, action: str, owner_id: int, *, by: int, locale: str = "en-US"
) -> InteractionRecord:
    rec = await emu.click(msg.id, f"privacy:{action}:{owner_id}", by, locale=locale)
    await rec.wait_ack()
    return rec


async def test_export_contains_the_members_data(harness: BotHarness) -> None:
    user = harness.guild.regular.id
    await set_language(harness, user, "da")

    document = await export(harness, user, locale="fr")
    assert document["user_id"] == str(user)
    assert document["guild_id"] == str(harness.guild.id)
    assert document["data"]["preferences"]["language"]["locale"] == "da"
    assert "exported_at" in document


async def test_forget_asks_with_two_localized_buttons(harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    msg = await ask_forget(harness, owner, locale="pt-BR")
    assert buttons(msg) == {
        f"privacy:forget:{owner}": t("privacy.forget.confirm_button", "pt-BR"),
        f"privacy:keep:{owner}": t("privacy.forget.keep_button", "pt-BR"),
    }


async def test_someone_else_cannot_confirm(emulator: Emulator, harness: BotHarness) -> None:
    owner, other = harness.guild.owner.id, harness.guild.regular.id
    await set_language(harness, owner, "da")
    msg = await ask_forget(harness, owner)

    rec = await click(emulator, msg, "forget", owner, by=other, locale="fr")
    assert rec.ack is not None and rec.ack.type == 4
    assert await ephemeral_text(rec) == t("privacy.forget.not_yours", "fr")
    assert await harness.bot.services.preferences.language(owner) == "da"
    assert emulator.state.messages[msg.id].content == t("privacy.forget.ask", "en-US")


async def test_owner_confirms_and_data_is_gone(emulator: Emulator, harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    await set_language(harness, owner, "da")
    msg = await ask_forget(harness, owner, locale="fr")

    rec = await click(emulator, msg, "forget", owner, by=owner, locale="fr")
    assert rec.ack is not None and rec.ack.type == 7  # the question is replaced in place
    edited = emulator.state.messages[msg.id]
    # Their language choice, and their client's language as last seen.
    assert edited.content == t("privacy.forget.done", "fr", count=2)
    assert edited.components == []
    assert await harness.bot.services.preferences.language(owner) is None
    # Only what this very export command shows again: the language of their Discord client.
    prefs = (await export(harness, owner))["data"]["preferences"]
    assert "language" not in prefs and set(prefs) <= {"client_language"}


async def test_keep_deletes_nothing(emulator: Emulator, harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    await set_language(harness, owner, "pt-BR")
    msg = await ask_forget(harness, owner)

    rec = await click(emulator, msg, "keep", owner, by=owner, locale="da")
    assert rec.ack is not None and rec.ack.type == 7
    edited = emulator.state.messages[msg.id]
    assert edited.content == t("privacy.forget.kept", "da")
    assert edited.components == []
    assert await harness.bot.services.preferences.language(owner) == "pt-BR"


async def test_confirm_after_a_restart_still_works(emulator: Emulator, harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    await set_language(harness, owner, "fr")
    msg = await ask_forget(harness, owner)

    bot = await harness.restart()

    rec = await click(emulator, msg, "forget", owner, by=owner)
    assert rec.ack is not None and rec.ack.type == 7
    done = t("privacy.forget.done", "en-US", count=2)  # choice + client language seen
    assert emulator.state.messages[msg.id].content == done
    assert await bot.services.preferences.language(owner) is None
