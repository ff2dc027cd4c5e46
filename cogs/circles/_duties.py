"""Leader duties: the weekly list for each circle, /circle checkin, and the coverage."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class DutyCommands(commands.Cog):
    """Mixed into the /circle group."""

    bot: VouchBot


class DutyRunner(commands.Cog):
    """Sends each leader their weekly list."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
