"""Every message the bot sends refuses to ping: allowed_mentions parses nothing."""

from __future__ import annotations

from typing import Any

from tests.emulator import Emulator
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply

NOBODY = {"parse": []}


async def test_replies_and_followups_ping_nobody(emulator: Emulator, harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    general = harness.guild.channel.id
    await ephemeral_text(await harness.slash("setup", "show"))  # embed, type 4
    await ephemeral_text(
        await harness.slash("setup", "channel", {"purpose": "welcome", "channel": general})
    )  # a channel mention
    await ephemeral_text(
        await harness.slash("setup", "auto")
    )  # defer + followup with role mentions
    await ephemeral_text(await harness.slash("privacy", "export"))  # multipart followup
    ask = await reply(await harness.slash("privacy", "forget"))  # components
    clicked = await emulator.click(ask.id, f"privacy:keep:{owner}", owner)
    assert (await clicked.wait_ack()).type == 7  # message update

    bodies: list[tuple[str, Any]] = []
    for call in emulator.calls_matching("POST", r"^/interactions/\d+/[^/]+/callback$"):
        if call.json["type"] in (4, 7):
            bodies.append((f"callback type {call.json['type']}", call.json["data"]))
    for call in emulator.calls_matching("*", r"^/webhooks/\d+/[^/]+(/messages/.+)?$"):
        if call.method in ("POST", "PATCH"):
            bodies.append((f"{call.method} webhook", call.json))
    kinds = {kind for kind, _ in bodies}
    assert {"callback type 4", "callback type 7", "POST webhook"} <= kinds
    assert any(call.files for call in emulator.calls_matching("POST", r"^/webhooks/")), (
        "the export should be one of the checked calls"
    )
    for kind, body in bodies:
        assert body.get("allowed_mentions") == NOBODY, (kind, body)
    sent = [m for m in emulator.messages_log if m.author_id == emulator.bot_user.id]
    assert len(sent) >= 5
    assert all(m.allowed_mentions == NOBODY for m in sent)
