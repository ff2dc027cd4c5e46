"""Invites (with uses counters), vanity URL and guild scheduled events."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads
from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, FormErrors, missing_permissions, unknown
from .snowflake import P, parse_iso, utcnow
from .state import STAGE, VOICE, Guild, Invite, ScheduledEvent

if TYPE_CHECKING:
    from .emulator import EmulatorCore

TRANSITIONS = {(1, 2), (1, 4), (2, 3)}


def new_code() -> str:
    """A random invite code."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


def set_status(event: ScheduledEvent, status: int) -> None:
    """Change an event's status; only scheduled→active/cancelled and active→completed exist."""
    if status == event.status:
        return
    if (event.status, status) not in TRANSITIONS:
        raise DiscordError(
            400,
            50035,
            "Invalid Form Body",
            errors={
                "status": {
                    "_errors": [
                        {
                            "code": "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                            "message": "Invalid status transition",
                        }
                    ]
                }
            },
            violation=f"event status {event.status} -> {status}",
        )
    event.status = status


def apply_edit(event: ScheduledEvent, body: dict[str, Any]) -> None:
    """Apply an edit body (status first, then fields) to an event."""
    if "status" in body:
        set_status(event, int(body["status"]))
    for key in ("name", "description", "scheduled_start_time", "scheduled_end_time"):
        if key in body:
            setattr(event, key, body[key])
    if "entity_type" in body:
        event.entity_type = int(body["entity_type"])
    if "channel_id" in body:
        event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
    if "entity_metadata" in body:
        event.location = (body["entity_metadata"] or {}).get("location")


async def event_updated(emu: EmulatorCore, event: ScheduledEvent) -> dict[str, Any]:
    """GUILD_SCHEDULED_EVENT_UPDATE with the full event; returns the payload."""
    data = payloads.scheduled_event(emu.state, event)
    await emu.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", data)
    return data


async def event_deleted(emu: EmulatorCore, guild: Guild, event: ScheduledEvent) -> None:
    """Drop the event; GUILD_SCHEDULED_EVENT_DELETE with the full event."""
    data = payloads.scheduled_event(emu.state, event)
    del guild.events[event.id]
    await emu.dispatch("GUILD_SCHEDULED_EVENT_DELETE", data)


class InviteRoutes(Routes):
    """Invite endpoints."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/guilds/{guild_id}/invites", self.list_guild),
            ("POST", "/channels/{channel_id}/invites", self.create),
            ("GET", "/channels/{channel_id}/invites", self.list_channel),
            ("GET", "/invites/{code}", self.get),
            ("DELETE", "/invites/{code}", self.delete),
            ("GET", "/guilds/{guild_id}/vanity-url", self.vanity),
        ]

    def live(self, guild_id: int | None = None, channel_id: int | None = None) -> list[Invite]:
        """Unexpired invites (expired ones are dropped, as Discord does)."""
        now = utcnow()
        for code, inv in list(self.state.invites.items()):
            if inv.expires_at is not None and inv.expires_at <= now:
                del self.state.invites[code]
        return [
            i
            for i in self.state.invites.values()
            if (guild_id is None or i.guild_id == guild_id)
            and (channel_id is None or i.channel_id == channel_id)
        ]

    async def list_guild(self, request: web.Request) -> web.Response:
        """All guild invites with metadata (needs Manage Server)."""
        guild = self.guild(request)
        self.require(guild, P.MANAGE_GUILD, "list invites needs Manage Server")
        return json_response([payloads.invite(self.state, i) for i in self.live(guild.id)])

    async def list_channel(self, request: web.Request) -> web.Response:
        """Channel invites (needs Manage Channels)."""
        channel = self.channel(request)
        guild = self.state.guilds[channel.guild_id or 0]
        self.require(
            guild, P.MANAGE_CHANNELS, "list channel invites needs Manage Channels", channel
        )
        return json_response(
            [payloads.invite(self.state, i) for i in self.live(channel_id=channel.id)]
        )

    async def create(self, request: web.Request) -> web.Response:
        """Create (or reuse unless unique) an invite; INVITE_CREATE."""
        channel = self.channel(request)
        if channel.guild_id is None:
            raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
        guild = self.state.guilds[channel.guild_id]
        self.require(guild, P.CREATE_INSTANT_INVITE, "create invite needs Create Invite", channel)
        body = self.body(request)
        max_age, max_uses = int(body.get("max_age", 86400)), int(body.get("max_uses", 0))
        errors = FormErrors()
        if not 0 <= max_age <= 604800:
            errors.add(("max_age",), "NUMBER_TYPE_MAX", "int value should be <= 604800 and >= 0.")
        if not 0 <= max_uses <= 100:
            errors.add(("max_uses",), "NUMBER_TYPE_MAX", "int value should be <= 100 and >= 0.")
        errors.raise_if_any("create invite")
        temporary = bool(body.get("temporary", False))
        if not body.get("unique"):
            for inv in self.live(channel_id=channel.id):
                if (inv.inviter_id, inv.max_age, inv.max_uses, inv.temporary) == (
                    self.emu.bot_user.id,
                    max_age,
                    max_uses,
                    temporary,
                ):
                    return json_response(payloads.invite(self.state, inv))
        inv = Invite(
            new_code(), guild.id, channel.id, self.emu.bot_user.id, 0, max_uses, max_age, temporary
        )
        self.state.invites[inv.code] = inv
        await self.emu.dispatch("INVITE_CREATE", payloads.invite_create_event(self.state, inv))
        return json_response(payloads.invite(self.state, inv))

    async def get(self, request: web.Request) -> web.Response:
        """Public invite info (with_counts, with_expiration)."""
        code = request.match_info["code"]
        inv = next((i for i in self.live() if i.code == code), None)
        if inv is None:
            guild = next((g for g in self.state.guilds.values() if g.vanity_url_code == code), None)
            if guild is None:
                raise unknown("Invite", 10006)
            return json_response(
                {
                    "type": 0,
                    "code": code,
                    "guild": payloads.partial_guild(guild),
                    "guild_id": str(guild.id),
                    "channel": None,
                    "expires_at": None,
                }
            )
        data = payloads.invite(self.state, inv, metadata=False)
        if request.query.get("with_counts") in ("true", "1", "True"):
            guild = self.state.guilds[inv.guild_id]
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return json_response(data)

    async def delete(self, request: web.Request) -> web.Response:
        """Revoke an invite (Manage Channels or Manage Server); INVITE_DELETE."""
        code = request.match_info["code"]
        inv = next((i for i in self.live() if i.code == code), None)
        if inv is None:
            raise unknown("Invite", 10006)
        guild, channel = self.state.guilds[inv.guild_id], self.state.channels[inv.channel_id]
        bot = self.emu.bot_user.id
        if not (
            self.state.channel_permissions(channel, bot) & P.MANAGE_CHANNELS
            or self.state.base_permissions(guild, bot) & P.MANAGE_GUILD
        ):
            raise missing_permissions("delete invite needs Manage Channels or Manage Server")
        data = payloads.invite(self.state, inv)
        await self.emu.remove_invite(inv)
        return json_response(data)

    async def vanity(self, request: web.Request) -> web.Response:
        """Vanity code and its uses (needs Manage Server)."""
        guild = self.guild(request)
        self.require(guild, P.MANAGE_GUILD, "vanity URL needs Manage Server")
        return json_response({"code": guild.vanity_url_code, "uses": guild.vanity_uses})


class EventRoutes(Routes):
    """Guild scheduled event endpoints."""

    def routes(self) -> list[RouteSpec]:
        base = "/guilds/{guild_id}/scheduled-events"
        one = base + "/{event_id}"
        return [
            ("GET", base, self.list),
            ("POST", base, self.create),
            ("GET", one, self.get),
            ("PATCH", one, self.edit),
            ("DELETE", one, self.delete),
            ("GET", one + "/users", self.users),
        ]

    def _event(self, guild: Guild, request: web.Request) -> ScheduledEvent:
        event = guild.events.get(self.int_param(request, "event_id"))
        if event is None:
            raise unknown("Guild Scheduled Event", 10070)
        return event

    def _payload(self, event: ScheduledEvent, with_count: bool = True) -> dict[str, Any]:
        data = payloads.scheduled_event(self.state, event)
        if not with_count:
            data.pop("user_count", None)
        return data

    def _validate(self, guild: Guild, data: dict[str, Any], *, creating: bool) -> None:
        errors = FormErrors()
        name = data.get("name") or ""
        if not 1 <= len(name) <= 100:
            errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        start = parse_iso(data.get("scheduled_start_time"))
        if start is None:
            errors.add(("scheduled_start_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif creating and start < utcnow():
            errors.add(
                ("scheduled_start_time",),
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        etype = int(data.get("entity_type") or 0)
        if etype not in (1, 2, 3):
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if etype == 3:
            if not (data.get("entity_metadata") or {}).get("location"):
                errors.add(
                    ("entity_metadata", "location"), "BASE_TYPE_REQUIRED", "This field is required"
                )
            if not data.get("scheduled_end_time"):
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
            if data.get("channel_id"):
                errors.add(("channel_id",), "BASE_TYPE_CHOICES", "Must be null for external events")
        elif etype in (1, 2):
            cid = int(data.get("channel_id") or 0)
            channel = self.state.channels.get(cid)
            if (
                channel is None
                or channel.guild_id != guild.id
                or channel.type != (STAGE if etype == 1 else VOICE)
            ):
                errors.add(
                    ("channel_id",), "CHANNEL_TYPE_INVALID", "Invalid channel for entity type"
                )
        end = parse_iso(data.get("scheduled_end_time"))
        if start and end and end <= start:
            errors.add(
                ("scheduled_end_time",),
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "End time must be after start time",
            )
        errors.raise_if_any("scheduled event")

    def _require(self, guild: Guild) -> None:
        bot_perms = self.state.base_permissions(guild, self.emu.bot_user.id)
        if not bot_perms & (P.MANAGE_EVENTS | P.CREATE_EVENTS):
            raise missing_permissions("scheduled events need Create Events / Manage Events")

    async def list(self, request: web.Request) -> web.Response:
        """All events of the guild."""
        guild = self.guild(request)
        with_count = request.query.get("with_user_count") in ("true", "1", "True")
        return json_response([self._payload(e, with_count) for e in guild.events.values()])

    async def create(self, request: web.Request) -> web.Response:
        """Create an event; GUILD_SCHEDULED_EVENT_CREATE."""
        guild = self.guild(request)
        self._require(guild)
        body = self.body(request)
        self._validate(guild, body, creating=True)
        if sum(1 for e in guild.events.values() if e.status in (1, 2)) >= 100:
            raise DiscordError(
                400,
                30038,
                "Maximum number of guild scheduled events reached (100)",
                violation="more than 100 active scheduled events",
            )
        event = ScheduledEvent(
            self.state.ids.make(),
            guild.id,
            body["name"],
            body["scheduled_start_time"],
            int(body["entity_type"]),
            self.emu.bot_user.id,
            int(body["channel_id"]) if body.get("channel_id") else None,
            body.get("description"),
            body.get("scheduled_end_time"),
            privacy_level=int(body.get("privacy_level", 2)),
            location=(body.get("entity_metadata") or {}).get("location"),
        )
        guild.events[event.id] = event
        data = self._payload(event)
        await self.emu.dispatch("GUILD_SCHEDULED_EVENT_CREATE", data)
        return json_response(data)

    async def get(self, request: web.Request) -> web.Response:
        """One event."""
        guild = self.guild(request)
        return json_response(self._payload(self._event(guild, request)))

    async def edit(self, request: web.Request) -> web.Response:
        """Edit fields and/or status (1→2, 1→4, 2→3 only); GUILD_SCHEDULED_EVENT_UPDATE."""
        guild = self.guild(request)
        self._require(guild)
        event, body = self._event(guild, request), self.body(request)
        current = payloads.scheduled_event(self.state, event)
        merged = {**current, **body}
        if "entity_metadata" not in body and body.get("entity_type") not in (None, 3):
            merged["entity_metadata"] = None
        self._validate(guild, merged, creating=False)
        apply_edit(event, body)
        return json_response(await event_updated(self.emu, event))

    async def delete(self, request: web.Request) -> web.Response:
        """Delete an event; GUILD_SCHEDULED_EVENT_DELETE."""
        guild = self.guild(request)
        self._require(guild)
        await event_deleted(self.emu, guild, self._event(guild, request))
        return no_content()

    async def users(self, request: web.Request) -> web.Response:
        """Subscribers (limit ≤ 100, before/after, with_member)."""
        guild = self.guild(request)
        event = self._event(guild, request)
        limit = min(int(request.query.get("limit", "100")), 100)
        ids = sorted(event.subscribers)
        if "after" in request.query:
            ids = [u for u in ids if u > int(request.query["after"])]
        if "before" in request.query:
            ids = [u for u in ids if u < int(request.query["before"])][-limit:]
        with_member = request.query.get("with_member") in ("true", "1", "True")
        result = []
        for uid in ids[:limit]:
            item: dict[str, Any] = {
                "guild_scheduled_event_id": str(event.id),
                "user": payloads.user(self.state.users[uid]),
            }
            if with_member and uid in guild.members:
                item["member"] = payloads.member(self.state, guild.members[uid], with_user=False)
            result.append(item)
        return json_response(result)
