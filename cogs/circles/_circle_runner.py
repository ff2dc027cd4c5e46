"""Circles follow membership: a newly admitted member joins their sponsor's circle (or the
smallest) and its thread; a member who leaves the server leaves their circle."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import Text, t
from bot.services.leaders.circle_models import Move
from cogs.circles._circle_threads import (
    add_people,
    all_permissions,
    find_thread,
    missing_in,
    reopen,
    say,
)

log = logging.getLogger(__name__)


class CircleRunner(commands.Cog):
    """Adds newly admitted members to a circle; takes leavers out of theirs. (A leader who
    leaves is the roster's: their circles are flagged and left open there.)"""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self._told: set[int] = set()  # guilds whose founders heard of a refusal

    @commands.Cog.listener()
    async def on_member_admitted(
        self, guild: discord.Guild, user_id: int, sponsor_id: int | None
    ) -> None:
        """Into the sponsor's circle, else the smallest; nothing while there are no circles.
        When Discord refuses the thread, the placement is undone (the next /circles plan places
        them) and the founders hear once which permission is missing."""
        circles = self.bot.services.circles
        placement = await circles.admit(guild.id, user_id, sponsor_id)
        if placement is None:
            return
        circle = placement.circle
        thread = await find_thread(guild, circle.channel_id)
        if thread is None:
            return
        missing = missing_in(thread)  # checked first: a 403 is never asked for twice
        if not missing:
            try:
                thread = await reopen(thread)
                await add_people(thread, [user_id])
            except discord.Forbidden:
                missing = all_permissions()
            except discord.HTTPException as error:
                log.warning("circle %s: could not add %s (%s)", circle.id, user_id, error.status)
                return
        if missing:
            await circles.undo_move(guild.id, Move(user_id, None, circle))
            await self._tell_once(guild, user_id, circle.name, missing)
            return
        self._told.discard(guild.id)  # it works again: a later refusal is news
        locale = await self.bot.guild_locale(guild)
        await say(
            thread, t("circles.thread.joined", locale, member=f"<@{user_id}>", circle=circle.name)
        )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Out of their circle (the plan made before, if any, no longer matches)."""
        await self.bot.services.circles.member_left(payload.guild_id, payload.user.id)

    async def _tell_once(
        self, guild: discord.Guild, user_id: int, circle: str, missing: tuple[Text, ...]
    ) -> None:
        """The founders hear once (until adding works again) which permission is missing; the
        refused call is never retried."""
        if guild.id in self._told:
            return
        self._told.add(guild.id)
        await self.bot.log_line(
            guild,
            "circles.log.thread_refused",
            member=f"<@{user_id}>",
            circle=circle,
            permission=missing,
        )
