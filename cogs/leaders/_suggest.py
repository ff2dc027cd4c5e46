"""/leaders suggest (an explained score) and the scale alert."""

from __future__ import annotations

from discord.ext import commands

from bot.client import VouchBot


class SuggestCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot


class ScaleRunner(commands.Cog):
    """Posts the scale alert when the community outgrows its leaders."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
