"""Discord side effects shared by the membership cogs: invites, roles, DMs, posts, notices."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import discord

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import Text, discord_timestamp, t
from bot.services.attribution import InviteState
from bot.services.guild_config import GuildConfig
from bot.services.membership.models import Introduction

log = logging.getLogger(__name__)

MANAGE_ROLES = Text("permission.manage_roles")
CREATE_INVITE = Text("permission.create_instant_invite")
KICK_MEMBERS = Text("permission.kick_members")
MANAGE_GUILD = Text("permission.manage_guild")


def invite_state(invite: discord.Invite, *, vanity: bool = False) -> InviteState:
    """What attribution needs to know about an invite."""
    expires = invite.expires_at
    if expires is None and invite.max_age and invite.created_at:
        expires = invite.created_at + timedelta(seconds=invite.max_age)
    return InviteState(
        code=invite.code,
        uses=invite.uses or 0,
        max_uses=invite.max_uses or 0,
        inviter_id=invite.inviter.id if invite.inviter else None,
        expires_at=expires.replace(microsecond=0) if expires else None,  # as stored
        is_vanity=vanity,
    )


class MembershipKit:
    """What the membership cogs do on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._noticed: set[tuple[int, str]] = set()
        self._join_locks: dict[int, asyncio.Lock] = {}

    def join_lock(self, guild_id: int) -> asyncio.Lock:
        """Joins of one guild are fetched and compared in order."""
        return self._join_locks.setdefault(guild_id, asyncio.Lock())

    async def require_moderator(self, interaction: discord.Interaction[VouchBot]) -> GuildConfig:
        """The guild's config, after checking the invoker moderates (checked at run time)."""
        guild = interaction.guild
        if guild is None or not isinstance(interaction.user, discord.Member):
            raise DomainError("errors.guild_only")
        config = await self.services.config.get(guild.id)
        if not is_moderator(interaction.user, config):
            raise CheckRefused(DomainError("errors.moderator_required"))
        return config

    async def fetch_invites(self, guild: discord.Guild) -> list[InviteState] | None:
        """The guild's invites and vanity uses now; None when Discord won't list them (the join
        is then recorded as unknown, never guessed)."""
        try:
            invites = [invite_state(i) for i in await guild.invites()]
            if "VANITY_URL" in guild.features:
                vanity = await guild.vanity_invite()
                if vanity is not None:
                    invites.append(invite_state(vanity, vanity=True))
        except discord.Forbidden:
            await self.notice(guild, MANAGE_GUILD)
            return None
        except discord.HTTPException as error:
            log.warning("guild %s: could not list invites (%s)", guild.id, error.status)
            return None
        return invites

    async def create_invite(
        self, channel: discord.TextChannel, *, max_age: int, max_uses: int, reason: str
    ) -> discord.Invite:
        """A new unique invite, recorded in the attribution snapshot at once.

        Discord sends INVITE_CREATE only when the bot can manage the channel; a join through
        an invite the snapshot lacks could not be told apart from others, so the bot's own
        invites never wait for that event.
        """
        try:
            invite = await channel.create_invite(
                max_age=max_age, max_uses=max_uses, unique=True, reason=reason
            )
        except discord.Forbidden:
            await self.notice(channel.guild, CREATE_INVITE)
            raise DomainError("membership.cannot_invite") from None
        await self.services.invites.created(channel.guild.id, invite_state(invite))
        return invite

    async def issue_invite(self, guild: discord.Guild, intro: Introduction) -> str:
        """Create the invite of a just-seated introduction; if that fails, the seat goes back
        (a DomainError tells the sponsor why)."""
        try:
            url = await self._open_invite(guild, intro)
        except Exception as error:
            if not isinstance(error, DomainError):
                log.exception("could not issue the invite of introduction %s", intro.id)
            with contextlib.suppress(DomainError):  # revoked meanwhile: nothing to give back
                closed = await self.services.introductions.cancel_seat(intro.id)
                # Creating invites just failed: the seat's next holder waits for the next try
                # instead of failing the same way now.
                await self.services.introductions.return_to_waitlist(
                    [i.id for i in closed.promoted]
                )
            if isinstance(error, DomainError):
                raise
            raise DomainError("membership.cannot_invite") from error
        if url is None:
            raise DomainError("intro.not_active")
        return url

    async def _open_invite(self, guild: discord.Guild, intro: Introduction) -> str | None:
        """Create the single-use invite of a seated introduction and record it; its URL, or
        None when the introduction is no longer seated (revoked or served meanwhile)."""
        config = await self.services.config.get(guild.id)
        settings = await self.services.membership.get(guild.id)
        channel = guild.get_channel(config.channels.get("welcome", 0))
        if not isinstance(channel, discord.TextChannel):
            raise DomainError("membership.no_welcome_channel")
        invite = await self.create_invite(
            channel,
            max_age=settings.invite_max_age,
            max_uses=1,
            reason=f"Vouch: introduction #{intro.id}",
        )
        expires = invite.expires_at or (
            self.services.clock() + timedelta(seconds=settings.invite_max_age)
        )
        try:
            await self.services.introductions.attach_invite(intro.id, invite.code, expires)
        except DomainError:
            await self.delete_invite(guild.id, invite.code)
            return None
        return invite.url

    async def deliver_promoted(
        self, guild: discord.Guild, promoted: Sequence[Introduction]
    ) -> None:
        """Seats opened: create each waitlisted introduction's invite and send it to its sponsor.

        Never raises. If an invite can't be created (a refusal, an outage), that introduction
        and the ones after it go back to their places on the waitlist; the next seat that opens
        tries again (never a retry loop). A sponsor who can't be told finds the invite in
        `/introductions mine`.
        """
        for index, intro in enumerate(promoted):
            try:
                url = await self._open_invite(guild, intro)
            except Exception as error:
                log.warning(
                    "could not issue the invite of introduction %s",
                    intro.id,
                    exc_info=not isinstance(error, DomainError),
                )
                await self._back_to_waitlist(promoted[index:])
                return
            if url is None:
                continue
            try:
                await self._tell_sponsor(guild, intro, url)
            except Exception:
                log.exception("could not tell the sponsor of introduction %s", intro.id)

    async def _back_to_waitlist(self, intros: Sequence[Introduction]) -> None:
        try:
            await self.services.introductions.return_to_waitlist([i.id for i in intros])
        except Exception:
            log.exception("could not put introductions back on the waitlist")

    async def _tell_sponsor(self, guild: discord.Guild, intro: Introduction, url: str) -> None:
        """The invite by DM; else a public line without it, pointing to /introductions mine."""
        opened = await self.services.introductions.get(intro.id)
        expires = opened.expires_at if opened and opened.expires_at else None
        when = discord_timestamp(expires, "R") if expires else ""
        params = {"name": intro.newcomer_name, "url": url, "expires": when}
        if not await self.dm(guild, intro.sponsor_id, "intro.promoted.dm", **params):
            await self.post_fallback(
                guild,
                intro.sponsor_id,
                "intro.promoted.fallback",
                audience="member",
                name=intro.newcomer_name,
            )

    async def dm(self, guild: discord.Guild, user_id: int, key: str, **params: object) -> bool:
        """DM a person in their language; False when their DMs are closed or Discord fails."""
        return await self.bot.dm(guild, user_id, key, **params)

    async def post_fallback(
        self,
        guild: discord.Guild,
        user_id: int,
        key: str,
        *,
        audience: Literal["newcomer", "member"],
        **params: object,
    ) -> bool:
        """When a DM fails: one post where that person can read it, pinging only them.

        A newcomer sees only the welcome channel; a member reads the introductions channel
        (else welcome). Never put anything private (an invite URL) in `params`: it is public.
        """
        config = await self.services.config.get(guild.id)
        purposes = ("welcome",) if audience == "newcomer" else ("introductions", "welcome")
        channel_id = next((config.channels[p] for p in purposes if p in config.channels), 0)
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return False
        locale = await self.bot.guild_locale(guild)
        try:
            await channel.send(
                t(key, locale, mention=f"<@{user_id}>", **params),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(user_id)]
                ),
            )
        except discord.HTTPException as error:
            log.warning("guild %s: could not post a fallback (%s)", guild.id, error.status)
            return False
        return True

    async def log(self, guild: discord.Guild, key: str, **params: object) -> None:
        """A line for the moderators in the log channel (if there is one)."""
        await self.bot.log_line(guild, key, **params)

    async def notice(self, guild: discord.Guild, permission: Text) -> None:
        """Tell the moderators once (per run) which permission the bot lacks; never retry."""
        if (guild.id, permission.key) in self._noticed:
            return
        self._noticed.add((guild.id, permission.key))
        log.warning("guild %s: missing permission %s", guild.id, permission.key)
        await self.log(guild, "membership.missing_permission", permission=permission)

    async def delete_invite(self, guild_id: int, code: str | None) -> None:
        """Delete an invite that is no longer needed (gone already is fine), and forget it in
        the attribution snapshot: a vanished single-use invite would otherwise look used up
        by the next join."""
        if not code:
            return
        try:
            await self.bot.delete_invite(code, reason="Vouch: invite closed")
        except discord.NotFound:
            pass  # gone already (used, expired, or deleted by an admin)
        except discord.Forbidden:
            return  # still there: Discord keeps counting its uses
        except discord.HTTPException as error:
            log.warning("could not delete invite %s (%s)", code, error.status)
            return
        await self.services.invites.revoked(guild_id, code)

    async def set_roles(
        self, member: discord.Member, *, add: str | None = None, remove: str | None = None
    ) -> bool:
        """Swap purpose roles; False (and a notice) when Discord refuses."""
        config = await self.services.config.get(member.guild.id)
        adding = member.guild.get_role(config.roles.get(add, 0)) if add else None
        removing = member.guild.get_role(config.roles.get(remove, 0)) if remove else None
        try:
            if removing is not None and member.get_role(removing.id) is not None:
                await member.remove_roles(removing, reason="Vouch membership")
            if adding is not None:
                await member.add_roles(adding, reason="Vouch membership")
        except discord.Forbidden:
            await self.notice(member.guild, MANAGE_ROLES)
            return False
        except discord.HTTPException as error:
            log.warning("could not change the roles of %s (%s)", member.id, error.status)
            return False
        return True

    async def remove(self, guild: discord.Guild, user_id: int, reason: str) -> None:
        """Remove a person from the server (kick), noticing a missing permission once."""
        member = guild.get_member(user_id)
        if member is None:
            return
        try:
            await member.kick(reason=reason)
        except discord.Forbidden:
            await self.notice(guild, KICK_MEMBERS)
        except discord.NotFound:
            pass
        except discord.HTTPException as error:
            log.warning("could not remove %s from guild %s (%s)", user_id, guild.id, error.status)
