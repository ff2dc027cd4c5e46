"""/session: founder sessions (AMAs and office hours) with Discord events, RSVPs, reminders,
an upvoted question queue, attendance and a recap."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from cogs.sessions._buttons import DYNAMIC_ITEMS
from cogs.sessions._host import HostCommands
from cogs.sessions._office import OfficeCommands, OfficeRunner
from cogs.sessions._runner import SessionRunner

__all__ = ["OfficeRunner", "SessionRunner", "Sessions"]


@app_commands.guild_only()
class Sessions(
    HostCommands,
    OfficeCommands,
    commands.GroupCog,
    group_name="session",
    group_description="Founder sessions: AMAs and office hours",
):
    """Session commands."""

    def __init__(self, bot: VouchBot, runner: SessionRunner) -> None:
        self.bot = bot
        self.runner = runner
        self.kit = runner.kit
        super().__init__()


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    runner = SessionRunner(bot)
    await bot.add_cog(runner)
    await bot.add_cog(OfficeRunner(bot, runner.kit))
    await bot.add_cog(Sessions(bot, runner))
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
