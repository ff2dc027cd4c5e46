"""/health: the community health dashboard and its CSV export, for founders and moderators;
and the daily snapshot job.

A Discord command group cannot be invoked by itself, so the dashboard is `/health show` and the
export `/health export`. The group is hidden from members without Manage Server by default
(admins may open it to the moderator and founder roles in the server's Integrations settings);
every use is checked again at run time, so opening it to everyone shows nobody else anything.
"""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.health import SNAPSHOT_JOB
from bot.services.health.models import Period
from bot.services.jobs import Job
from cogs.health._charts import health_charts
from cogs.health._render import csv_bytes, health_embed

log = logging.getLogger(__name__)

PERIODS = [
    app_commands.Choice(name="week", value="week"),
    app_commands.Choice(name="month", value="month"),
    app_commands.Choice(name="quarter", value="quarter"),
]


async def require_moderator(interaction: discord.Interaction[VouchBot]) -> discord.Guild:
    """Founders and moderators only (by role or Manage Server), whatever Discord let through."""
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member):
        raise DomainError("errors.guild_only")
    config = await interaction.client.services.config.get(guild.id)
    if not is_moderator(member, config):
        raise CheckRefused(DomainError("errors.moderator_required"))
    return guild


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Health(
    commands.GroupCog,
    group_name="health",
    group_description="Community health, for founders and moderators",
):
    """The /health group."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="The health dashboard, with two charts")
    @app_commands.describe(period="The last week, month (30 days) or quarter (91 days)")
    @app_commands.choices(period=PERIODS)
    async def show(
        self,
        interaction: discord.Interaction[VouchBot],
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        """Every figure against the previous period, the alerts, and the two charts."""
        guild = await require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen: Period = "week"
        if period is not None and period.value in ("month", "quarter"):
            chosen = "month" if period.value == "month" else "quarter"
        health = self.bot.services.health
        await health.snapshots.catch_up(guild.id)  # the charts reach yesterday
        report = await health.period_report(guild.id, chosen)
        points = await health.chart_points(guild.id, chosen)
        locale = str(interaction.locale)
        files = await health_charts(points, chosen == "quarter", locale)
        await interaction.followup.send(
            embed=health_embed(report, chosen, interaction.locale), files=files, ephemeral=True
        )

    @app_commands.command(name="export", description="Every daily snapshot as a CSV file")
    async def export(self, interaction: discord.Interaction[VouchBot]) -> None:
        """One row per stored day, for the brand's own spreadsheets."""
        guild = await require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        health = self.bot.services.health
        await health.snapshots.catch_up(guild.id)
        header, rows = await health.export(guild.id)
        if not rows:
            await interaction.followup.send(
                t("health.export.empty", interaction.locale), ephemeral=True
            )
            return
        stamp = self.bot.services.clock().strftime("%Y-%m-%d")
        file = discord.File(io.BytesIO(csv_bytes(header, rows)), f"health-{stamp}.csv")
        await interaction.followup.send(
            t("health.export.done", interaction.locale, days=len(rows)),
            file=file,
            ephemeral=True,
        )


class HealthRunner(commands.Cog):
    """Takes each guild's daily snapshot on a durable job, re-armed at every start."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """The daily snapshot is a durable job."""
        self.bot.jobs.register(SNAPSHOT_JOB, self.run_snapshot)

    async def cog_unload(self) -> None:
        """Stop handling the job (it stays in the database)."""
        self.bot.jobs.unregister(SNAPSHOT_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Arm each guild's daily job if it has none (a missing one runs now and catches up)."""
        for guild in self.bot.guilds:
            await self.bot.services.health.snapshots.arm(guild.id)
        self.bot.jobs.poke()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new guild gets its daily job."""
        await self.bot.services.health.snapshots.arm(guild.id)
        self.bot.jobs.poke()

    async def run_snapshot(self, job: Job) -> None:
        """Store the missing days and arm tomorrow's run."""
        if job.guild_id is None or self.bot.get_guild(job.guild_id) is None:
            return  # re-armed when the guild is back (on_ready / on_guild_join)
        stored = await self.bot.services.health.snapshots.run(job.guild_id)
        if stored:
            log.info("guild %s: stored %d health snapshots", job.guild_id, len(stored))
        self.bot.jobs.poke()


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(HealthRunner(bot))
    await bot.add_cog(Health(bot))
