"""/circles (founders: plan, apply, show, move, rename) and /circle (leaders: check-ins)."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from cogs.circles._circles import CircleCommands, CircleRunner
from cogs.circles._coverage import CoverageCommands
from cogs.circles._duties import DutyCommands, DutyRunner


@app_commands.guild_only()
class Circles(
    CircleCommands,
    CoverageCommands,
    commands.GroupCog,
    group_name="circles",
    group_description="Circles: small groups of members, each with a leader",
):
    """Circle commands for founders and moderators (checked at run time)."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        super().__init__()


@app_commands.guild_only()
class Circle(
    DutyCommands,
    commands.GroupCog,
    group_name="circle",
    group_description="Your circle, for its leader",
):
    """Commands for a circle's leader (checked at run time)."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        super().__init__()


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(CircleRunner(bot))
    await bot.add_cog(DutyRunner(bot))
    await bot.add_cog(Circles(bot))
    await bot.add_cog(Circle(bot))
