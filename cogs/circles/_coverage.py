"""/circles coverage: each circle's check-in coverage, for founders and moderators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from cogs.circles._duty_render import coverage_text, fit
from cogs.sessions._kit import guild_member


class CoverageCommands(commands.Cog):
    """Mixed into the /circles group."""

    bot: VouchBot

    @app_commands.command(
        name="coverage", description="Check-in coverage of each circle (last 30 days)"
    )
    async def coverage(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Per circle: its leader, members checked in out of all, the last check-in."""
        guild, member = guild_member(interaction)
        config = await self.bot.services.config.get(guild.id)
        if not is_moderator(member, config):
            raise CheckRefused(DomainError("errors.moderator_required"))
        await interaction.response.defer(ephemeral=True, thinking=True)
        circles = await self.bot.services.leader_duties.coverage(guild.id)
        await interaction.followup.send(
            fit(coverage_text(circles, interaction.locale)), ephemeral=True
        )
