"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

from tests.emulator import InteractionRecord, Message


async def reply(rec: InteractionRecord, timeout: float = 5.0) -> Message:
    """The message the user ends up seeing: the response, or the followup after a defer."""
    ack = await rec.wait_ack(timeout)
    if ack.type == 5:
        return await rec.wait_followup(1, timeout)
    return await rec.wait_response(timeout)


async def ephemeral_text(rec: InteractionRecord, timeout: float = 5.0) -> str:
    """The reply's text, asserting it is ephemeral and the interaction did not fail."""
    msg = await reply(rec, timeout)
    assert msg.ephemeral, f"reply is public: {msg.text()!r}"
    assert not rec.failed
    return msg.text()


def embed_fields(msg: Message) -> dict[str, str]:
    """The first embed's fields, name -> value."""
    assert msg.embeds, f"no embed in {msg.text()!r}"
    fields: list[dict[str, Any]] = msg.embeds[0].get("fields", [])
    return {str(f["name"]): str(f["value"]) for f in fields}
