"""/setup leaders: team size, the scale alert, signal retention, reviews, weights, charter."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class LeaderSetup(commands.Cog):
    """Mixed into the /setup group."""

    bot: VouchBot
