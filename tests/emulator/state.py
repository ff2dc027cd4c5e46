"""In-memory Discord state: users, guilds, roles, channels, members, invites, messages, events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .snowflake import P, SnowflakeFactory, utcnow

TEXT, DM, VOICE, CATEGORY, ANNOUNCEMENT, STAGE, FORUM = 0, 1, 2, 4, 5, 13, 15
ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 10, 11, 12
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
DID_REJOIN = 1 << 0
HAS_THREAD = 1 << 5


@dataclass(slots=True)
class User:
    """A Discord user (human or bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"
    dms_open: bool = True
    avatar: str | None = None


@dataclass(slots=True)
class Role:
    """A guild role; @everyone has the guild's id and position 0."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite (type 0 role, 1 member)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass(slots=True)
class ThreadInfo:
    """Thread-only data of a thread channel (types 10, 11, 12)."""

    owner_id: int
    auto_archive_duration: int = 4320
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    created_at: dt.datetime = field(default_factory=utcnow)
    archive_timestamp: dt.datetime = field(default_factory=utcnow)
    message_count: int = 0
    total_message_sent: int = 0
    #: Thread members: user id -> join time.
    members: dict[int, dt.datetime] = field(default_factory=dict)
    applied_tags: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Channel:
    """A guild channel, a thread (`thread` is set) or a DM channel."""

    id: int
    type: int
    guild_id: int | None
    name: str | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)
    last_message_id: int | None = None
    rate_limit_per_user: int = 0
    bitrate: int = 64000
    user_limit: int = 0
    thread: ThreadInfo | None = None

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread (announcement, public or private)."""
        return self.thread is not None


@dataclass(slots=True)
class Member:
    """A user's membership in a guild."""

    guild_id: int
    user_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: dt.datetime = field(default_factory=utcnow)
    nick: str | None = None
    flags: int = 0
    pending: bool = False
    communication_disabled_until: str | None = None


@dataclass(slots=True)
class Invite:
    """A guild invite with its usage counters."""

    code: str
    guild_id: int
    channel_id: int
    inviter_id: int | None
    uses: int = 0
    max_uses: int = 0
    max_age: int = 86400
    temporary: bool = False
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the invite expires (None: never)."""
        return None if self.max_age == 0 else self.created_at + dt.timedelta(seconds=self.max_age)


@dataclass(slots=True)
class Attachment:
    """An uploaded file; `data` holds the bytes the bot sent."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    def text(self) -> str:
        """The file decoded as UTF-8."""
        return self.data.decode("utf-8")

    def json(self) -> Any:
        """The file parsed as JSON."""
        return json.loads(self.data)


@dataclass(slots=True)
class Message:
    """A message as stored by the emulator (bot- or user-authored)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    edited_at: dt.datetime | None = None
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    tts: bool = False
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        """Whether flag 64 (EPHEMERAL) is set."""
        return bool(self.flags & 64)

    def text(self) -> str:
        """Content plus every embed's title/description/fields/footer text, newline-joined."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for fld in embed.get("fields", []):
                parts.extend([str(fld.get("name", "")), str(fld.get("value", ""))])
            if (embed.get("footer") or {}).get("text"):
                parts.append(str(embed["footer"]["text"]))
            if (embed.get("author") or {}).get("name"):
                parts.append(str(embed["author"]["name"]))
        return "\n".join(parts)


@dataclass(slots=True)
class ScheduledEvent:
    """A guild scheduled event (entity types 1 stage, 2 voice, 3 external)."""

    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    entity_type: int
    creator_id: int | None = None
    channel_id: int | None = None
    description: str | None = None
    scheduled_end_time: str | None = None
    status: int = 1
    privacy_level: int = 2
    location: str | None = None
    subscribers: set[int] = field(default_factory=set)


@dataclass(slots=True)
class VoiceState:
    """A user's connection to a voice or stage channel."""

    user_id: int
    channel_id: int
    session_id: str
    deaf: bool = False
    mute: bool = False
    self_deaf: bool = False
    self_mute: bool = False
    self_video: bool = False
    self_stream: bool = False
    suppress: bool = False
    request_to_speak_timestamp: str | None = None


@dataclass(slots=True)
class Guild:
    """A guild and everything in it."""

    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    vanity_url_code: str | None = None
    vanity_uses: int = 0
    description: str | None = None
    system_channel_id: int | None = None
    rules_channel_id: int | None = None
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    former_member_ids: set[int] = field(default_factory=set)
    events: dict[int, ScheduledEvent] = field(default_factory=dict)
    #: Who is connected to which voice/stage channel, by user id.
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    #: Threads (kept out of `channel_ids`: guild channel lists never include threads).
    thread_ids: list[int] = field(default_factory=list)


class State:
    """All emulator state plus permission arithmetic."""

    def __init__(self) -> None:
        self.ids = SnowflakeFactory()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.invites: dict[str, Invite] = {}
        self.dm_channels: dict[int, int] = {}
        #: Attachments by id, served at `cdn_base` (127.0.0.1, set when the emulator starts).
        self.files: dict[int, Attachment] = {}
        self.cdn_base = "http://127.0.0.1/cdn"
        #: The bot's user id (payloads add the bot's own thread membership).
        self.bot_user_id: int | None = None

    # -- creation ---------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        locale: str = "en-US",
        dms_open: bool = True,
        created_at: dt.datetime | None = None,
    ) -> User:
        """Create a user whose id encodes `created_at` (account age)."""
        user = User(self.ids.make(created_at), username, global_name, bot, locale, dms_open)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner_id: int, locale: str = "en-US") -> Guild:
        """Create a guild with its @everyone role."""
        guild = Guild(self.ids.make(), name, owner_id, preferred_locale=locale)
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", P.EVERYONE_DEFAULT, 0)
        self.guilds[guild.id] = guild
        return guild

    def add_role(
        self, guild: Guild, name: str, permissions: int = 0, *, shift: bool = True, **kw: Any
    ) -> Role:
        """Create a role at the given `position` (default: just above @everyone, others shift).

        With `shift=False` (how Discord creates roles through the API) nothing else moves: the
        new role shares position 1 with older ones and ranks below them (ties go to the lower
        id, as discord.py's Role ordering says).
        """
        position = int(kw.pop("position", 1))
        for role in guild.roles.values():
            if shift and role.id != guild.id and role.position >= position:
                role.position += 1
        role = Role(self.ids.make(), guild.id, name, permissions, position, **kw)
        guild.roles[role.id] = role
        return role

    def add_channel(self, guild: Guild, name: str, type: int = TEXT, **kw: Any) -> Channel:
        """Create a guild channel."""
        siblings = [c for c in self.guild_channels(guild) if c.type == type]
        kw.setdefault("position", len(siblings))
        channel = Channel(self.ids.make(), type, guild.id, name, **kw)
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    def add_thread(
        self,
        parent: Channel,
        name: str,
        type: int,
        owner_id: int,
        *,
        thread_id: int | None = None,
        auto_archive_duration: int = 4320,
        invitable: bool = True,
        rate_limit_per_user: int = 0,
        applied_tags: list[int] | None = None,
    ) -> Channel:
        """Create a thread under `parent` (no event); the owner becomes its first member."""
        assert parent.guild_id is not None and type in THREAD_TYPES
        now = utcnow()
        info = ThreadInfo(
            owner_id,
            auto_archive_duration,
            invitable=invitable,
            created_at=now,
            archive_timestamp=now,
            members={owner_id: now},
            applied_tags=list(applied_tags or []),
        )
        channel = Channel(
            thread_id or self.ids.make(),
            type,
            parent.guild_id,
            name,
            parent_id=parent.id,
            rate_limit_per_user=rate_limit_per_user,
            thread=info,
        )
        self.channels[channel.id] = channel
        self.guilds[parent.guild_id].thread_ids.append(channel.id)
        return channel

    def add_member(
        self, guild: Guild, user_id: int, roles: list[int] | None = None, **kw: Any
    ) -> Member:
        """Add `user_id` to `guild` (no event)."""
        member = Member(guild.id, user_id, list(roles or []), **kw)
        guild.members[user_id] = member
        return member

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with `user_id`, created on first use."""
        cid = self.dm_channels.get(user_id)
        if cid is None:
            channel = Channel(self.ids.make(), DM, None, recipient_ids=[user_id])
            self.channels[channel.id] = channel
            self.dm_channels[user_id] = cid = channel.id
        return self.channels[cid]

    # -- lookups ----------------------------------------------------------------------------
    def guild_channels(self, guild: Guild) -> list[Channel]:
        """Channels of a guild in creation order."""
        return [self.channels[c] for c in guild.channel_ids if c in self.channels]

    def guild_threads(self, guild: Guild, *, active_only: bool = False) -> list[Channel]:
        """Threads of a guild in creation order (optionally only unarchived ones)."""
        threads = [self.channels[c] for c in guild.thread_ids if c in self.channels]
        return [t for t in threads if not (active_only and t.thread and t.thread.archived)]

    def channel_messages(self, channel_id: int) -> list[Message]:
        """Live messages of a channel, oldest first."""
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def display_name(self, guild: Guild | None, user_id: int) -> str:
        """Nick, global name or username."""
        user = self.users[user_id]
        member = guild.members.get(user_id) if guild else None
        return (member.nick if member else None) or user.global_name or user.username

    # -- permissions ------------------------------------------------------------------------
    def top_position(self, guild: Guild, user_id: int) -> int:
        """Position of the member's highest role (0 = only @everyone)."""
        member = guild.members.get(user_id)
        if member is None:
            return -1
        return max([guild.roles[r].position for r in member.roles if r in guild.roles] + [0])

    def base_permissions(self, guild: Guild, user_id: int) -> int:
        """Guild-level permissions: owner and administrators get everything."""
        if user_id == guild.owner_id:
            return P.ALL
        member = guild.members.get(user_id)
        perms = guild.roles[guild.id].permissions
        for rid in member.roles if member else []:
            if rid in guild.roles:
                perms |= guild.roles[rid].permissions
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def channel_permissions(self, channel: Channel, user_id: int) -> int:
        """Permissions in a channel after @everyone, role and member overwrites."""
        if channel.guild_id is None:
            return P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY | P.EMBED_LINKS
        if channel.thread is not None:
            # Threads have no overwrites: they use the parent's; a private thread is visible
            # only to its members and to those who can manage threads.
            parent = self.channels.get(channel.parent_id or 0)
            perms = self.channel_permissions(parent, user_id) if parent else 0
            if (
                channel.type == PRIVATE_THREAD
                and user_id not in channel.thread.members
                and not perms & P.MANAGE_THREADS
            ):
                return 0
            return perms
        guild = self.guilds[channel.guild_id]
        perms = self.base_permissions(guild, user_id)
        if perms & P.ADMINISTRATOR or perms == P.ALL:
            return P.ALL
        member = guild.members.get(user_id)
        by_id = {o.id: o for o in channel.overwrites}
        if (ow := by_id.get(guild.id)) is not None:
            perms = (perms & ~ow.deny) | ow.allow
        allow = deny = 0
        for rid in member.roles if member else []:
            if (ow := by_id.get(rid)) is not None and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        if (ow := by_id.get(user_id)) is not None and ow.type == 1:
            perms = (perms & ~ow.deny) | ow.allow
        if not perms & P.VIEW_CHANNEL:
            return 0
        return perms
