"""Guilds, channels, permission overwrites, roles and members."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import payloads, threads
from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, FormErrors, missing_permissions
from .snowflake import Intents, P
from .state import CATEGORY, DM, Channel, Guild, Member, Overwrite, Role
from .voice import disconnect_voice

SUPPORTED_TYPES = (0, 2, 4, 5, 13, 15)


class GuildRoutes(Routes):
    """Guild, channel, role and member endpoints, with Discord's permission rules."""

    def routes(self) -> list[RouteSpec]:
        g, m = "/guilds/{guild_id}", "/guilds/{guild_id}/members/{user_id}"
        return [
            ("GET", g, self.get_guild),
            ("GET", g + "/channels", self.list_channels),
            ("POST", g + "/channels", self.create_channel),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self.delete_overwrite),
            ("GET", g + "/roles", self.list_roles),
            ("POST", g + "/roles", self.create_role),
            ("PATCH", g + "/roles", self.move_roles),
            ("PATCH", g + "/roles/{role_id}", self.edit_role),
            ("DELETE", g + "/roles/{role_id}", self.delete_role),
            ("GET", g + "/members", self.list_members),
            ("PATCH", g + "/members/@me", self.edit_me),
            ("GET", m, self.get_member),
            ("PATCH", m, self.edit_member),
            ("DELETE", m, self.kick),
            ("PUT", m + "/roles/{role_id}", self.add_role),
            ("DELETE", m + "/roles/{role_id}", self.remove_role),
        ]

    # -- guild & channels -------------------------------------------------------------------
    async def get_guild(self, request: web.Request) -> web.Response:
        """Guild object (with_counts adds approximate counts)."""
        guild = self.guild(request)
        data = payloads.guild(self.state, guild)
        if request.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return json_response(data)

    async def list_channels(self, request: web.Request) -> web.Response:
        """Guild channels."""
        guild = self.guild(request)
        return json_response(
            [payloads.channel(self.state, c) for c in self.state.guild_channels(guild)]
        )

    def _guild_channel(self, request: web.Request) -> tuple[Guild, Channel]:
        channel = self.channel(request)
        if channel.guild_id is None:
            raise DiscordError(
                403,
                50003,
                "Cannot execute action on a DM channel",
                violation="guild-only action on a DM channel",
            )
        return self.state.guilds[channel.guild_id], channel

    def _overwrites(self, guild: Guild, raw: list[dict[str, Any]]) -> list[Overwrite]:
        bot_perms = self.state.base_permissions(guild, self.emu.bot_user.id)
        result = []
        for item in raw:
            ow = Overwrite(
                int(item["id"]),
                int(item.get("type", 0)),
                int(item.get("allow") or 0),
                int(item.get("deny") or 0),
            )
            if (ow.allow | ow.deny) & ~bot_perms and not bot_perms & P.ADMINISTRATOR:
                raise missing_permissions("overwrite grants/denies permissions the bot lacks")
            result.append(ow)
        return result

    async def create_channel(self, request: web.Request) -> web.Response:
        """Create a channel (needs Manage Channels); CHANNEL_CREATE."""
        guild = self.guild(request)
        self.require(guild, P.MANAGE_CHANNELS, "create channel needs Manage Channels")
        body = self.body(request)
        errors = FormErrors()
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        ctype = int(body.get("type") or 0)
        if ctype not in SUPPORTED_TYPES:
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {SUPPORTED_TYPES}.")
        parent = body.get("parent_id")
        if parent is not None and (
            int(parent) not in guild.channel_ids
            or self.state.channels[int(parent)].type != CATEGORY
        ):
            errors.add(("parent_id",), "CHANNEL_PARENT_INVALID", "Invalid parent channel")
        errors.raise_if_any("create channel")
        overwrites = self._overwrites(guild, body.get("permission_overwrites") or [])
        extra = {
            k: body[k]
            for k in ("topic", "nsfw", "rate_limit_per_user", "position", "bitrate", "user_limit")
            if body.get(k) is not None
        }
        channel = self.state.add_channel(
            guild,
            name,
            ctype,
            overwrites=overwrites,
            parent_id=int(parent) if parent else None,
            **extra,
        )
        data = payloads.channel(self.state, channel)
        await self.emu.dispatch("CHANNEL_CREATE", data)
        return json_response(data, 201)

    async def get_channel(self, request: web.Request) -> web.Response:
        """One channel or thread (a private thread only if the bot can see it)."""
        channel = self.channel(request)
        if channel.thread is not None and not (
            self.state.channel_permissions(channel, self.emu.bot_user.id) & P.VIEW_CHANNEL
        ):
            raise DiscordError(403, 50001, "Missing Access", violation="private thread not visible")
        return json_response(payloads.channel(self.state, channel))

    async def edit_channel(self, request: web.Request) -> web.Response:
        """Edit a channel; CHANNEL_UPDATE."""
        guild, channel = self._guild_channel(request)
        if channel.thread is not None:
            await threads.edit_thread(self.emu, channel, self.emu.bot_user.id, self.body(request))
            return json_response(payloads.thread(self.state, channel))
        self.require(guild, P.MANAGE_CHANNELS, "edit channel needs Manage Channels", channel)
        body = self.body(request)
        for key in (
            "name",
            "topic",
            "nsfw",
            "rate_limit_per_user",
            "position",
            "bitrate",
            "user_limit",
        ):
            if key in body:
                setattr(channel, key, body[key])
        if "parent_id" in body:
            channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "permission_overwrites" in body:
            channel.overwrites = self._overwrites(guild, body["permission_overwrites"] or [])
        data = payloads.channel(self.state, channel)
        await self.emu.dispatch("CHANNEL_UPDATE", data)
        return json_response(data)

    async def delete_channel(self, request: web.Request) -> web.Response:
        """Delete a channel; CHANNEL_DELETE."""
        channel = self.channel(request)
        if channel.type == DM:
            return json_response(payloads.channel(self.state, channel))
        guild = self.state.guilds[channel.guild_id or 0]
        if channel.thread is not None:
            self.require(guild, P.MANAGE_THREADS, "delete thread needs Manage Threads", channel)
            data = payloads.thread(self.state, channel)
            await threads.delete_thread(self.emu, channel)
            return json_response(data)
        self.require(guild, P.MANAGE_CHANNELS, "delete channel needs Manage Channels", channel)
        data = payloads.channel(self.state, channel)
        for user_id in [u for u, v in guild.voice_states.items() if v.channel_id == channel.id]:
            await disconnect_voice(self.emu, guild, user_id)
        guild.channel_ids.remove(channel.id)
        del self.state.channels[channel.id]
        for thread in self.state.guild_threads(guild):
            if thread.parent_id == channel.id:  # gone with the parent, no THREAD_DELETE
                guild.thread_ids.remove(thread.id)
                del self.state.channels[thread.id]
        await self.emu.dispatch("CHANNEL_DELETE", data)
        return json_response(data)

    async def put_overwrite(self, request: web.Request) -> web.Response:
        """Set one overwrite (needs Manage Roles in the channel); CHANNEL_UPDATE."""
        guild, channel = self._guild_channel(request)
        self.require(guild, P.MANAGE_ROLES, "edit overwrite needs Manage Permissions", channel)
        body, oid = self.body(request), self.int_param(request, "overwrite_id")
        [new] = self._overwrites(guild, [{**body, "id": oid}])
        channel.overwrites = [o for o in channel.overwrites if o.id != oid] + [new]
        await self.emu.dispatch("CHANNEL_UPDATE", payloads.channel(self.state, channel))
        return no_content()

    async def delete_overwrite(self, request: web.Request) -> web.Response:
        """Remove one overwrite; CHANNEL_UPDATE."""
        guild, channel = self._guild_channel(request)
        self.require(guild, P.MANAGE_ROLES, "delete overwrite needs Manage Permissions", channel)
        oid = self.int_param(request, "overwrite_id")
        channel.overwrites = [o for o in channel.overwrites if o.id != oid]
        await self.emu.dispatch("CHANNEL_UPDATE", payloads.channel(self.state, channel))
        return no_content()

    # -- roles ------------------------------------------------------------------------------
    async def list_roles(self, request: web.Request) -> web.Response:
        """Guild roles."""
        return json_response([payloads.role(r) for r in self.guild(request).roles.values()])

    def _check_role_perms(self, guild: Guild, permissions: int) -> None:
        bot_perms = self.state.base_permissions(guild, self.emu.bot_user.id)
        if permissions & ~bot_perms:
            raise missing_permissions("role would get permissions the bot does not have")

    async def create_role(self, request: web.Request) -> web.Response:
        """Create a role at position 1 (needs Manage Roles); GUILD_ROLE_CREATE. Like Discord, no
        other role moves: roles created this way share position 1."""
        guild = self.guild(request)
        self.require(guild, P.MANAGE_ROLES, "create role needs Manage Roles")
        body = self.body(request)
        perms = int(body.get("permissions") or guild.roles[guild.id].permissions)
        self._check_role_perms(guild, perms)
        role = self.state.add_role(
            guild,
            body.get("name") or "new role",
            perms,
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
            shift=False,  # Discord moves no other role (and sends no update for them)
        )
        await self.emu.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )
        return json_response(payloads.role(role))

    def _manageable(self, request: web.Request, what: str) -> tuple[Guild, Role]:
        guild = self.guild(request)
        self.require(guild, P.MANAGE_ROLES, f"{what} needs Manage Roles")
        role = self.role(guild, request)
        self.require_below_bot(guild, role, what)
        return guild, role

    async def _role_updated(self, guild: Guild, role: Role) -> None:
        await self.emu.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )

    async def edit_role(self, request: web.Request) -> web.Response:
        """Edit a role below the bot's top role; GUILD_ROLE_UPDATE."""
        guild, role = self._manageable(request, "edit role")
        body = self.body(request)
        if body.get("permissions") is not None:
            self._check_role_perms(guild, int(body["permissions"]) & ~role.permissions)
            role.permissions = int(body["permissions"])
        for key in ("name", "color", "hoist", "mentionable"):
            if body.get(key) is not None:
                setattr(role, key, body[key])
        await self._role_updated(guild, role)
        return json_response(payloads.role(role))

    async def move_roles(self, request: web.Request) -> web.Response:
        """Reorder roles; each moved role and target position must be below the bot's top."""
        guild = self.guild(request)
        self.require(guild, P.MANAGE_ROLES, "move roles needs Manage Roles")
        top = self.state.top_position(guild, self.emu.bot_user.id)
        moves = self.body_list(request)
        for item in moves:
            role = guild.roles.get(int(item["id"]))
            if role is None:
                raise DiscordError(404, 10011, "Unknown Role")
            self.require_below_bot(guild, role, "move role")
            if int(item["position"]) >= top and guild.owner_id != self.emu.bot_user.id:
                raise missing_permissions(f"move role {role.name!r} to/above the bot's top role")
        for item in moves:
            guild.roles[int(item["id"])].position = int(item["position"])
            await self._role_updated(guild, guild.roles[int(item["id"])])
        return json_response([payloads.role(r) for r in guild.roles.values()])

    async def delete_role(self, request: web.Request) -> web.Response:
        """Delete a role below the bot's top role; GUILD_ROLE_DELETE."""
        guild, role = self._manageable(request, "delete role")
        if role.id == guild.id or role.managed:
            raise DiscordError(400, 50028, "Invalid Role", violation=f"cannot delete {role.name!r}")
        del guild.roles[role.id]
        for member in guild.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
        await self.emu.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}
        )
        return no_content()

    # -- members ----------------------------------------------------------------------------
    async def _member_updated(self, guild: Guild, member: Member) -> None:
        data = payloads.member(self.state, member)
        data["guild_id"] = str(guild.id)
        await self.emu.dispatch("GUILD_MEMBER_UPDATE", data)

    async def get_member(self, request: web.Request) -> web.Response:
        """One member."""
        guild = self.guild(request)
        return json_response(payloads.member(self.state, self.member(guild, request)))

    async def list_members(self, request: web.Request) -> web.Response:
        """Members by id order (limit 1..1000, after); needs the Server Members intent."""
        guild = self.guild(request)
        if not self.emu.bot_has_intent(Intents.GUILD_MEMBERS):
            raise DiscordError(
                403, 50001, "Missing Access", violation="list members without intent"
            )
        limit = min(max(int(request.query.get("limit", "1")), 1), 1000)
        after = int(request.query.get("after", "0"))
        ids = sorted(u for u in guild.members if u > after)[:limit]
        return json_response([payloads.member(self.state, guild.members[u]) for u in ids])

    def _role_change(self, request: web.Request) -> tuple[Guild, Member, Role]:
        guild = self.guild(request)
        self.require(guild, P.MANAGE_ROLES, "member role change needs Manage Roles")
        member, role = self.member(guild, request), self.role(guild, request)
        self.require_below_bot(guild, role, "member role change")
        if role.managed or role.id == guild.id:
            raise missing_permissions(f"role {role.name!r} is managed/@everyone")
        return guild, member, role

    async def add_role(self, request: web.Request) -> web.Response:
        """Give a member a role; GUILD_MEMBER_UPDATE."""
        guild, member, role = self._role_change(request)
        if role.id not in member.roles:
            member.roles.append(role.id)
            await self._member_updated(guild, member)
        return no_content()

    async def remove_role(self, request: web.Request) -> web.Response:
        """Take a role from a member; GUILD_MEMBER_UPDATE."""
        guild, member, role = self._role_change(request)
        if role.id in member.roles:
            member.roles.remove(role.id)
            await self._member_updated(guild, member)
        return no_content()

    def _above_target(self, guild: Guild, member: Member, what: str) -> None:
        bot = self.emu.bot_user.id
        if member.user_id == guild.owner_id or (
            bot != guild.owner_id
            and self.state.top_position(guild, member.user_id)
            >= self.state.top_position(guild, bot)
        ):
            raise missing_permissions(f"{what}: member is not below the bot in the hierarchy")

    async def edit_member(self, request: web.Request) -> web.Response:
        """Edit nick/roles/timeout with hierarchy checks; GUILD_MEMBER_UPDATE."""
        guild = self.guild(request)
        member, body = self.member(guild, request), self.body(request)
        if "nick" in body:
            self.require(guild, P.MANAGE_NICKNAMES, "nick change needs Manage Nicknames")
            if member.user_id != self.emu.bot_user.id:
                self._above_target(guild, member, "nick change")
            member.nick = body["nick"] or None
        if "roles" in body:
            self.require(guild, P.MANAGE_ROLES, "role change needs Manage Roles")
            new = {int(r) for r in body["roles"] or []}
            for rid in new ^ set(member.roles):
                if rid not in guild.roles:
                    raise DiscordError(404, 10011, "Unknown Role")
                self.require_below_bot(guild, guild.roles[rid], "member role change")
            member.roles = sorted(new)
        if "communication_disabled_until" in body:
            self.require(guild, P.MODERATE_MEMBERS, "timeout needs Moderate Members")
            self._above_target(guild, member, "timeout")
            member.communication_disabled_until = body["communication_disabled_until"]
        await self._member_updated(guild, member)
        return json_response(payloads.member(self.state, member))

    async def edit_me(self, request: web.Request) -> web.Response:
        """Change the bot's own nick."""
        guild = self.guild(request)
        member = guild.members[self.emu.bot_user.id]
        member.nick = self.body(request).get("nick") or None
        await self._member_updated(guild, member)
        return json_response(payloads.member(self.state, member))

    async def kick(self, request: web.Request) -> web.Response:
        """Kick (needs Kick Members, target below the bot); GUILD_MEMBER_REMOVE."""
        guild = self.guild(request)
        self.require(guild, P.KICK_MEMBERS, "kick needs Kick Members")
        member = self.member(guild, request)
        self._above_target(guild, member, "kick")
        await disconnect_voice(self.emu, guild, member.user_id)
        del guild.members[member.user_id]
        guild.former_member_ids.add(member.user_id)
        await self.emu.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild.id), "user": payloads.user(self.state.users[member.user_id])},
        )
        return no_content()
