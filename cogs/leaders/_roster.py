"""Nominations with consent, step-down, removal and the list of leaders."""

from __future__ import annotations

from discord.ext import commands
from discord.ui import DynamicItem

from bot.client import VouchBot

DYNAMIC_ITEMS: tuple[type[DynamicItem], ...] = ()  # type: ignore[type-arg]


class RosterCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot


class RosterRunner(commands.Cog):
    """Nomination expiry, leaders who leave the server, and the periodic review."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
