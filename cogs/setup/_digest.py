"""/setup digest: the weekly newsletter's day, hour and channel."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class DigestSetup(commands.Cog):
    """Mixed into the /setup group."""

    bot: VouchBot
