"""Threads: starting them (from a message, without one, forum posts), membership, edits.

The same functions serve the bot's REST calls and the test-side actors (a human doing the
same thing in Discord's UI), so both follow one set of rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import messaging, payloads
from .recording import UploadedFile
from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, FormErrors, check_message, check_not_empty, missing_permissions
from .snowflake import Intents, P, utcnow
from .state import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    FORUM,
    HAS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    Channel,
    Message,
)

if TYPE_CHECKING:
    from .emulator import EmulatorCore

JSON = dict[str, Any]
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def wrong_channel_type(what: str) -> DiscordError:
    """400 50024 Cannot execute action on this channel type."""
    return DiscordError(
        400, 50024, "Cannot execute action on this channel type", violation=f"50024 {what}"
    )


def _deny(emu: EmulatorCore, user_id: int, what: str) -> DiscordError:
    if user_id == emu.bot_user.id:
        return missing_permissions(what)
    return DiscordError(403, 50013, "Missing Permissions")


def _require(emu: EmulatorCore, channel: Channel, user_id: int, perm: int, what: str) -> None:
    perms = emu.state.channel_permissions(channel, user_id)
    if not perms & P.VIEW_CHANNEL:
        raise DiscordError(403, 50001, "Missing Access", violation=f"50001 {what}: no access")
    if not perms & perm:
        raise _deny(emu, user_id, what)


def _validate(body: JSON) -> int:
    errors = FormErrors()
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = int(body.get("auto_archive_duration") or 4320)
    if duration not in ARCHIVE_DURATIONS:
        errors.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )
    slow = int(body.get("rate_limit_per_user") or 0)
    if not 0 <= slow <= 21600:
        errors.add(("rate_limit_per_user",), "NUMBER_TYPE_MAX", "int value should be <= 21600.")
    errors.raise_if_any("start thread")
    return duration


def check_parent(channel: Channel) -> None:
    """Threads can't be started in threads, DMs, voice channels or categories."""
    if channel.thread is not None or channel.guild_id is None:
        raise wrong_channel_type(f"start a thread in channel {channel.id} (type {channel.type})")


async def announce_thread(emu: EmulatorCore, thread: Channel) -> None:
    """Record a new thread and send THREAD_CREATE (newly_created) if the bot can see it."""
    emu.threads_log.append(thread)
    emu.thread_waiters.notify(thread)
    if emu.state.channel_permissions(thread, emu.bot_user.id) & P.VIEW_CHANNEL:
        data = payloads.thread(emu.state, thread)
        data["newly_created"] = True
        await emu.dispatch("THREAD_CREATE", data)


async def thread_updated(emu: EmulatorCore, thread: Channel) -> None:
    """THREAD_UPDATE."""
    await emu.dispatch("THREAD_UPDATE", payloads.thread(emu.state, thread))


async def start_from_message(
    emu: EmulatorCore, parent: Channel, msg: Message, user_id: int, body: JSON
) -> Channel:
    """Start a thread on a message: public (11) in text, announcement thread (10) in
    announcement channels; the thread's id is the message's id. Needs Create Public Threads."""
    check_parent(parent)
    if parent.type not in (TEXT, ANNOUNCEMENT):
        raise wrong_channel_type(f"thread from a message in channel type {parent.type}")
    what = "start thread needs Create Public Threads"
    _require(emu, parent, user_id, P.CREATE_PUBLIC_THREADS, what)
    duration = _validate(body)
    if msg.id in emu.state.channels:
        raise DiscordError(
            400,
            160004,
            "A thread has already been created for this message",
            violation=f"160004 second thread on message {msg.id}",
        )
    thread = emu.state.add_thread(
        parent,
        body["name"],
        ANNOUNCEMENT_THREAD if parent.type == ANNOUNCEMENT else PUBLIC_THREAD,
        user_id,
        thread_id=msg.id,
        auto_archive_duration=duration,
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    await announce_thread(emu, thread)
    msg.flags |= HAS_THREAD
    await emu.dispatch("MESSAGE_UPDATE", payloads.message(emu.state, msg, gateway=True))
    return thread


async def start_without_message(
    emu: EmulatorCore,
    parent: Channel,
    user_id: int,
    body: JSON,
    files: list[UploadedFile] | None = None,
) -> tuple[Channel, Message | None]:
    """Start a thread without a message (type defaults to private, 12, in API v10), or a
    forum post (needs `message`; the starter message's id is the thread's id)."""
    check_parent(parent)
    if parent.type == FORUM:
        return await _forum_post(emu, parent, user_id, body, files or [])
    if parent.type not in (TEXT, ANNOUNCEMENT):
        raise wrong_channel_type(f"thread in channel type {parent.type}")
    ttype = int(body.get("type") or PRIVATE_THREAD)
    allowed = (PUBLIC_THREAD, PRIVATE_THREAD) if parent.type == TEXT else (ANNOUNCEMENT_THREAD,)
    if ttype not in allowed:
        raise wrong_channel_type(f"thread type {ttype} in channel type {parent.type}")
    perm = P.CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
    name = "Create Private Threads" if ttype == PRIVATE_THREAD else "Create Public Threads"
    _require(emu, parent, user_id, perm, f"start thread needs {name}")
    duration = _validate(body)
    thread = emu.state.add_thread(
        parent,
        body["name"],
        ttype,
        user_id,
        auto_archive_duration=duration,
        invitable=bool(body.get("invitable", True)),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    await announce_thread(emu, thread)
    if ttype != PRIVATE_THREAD:
        # Discord posts a THREAD_CREATED (18) system message in the parent channel.
        notice = Message(
            emu.state.ids.make(),
            parent.id,
            parent.guild_id,
            user_id,
            content=thread.name or "",
            type=18,
            message_reference={
                "type": 0,
                "channel_id": str(thread.id),
                "guild_id": str(parent.guild_id),
            },
        )
        emu.state.messages[notice.id] = notice
        parent.last_message_id = notice.id
        emu.messages_log.append(notice)
        await emu.dispatch("MESSAGE_CREATE", payloads.message(emu.state, notice, gateway=True))
        emu.message_waiters.notify(notice)
    return thread, None


async def _forum_post(
    emu: EmulatorCore, forum: Channel, user_id: int, body: JSON, files: list[UploadedFile]
) -> tuple[Channel, Message]:
    _require(emu, forum, user_id, P.SEND_MESSAGES, "forum post needs Send Messages")
    message = body.get("message")
    if not isinstance(message, dict):
        errors = FormErrors()
        errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any("forum post")
    assert isinstance(message, dict)
    duration = _validate(body)
    check_message(message, context="forum post message")
    check_not_empty(message, has_files=bool(files))
    thread = emu.state.add_thread(
        forum,
        body["name"],
        PUBLIC_THREAD,
        user_id,
        auto_archive_duration=duration,
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        applied_tags=[int(t) for t in body.get("applied_tags") or []],
    )
    await announce_thread(emu, thread)
    starter = await messaging.create_message(
        emu, thread, user_id, message, files, message_id=thread.id
    )
    forum.last_message_id = thread.id
    return thread, starter


async def add_member(emu: EmulatorCore, thread: Channel, user_id: int) -> bool:
    """Add a thread member; THREAD_MEMBERS_UPDATE (THREAD_CREATE first when it is the bot).
    Returns False if they already were a member."""
    info, guild_id = thread.thread, thread.guild_id
    assert info is not None and guild_id is not None
    if user_id in info.members:
        return False
    info.members[user_id] = utcnow()
    guild = emu.state.guilds[guild_id]
    if user_id == emu.bot_user.id:
        await emu.dispatch("THREAD_CREATE", payloads.thread(emu.state, thread))
    added = payloads.thread_member(emu.state, thread, user_id)
    if user_id in guild.members:
        added["member"] = payloads.member(emu.state, guild.members[user_id])
    added["presence"] = None
    await emu.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {
            "id": str(thread.id),
            "guild_id": str(guild_id),
            "member_count": min(len(info.members), 50),
            "added_members": [added],
        },
    )
    return True


async def remove_member(emu: EmulatorCore, thread: Channel, user_id: int) -> bool:
    """Remove a thread member; THREAD_MEMBERS_UPDATE. False if they were not a member."""
    info = thread.thread
    assert info is not None
    if info.members.pop(user_id, None) is None:
        return False
    await emu.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(info.members), 50),
            "removed_member_ids": [str(user_id)],
        },
    )
    return True


async def delete_thread(emu: EmulatorCore, thread: Channel) -> None:
    """Remove a thread and its messages; THREAD_DELETE."""
    guild = emu.state.guilds[thread.guild_id or 0]
    if thread.id in guild.thread_ids:
        guild.thread_ids.remove(thread.id)
    emu.state.channels.pop(thread.id, None)
    for msg in emu.state.channel_messages(thread.id):
        msg.deleted = True
    await emu.dispatch(
        "THREAD_DELETE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "type": thread.type,
        },
    )


async def edit_thread(emu: EmulatorCore, thread: Channel, user_id: int, body: JSON) -> None:
    """Rename/archive/lock/... a thread. The owner may change name, archived and the archive
    duration (unless locked); everything else needs Manage Threads. THREAD_UPDATE."""
    info = thread.thread
    assert info is not None
    perms = emu.state.channel_permissions(thread, user_id)
    manager = bool(perms & P.MANAGE_THREADS)
    owner_keys = {"name", "archived", "auto_archive_duration"}
    if not manager and (
        user_id != info.owner_id or info.locked or set(body) - owner_keys - {"rate_limit_per_user"}
    ):
        raise _deny(emu, user_id, "edit thread needs Manage Threads")
    if "rate_limit_per_user" in body and not manager:
        raise _deny(emu, user_id, "thread slowmode needs Manage Threads")
    if "name" in body:
        _validate({"name": body["name"]})
        thread.name = body["name"]
    if "auto_archive_duration" in body:
        info.auto_archive_duration = _validate({"name": "x", **body})
    if "rate_limit_per_user" in body:
        thread.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
    if "archived" in body and bool(body["archived"]) != info.archived:
        info.archived = bool(body["archived"])
        info.archive_timestamp = utcnow()
    if "locked" in body:
        info.locked = bool(body["locked"])
    if "invitable" in body and thread.type == PRIVATE_THREAD:
        info.invitable = bool(body["invitable"])
    if "applied_tags" in body:
        info.applied_tags = [int(t) for t in body["applied_tags"] or []]
    await thread_updated(emu, thread)


class ThreadRoutes(Routes):
    """Start thread (from message / without / forum post), thread members, active threads."""

    def routes(self) -> list[RouteSpec]:
        tm = "/channels/{channel_id}/thread-members"
        return [
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.from_message),
            ("POST", "/channels/{channel_id}/threads", self.without_message),
            ("GET", tm, self.list_members),
            ("PUT", tm + "/@me", self.join),
            ("DELETE", tm + "/@me", self.leave),
            ("GET", tm + "/{user_id}", self.get_member),
            ("PUT", tm + "/{user_id}", self.add),
            ("DELETE", tm + "/{user_id}", self.remove),
            ("GET", "/guilds/{guild_id}/threads/active", self.active),
        ]

    def _thread(self, request: web.Request) -> Channel:
        thread = self.channel(request)
        if thread.thread is None:
            raise wrong_channel_type(f"thread-members on non-thread channel {thread.id}")
        if not self.state.channel_permissions(thread, self.emu.bot_user.id) & P.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access", violation="thread not visible")
        return thread

    def _response(self, thread: Channel, starter: Message | None = None) -> web.Response:
        data = payloads.thread(self.state, thread)
        if starter is not None:
            data["message"] = payloads.message(self.state, starter)
        return json_response(data, 201)

    async def from_message(self, request: web.Request) -> web.Response:
        """Start a thread from a message; THREAD_CREATE (+ MESSAGE_UPDATE of the message)."""
        parent = self.channel(request)
        msg = self.state.messages.get(self.int_param(request, "message_id"))
        if msg is None or msg.deleted or msg.channel_id != parent.id or msg.ephemeral:
            raise DiscordError(404, 10008, "Unknown Message")
        thread = await start_from_message(
            self.emu, parent, msg, self.emu.bot_user.id, self.body(request)
        )
        return self._response(thread)

    async def without_message(self, request: web.Request) -> web.Response:
        """Start a thread without a message, or a forum post; THREAD_CREATE."""
        parent = self.channel(request)
        thread, starter = await start_without_message(
            self.emu, parent, self.emu.bot_user.id, self.body(request), self.files(request)
        )
        return self._response(thread, starter)

    async def join(self, request: web.Request) -> web.Response:
        """The bot joins a thread; THREAD_CREATE + THREAD_MEMBERS_UPDATE."""
        thread = self._thread(request)
        if thread.thread and thread.thread.archived:
            raise DiscordError(400, 50083, "Thread is archived", violation="join archived thread")
        await add_member(self.emu, thread, self.emu.bot_user.id)
        return no_content()

    async def leave(self, request: web.Request) -> web.Response:
        """The bot leaves a thread; THREAD_MEMBERS_UPDATE."""
        await remove_member(self.emu, self._thread(request), self.emu.bot_user.id)
        return no_content()

    async def add(self, request: web.Request) -> web.Response:
        """Add a guild member to a thread (bot needs Send Messages in Threads; in a private
        thread also membership, or Manage Threads unless invitable); THREAD_MEMBERS_UPDATE."""
        thread = self._thread(request)
        info = thread.thread
        assert info is not None and thread.guild_id is not None
        bot = self.emu.bot_user.id
        perms = self.state.channel_permissions(thread, bot)
        if not perms & P.SEND_MESSAGES_IN_THREADS:
            raise missing_permissions("add thread member needs Send Messages in Threads")
        if (
            thread.type == PRIVATE_THREAD
            and not perms & P.MANAGE_THREADS
            and (bot not in info.members or not info.invitable)
        ):
            raise missing_permissions("add to private thread needs membership/Manage Threads")
        if info.archived:
            raise DiscordError(400, 50083, "Thread is archived", violation="add to archived thread")
        user_id = self.int_param(request, "user_id")
        if user_id not in self.state.guilds[thread.guild_id].members:
            raise DiscordError(404, 10007, "Unknown Member")
        await add_member(self.emu, thread, user_id)
        return no_content()

    async def remove(self, request: web.Request) -> web.Response:
        """Remove someone from a thread (Manage Threads, or the private thread's owner)."""
        thread = self._thread(request)
        info = thread.thread
        assert info is not None
        bot = self.emu.bot_user.id
        user_id = self.int_param(request, "user_id")
        if user_id != bot:
            manage = self.state.channel_permissions(thread, bot) & P.MANAGE_THREADS
            if not manage and not (thread.type == PRIVATE_THREAD and info.owner_id == bot):
                raise missing_permissions("remove thread member needs Manage Threads")
        if user_id not in info.members:
            raise DiscordError(404, 10007, "Unknown Member")
        await remove_member(self.emu, thread, user_id)
        return no_content()

    def _member_payload(self, thread: Channel, user_id: int, with_member: bool) -> JSON:
        data = payloads.thread_member(self.state, thread, user_id)
        guild = self.state.guilds[thread.guild_id or 0]
        if with_member and user_id in guild.members:
            data["member"] = payloads.member(self.state, guild.members[user_id])
        return data

    async def get_member(self, request: web.Request) -> web.Response:
        """One thread member (with_member adds the guild member)."""
        thread = self._thread(request)
        user_id = self.int_param(request, "user_id")
        if thread.thread is None or user_id not in thread.thread.members:
            raise DiscordError(404, 10007, "Unknown Member")
        with_member = request.query.get("with_member") in ("true", "1", "True")
        return json_response(self._member_payload(thread, user_id, with_member))

    async def list_members(self, request: web.Request) -> web.Response:
        """Thread members by user id (limit 1..100, after, with_member). Needs the Server
        Members intent, as on Discord."""
        thread = self._thread(request)
        if not self.emu.bot_has_intent(Intents.GUILD_MEMBERS):
            raise DiscordError(
                403, 50001, "Missing Access", violation="list thread members without intent"
            )
        assert thread.thread is not None
        limit = min(max(int(request.query.get("limit", "100")), 1), 100)
        after = int(request.query.get("after", "0"))
        with_member = request.query.get("with_member") in ("true", "1", "True")
        ids = sorted(u for u in thread.thread.members if u > after)[:limit]
        return json_response([self._member_payload(thread, u, with_member) for u in ids])

    async def active(self, request: web.Request) -> web.Response:
        """Active threads the bot can see, with the bot's thread memberships."""
        guild = self.guild(request)
        bot = self.emu.bot_user.id
        threads = [
            t
            for t in self.state.guild_threads(guild, active_only=True)
            if self.state.channel_permissions(t, bot) & P.VIEW_CHANNEL
        ]
        members = [
            payloads.thread_member(self.state, t, bot)
            for t in threads
            if t.thread is not None and bot in t.thread.members
        ]
        data = []
        for t in threads:
            item = payloads.thread(self.state, t)
            item.pop("member", None)
            data.append(item)
        return json_response({"threads": data, "members": members})
