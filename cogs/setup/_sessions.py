"""/setup sessions: reminder offsets and how office-hour slots are given out."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.sessions.when import parse_offsets


def offsets_text(minutes: tuple[int, ...], locale: object) -> str:
    """ "24 h, 15 min" (or "off")."""
    if not minutes:
        return t("setup.sessions.reminders_off", locale)
    parts = []
    for value in minutes:
        if value % 60 == 0:
            parts.append(t("setup.sessions.hours", locale, count=value // 60))
        else:
            parts.append(t("session.minutes", locale, count=value))
    return ", ".join(parts)


class SessionSetup(commands.Cog):
    """Mixed into the /setup group."""

    bot: VouchBot

    @app_commands.command(name="sessions", description="Session reminders and office-hour slots")
    @app_commands.describe(
        reminders="When to remind RSVPs before a session: 24h, 15m (or off)",
        office_hours="How office-hour slots are given out",
        request_hours="Office hours: how long requests are taken before the draw",
    )
    @app_commands.choices(
        office_hours=[
            app_commands.Choice(name="fair draw", value="draw"),
            app_commands.Choice(name="first come first served", value="first_come"),
        ]
    )
    async def sessions(
        self,
        interaction: discord.Interaction[VouchBot],
        reminders: app_commands.Range[str, 1, 60] | None = None,
        office_hours: app_commands.Choice[str] | None = None,
        request_hours: app_commands.Range[int, 0, 336] | None = None,
    ) -> None:
        """Change (or show) the session settings."""
        assert interaction.guild_id is not None
        services = self.bot.services
        if reminders is not None:
            await services.sessions.set_reminders(interaction.guild_id, parse_offsets(reminders))
        if office_hours is not None or request_hours is not None:
            await services.office_hours.set_settings(
                interaction.guild_id,
                mode=office_hours.value if office_hours else None,
                request_window_min=request_hours * 60 if request_hours is not None else None,
            )
        saved = await services.sessions.settings(interaction.guild_id)
        locale = interaction.locale
        await interaction.response.send_message(
            t(
                "setup.sessions.saved",
                locale,
                reminders=offsets_text(saved.reminder_minutes, locale),
                mode=t(f"setup.sessions.mode.{saved.office_hours_mode}", locale),
                hours=saved.request_window_min // 60,
            ),
            ephemeral=True,
        )
