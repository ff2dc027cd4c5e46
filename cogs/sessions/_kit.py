"""Discord side effects of founder sessions: events, the announcement and its live count, DMs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime

import discord

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.guild_config import GuildConfig
from bot.services.sessions.models import Session
from bot.services.sessions.schedule import ReminderOutcome
from bot.services.sessions.when import parse_when
from cogs.sessions._buttons import announcement_view, office_view
from cogs.sessions._render import announcement, office_embed

log = logging.getLogger(__name__)

REFRESH_DELAY = 2.0  # seconds: RSVP clicks in a burst become one edit of the announcement


def guild_member(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member]:
    """The guild and the invoking member (session commands and buttons exist in guilds only)."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise DomainError("errors.guild_only")
    return interaction.guild, interaction.user


def is_community_member(member: discord.Member, config: GuildConfig) -> bool:
    """Holds the member role (when one is set), or moderates."""
    return (
        "member" not in config.roles
        or has_role(member, config, "member")
        or is_moderator(member, config)
    )


def event_url(guild_id: int, event_id: int | None) -> str | None:
    """The link that opens the event in Discord."""
    return f"https://discord.com/events/{guild_id}/{event_id}" if event_id else None


class SessionKit:
    """What the session cogs do on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._refreshes: dict[int, asyncio.Task[None]] = {}

    async def require_host(self, interaction: discord.Interaction[VouchBot]) -> discord.Guild:
        """Founders and moderators only, checked at run time (admins may open the command)."""
        guild, member = guild_member(interaction)
        config = await self.services.config.get(guild.id)
        if not is_moderator(member, config):
            raise CheckRefused(DomainError("session.host_only"))
        return guild

    async def require_member(self, interaction: discord.Interaction[VouchBot]) -> discord.Guild:
        """Members of the community (not newcomers still at the gate)."""
        guild, member = guild_member(interaction)
        config = await self.services.config.get(guild.id)
        if not is_community_member(member, config):
            raise DomainError("session.members_only")
        return guild

    async def can_see(self, member: discord.Member, session: Session) -> bool:
        """Leaders-only sessions are listed to leaders and moderators only."""
        if session.audience == "all":
            return True
        if is_moderator(member, await self.services.config.get(member.guild.id)):
            return True
        try:
            await self.services.sessions.check_audience(session, member.id)
        except DomainError:
            return False
        return True

    # -- the Discord event ---------------------------------------------------------------------
    @staticmethod
    def check_can_create_events(guild: discord.Guild) -> None:
        """Refuse early, naming the permission, when the bot can't make events."""
        perms = guild.me.guild_permissions
        if not (perms.create_events or perms.manage_events):
            raise DomainError("session.missing_create_events")

    async def create_event(self, guild: discord.Guild, session: Session) -> discord.ScheduledEvent:
        """The Discord scheduled event: in the stage or voice channel, else external."""
        channel = guild.get_channel(session.channel_id) if session.channel_id else None
        description = session.description or discord.utils.MISSING
        reason = "Vouch: founder session"
        try:
            if isinstance(channel, discord.StageChannel | discord.VoiceChannel):
                return await guild.create_scheduled_event(
                    name=session.title,
                    start_time=session.starts_at,
                    end_time=session.ends_at,
                    channel=channel,  # the entity type follows the channel's
                    description=description,
                    privacy_level=discord.PrivacyLevel.guild_only,
                    reason=reason,
                )
            return await guild.create_scheduled_event(
                name=session.title,
                start_time=session.starts_at,
                end_time=session.ends_at,
                entity_type=discord.EntityType.external,
                location=session.location or guild.name,
                description=description,
                privacy_level=discord.PrivacyLevel.guild_only,
                reason=reason,
            )
        except discord.Forbidden:
            raise DomainError("session.missing_create_events") from None

    async def open_event(self, guild: discord.Guild, session: Session) -> Session:
        """The session's Discord event, linked; if Discord refuses, the session is removed
        (nothing half-made) and the error goes on to the user."""
        try:
            event = await self.create_event(guild, session)
        except Exception:
            await self.services.sessions.remove(guild.id, session.id)
            raise
        await self.services.sessions.set_event(session.id, event.id)
        return await self.services.sessions.get(guild.id, session.id)

    async def read_start(
        self, interaction: discord.Interaction[VouchBot], when: str
    ) -> tuple[discord.Guild, datetime, str]:
        """For host commands that schedule: the host checked, the bot's Create Events checked,
        and `when` read in the server's time zone. (guild, start, time zone)"""
        guild = await self.require_host(interaction)
        self.check_can_create_events(guild)
        config = await self.services.config.get(guild.id)
        starts = parse_when(
            when, locale=str(interaction.locale), tz=config.timezone, now=self.services.clock()
        )
        return guild, starts, config.timezone

    async def event_status(self, guild: discord.Guild, session: Session, status: str) -> None:
        """Move the Discord event along with the session (gone or already there is fine)."""
        if session.event_id is None:
            return
        wanted = {
            "active": discord.EventStatus.active,
            "completed": discord.EventStatus.completed,
            "cancelled": discord.EventStatus.cancelled,
        }[status]
        event = guild.get_scheduled_event(session.event_id)
        try:
            if event is None:
                event = await guild.fetch_scheduled_event(session.event_id)
            if event.status is wanted:
                return
            if wanted is discord.EventStatus.completed and event.status is not (
                discord.EventStatus.active
            ):
                await event.start()
            await event.edit(status=wanted, reason="Vouch: founder session")
        except discord.NotFound:
            return
        except discord.Forbidden:
            raise DomainError("session.missing_create_events") from None
        except discord.HTTPException as error:
            log.warning("session %s: could not set event status (%s)", session.id, error.status)

    # -- the announcement ----------------------------------------------------------------------
    async def announcements_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        """The announcements channel, if one is set and still exists."""
        config = await self.services.config.get(guild.id)
        channel = guild.get_channel(config.channels.get("announcements", 0))
        return channel if isinstance(channel, discord.TextChannel) else None

    async def post_channel(
        self, guild: discord.Guild, session: Session
    ) -> discord.TextChannel | None:
        """Where a session is announced: the leaders channel for a leaders-only session (a
        founder-leader sync), else the announcements channel."""
        if session.audience != "leaders":
            return await self.announcements_channel(guild)
        config = await self.services.config.get(guild.id)
        channel = guild.get_channel(config.channels.get("leaders", 0))
        return channel if isinstance(channel, discord.TextChannel) else None

    async def post_announcement(self, guild: discord.Guild, session: Session) -> str | None:
        """The announcement with its buttons (and, for an AMA, a thread for the questions).
        None when posted, else the key of what the host should hear: the session is made
        either way, so a refused post must not read as a failed command."""
        channel = await self.post_channel(guild, session)
        if channel is None:
            if session.audience == "leaders":
                return "session.no_leaders_channel"
            return "session.no_announcements"
        locale = await self.bot.guild_locale(guild)
        embed, view = await self._post_layout(guild, session, locale)
        try:
            message = await channel.send(embed=embed, view=view)
        except discord.HTTPException as error:
            log.warning("session %s: announcement refused (%s)", session.id, error.status)
            return "session.announcement_refused"
        if session.kind != "ama":
            await self.services.sessions.set_post(session.id, channel.id, message.id)
            return None
        questions = channel.id
        with contextlib.suppress(discord.HTTPException):
            thread = await message.create_thread(
                name=t("session.thread.name", locale, title=session.title)[:100],
                auto_archive_duration=10080,
            )
            questions = thread.id
        await self.services.sessions.set_post(session.id, channel.id, message.id, questions)
        return None

    def refresh_soon(self, guild: discord.Guild, session_id: int) -> None:
        """Edit the announcement's live count after a short pause (one edit per burst)."""
        if session_id in self._refreshes:
            return
        task = asyncio.create_task(self._refresh_later(guild, session_id))
        self._refreshes[session_id] = task

    async def _refresh_later(self, guild: discord.Guild, session_id: int) -> None:
        try:
            await asyncio.sleep(REFRESH_DELAY)
        finally:
            self._refreshes.pop(session_id, None)
        await self.refresh(guild, session_id)

    async def refresh(self, guild: discord.Guild, session_id: int) -> None:
        """Edit the announcement now (counts, status; buttons off once it is over), in the
        layout of the session's kind."""
        try:
            session = await self.services.sessions.get(guild.id, session_id)
        except DomainError:
            return
        if session.post_channel_id is None or session.post_message_id is None:
            return
        channel = guild.get_channel(session.post_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        locale = await self.bot.guild_locale(guild)
        embed, view = await self._post_layout(guild, session, locale)
        try:
            await channel.get_partial_message(session.post_message_id).edit(embed=embed, view=view)
        except discord.HTTPException as error:
            log.warning(
                "session %s: could not edit its announcement (%s)", session.id, error.status
            )

    async def _post_layout(
        self, guild: discord.Guild, session: Session, locale: object
    ) -> tuple[discord.Embed, discord.ui.View]:
        """The announcement as its kind shows it: an AMA's RSVP count and buttons, or office
        hours' free slots and request buttons."""
        if session.kind == "office_hours":
            office = self.services.office_hours
            slots = await office.slots(guild.id, session.id)
            draw_at = await office.draw_due(session.id)
            return (
                office_embed(session, slots, draw_at, locale),
                office_view(session.id, locale, over=not session.is_open),
            )
        counts = await self.services.sessions.counts(session.id)
        return announcement(session, counts, locale), announcement_view(session, locale)

    async def flush(self) -> None:
        """Wait for pending announcement edits (tests and shutdown)."""
        while self._refreshes:
            await asyncio.gather(*self._refreshes.values(), return_exceptions=True)

    # -- people --------------------------------------------------------------------------------
    async def dm(self, guild: discord.Guild, user_id: int, key: str, **params: object) -> bool:
        """DM a person in their language; False when their DMs are closed or Discord fails."""
        return await self.bot.dm(guild, user_id, key, **params)

    async def notify(
        self,
        guild: discord.Guild,
        session: Session,
        user_ids: Iterable[int],
        key: str,
        **params: object,
    ) -> dict[int, ReminderOutcome]:
        """Session news by DM to those who want it; one post in the session's channel (or the
        announcement's thread) mentions those whose DMs are closed. user -> outcome."""
        users = list(dict.fromkeys(user_ids))
        wanting = await self.services.preferences.wanting(users, "sessions")
        outcomes: dict[int, ReminderOutcome] = {}
        closed: list[int] = []
        for user_id in users:
            if user_id not in wanting:
                outcomes[user_id] = "off"
            elif await self.dm(guild, user_id, key, **params):
                outcomes[user_id] = "dm"
            else:
                closed.append(user_id)
        if closed:
            posted = await self._mention(guild, session, closed, key, **params)
            outcome: ReminderOutcome = "channel" if posted else "failed"
            outcomes.update(dict.fromkeys(closed, outcome))
        return outcomes

    async def _mention(
        self,
        guild: discord.Guild,
        session: Session,
        user_ids: list[int],
        key: str,
        **params: object,
    ) -> bool:
        place = guild.get_channel_or_thread(
            session.channel_id or session.questions_channel_id or session.post_channel_id or 0
        )
        if not isinstance(place, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            place = await self.post_channel(guild, session)
        if place is None:
            return False
        locale = await self.bot.guild_locale(guild)
        text = t(key, locale, guild=guild.name, **params)
        return await self.bot.mention_post(place, user_ids, text)

    async def log(self, guild: discord.Guild, key: str, **params: object) -> None:
        """A line for the moderators in the log channel (if there is one)."""
        await self.bot.log_line(guild, key, **params)
