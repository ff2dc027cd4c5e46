"""/leaders suggest (an explained score) and the scale alert.

The alert is checked when a member is admitted (the `member_admitted` event), when the leader
settings change, at startup and once a day (a durable job, for leaders who stepped down or left
and members admitted by hand). It goes to the leaders channel, else the log channel, in the
server's language, pinging nobody. With neither channel set nothing is claimed, so it is posted
once one is.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.services.jobs import Job
from bot.services.leaders.suggest import COUNT_DEFAULT, COUNT_MAX, COUNT_MIN, check_count
from cogs.leaders._render import chunks
from cogs.leaders._roster_kit import RosterKit
from cogs.leaders._suggest_render import alert_text, suggestion_lines

log = logging.getLogger(__name__)

SCALE_JOB = "leaders.scale"
SCALE_KEY = "daily"
#: Suggestions attached to the scale alert.
ALERT_SUGGESTIONS = 3


def member_facts(guild: discord.Guild) -> tuple[set[int], dict[int, datetime]]:
    """Who Discord says is a bot, and when each member joined (tenure for members Vouch found
    already there at setup)."""
    bots: set[int] = set()
    joined: dict[int, datetime] = {}
    for member in guild.members:
        if member.bot:
            bots.add(member.id)
        elif member.joined_at is not None:
            joined[member.id] = member.joined_at
    return bots, joined


class SuggestCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot

    @app_commands.command(
        name="suggest", description="Members worth asking to lead, with the reasons why"
    )
    @app_commands.describe(count="How many suggestions, 1 to 25 (5 if left out)")
    async def suggest(
        self,
        interaction: discord.Interaction[VouchBot],
        count: app_commands.Range[int, COUNT_MIN, COUNT_MAX] = COUNT_DEFAULT,
    ) -> None:
        """Founders and moderators (checked at run time). The score reads two months of
        signals: deferred first."""
        guild, _ = await RosterKit(self.bot).require_moderator(interaction)
        check_count(count)
        await interaction.response.defer(ephemeral=True, thinking=True)
        bots, joined = member_facts(guild)
        found = await self.bot.services.leader_suggestions.suggest(
            guild.id, count, bots=bots, joined=joined
        )
        for page in chunks(suggestion_lines(found, interaction.locale)):
            await interaction.followup.send(
                page, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )


class ScaleRunner(commands.Cog):
    """Posts the scale alert when the community outgrows its leaders."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = RosterKit(bot)

    async def cog_load(self) -> None:
        """The daily check is a durable job (armed when ready)."""
        self.bot.jobs.register(SCALE_JOB, self.run_daily)

    async def cog_unload(self) -> None:
        """Stop the daily check (the job stays in the database)."""
        self.bot.jobs.unregister(SCALE_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Check every guild now (admissions while the bot was away), and arm the daily check
        when it is missing."""
        if not await self.services.jobs.pending(SCALE_JOB):
            due = self.services.clock() + timedelta(days=1)
            await self.services.jobs.schedule(SCALE_JOB, SCALE_KEY, due)
            self.bot.jobs.poke()
        for guild in self.bot.guilds:
            await self.check(guild)

    async def run_daily(self, job: Job) -> None:
        """Arm tomorrow's check first (a failing one never stops the next), then check."""
        due = self.services.clock() + timedelta(days=1)
        await self.services.jobs.schedule(SCALE_JOB, SCALE_KEY, due)
        for guild in self.bot.guilds:
            await self.check(guild)

    @commands.Cog.listener()
    async def on_member_admitted(
        self, guild: discord.Guild, user_id: int, sponsor_id: int | None
    ) -> None:
        """One more member: maybe one leader short."""
        await self.check(guild)

    @commands.Cog.listener()
    async def on_leader_settings_changed(self, guild: discord.Guild) -> None:
        """/setup leaders changed the team size or the alert size."""
        await self.check(guild)

    async def check(self, guild: discord.Guild) -> bool:
        """Post the alert if the gap grew since the last one; True when posted."""
        if await self.kit.channel(guild, "leaders", "log") is None:
            return False
        staffing = await self.services.leader_suggestions.claim_alert(guild.id)
        if staffing is None:
            return False
        bots, joined = member_facts(guild)
        found = await self.services.leader_suggestions.suggest(
            guild.id, ALERT_SUGGESTIONS, bots=bots, joined=joined
        )
        locale = await self.bot.guild_locale(guild)
        text = next(chunks(alert_text(staffing, found, locale).split("\n")))
        posted = await self.kit.post(guild, text, "leaders", "log")
        if not posted:
            log.warning("guild %s: the scale alert (gap %d) was refused", guild.id, staffing.gap)
            await self.services.leader_suggestions.release_alert(guild.id, staffing)
        return posted
