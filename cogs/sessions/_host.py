"""Host commands (founders and moderators): schedule, run and close sessions, the question queue.
Listing upcoming sessions is for everyone."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import format_when, t
from bot.services.sessions.models import Session, SessionKind
from bot.services.sessions.schedule import Draft
from bot.services.sessions.when import parse_duration
from cogs.sessions._buttons import confirm_view
from cogs.sessions._kit import SessionKit, event_url, guild_member
from cogs.sessions._render import fit, going_text, queue_text, understood, when_text
from cogs.sessions._runner import SessionRunner

log = logging.getLogger(__name__)


class HostCommands(commands.Cog):
    """Mixed into the /session group."""

    bot: VouchBot
    kit: SessionKit
    runner: SessionRunner

    # -- scheduling ----------------------------------------------------------------------------
    @app_commands.command(name="schedule", description="Schedule a founder session (AMA)")
    @app_commands.describe(
        title="What the session is about",
        when="When it starts: 2026-12-03 18:00, next friday 6pm, vendredi 18h…",
        duration="How long: 45, 90 min, 1h30 (15 min to 4 h)",
        channel="A stage or voice channel (otherwise an external event)",
        description="A few words for the announcement",
        capacity="How many can RSVP before a waitlist opens",
        location="Where, for an external event (a link or a place)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction[VouchBot],
        title: app_commands.Range[str, 1, 100],
        when: app_commands.Range[str, 1, 100],
        duration: app_commands.Range[str, 1, 16],
        channel: discord.StageChannel | discord.VoiceChannel | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        capacity: app_commands.Range[int, 1, 10000] | None = None,
        location: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Checks everything, warns about an overlap (with "schedule anyway"), then creates."""
        guild, starts, _ = await self.kit.read_start(interaction, when)
        services = self.bot.services
        draft = services.sessions.check(
            title=title,
            starts_at=starts,
            minutes=parse_duration(duration),
            channel_id=channel.id if channel else None,
            location=location,
            description=description,
            capacity=capacity,
        )
        overlaps = await services.sessions.overlaps(guild.id, draft.starts_at, draft.ends_at)
        if overlaps:
            draft_id = await services.sessions.save_draft(guild.id, interaction.user.id, draft)
            other = overlaps[0]
            await interaction.response.send_message(
                t(
                    "session.overlap",
                    interaction.locale,
                    title=other.title,
                    when=when_text(other),
                    count=len(overlaps),
                ),
                view=confirm_view(draft_id, interaction.locale),
                ephemeral=True,
            )
            return
        await self.schedule_draft(interaction, guild, draft, typed=when)

    async def schedule_draft(
        self,
        interaction: discord.Interaction[VouchBot],
        guild: discord.Guild,
        draft: Draft,
        *,
        typed: str | None,
    ) -> None:
        """Create the session, its Discord event and its announcement. If the event can't be
        made, nothing is kept."""
        services = self.bot.services
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await services.sessions.create(guild.id, interaction.user.id, draft)
        session = await self.kit.open_event(guild, session)
        await services.questions.adopt_backlog(guild.id, session.id)
        unposted = await self.kit.post_announcement(guild, session)
        config = await services.config.get(guild.id)
        reply = understood(session, typed or session.title, config.timezone, interaction.locale)
        if unposted:
            reply += "\n" + t(unposted, interaction.locale)
        await interaction.followup.send(fit(reply), ephemeral=True)

    # -- listing -------------------------------------------------------------------------------
    @app_commands.command(name="list", description="Upcoming founder sessions")
    async def list_sessions(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Upcoming sessions with their RSVP counts and links (everyone)."""
        guild, member = guild_member(interaction)
        await self.kit.require_member(interaction)
        upcoming = [
            (session, counts)
            for session, counts in await self.bot.services.sessions.upcoming(guild.id)
            if await self.kit.can_see(member, session)
        ]
        locale = interaction.locale
        if not upcoming:
            await interaction.response.send_message(t("session.list.empty", locale), ephemeral=True)
            return
        lines = [t("session.list.title", locale)]
        for session, counts in upcoming:
            lines.append(
                t(
                    "session.list.line",
                    locale,
                    id=session.id,
                    title=session.title,
                    when=when_text(session),
                    going=going_text(counts, session.capacity, locale),
                    url=event_url(guild.id, session.event_id) or "",
                    status=t(f"session.status.{session.status}", locale),
                )
            )
        await interaction.response.send_message(fit("\n".join(lines)), ephemeral=True)

    # -- lifecycle -----------------------------------------------------------------------------
    async def _target(
        self, guild: discord.Guild, session_id: int | None, kind: SessionKind | None = None
    ) -> Session:
        """The named session, else the running or next one (of `kind`: questions are AMAs')."""
        if session_id is None:
            return await self.bot.services.sessions.current(guild.id, kind)
        return await self.bot.services.sessions.get(guild.id, session_id)

    @app_commands.command(name="start", description="Start a session now")
    @app_commands.describe(session="The session (the next one when left out)")
    async def start(
        self, interaction: discord.Interaction[VouchBot], session: int | None = None
    ) -> None:
        """Starts the session and its Discord event; attendance counts from now."""
        await self._move(interaction, session, "active")

    @app_commands.command(name="end", description="End a running session and post its recap")
    @app_commands.describe(session="The session (the running one when left out)")
    async def end(
        self, interaction: discord.Interaction[VouchBot], session: int | None = None
    ) -> None:
        """Ends the session and its Discord event, then posts the recap."""
        await self._move(interaction, session, "completed")

    @app_commands.command(
        name="cancel", description="Cancel a session (everyone who RSVPed is told)"
    )
    @app_commands.describe(session="The session (the next one when left out)")
    async def cancel(
        self, interaction: discord.Interaction[VouchBot], session: int | None = None
    ) -> None:
        """Cancels the session and its Discord event and tells everyone who RSVPed."""
        await self._move(interaction, session, "cancelled")

    async def _move(
        self, interaction: discord.Interaction[VouchBot], session_id: int | None, status: str
    ) -> None:
        guild = await self.kit.require_host(interaction)
        services = self.bot.services
        session = await self._target(guild, session_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if status == "active":
            transition = await services.sessions.start(guild.id, session.id)
        elif status == "completed":
            transition = await services.sessions.end(guild.id, session.id)
        else:
            transition = await services.sessions.cancel(guild.id, session.id)
        try:
            await self.kit.event_status(guild, transition.session, status)
        finally:  # the session moved: its people and its post hear of it even if Discord refused
            await self.runner.after_transition(guild, transition)
        key = f"session.moved.{status}" if transition.changed else "session.moved.already"
        await interaction.followup.send(
            t(key, interaction.locale, title=session.title), ephemeral=True
        )

    # -- questions -----------------------------------------------------------------------------
    @app_commands.command(name="questions", description="The ranked question queue")
    @app_commands.describe(session="The session (the running or next one when left out)")
    async def questions(
        self, interaction: discord.Interaction[VouchBot], session: int | None = None
    ) -> None:
        """Open questions by votes, for the host."""
        guild = await self.kit.require_host(interaction)
        target = await self._target(guild, session, "ama")
        ranked = await self.bot.services.questions.ranked(guild.id, target.id, limit=100)
        await interaction.response.send_message(
            queue_text(target, ranked, interaction.locale), ephemeral=True
        )

    @app_commands.command(name="next", description="Post the top question and mark it answered")
    @app_commands.describe(session="The session (the running or next one when left out)")
    async def next_question(
        self, interaction: discord.Interaction[VouchBot], session: int | None = None
    ) -> None:
        """The top unanswered question goes to the session's channel, with its author and votes."""
        guild = await self.kit.require_host(interaction)
        target = await self._target(guild, session, "ama")
        question = await self.bot.services.questions.take_next(guild.id, target.id)
        if question is None:
            await interaction.response.send_message(
                t("session.questions.none_left", interaction.locale), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.bot.guild_locale(guild)
        names = ", ".join(self._name(guild, user_id) for user_id in question.author_ids)
        text = t(
            "session.next.post", locale, text=question.text, authors=names, votes=question.votes
        )
        place = guild.get_channel_or_thread(
            target.channel_id or target.questions_channel_id or target.post_channel_id or 0
        )
        if isinstance(place, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            try:
                await place.send(fit(text))
            except discord.HTTPException as error:
                log.warning("session %s: could not post a question (%s)", target.id, error.status)
        await self.runner.update_question_post(guild, question.id)
        await interaction.followup.send(
            t("session.next.done", interaction.locale, text=question.text), ephemeral=True
        )

    @staticmethod
    def _name(guild: discord.Guild, user_id: int) -> str:
        member = guild.get_member(user_id)
        return discord.utils.escape_markdown(member.display_name) if member else f"<@{user_id}>"

    @app_commands.command(name="skip", description="Skip a question (the top one by default)")
    @app_commands.describe(question="The question number (see /session questions)")
    async def skip(
        self, interaction: discord.Interaction[VouchBot], question: int | None = None
    ) -> None:
        """Marks a question skipped; it leaves the queue."""
        guild = await self.kit.require_host(interaction)
        services = self.bot.services
        if question is not None:
            target_id = (await services.questions.get(guild.id, question)).session_id
            if target_id is None:
                raise DomainError("session.question.not_open")
        else:
            target_id = (await self._target(guild, None, "ama")).id
        skipped = await services.questions.skip(guild.id, target_id, question)
        if skipped is None:
            await interaction.response.send_message(
                t("session.questions.none_left", interaction.locale), ephemeral=True
            )
            return
        await interaction.response.send_message(
            t("session.skip.done", interaction.locale, text=skipped.text), ephemeral=True
        )
        await self.runner.update_question_post(guild, skipped.id)

    @app_commands.command(name="merge", description="Merge a duplicate question into another")
    @app_commands.describe(keep="The question that stays", duplicate="The duplicate of it")
    async def merge(
        self, interaction: discord.Interaction[VouchBot], keep: int, duplicate: int
    ) -> None:
        """Votes are united and both authors credited."""
        guild = await self.kit.require_host(interaction)
        merged = await self.bot.services.questions.merge(guild.id, keep, duplicate)
        await interaction.response.send_message(
            t(
                "session.merge.done",
                interaction.locale,
                text=merged.text,
                votes=merged.votes,
                authors=len(merged.author_ids),
            ),
            ephemeral=True,
        )
        await self.runner.update_question_post(guild, duplicate)
        await self.runner.update_question_post(guild, keep)

    @start.autocomplete("session")
    @end.autocomplete("session")
    @cancel.autocomplete("session")
    @questions.autocomplete("session")
    @next_question.autocomplete("session")
    async def session_choices(
        self, interaction: discord.Interaction[VouchBot], current: str
    ) -> list[app_commands.Choice[int]]:
        """Running and upcoming sessions, by title, with their start in the server's time zone
        and the invoker's language (choices can't hold Discord timestamps)."""
        if interaction.guild is None:
            return []
        services = self.bot.services
        upcoming = await services.sessions.upcoming(interaction.guild.id, limit=25)
        tz = (await services.config.get(interaction.guild.id)).timezone
        needle = current.lower()
        choices = []
        for session, _ in upcoming:
            if needle in session.title.lower() or needle in str(session.id):
                starts = format_when(session.starts_at, interaction.locale, tz)
                name = f"#{session.id} {session.title} · {starts}"[:100]
                choices.append(app_commands.Choice(name=name, value=session.id))
        return choices


__all__ = ["HostCommands"]
