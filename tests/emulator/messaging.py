"""Creating, editing and deleting messages, with the gateway events Discord sends."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import payloads
from .recording import UploadedFile
from .rules import DiscordError, check_message, check_not_empty
from .snowflake import utcnow
from .state import Attachment, Channel, Message

if TYPE_CHECKING:
    from .emulator import EmulatorCore

JSON = dict[str, Any]


def number_components(components: list[JSON]) -> list[JSON]:
    """Copy components, giving each one a numeric `id` as Discord does."""
    result = copy.deepcopy(components)
    counter = [0]

    def walk(items: list[JSON]) -> None:
        for item in items:
            counter[0] += 1
            item.setdefault("id", counter[0])
            if isinstance(item.get("components"), list):
                walk(item["components"])
            for key in ("accessory", "component"):
                if isinstance(item.get(key), dict):
                    walk([item[key]])

    walk(result)
    return result


def attachments_from(
    emu: EmulatorCore, body: JSON, files: list[UploadedFile], existing: list[Attachment]
) -> list[Attachment]:
    """Map payload_json `attachments` + files[n] to stored attachments (keeping old ones by id)."""
    by_field = {f.field: f for f in files}
    kept = {a.id: a for a in existing}
    result: list[Attachment] = []
    specs = body.get("attachments")
    if specs is None:
        specs = [{"id": i} for i in range(len(files))] if files else None
    if specs is None:
        return list(existing)
    for spec in specs:
        sid = int(spec.get("id", 0))
        upload = by_field.get(f"files[{sid}]")
        if upload is not None:
            result.append(
                Attachment(
                    emu.state.ids.make(),
                    spec.get("filename") or upload.filename,
                    upload.data,
                    upload.content_type,
                    spec.get("description"),
                )
            )
        elif sid in kept:
            result.append(kept[sid])
    return result


async def create_message(
    emu: EmulatorCore,
    channel: Channel,
    author_id: int,
    body: JSON,
    files: list[UploadedFile],
    *,
    type: int = 0,
    webhook_id: int | None = None,
    interaction_metadata: JSON | None = None,
    loading: bool = False,
    message_id: int | None = None,
) -> Message:
    """Validate, store and announce (MESSAGE_CREATE unless ephemeral) a new message.

    In a thread the author becomes a thread member (THREAD_MEMBERS_UPDATE) and the thread's
    message counters grow (a forum post's starter message, whose id is the thread's, does
    not count).
    """
    check_message(body)
    flags = int(body.get("flags") or 0)
    if not loading:
        check_not_empty(body, has_files=bool(files))
    ref = body.get("message_reference")
    if ref is not None:
        ref = {
            "type": 0,
            "channel_id": str(channel.id),
            **{k: str(v) if k.endswith("_id") else v for k, v in ref.items()},
        }
        if int(ref["message_id"]) not in emu.state.messages and ref.get("fail_if_not_exists", True):
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "message_reference": {
                        "_errors": [
                            {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
                        ]
                    }
                },
                violation="reply to unknown message",
            )
    msg = Message(
        message_id or emu.state.ids.make(),
        channel.id,
        channel.guild_id,
        author_id,
        content=str(body.get("content") or ""),
        embeds=list(body.get("embeds") or []),
        components=number_components(body.get("components") or []),
        attachments=attachments_from(emu, body, files, []),
        flags=flags,
        type=type,
        allowed_mentions=body.get("allowed_mentions"),
        message_reference=ref,
        webhook_id=webhook_id,
        interaction_metadata=interaction_metadata,
        tts=bool(body.get("tts")),
    )
    emu.state.messages[msg.id] = msg
    channel.last_message_id = msg.id
    emu.messages_log.append(msg)
    if channel.thread is not None and not msg.ephemeral:
        from .threads import add_member

        if msg.id != channel.id:
            channel.thread.message_count += 1
            channel.thread.total_message_sent += 1
        await add_member(emu, channel, author_id)
    if not msg.ephemeral:
        await emu.dispatch("MESSAGE_CREATE", payloads.message(emu.state, msg, gateway=True))
    emu.message_waiters.notify(msg)
    return msg


async def edit_message(
    emu: EmulatorCore, msg: Message, body: JSON, files: list[UploadedFile]
) -> Message:
    """Apply an edit (content/embeds/components/attachments/flags) and send MESSAGE_UPDATE."""
    check_message({"flags": msg.flags, **body})
    if "content" in body:
        msg.content = str(body["content"] or "")
    if "embeds" in body:
        msg.embeds = list(body["embeds"] or [])
    if "components" in body:
        msg.components = number_components(body["components"] or [])
    if "attachments" in body or files:
        msg.attachments = attachments_from(emu, body, files, msg.attachments)
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if body.get("flags") is not None:
        # Only SUPPRESS_EMBEDS (4) may be changed; ephemeral/loading stay as they were.
        msg.flags = (msg.flags & ~4) | (int(body["flags"]) & 4)
    was_loading = bool(msg.flags & 128)
    msg.flags &= ~128
    if not was_loading:
        msg.edited_at = utcnow()
    if not msg.ephemeral:
        await emu.dispatch("MESSAGE_UPDATE", payloads.message(emu.state, msg, gateway=True))
    emu.message_waiters.notify(msg)
    return msg


async def delete_message(emu: EmulatorCore, msg: Message) -> None:
    """Mark deleted and send MESSAGE_DELETE."""
    msg.deleted = True
    if msg.ephemeral:
        return
    thread = emu.state.channels.get(msg.channel_id)
    if thread is not None and thread.thread is not None and msg.id != thread.id:
        thread.thread.message_count = max(0, thread.thread.message_count - 1)
    data: JSON = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    await emu.dispatch("MESSAGE_DELETE", data)
