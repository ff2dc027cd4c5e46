"""The Discord side of leaders: the leader role (checked before it is handed out or taken
back), the leaders channel (a member overwrite per leader), circle threads and channels, and
the posts for the founders. Missing permissions are told to the founders once per guild."""

from __future__ import annotations

import logging
from typing import Literal

import discord

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import Text, t
from bot.services.guild_config import GuildConfig
from bot.services.leaders.nominations import Standing
from bot.services.roles import check_purpose_role
from cogs.sessions._kit import guild_member
from cogs.setup._roles import role_facts

log = logging.getLogger(__name__)

MANAGE_ROLES = Text("permission.manage_roles")
REASON = "Vouch: community leaders"


def standing_of(user: discord.Member | discord.User, config: GuildConfig) -> Standing:
    """Where a person stands in the community, as Discord shows it now."""
    if not isinstance(user, discord.Member):
        return "outsider"
    if has_role(user, config, "newcomer"):
        return "newcomer"
    if "member" in config.roles and not (
        has_role(user, config, "member") or is_moderator(user, config)
    ):
        return "outsider"
    return "member"


def missing_manage_roles() -> DomainError:
    """The refusal naming the permission the bot lacks."""
    return DomainError("errors.bot_missing_permissions", permissions=(MANAGE_ROLES,))


class RosterKit:
    """What the roster cogs do on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._noticed: set[tuple[int, str]] = set()

    # -- who may ------------------------------------------------------------------------------
    async def require_founder(
        self, interaction: discord.Interaction[VouchBot]
    ) -> tuple[discord.Guild, discord.Member]:
        """Founders (the founder role or Manage Server), checked at run time: admins may have
        opened the command to everyone."""
        guild, member = guild_member(interaction)
        config = await self.services.config.get(guild.id)
        if not (member.guild_permissions.manage_guild or has_role(member, config, "founder")):
            raise CheckRefused(DomainError("leaders.founders_only"))
        return guild, member

    async def require_moderator(
        self, interaction: discord.Interaction[VouchBot]
    ) -> tuple[discord.Guild, discord.Member]:
        """Founders and moderators, checked at run time."""
        guild, member = guild_member(interaction)
        if not is_moderator(member, await self.services.config.get(guild.id)):
            raise CheckRefused(DomainError("leaders.moderators_only"))
        return guild, member

    # -- the leader role ----------------------------------------------------------------------
    async def role_to_hand_out(self, guild: discord.Guild) -> discord.Role:
        """The leader role, if the bot may give it: bound, the bot has Manage Roles, below the
        bot's top role, and without dangerous permissions. Otherwise a DomainError says why."""
        role = await self._bound_role(guild)
        if role is None:
            raise DomainError("leaders.role.unbound")
        if not guild.me.guild_permissions.manage_roles:
            raise missing_manage_roles()
        check_purpose_role(
            role_facts(role),
            bot_top_position=guild.me.top_role.position,
            # Founders appoint leaders whatever their own rank: only the bot's rank matters.
            invoker_top_position=0,
            invoker_is_owner=True,
        )
        return role

    async def role_to_take_back(self, guild: discord.Guild) -> discord.Role | None:
        """The leader role, if the bot can take it back (None when no role is bound: nothing
        to take back). A DomainError when the bot lacks Manage Roles or ranks below it."""
        role = await self._bound_role(guild)
        if role is None:
            return None
        if not guild.me.guild_permissions.manage_roles:
            raise missing_manage_roles()
        if role.position >= guild.me.top_role.position:
            raise DomainError("setup.role.above_bot", role=role.name)
        return role

    async def _bound_role(self, guild: discord.Guild) -> discord.Role | None:
        config = await self.services.config.get(guild.id)
        return guild.get_role(config.roles.get("leader", 0))

    async def take_role(self, member: discord.Member | None, role: discord.Role | None) -> bool:
        """Remove the leader role (if held); False, and the founders told, when refused."""
        if member is None or role is None or member.get_role(role.id) is None:
            return True
        try:
            await member.remove_roles(role, reason=REASON)
        except discord.Forbidden:
            await self.notice(member.guild, MANAGE_ROLES)
            return False
        except discord.HTTPException as error:
            log.warning("could not remove the leader role of %s (%s)", member.id, error.status)
            return False
        return True

    async def notice(self, guild: discord.Guild, permission: Text) -> None:
        """Tell the founders once (per run) which permission the bot lacks; never retry."""
        if (guild.id, permission.key) in self._noticed:
            return
        self._noticed.add((guild.id, permission.key))
        log.warning("guild %s: missing permission %s", guild.id, permission.key)
        await self.bot.log_line(guild, "leaders.missing_permission", permission=permission)

    # -- channels -----------------------------------------------------------------------------
    async def channel(self, guild: discord.Guild, *purposes: str) -> discord.TextChannel | None:
        """The first of these purpose channels that exists."""
        config = await self.services.config.get(guild.id)
        for purpose in purposes:
            channel = guild.get_channel(config.channels.get(purpose, 0))
            if isinstance(channel, discord.TextChannel):
                return channel
        return None

    async def post(self, guild: discord.Guild, text: str, *purposes: str) -> bool:
        """Post `text` (pinging nobody) in the first of these channels that takes it."""
        config = await self.services.config.get(guild.id)
        for purpose in purposes:
            channel = guild.get_channel(config.channels.get(purpose, 0))
            if not isinstance(channel, discord.TextChannel):
                continue
            try:
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as error:
                log.warning("guild %s: could not post in %s (%s)", guild.id, purpose, error.status)
                continue
            return True
        return False

    async def leaders_channel_access(
        self, guild: discord.Guild, user_id: int, *, grant: bool
    ) -> None:
        """Give a leader their own way into the leaders channel (view + send), or take it back.
        Refusals are told to the founders once."""
        channel = await self.channel(guild, "leaders")
        if channel is not None:
            await self._member_access(channel, user_id, grant=grant)

    async def circle_access(
        self, guild: discord.Guild, channel_id: int | None, user_id: int, *, grant: bool
    ) -> None:
        """Add a leader to their circle's thread or channel, or take them out of it."""
        if channel_id is None:
            return
        place = guild.get_channel_or_thread(channel_id)
        if place is None:
            try:
                fetched = await guild.fetch_channel(channel_id)
            except discord.HTTPException:
                return
            place = fetched if isinstance(fetched, discord.Thread | discord.TextChannel) else None
        try:
            if isinstance(place, discord.Thread):
                if grant:
                    await place.add_user(discord.Object(user_id))
                else:
                    await place.remove_user(discord.Object(user_id))
            elif isinstance(place, discord.TextChannel):
                await self._member_access(place, user_id, grant=grant)
        except discord.Forbidden:
            await self.notice(guild, Text("permission.manage_threads"))
        except discord.HTTPException as error:
            log.warning("circle %s: could not change access (%s)", channel_id, error.status)

    async def _member_access(
        self, channel: discord.TextChannel, user_id: int, *, grant: bool
    ) -> None:
        try:
            if grant:
                member = channel.guild.get_member(user_id)
                if member is None:
                    return
                await channel.set_permissions(
                    member, view_channel=True, send_messages=True, reason=REASON
                )
            else:
                await self.bot.http.delete_channel_permissions(channel.id, user_id, reason=REASON)
        except discord.NotFound:
            pass
        except discord.Forbidden:
            await self.notice(channel.guild, MANAGE_ROLES)
        except discord.HTTPException as error:
            log.warning("channel %s: could not change access (%s)", channel.id, error.status)

    # -- announcements ------------------------------------------------------------------------
    async def recognise(self, guild: discord.Guild, user_id: int, circle_name: str | None) -> bool:
        """The public recognition in the announcements channel: it pings the new leader, and
        only them, on purpose. False when there is no announcements channel or it refused."""
        channel = await self.channel(guild, "announcements")
        if channel is None:
            return False
        locale = await self.bot.guild_locale(guild)
        if circle_name is None:
            text = t("leaders.recognition", locale, leader=f"<@{user_id}>")
        else:
            text = t(
                "leaders.recognition_circle", locale, leader=f"<@{user_id}>", circle=circle_name
            )
        try:
            await channel.send(
                text,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(user_id)]
                ),
            )
        except discord.HTTPException as error:
            log.warning("guild %s: recognition not posted (%s)", guild.id, error.status)
            return False
        return True


Delivery = Literal["dm", "fallback"]
