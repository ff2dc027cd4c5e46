"""Channel messages (guild and DM), with send permissions and the closed-DM rule."""

from __future__ import annotations

from aiohttp import web

from . import messaging, payloads
from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, missing_permissions, unknown
from .snowflake import P, utcnow
from .state import DM, Channel, Message


class MessageRoutes(Routes):
    """POST/GET/PATCH/DELETE /channels/{id}/messages[/{mid}]."""

    def routes(self) -> list[RouteSpec]:
        base = "/channels/{channel_id}/messages"
        return [
            ("POST", base, self.create),
            ("GET", base, self.list),
            ("GET", base + "/{message_id}", self.get),
            ("PATCH", base + "/{message_id}", self.edit),
            ("DELETE", base + "/{message_id}", self.delete),
        ]

    def _can_read(self, channel: Channel) -> None:
        if channel.guild_id is None:
            return
        perms = self.state.channel_permissions(channel, self.emu.bot_user.id)
        if not perms & P.VIEW_CHANNEL:
            raise DiscordError(
                403, 50001, "Missing Access", violation=f"no View Channel in #{channel.name}"
            )

    def _message(self, channel: Channel, request: web.Request) -> Message:
        msg = self.state.messages.get(self.int_param(request, "message_id"))
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
            raise unknown("Message", 10008)
        return msg

    async def create(self, request: web.Request) -> web.Response:
        """Send a message: 50007 to closed DMs, 50013 without Send Messages."""
        channel = self.channel(request)
        files = self.files(request)
        if channel.type == DM:
            recipient = self.state.users[channel.recipient_ids[0]]
            if not recipient.dms_open or recipient.bot:
                raise DiscordError(
                    403,
                    50007,
                    "Cannot send messages to this user",
                    violation=f"50007 DM to user {recipient.id} with closed DMs",
                )
        else:
            self._can_read(channel)
            perms = self.state.channel_permissions(channel, self.emu.bot_user.id)
            if channel.thread is not None:
                await self._thread_gate(channel, perms)
            elif not perms & P.SEND_MESSAGES:
                raise missing_permissions(f"Send Messages in #{channel.name}")
            if files and not perms & P.ATTACH_FILES:
                raise missing_permissions(f"Attach Files in #{channel.name}")
        body = self.body(request)
        msg_type = 19 if body.get("message_reference") else 0
        msg = await messaging.create_message(
            self.emu, channel, self.emu.bot_user.id, body, files, type=msg_type
        )
        return json_response(payloads.message(self.state, msg))

    async def _thread_gate(self, thread: Channel, perms: int) -> None:
        """Threads need Send Messages in Threads; a locked thread needs Manage Threads; an
        archived (unlocked) thread is unarchived by the message (THREAD_UPDATE)."""
        info = thread.thread
        assert info is not None
        if not perms & P.SEND_MESSAGES_IN_THREADS:
            raise missing_permissions(f"Send Messages in Threads in thread {thread.name!r}")
        if info.locked and not perms & P.MANAGE_THREADS:
            raise DiscordError(
                403, 160005, "Thread is locked", violation=f"message in locked {thread.name!r}"
            )
        if info.archived:
            info.archived = False
            info.archive_timestamp = utcnow()
            await self.emu.dispatch("THREAD_UPDATE", payloads.thread(self.state, thread))

    async def list(self, request: web.Request) -> web.Response:
        """History, newest first (limit, before, after)."""
        channel = self.channel(request)
        self._can_read(channel)
        limit = min(max(int(request.query.get("limit", "50")), 1), 100)
        msgs = [m for m in self.state.channel_messages(channel.id) if not m.ephemeral]
        if "before" in request.query:
            msgs = [m for m in msgs if m.id < int(request.query["before"])]
        if "after" in request.query:
            msgs = [m for m in msgs if m.id > int(request.query["after"])][:limit]
        msgs = sorted(msgs, key=lambda m: m.id, reverse=True)[:limit]
        return json_response([payloads.message(self.state, m) for m in msgs])

    async def get(self, request: web.Request) -> web.Response:
        """One message."""
        channel = self.channel(request)
        self._can_read(channel)
        return json_response(payloads.message(self.state, self._message(channel, request)))

    async def edit(self, request: web.Request) -> web.Response:
        """Edit the bot's own message (50005 otherwise)."""
        channel = self.channel(request)
        msg = self._message(channel, request)
        if msg.author_id != self.emu.bot_user.id:
            raise DiscordError(
                403,
                50005,
                "Cannot edit a message authored by another user",
                violation="50005 edit of another user's message",
            )
        await messaging.edit_message(self.emu, msg, self.body(request), self.files(request))
        return json_response(payloads.message(self.state, msg))

    async def delete(self, request: web.Request) -> web.Response:
        """Delete own message, or others' with Manage Messages."""
        channel = self.channel(request)
        msg = self._message(channel, request)
        if msg.author_id != self.emu.bot_user.id:
            if channel.guild_id is None:
                raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
            perms = self.state.channel_permissions(channel, self.emu.bot_user.id)
            if not perms & P.MANAGE_MESSAGES:
                raise missing_permissions("delete others' messages needs Manage Messages")
        await messaging.delete_message(self.emu, msg)
        return no_content()
