"""/language: the language a member wants their DMs in."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import LOCALE_NAMES, t

LANGUAGE_CHOICES = [
    app_commands.Choice(name=name, value=code) for code, name in LOCALE_NAMES.items()
]


class Preferences(commands.Cog):
    """A member's own settings."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="language", description="Choose the language of your messages from Vouch"
    )
    @app_commands.describe(language="Your language")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(
        self, interaction: discord.Interaction[VouchBot], language: app_commands.Choice[str]
    ) -> None:
        """Store the member's language and confirm in it."""
        locale = await self.bot.services.preferences.set_language(
            interaction.user.id, language.value
        )
        await interaction.response.send_message(
            t("language.saved", locale, language=LOCALE_NAMES[locale]), ephemeral=True
        )


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Preferences(bot))
