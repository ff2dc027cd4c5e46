"""/circles plan, apply, show, move and rename; new members join their sponsor's circle."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class CircleCommands(commands.Cog):
    """Mixed into the /circles group."""

    bot: VouchBot


class CircleRunner(commands.Cog):
    """Adds newly admitted members to a circle; flags circles whose leader left."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
