"""Circles follow membership: a newly admitted member joins their sponsor's circle (or the
smallest) and its thread; a member who leaves the server leaves their circle."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import Text, t
from cogs.circles._circle_threads import add_people, find_thread, reopen, say

log = logging.getLogger(__name__)


class CircleRunner(commands.Cog):
    """Adds newly admitted members to a circle; takes leavers out of theirs. (A leader who
    leaves is the roster's: their circles are flagged and left open there.)"""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self._told: set[tuple[int, str]] = set()

    @commands.Cog.listener()
    async def on_member_admitted(
        self, guild: discord.Guild, user_id: int, sponsor_id: int | None
    ) -> None:
        """Into the sponsor's circle, else the smallest; nothing while there are no circles."""
        placement = await self.bot.services.circles.admit(guild.id, user_id, sponsor_id)
        if placement is None:
            return
        circle = placement.circle
        thread = await find_thread(guild, circle.channel_id)
        if thread is None:
            return
        try:
            thread = await reopen(thread)
            await add_people(thread, [user_id])
        except discord.Forbidden:
            await self._tell_once(guild, user_id, circle.name)
            return
        except discord.HTTPException as error:
            log.warning("circle %s: could not add %s (%s)", circle.id, user_id, error.status)
            return
        locale = await self.bot.guild_locale(guild)
        await say(
            thread, t("circles.thread.joined", locale, member=f"<@{user_id}>", circle=circle.name)
        )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Out of their circle (Discord takes them out of its thread)."""
        await self.bot.services.circles.member_left(payload.guild_id, payload.user.id)

    async def _tell_once(self, guild: discord.Guild, user_id: int, circle: str) -> None:
        """The founders hear once per run which permission is missing; never retried."""
        if (guild.id, "manage_threads") in self._told:
            return
        self._told.add((guild.id, "manage_threads"))
        await self.bot.log_line(
            guild,
            "circles.log.thread_refused",
            member=f"<@{user_id}>",
            circle=circle,
            permission=Text("permission.manage_threads"),
        )
