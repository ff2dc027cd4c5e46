"""/leaders sync: the recurring founder-leader session, made with the sessions feature (its
event, RSVPs, reminders and attendance), announced in the leaders channel, leaders only."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import format_when, t
from bot.services.jobs import Job
from bot.services.leaders.syncs import DEFAULT_MINUTES, ROLL_GRACE, ROLL_JOB
from bot.services.sessions.models import Session
from bot.services.sessions.schedule import Transition
from bot.services.sessions.when import parse_duration, parse_when
from cogs.sessions._kit import event_url, guild_member
from cogs.sessions._render import fit, when_text
from cogs.sessions._runner import SessionRunner

log = logging.getLogger(__name__)

EVERY_CHOICES = [
    app_commands.Choice(name="every week", value="week"),
    app_commands.Choice(name="every 2 weeks", value="2weeks"),
    app_commands.Choice(name="every month", value="month"),
]
EVERY_TEXT = {
    "week": "leaders.sync.every.week",
    "2weeks": "leaders.sync.every.fortnight",
    "month": "leaders.sync.every.month",
}


def session_runner(bot: VouchBot) -> SessionRunner:
    """The loaded sessions runner (its kit makes events and announcements)."""
    cog: Any = bot.get_cog("SessionRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: SessionRunner = cog
    return runner


async def founders_only(interaction: discord.Interaction[VouchBot]) -> discord.Guild:
    """Founders (the founder role or Manage Server), checked at run time."""
    guild, member = guild_member(interaction)
    config = await interaction.client.services.config.get(guild.id)
    if not (member.guild_permissions.manage_guild or has_role(member, config, "founder")):
        raise CheckRefused(DomainError("leaders.founders_only"))
    return guild


class SyncCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot

    sync_group = app_commands.Group(name="sync", description="Founder-leader syncs")

    @sync_group.command(name="schedule", description="Schedule a recurring founder-leader sync")
    @app_commands.describe(
        when="When the first one starts: 2026-12-03 18:00, next monday 6pm, lundi 18h…",
        every="How often it repeats",
        duration="How long: 45, 90 min, 1h30 (45 min by default)",
        channel="A stage or voice channel leaders can join (otherwise an external event)",
    )
    @app_commands.choices(every=EVERY_CHOICES)
    async def sync_schedule(
        self,
        interaction: discord.Interaction[VouchBot],
        when: app_commands.Range[str, 1, 100],
        every: str,
        duration: app_commands.Range[str, 1, 16] | None = None,
        channel: discord.StageChannel | discord.VoiceChannel | None = None,
    ) -> None:
        """Creates the first leaders-only session; each next one follows when it is over."""
        guild = await founders_only(interaction)
        runner = session_runner(self.bot)
        runner.kit.check_can_create_events(guild)
        services = self.bot.services
        config = await services.config.get(guild.id)
        starts = parse_when(
            when, locale=str(interaction.locale), tz=config.timezone, now=services.clock()
        )
        minutes = parse_duration(duration) if duration else DEFAULT_MINUTES
        locale = await self.bot.guild_locale(guild)
        sync, session = await services.leader_syncs.schedule(
            guild.id,
            interaction.user.id,
            starts_at=starts,
            every=every,
            timezone=config.timezone,
            title=t("leaders.sync.title", locale),
            description=t("leaders.sync.description", locale),
            minutes=minutes,
            channel_id=channel.id if channel else None,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            session = await runner.kit.open_event(guild, session)
        except Exception:
            await services.leader_syncs.stop(guild.id)  # nothing half-made
            raise
        unposted = await runner.kit.post_announcement(guild, session)
        reply = t(
            "leaders.sync.scheduled",
            interaction.locale,
            typed=when,
            when=when_text(session),
            local=format_when(session.starts_at, interaction.locale, config.timezone),
            zone=config.timezone,
            minutes=session.minutes,
            every=t(EVERY_TEXT[sync.every], interaction.locale),
        )
        if unposted:
            reply += "\n" + t(unposted, interaction.locale)
        await interaction.followup.send(fit(reply), ephemeral=True)

    @sync_group.command(name="stop", description="Stop the founder-leader syncs")
    async def sync_stop(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Ends the recurrence; the next sync, if it has not started, is cancelled (those who
        RSVPed are told)."""
        guild = await founders_only(interaction)
        upcoming = await self.bot.services.leader_syncs.stop(guild.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if upcoming is not None:
            await close_session(self.bot, guild, upcoming)
        key = "leaders.sync.stopped_cancelled" if upcoming else "leaders.sync.stopped"
        await interaction.followup.send(t(key, interaction.locale), ephemeral=True)

    @sync_group.command(name="show", description="The founder-leader sync and the next one")
    async def sync_show(self, interaction: discord.Interaction[VouchBot]) -> None:
        """How often, how long, and the next session with its RSVPs (founders, moderators and
        leaders)."""
        guild, member = guild_member(interaction)
        services = self.bot.services
        config = await services.config.get(guild.id)
        if not (
            is_moderator(member, config)
            or await services.leader_duties.is_leader(guild.id, member.id)
        ):
            raise CheckRefused(DomainError("leaders.sync.leaders_only"))
        sync = await services.leader_syncs.get(guild.id)
        if sync is None:
            raise DomainError("leaders.sync.none")
        locale = interaction.locale
        text = t(
            "leaders.sync.show",
            locale,
            every=t(EVERY_TEXT[sync.every], locale),
            minutes=sync.minutes,
            zone=sync.timezone,
        )
        if sync.session_id is not None:
            session = await services.sessions.get(guild.id, sync.session_id)
            counts = await services.sessions.counts(session.id)
            text += "\n" + t(
                "leaders.sync.show_next",
                locale,
                when=when_text(session),
                going=counts.going,
                status=t(f"session.status.{session.status}", locale),
                url=event_url(guild.id, session.event_id) or "",
            )
        await interaction.response.send_message(fit(text), ephemeral=True)


async def close_session(bot: VouchBot, guild: discord.Guild, session: Session) -> None:
    """As /session cancel (not started) or /session end (running) do: the event follows and
    what follows a transition happens (RSVPs told, recap, the next sync)."""
    runner = session_runner(bot)
    status = "cancelled" if session.status == "scheduled" else "completed"
    try:
        if status == "cancelled":
            transition = await bot.services.sessions.cancel(guild.id, session.id)
        else:
            transition = await bot.services.sessions.end(guild.id, session.id)
    except DomainError:
        return  # it moved meanwhile
    try:
        await runner.kit.event_status(guild, transition.session, status)
    finally:
        await runner.after_transition(guild, transition)


class SyncRunner(commands.Cog):
    """Makes the next sync when one is over: right after it ends or is cancelled, on a durable
    job a while after its planned end, and at startup (so a roll lost in a crash happens)."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def cog_load(self) -> None:
        """The roll-over job is durable."""
        self.bot.jobs.register(ROLL_JOB, self.run_roll)

    async def cog_unload(self) -> None:
        """Stop handling the job (it stays in the database)."""
        self.bot.jobs.unregister(ROLL_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Catch up with syncs whose session ended while the bot was down."""
        for guild_id in await self.services.leader_syncs.guilds():
            guild = self.bot.get_guild(guild_id)
            if guild is not None:
                await self.catch_up(guild)

    @commands.Cog.listener()
    async def on_session_transition(self, guild: discord.Guild, transition: Transition) -> None:
        """A leaders-only session ended or was cancelled: the next one is made."""
        session = transition.session
        if session.audience == "leaders" and session.status in ("completed", "cancelled"):
            await self.roll(guild)

    async def run_roll(self, job: Job) -> None:
        """The current sync's end is well past: roll over even if nobody ended it."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is not None:
            await self.catch_up(guild)

    async def catch_up(self, guild: discord.Guild) -> None:
        """A sync session left open `ROLL_GRACE` past its end is closed (cancelled if it never
        started, else ended), then the next one is made."""
        sync = await self.services.leader_syncs.get(guild.id)
        if sync is not None and sync.session_id is not None:
            session = await self.services.sessions.get(guild.id, sync.session_id)
            if session.is_open and self.services.clock() >= session.ends_at + ROLL_GRACE:
                await close_session(self.bot, guild, session)
        await self.roll(guild)

    async def roll(self, guild: discord.Guild) -> None:
        """The next session, its event and its announcement in the leaders channel."""
        locale = await self.bot.guild_locale(guild)
        session = await self.services.leader_syncs.roll(
            guild.id,
            title=t("leaders.sync.title", locale),
            description=t("leaders.sync.description", locale),
        )
        if session is None:
            return
        self.bot.jobs.poke()
        kit = session_runner(self.bot).kit
        try:
            session = await kit.open_event(guild, session)
        except DomainError as error:
            # The session was removed; the next startup or roll-over job tries again.
            log.warning("sync of guild %s: no event (%s)", guild.id, error.key)
            await self.bot.log_line(guild, "leaders.sync.failed", reason=t(error.key, locale))
            return
        unposted = await kit.post_announcement(guild, session)
        if unposted:
            await self.bot.log_line(guild, unposted)
        log.info("sync of guild %s: next on %s", guild.id, session.starts_at.isoformat())
