"""Engagement signals from Discord activity (who wrote where and when, never the text), and
/leaders optout."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class SignalCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot


class SignalRunner(commands.Cog):
    """Listens to activity and keeps the daily aggregates within their retention window."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
