"""/leaders sync: the recurring founder-leader session."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class SyncCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot
