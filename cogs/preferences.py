"""/language and /notifications: a member's own settings for the DMs Vouch sends them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import LOCALE_NAMES, Text, t

LANGUAGE_CHOICES = [
    app_commands.Choice(name=name, value=code) for code, name in LOCALE_NAMES.items()
]
SWITCH_CHOICES = [
    app_commands.Choice(name="On", value="on"),
    app_commands.Choice(name="Off", value="off"),
]
Switch = app_commands.Choice[str]


def notification_summary(settings: dict[str, bool], locale: object) -> str:
    """One line with every kind of DM and whether it is on, in the reader's language."""
    states = {
        kind: Text("notifications.on" if enabled else "notifications.off")
        for kind, enabled in settings.items()
    }
    return t("notifications.summary", locale, **states)


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

    # No guild_only: like /language, this is about the person, so it works in DMs with the bot.
    @app_commands.command(name="notifications", description="Choose which DMs Vouch sends you")
    @app_commands.describe(
        sessions="Reminders before the sessions you signed up for",
        feedback="Updates on the feedback you gave",
        digest="A weekly digest of the community, by DM",
    )
    @app_commands.choices(sessions=SWITCH_CHOICES, feedback=SWITCH_CHOICES, digest=SWITCH_CHOICES)
    async def notifications(
        self,
        interaction: discord.Interaction[VouchBot],
        sessions: Switch | None = None,
        feedback: Switch | None = None,
        digest: Switch | None = None,
    ) -> None:
        """Without options, show the member's DM settings; with options, change them."""
        given = {"sessions": sessions, "feedback": feedback, "digest": digest}
        changes = {kind: choice.value == "on" for kind, choice in given.items() if choice}
        preferences = self.bot.services.preferences
        if changes:
            settings = await preferences.set_notifications(interaction.user.id, changes)
            key = "notifications.saved"
        else:
            settings = await preferences.notifications(interaction.user.id)
            key = "notifications.current"
        summary = notification_summary(settings, interaction.locale)
        await interaction.response.send_message(
            t(key, interaction.locale, summary=summary), ephemeral=True
        )


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Preferences(bot))
