"""/leaders: engagement signals, explained suggestions, the scale alert, nominations with
consent, step-down and removal, reviews, and the founder-leader syncs."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from cogs.leaders._roster import DYNAMIC_ITEMS, RosterCommands, RosterRunner
from cogs.leaders._signals import SignalCommands, SignalRunner
from cogs.leaders._suggest import ScaleRunner, SuggestCommands
from cogs.leaders._sync import SyncCommands, SyncRunner


@app_commands.guild_only()
class Leaders(
    SignalCommands,
    SuggestCommands,
    RosterCommands,
    SyncCommands,
    commands.GroupCog,
    group_name="leaders",
    group_description="Community leaders: suggestions, nominations and syncs",
):
    """Leader commands (each checks who may use it at run time)."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        super().__init__()


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(SignalRunner(bot))
    await bot.add_cog(ScaleRunner(bot))
    await bot.add_cog(RosterRunner(bot))
    await bot.add_cog(SyncRunner(bot))
    await bot.add_cog(Leaders(bot))
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
