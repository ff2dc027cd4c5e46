"""The weekly digest's durable jobs: the week's post at its slot, the DMs, the founders' report;
armed at every start (`/setup timezone` plans it again)."""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.services.digest import DIGEST_JOB, DM_JOB, REPORT_JOB
from bot.services.jobs import Job
from cogs.digest._kit import DigestKit

log = logging.getLogger(__name__)


class DigestRunner(commands.Cog):
    """Runs the digest jobs."""

    def __init__(self, bot: VouchBot, kit: DigestKit) -> None:
        self.bot = bot
        self.kit = kit
        self.digest = bot.services.digest

    async def cog_load(self) -> None:
        """The digest, its DMs and the founders' report are durable jobs."""
        self.bot.jobs.register(DIGEST_JOB, self.run_week)
        self.bot.jobs.register(DM_JOB, self.run_dms)
        self.bot.jobs.register(REPORT_JOB, self.run_report)

    async def cog_unload(self) -> None:
        """Stop handling the jobs (they stay in the database)."""
        for kind in (DIGEST_JOB, DM_JOB, REPORT_JOB):
            self.bot.jobs.unregister(kind)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Settle claims a stop left behind, then arm each guild's digest if it has no job (an
        armed one keeps its time: a slot missed while the bot was down is judged by its deadline
        when the job runs now)."""
        for guild in self.bot.guilds:
            await self.kit.recover(guild)
            await self.digest.ensure_armed(guild.id)
        self.bot.jobs.poke()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A guild (re)joined gets its digest armed."""
        await self.digest.ensure_armed(guild.id)
        self.bot.jobs.poke()

    async def run_week(self, job: Job) -> None:
        """The week's slot: post the digest once, skip weeks missed by more than a day (with a
        line in the log channel), or retry hourly while the channel can't be posted in."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is None:
            return  # armed again when the guild is back (on_ready, on_guild_join)
        week = str(job.payload["week"])
        deadline = datetime.fromisoformat(str(job.payload["deadline"]))
        due = await self.digest.check_due(guild.id, week, deadline)
        if due.action == "skip":
            log.info("guild %s: digest skipped for %s", guild.id, ", ".join(due.missed))
            await self.bot.log_line(
                guild, "digest.log.skipped", weeks=", ".join(due.missed), count=len(due.missed)
            )
        if due.action != "send":
            self.bot.jobs.poke()
            return
        target = await self.kit.target(guild)
        if target.channel is None or not target.postable:
            await self.kit.tell_unpostable(guild, target)
            await self.digest.retry_later(guild.id, week, deadline)
            self.bot.jobs.poke()
            return
        if await self.kit.claim(guild.id, week, "schedule"):
            posted = await self.kit.deliver(guild, week, target.channel)
            if posted is None:  # refused although the permissions looked right
                await self.kit.tell_unpostable(guild, target)
                await self.digest.retry_later(guild.id, week, deadline)
                self.bot.jobs.poke()
                return
        await self.digest.rearm(guild.id)
        self.bot.jobs.poke()

    async def run_dms(self, job: Job) -> None:
        """The digest by DM to those who opted in (resumes after a restart)."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is not None:
            outcomes = await self.kit.send_dms(guild, job.key.split(":", 1)[1])
            if outcomes:
                log.info("guild %s: digest DMs %s", guild.id, _tally(outcomes))

    async def run_report(self, job: Job) -> None:
        """The founders' weekly report, right after the digest."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is not None:
            await self.kit.post_report(guild, job.key.split(":", 1)[1])


def _tally(outcomes: dict[int, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
