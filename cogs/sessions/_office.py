"""Office hours: one-to-one slots with the founder, a request window and a fair draw (or first
come, first served), confirmations and reminders by DM, and cancellations that pass the slot on."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import discord_timestamp, t
from bot.services.jobs import Job
from bot.services.sessions.office_hours import DRAW_JOB, REMINDER_JOB, RequestResult, Slot
from cogs.sessions._kit import SessionKit
from cogs.sessions._render import fit, understood, where_text

log = logging.getLogger(__name__)


class OfficeCommands(commands.Cog):
    """Mixed into the /session group."""

    bot: VouchBot
    kit: SessionKit

    @app_commands.command(name="office-hours", description="Open one-to-one slots with the founder")
    @app_commands.describe(
        when="When the first slot starts",
        slots="How many one-to-one slots (1 to 12)",
        slot_minutes="Minutes per slot (10 to 60)",
        title="A title for the round",
        channel="A voice or stage channel for the calls",
        location="Where, when there is no channel (a link)",
    )
    async def office_hours(
        self,
        interaction: discord.Interaction[VouchBot],
        when: app_commands.Range[str, 1, 100],
        slots: app_commands.Range[int, 1, 12],
        slot_minutes: app_commands.Range[int, 10, 60],
        title: app_commands.Range[str, 1, 100] | None = None,
        channel: discord.StageChannel | discord.VoiceChannel | None = None,
        location: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Founders and moderators: open a round, its Discord event and its announcement."""
        guild, starts, tz = await self.kit.read_start(interaction, when)
        services = self.bot.services
        await interaction.response.defer(ephemeral=True, thinking=True)
        session, _, _ = await services.office_hours.open(
            guild.id,
            interaction.user.id,
            title or t("session.office.title", await self.bot.guild_locale(guild)),
            starts,
            slots,
            slot_minutes,
            channel_id=channel.id if channel else None,
            location=location,
        )
        session = await self.kit.open_event(guild, session)
        unposted = await self.kit.post_announcement(guild, session)
        reply = understood(session, when, tz, interaction.locale)
        if unposted:
            reply += "\n" + t(unposted, interaction.locale)
        await interaction.followup.send(fit(reply), ephemeral=True)


class OfficeRunner(commands.Cog):
    """Buttons, the draw, confirmations and reminders of office hours."""

    def __init__(self, bot: VouchBot, kit: SessionKit) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = kit

    async def cog_load(self) -> None:
        """Draws and reminders are durable jobs."""
        self.bot.jobs.register(DRAW_JOB, self.run_draw)
        self.bot.jobs.register(REMINDER_JOB, self.run_reminder)

    async def cog_unload(self) -> None:
        """Stop handling the jobs (they stay in the database)."""
        self.bot.jobs.unregister(DRAW_JOB)
        self.bot.jobs.unregister(REMINDER_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """A draw cut short by a stop is owed again."""
        if await self.services.office_hours.rearm():
            self.bot.jobs.poke()

    async def press_request(
        self, interaction: discord.Interaction[VouchBot], session_id: int
    ) -> None:
        """Ask for a slot: booked now, in line, or waiting for the draw."""
        guild = await self.kit.require_member(interaction)
        result = await self.services.office_hours.request(guild.id, session_id, interaction.user.id)
        await interaction.response.send_message(
            request_text(result, interaction.locale), ephemeral=True
        )
        if result.booked:
            await self.refresh(guild, session_id)

    async def press_cancel(
        self, interaction: discord.Interaction[VouchBot], session_id: int
    ) -> None:
        """Give up a slot (the next in line gets it) or withdraw a request."""
        guild = await self.kit.require_member(interaction)
        result = await self.services.office_hours.cancel(guild.id, session_id, interaction.user.id)
        await interaction.response.send_message(
            t("session.office.cancelled", interaction.locale), ephemeral=True
        )
        if result.promoted is not None and result.promoted.user_id is not None:
            await self._confirm(guild, session_id, [result.promoted])
        if result.freed is not None:
            await self.refresh(guild, session_id)

    async def run_draw(self, job: Job) -> None:
        """The request window closed: draw, confirm each slot by DM, tell the line their place."""
        guild_id, session_id = job.guild_id, int(job.key)
        guild = self.bot.get_guild(guild_id or 0)
        if guild is None:
            return
        slots = await self.services.office_hours.slots(guild.id, session_id)
        before = {slot.slot for slot in slots if not slot.is_free}
        result = await self.services.office_hours.draw(guild.id, session_id)
        new = [slot for slot in result.booked if slot.slot not in before]
        await self._confirm(guild, session_id, new)
        session = await self.services.sessions.get(guild.id, session_id)
        for waiting in result.line:
            await self.kit.notify(
                guild,
                session,
                [waiting.user_id],
                "session.office.line_dm",
                title=session.title,
                place=waiting.place,
            )
        await self.refresh(guild, session_id)

    async def _confirm(self, guild: discord.Guild, session_id: int, slots: list[Slot]) -> None:
        session = await self.services.sessions.get(guild.id, session_id)
        for slot in slots:
            if slot.user_id is not None:
                await self.kit.notify(
                    guild,
                    session,
                    [slot.user_id],
                    "session.office.booked_dm",
                    title=session.title,
                    when=discord_timestamp(slot.starts_at, "F"),
                    minutes=int((slot.ends_at - slot.starts_at).total_seconds() // 60),
                )

    async def run_reminder(self, job: Job) -> None:
        """Fifteen minutes before a slot: remind its holder (if they still hold it)."""
        session_id, number = (int(part) for part in job.key.split(":"))
        slot = await self.services.office_hours.reminder_target(session_id, number)
        guild = self.bot.get_guild(job.guild_id or 0)
        if slot is None or slot.user_id is None or guild is None:
            return
        session = await self.services.sessions.get(guild.id, session_id)
        await self.kit.notify(
            guild,
            session,
            [slot.user_id],
            "session.office.reminder_dm",
            title=session.title,
            when=discord_timestamp(slot.starts_at, "R"),
            where=where_text(session, await self.bot.member_locale(slot.user_id, guild)),
        )

    async def refresh(self, guild: discord.Guild, session_id: int) -> None:
        """Update the free-slot count on the announcement."""
        await self.kit.refresh(guild, session_id)


def request_text(result: RequestResult, locale: object) -> str:
    """Where a request stands."""
    if result.state == "booked" and result.slot is not None:
        return t(
            "session.office.booked", locale, when=discord_timestamp(result.slot.starts_at, "F")
        )
    if result.state == "line":
        return t("session.office.in_line", locale, place=result.place or 0)
    if result.draw_at is not None:
        return t("session.office.requested", locale, when=discord_timestamp(result.draw_at, "R"))
    return t("session.office.requested_soon", locale)


__all__ = ["OfficeCommands", "OfficeRunner"]
