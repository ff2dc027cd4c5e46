"""/setup digest: the weekly newsletter's day, hour and channel.

Any option may be left out: a day or an hour turns the digest on (the other keeps its value, by
default Monday at 09:00), `day: Off` turns it off, a channel alone only moves it, and no option at
all shows the settings. Day and hour are in the server's time zone (`/setup timezone`). Turning it
on never posts at once: the first digest is at the next slot.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import discord_timestamp, t
from bot.services.digest.models import DAYS
from cogs.digest._kit import Target, missing_permissions, unpostable_text
from cogs.digest._render import day_name

DAY_CHOICES = [
    *(app_commands.Choice(name=day.capitalize(), value=day) for day in DAYS),
    app_commands.Choice(name="Off", value="off"),
]


class DigestSetup(commands.Cog):
    """Mixed into the /setup group."""

    bot: VouchBot

    @app_commands.command(name="digest", description="The weekly digest: its day, hour and channel")
    @app_commands.describe(
        day="The day it is posted (or Off)",
        hour="The hour it is posted, 0 to 23, in the server's time zone",
        channel="Where it is posted (by default the announcements channel)",
    )
    @app_commands.choices(day=DAY_CHOICES)
    async def digest(
        self,
        interaction: discord.Interaction[VouchBot],
        day: app_commands.Choice[str] | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Change (or show) the digest's schedule and channel."""
        guild = interaction.guild
        assert guild is not None
        digest = self.bot.services.digest
        changed = day is not None or hour is not None or channel is not None
        if changed:
            settings, planned = await digest.configure(
                guild.id,
                day=DAYS.index(day.value) if day is not None and day.value in DAYS else None,
                hour=hour,
                channel_id=channel.id if channel is not None else None,
                off=day is not None and day.value == "off",
            )
            self.bot.jobs.poke()
        else:
            settings, planned = await digest.settings(guild.id), await digest.armed(guild.id)
        config = await self.bot.services.config.get(guild.id)
        locale = interaction.locale
        channel_id = settings.channel_id or config.channels.get("announcements")
        place = guild.get_channel(channel_id) if channel_id else None
        if not settings.enabled or planned is None:
            text = t("digest.setup.off", locale)
        else:
            text = t(
                "digest.setup.saved",
                locale,
                day=day_name(settings.day, locale),
                hour=f"{settings.hour:02d}:00",
                timezone=config.timezone,
                channel=place.mention if place else t("digest.setup.no_channel", locale),
                next=discord_timestamp(planned.due, "F"),
            )
        if isinstance(place, discord.TextChannel):
            missing = missing_permissions(place)
            if missing:
                text += "\n" + unpostable_text(Target(place, missing), locale)
        elif settings.enabled:
            text += "\n" + unpostable_text(Target(None), locale)
        await interaction.response.send_message(text, ephemeral=True)
