"""What humans (and Discord itself) do: guild setup, joins, leaves, invites, event RSVPs."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import messaging, payloads, threads
from .emulator import EmulatorCore
from .routes_invites_events import apply_edit, event_deleted, event_updated, new_code
from .snowflake import P, utcnow
from .state import (
    CATEGORY,
    DID_REJOIN,
    STAGE,
    TEXT,
    Channel,
    Guild,
    Invite,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
)

_names = itertools.count(1)


@dataclass
class StandardGuild:
    """A ready-made guild: bot (managed role), owner (Admin role), a regular member, #general."""

    guild: Guild
    owner: User
    regular: User
    bot_member: Member | None
    category: Channel
    channel: Channel
    admin_role: Role
    bot_role: Role | None
    member_role: Role

    @property
    def id(self) -> int:
        """The guild id."""
        return self.guild.id


class ActorsMixin(EmulatorCore):
    """Test-side actions that produce the gateway events Discord would send."""

    def add_user(
        self,
        username: str | None = None,
        *,
        global_name: str | None = None,
        locale: str = "en-US",
        dms_open: bool = True,
        bot: bool = False,
        created_at: dt.datetime | None = None,
    ) -> User:
        """Create a user (account age = `created_at`, encoded in the id)."""
        name = username or f"user{next(_names)}"
        return self.state.add_user(
            name,
            bot=bot,
            global_name=global_name,
            locale=locale,
            dms_open=dms_open,
            created_at=created_at,
        )

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Open or close a user's DMs (closed → bot DMs fail with 50007)."""
        self.state.users[user_id].dms_open = is_open

    def make_guild(
        self,
        name: str = "Vouch Test",
        locale: str = "en-US",
        *,
        with_bot: bool = True,
        bot_permissions: int = P.BOT_DEFAULT,
        features: Iterable[str] = (),
        vanity_url_code: str | None = None,
    ) -> StandardGuild:
        """Build a guild before the bot connects (roles: @everyone 0, Member 1, bot 2, Admin 3)."""
        owner = self.add_user(f"owner{next(_names)}", global_name="Owner", locale=locale)
        regular = self.add_user(f"member{next(_names)}", global_name="Regular", locale=locale)
        guild = self.state.add_guild(name, owner.id, locale)
        guild.features = list(features) + (["VANITY_URL"] if vanity_url_code else [])
        guild.vanity_url_code = vanity_url_code
        member_role = self.state.add_role(guild, "Member", 0, position=1)
        bot_role = None
        if with_bot:
            bot_role = self.state.add_role(
                guild,
                self.application_name,
                bot_permissions,
                position=2,
                managed=True,
                bot_id=self.bot_user.id,
            )
        admin_role = self.state.add_role(
            guild, "Admin", P.ADMINISTRATOR, position=3 if with_bot else 2, hoist=True
        )
        category = self.state.add_channel(guild, "Text Channels", CATEGORY)
        channel = self.state.add_channel(guild, "general", TEXT, parent_id=category.id)
        guild.system_channel_id = channel.id
        self.state.add_member(guild, owner.id, [admin_role.id])
        self.state.add_member(guild, regular.id, [member_role.id])
        bot_member = None
        if with_bot:
            assert bot_role is not None
            bot_member = self.state.add_member(guild, self.bot_user.id, [bot_role.id])
        return StandardGuild(
            guild, owner, regular, bot_member, category, channel, admin_role, bot_role, member_role
        )

    def populate_members(
        self, guild_id: int, count: int, *, role_ids: Iterable[int] = (), prefix: str = "bulk"
    ) -> list[int]:
        """Cheaply add `count` members (no events), e.g. 10,000 for a memory benchmark."""
        guild = self.state.guilds[guild_id]
        roles, joined = list(role_ids), utcnow()
        ids = []
        for i in range(count):
            user = self.state.add_user(f"{prefix}{guild_id % 10000}_{i}")
            guild.members[user.id] = Member(guild.id, user.id, list(roles), joined)
            ids.append(user.id)
        return ids

    async def create_channel(
        self,
        guild_id: int,
        name: str,
        type: int = TEXT,
        *,
        parent_id: int | None = None,
        **kw: Any,
    ) -> Channel:
        """A human creates a channel of any type (TEXT, VOICE, STAGE, FORUM, ANNOUNCEMENT,
        CATEGORY from tests.emulator): CHANNEL_CREATE. Before the bot connects it simply
        appears in GUILD_CREATE."""
        guild = self.state.guilds[guild_id]
        channel = self.state.add_channel(guild, name, type, parent_id=parent_id, **kw)
        await self.dispatch("CHANNEL_CREATE", payloads.channel(self.state, channel))
        return channel

    async def create_stage_channel(
        self, guild_id: int, name: str = "Stage", *, parent_id: int | None = None, **kw: Any
    ) -> Channel:
        """A stage channel (type 13): CHANNEL_CREATE."""
        return await self.create_channel(guild_id, name, STAGE, parent_id=parent_id, **kw)

    async def announce_guild(self, guild_id: int) -> None:
        """Send GUILD_CREATE for a guild made after the bot connected (bot joined it)."""
        guild = self.state.guilds[guild_id]
        await self.dispatch(
            "GUILD_CREATE",
            payloads.guild_create(
                self.state, guild, self.bot_user.id, all_members=len(guild.members) <= 250
            ),
        )

    # -- members ----------------------------------------------------------------------------
    async def member_join(
        self,
        guild_id: int,
        user: User | int | None = None,
        *,
        invite_code: str | None = None,
        rejoin: bool | None = None,
        pending: bool = False,
        invite_delete_first: bool = False,
    ) -> Member:
        """A user joins (through `invite_code` or the vanity code): uses++, GUILD_MEMBER_ADD.

        A used-up invite (uses == max_uses > 0) is deleted with INVITE_DELETE, after the join
        event unless `invite_delete_first`. DID_REJOIN is set for former members.
        """
        guild = self.state.guilds[guild_id]
        if user is None:
            user = self.add_user()
        uid = user if isinstance(user, int) else user.id
        if uid in guild.members:
            raise LookupError(f"user {uid} is already a member of {guild_id}")
        used_up: Invite | None = None
        if invite_code is not None and invite_code == guild.vanity_url_code:
            guild.vanity_uses += 1
        elif invite_code is not None:
            inv = self.state.invites.get(invite_code)
            if inv is None or inv.guild_id != guild_id:
                raise LookupError(f"invite {invite_code!r} does not exist in {guild_id}")
            inv.uses += 1
            if inv.max_uses and inv.uses >= inv.max_uses:
                used_up = inv
        was_member = uid in guild.former_member_ids if rejoin is None else rejoin
        member = self.state.add_member(
            guild, uid, flags=DID_REJOIN if was_member else 0, pending=pending
        )
        if used_up is not None and invite_delete_first:
            await self.remove_invite(used_up)
        data = payloads.member(self.state, member)
        data["guild_id"] = str(guild.id)
        await self.dispatch("GUILD_MEMBER_ADD", data)
        if used_up is not None and not invite_delete_first:
            await self.remove_invite(used_up)
        return member

    async def member_leave(self, guild_id: int, user_id: int) -> None:
        """A member leaves: GUILD_MEMBER_REMOVE."""
        from .voice import disconnect_voice

        guild = self.state.guilds[guild_id]
        await disconnect_voice(self, guild, user_id)
        del guild.members[user_id]
        guild.former_member_ids.add(user_id)
        await self.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild_id), "user": payloads.user(self.state.users[user_id])},
        )

    async def update_member(self, guild_id: int, user_id: int, **changes: Any) -> Member:
        """A moderator edits a member (roles=[...], nick=..., pending=...): GUILD_MEMBER_UPDATE."""
        member = self.state.guilds[guild_id].members[user_id]
        for key, value in changes.items():
            setattr(member, key, list(value) if key == "roles" else value)
        data = payloads.member(self.state, member)
        data["guild_id"] = str(guild_id)
        await self.dispatch("GUILD_MEMBER_UPDATE", data)
        return member

    async def user_message(self, channel_id: int, user_id: int, content: str) -> Message:
        """A human posts a message: MESSAGE_CREATE (content hidden without the intent)."""
        channel = self.state.channels[channel_id]
        return await messaging.create_message(self, channel, user_id, {"content": content}, [])

    # -- invites ----------------------------------------------------------------------------
    async def create_invite(
        self,
        channel_id: int,
        inviter_id: int | None,
        *,
        max_uses: int = 0,
        max_age: int = 86400,
        temporary: bool = False,
        code: str | None = None,
    ) -> Invite:
        """A human creates an invite: INVITE_CREATE."""
        channel = self.state.channels[channel_id]
        inv = Invite(
            code or new_code(),
            channel.guild_id or 0,
            channel_id,
            inviter_id,
            0,
            max_uses,
            max_age,
            temporary,
        )
        self.state.invites[inv.code] = inv
        await self.dispatch("INVITE_CREATE", payloads.invite_create_event(self.state, inv))
        return inv

    async def delete_invite(self, code: str) -> None:
        """A human revokes an invite: INVITE_DELETE."""
        await self.remove_invite(self.state.invites[code])

    async def remove_invite(self, inv: Invite) -> None:
        """Drop an invite and send INVITE_DELETE."""
        self.state.invites.pop(inv.code, None)
        await self.dispatch(
            "INVITE_DELETE",
            {"channel_id": str(inv.channel_id), "guild_id": str(inv.guild_id), "code": inv.code},
        )

    # -- scheduled events -------------------------------------------------------------------
    async def create_scheduled_event(
        self,
        guild_id: int,
        creator_id: int,
        name: str,
        *,
        start: dt.datetime,
        end: dt.datetime | None = None,
        entity_type: int = 3,
        location: str | None = "Online",
        channel_id: int | None = None,
    ) -> ScheduledEvent:
        """A human creates an event: GUILD_SCHEDULED_EVENT_CREATE."""
        guild = self.state.guilds[guild_id]
        event = ScheduledEvent(
            self.state.ids.make(),
            guild_id,
            name,
            start.isoformat(),
            entity_type,
            creator_id,
            channel_id,
            None,
            end.isoformat() if end else None,
            location=location if entity_type == 3 else None,
        )
        guild.events[event.id] = event
        await self.dispatch(
            "GUILD_SCHEDULED_EVENT_CREATE", payloads.scheduled_event(self.state, event)
        )
        return event

    async def event_subscribe(self, guild_id: int, event_id: int, user_id: int) -> None:
        """A user clicks "Interested": GUILD_SCHEDULED_EVENT_USER_ADD."""
        self.state.guilds[guild_id].events[event_id].subscribers.add(user_id)
        await self.dispatch(
            "GUILD_SCHEDULED_EVENT_USER_ADD",
            {
                "guild_scheduled_event_id": str(event_id),
                "user_id": str(user_id),
                "guild_id": str(guild_id),
            },
        )

    async def event_unsubscribe(self, guild_id: int, event_id: int, user_id: int) -> None:
        """A user un-RSVPs: GUILD_SCHEDULED_EVENT_USER_REMOVE."""
        self.state.guilds[guild_id].events[event_id].subscribers.discard(user_id)
        await self.dispatch(
            "GUILD_SCHEDULED_EVENT_USER_REMOVE",
            {
                "guild_scheduled_event_id": str(event_id),
                "user_id": str(user_id),
                "guild_id": str(guild_id),
            },
        )

    def _event(self, guild_id: int, event_id: int) -> ScheduledEvent:
        return self.state.guilds[guild_id].events[event_id]

    async def set_scheduled_event_status(
        self, guild_id: int, event_id: int, status: int
    ) -> ScheduledEvent:
        """A human changes an event's status in Discord's UI (1 scheduled → 2 active or
        4 cancelled, 2 → 3 completed; others raise DiscordError 50035, as the API does):
        GUILD_SCHEDULED_EVENT_UPDATE with the full event."""
        event = self._event(guild_id, event_id)
        apply_edit(event, {"status": status})
        await event_updated(self, event)
        return event

    async def start_event(self, guild_id: int, event_id: int) -> ScheduledEvent:
        """ "Start event": status 2 (active)."""
        return await self.set_scheduled_event_status(guild_id, event_id, 2)

    async def end_event(self, guild_id: int, event_id: int) -> ScheduledEvent:
        """ "End event": status 3 (completed)."""
        return await self.set_scheduled_event_status(guild_id, event_id, 3)

    async def cancel_event(self, guild_id: int, event_id: int) -> ScheduledEvent:
        """ "Cancel event": status 4 (cancelled)."""
        return await self.set_scheduled_event_status(guild_id, event_id, 4)

    async def edit_scheduled_event(
        self,
        guild_id: int,
        event_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        location: str | None = None,
    ) -> ScheduledEvent:
        """A human edits an event's details: GUILD_SCHEDULED_EVENT_UPDATE."""
        event = self._event(guild_id, event_id)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        if start is not None:
            body["scheduled_start_time"] = start.isoformat()
        if end is not None:
            body["scheduled_end_time"] = end.isoformat()
        if location is not None:
            body["entity_metadata"] = {"location": location}
        apply_edit(event, body)
        await event_updated(self, event)
        return event

    async def delete_scheduled_event(self, guild_id: int, event_id: int) -> None:
        """A human deletes an event: GUILD_SCHEDULED_EVENT_DELETE with the full event."""
        guild = self.state.guilds[guild_id]
        await event_deleted(self, guild, guild.events[event_id])

    # -- threads ----------------------------------------------------------------------------
    async def start_thread(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        *,
        message_id: int | None = None,
        type: int | None = None,
        content: str | None = None,
        auto_archive_duration: int = 4320,
        invitable: bool = True,
    ) -> Channel:
        """A human starts a thread: on a message (`message_id`), without one (`type` 11 or 12,
        default 11 here since the UI's default is public), or a forum post (`content` is the
        starter message). Same rules and events as the REST route (THREAD_CREATE, ...)."""
        parent = self.state.channels[channel_id]
        body: dict[str, Any] = {"name": name, "auto_archive_duration": auto_archive_duration}
        if message_id is not None:
            return await threads.start_from_message(
                self, parent, self.state.messages[message_id], user_id, body
            )
        if content is not None:
            body["message"] = {"content": content}
        body["type"] = type if type is not None else 11
        body["invitable"] = invitable
        thread, _ = await threads.start_without_message(self, parent, user_id, body)
        return thread

    async def join_thread(self, thread_id: int, user_id: int) -> None:
        """A user joins a thread: THREAD_MEMBERS_UPDATE."""
        await threads.add_member(self, self.state.channels[thread_id], user_id)

    async def leave_thread(self, thread_id: int, user_id: int) -> None:
        """A user leaves a thread: THREAD_MEMBERS_UPDATE."""
        await threads.remove_member(self, self.state.channels[thread_id], user_id)

    async def edit_thread(self, thread_id: int, user_id: int, **changes: Any) -> Channel:
        """A user (owner or moderator) edits a thread (name=, archived=, locked=, ...):
        THREAD_UPDATE."""
        thread = self.state.channels[thread_id]
        await threads.edit_thread(self, thread, user_id, changes)
        return thread

    async def delete_thread(self, thread_id: int) -> None:
        """A moderator deletes a thread: THREAD_DELETE."""
        await threads.delete_thread(self, self.state.channels[thread_id])
