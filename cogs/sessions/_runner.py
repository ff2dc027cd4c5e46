"""Sessions as they run: buttons, the question form, Discord's own event changes, reminders,
attendance and the recap."""

from __future__ import annotations

import logging
import re

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import discord_timestamp, t
from bot.services.jobs import Job
from bot.services.sessions.models import Session
from bot.services.sessions.schedule import REMINDER_JOB, RsvpResult, Transition
from bot.ui import show_modal
from cogs.sessions._buttons import question_view
from cogs.sessions._kit import SessionKit, event_url, guild_member
from cogs.sessions._render import fit, question_line, question_post

log = logging.getLogger(__name__)

QUESTION_FORM = r"session:question:(?P<id>\d{1,20})"
EVENT_STATUSES = {
    discord.EventStatus.active: "active",
    discord.EventStatus.completed: "completed",
    discord.EventStatus.cancelled: "cancelled",
}
CARRIED_OVER = 5


class QuestionForm(discord.ui.Modal):
    """The question form (its submission is routed by custom_id, see bot.ui.show_modal)."""

    def __init__(self, session: Session, locale: object) -> None:
        super().__init__(
            title=t("session.form.title", locale)[:45], custom_id=f"session:question:{session.id}"
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("session.form.label", locale)[:45],
                style=discord.TextStyle.paragraph,
                max_length=300,
                min_length=1,
                custom_id="question",
            )
        )


class SessionRunner(commands.Cog):
    """Everything sessions do besides the slash commands."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = SessionKit(bot)

    async def cog_load(self) -> None:
        """Reminder jobs are durable; the question form is routed by custom_id."""
        self.bot.jobs.register(REMINDER_JOB, self.run_reminder)
        self.bot.modals.route(QUESTION_FORM, self.submit_question)

    async def cog_unload(self) -> None:
        """Stop handling jobs and forms (jobs stay in the database)."""
        self.bot.jobs.unregister(REMINDER_JOB)
        self.bot.modals.unroute(QUESTION_FORM)
        await self.kit.flush()

    # -- RSVP ----------------------------------------------------------------------------------
    async def press_rsvp(self, interaction: discord.Interaction[VouchBot], session_id: int) -> None:
        """The RSVP button: a toggle; the answer says where the member stands."""
        guild = await self.kit.require_member(interaction)
        result = await self.services.sessions.rsvp(
            guild.id, session_id, interaction.user.id, via="button"
        )
        await interaction.response.send_message(
            rsvp_text(result, interaction.locale), ephemeral=True
        )
        await self._after_rsvp(guild, result)

    async def _after_rsvp(self, guild: discord.Guild, result: RsvpResult) -> None:
        if not result.changed:
            return
        self.kit.refresh_soon(guild, result.session.id)
        if result.promoted:
            await self.kit.notify(
                guild,
                result.session,
                result.promoted,
                "session.rsvp.promoted_dm",
                title=result.session.title,
                when=discord_timestamp(result.session.starts_at),
            )

    @commands.Cog.listener()
    async def on_scheduled_event_user_add(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        """Discord's own "Interested" counts as an RSVP."""
        await self._event_rsvp(event, user, want=True)

    @commands.Cog.listener()
    async def on_scheduled_event_user_remove(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        """Un-"Interested" withdraws it."""
        await self._event_rsvp(event, user, want=False)

    async def _event_rsvp(
        self, event: discord.ScheduledEvent, user: discord.User, *, want: bool
    ) -> None:
        session = await self.services.sessions.by_event(event.id)
        if session is None or user.bot:
            return
        try:
            result = await self.services.sessions.rsvp(
                session.guild_id, session.id, user.id, via="event", want=want
            )
        except DomainError:
            return  # the session is over: nothing to count
        if event.guild is not None:
            await self._after_rsvp(event.guild, result)

    # -- questions -----------------------------------------------------------------------------
    async def press_ask(self, interaction: discord.Interaction[VouchBot], session_id: int) -> None:
        """Open the question form (members, while the session takes questions)."""
        guild = await self.kit.require_member(interaction)
        session = await self.services.sessions.get(guild.id, session_id)
        if not session.is_open:
            raise DomainError("session.question.closed")
        await self.services.sessions.check_audience(session, interaction.user.id)
        await show_modal(interaction, QuestionForm(session, interaction.locale))

    async def submit_question(
        self,
        interaction: discord.Interaction[VouchBot],
        match: re.Match[str],
        values: dict[str, str],
    ) -> None:
        """Store the question and list it with its Upvote button."""
        guild = await self.kit.require_member(interaction)
        await self.services.sessions.check_audience(
            await self.services.sessions.get(guild.id, int(match["id"])), interaction.user.id
        )
        question = await self.services.questions.ask(
            guild.id, int(match["id"]), interaction.user.id, values.get("question", "")
        )
        session = await self.services.sessions.get(guild.id, int(match["id"]))
        await interaction.response.send_message(
            t("session.question.asked", interaction.locale), ephemeral=True
        )
        await self.list_question(guild, session, question.id)

    async def list_question(self, guild: discord.Guild, session: Session, question_id: int) -> None:
        """Post a question where the session's questions are listed."""
        place = guild.get_channel_or_thread(
            session.questions_channel_id or session.post_channel_id or 0
        )
        if not isinstance(place, discord.TextChannel | discord.Thread):
            return
        question = await self.services.questions.get(guild.id, question_id)
        locale = await self.bot.guild_locale(guild)
        try:
            message = await place.send(
                fit(question_post(question, locale)),
                view=question_view(question.id, question.votes, locale),
            )
        except discord.HTTPException as error:
            log.warning("question %s: could not be listed (%s)", question.id, error.status)
            return
        await self.services.questions.set_message(question.id, place.id, message.id)

    async def press_upvote(
        self, interaction: discord.Interaction[VouchBot], question_id: int
    ) -> None:
        """One vote per member (a second press takes it back); not on one's own question."""
        guild = await self.kit.require_member(interaction)
        question, added = await self.services.questions.upvote(
            guild.id, question_id, interaction.user.id
        )
        locale = await self.bot.guild_locale(guild)
        await interaction.response.edit_message(
            content=fit(question_post(question, locale)),
            view=question_view(question.id, question.votes, locale),
        )
        key = "session.question.voted" if added else "session.question.unvoted"
        await interaction.followup.send(t(key, interaction.locale), ephemeral=True)

    async def update_question_post(self, guild: discord.Guild, question_id: int) -> None:
        """Show a listed question's votes; its Upvote button is off once it was answered,
        skipped or merged."""
        question = await self.services.questions.get(guild.id, question_id)
        place = guild.get_channel_or_thread(question.channel_id or 0)
        if question.message_id is None or not isinstance(
            place, discord.TextChannel | discord.Thread
        ):
            return
        locale = await self.bot.guild_locale(guild)
        try:
            await place.get_partial_message(question.message_id).edit(
                content=fit(question_post(question, locale)),
                view=question_view(
                    question.id, question.votes, locale, open_=question.status == "open"
                ),
            )
        except discord.HTTPException as error:
            log.warning("question %s: could not close its post (%s)", question.id, error.status)

    # -- scheduling confirmation ---------------------------------------------------------------
    async def press_confirm(
        self, interaction: discord.Interaction[VouchBot], draft_id: int
    ) -> None:
        """ "Schedule anyway": create the draft saved at the overlap warning."""
        cog: object = self.bot.get_cog("Sessions")
        schedule = getattr(cog, "schedule_draft", None)
        if schedule is None:
            raise DomainError("errors.unavailable")
        guild = await self.kit.require_host(interaction)
        draft = await self.services.sessions.take_draft(guild.id, interaction.user.id, draft_id)
        await schedule(interaction, guild, draft, typed=None)

    # -- lifecycle followed from Discord -------------------------------------------------------
    @commands.Cog.listener()
    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        """A status set in Discord's own UI (or by Discord ending an event) is followed."""
        status = EVENT_STATUSES.get(after.status)
        if status is None or before.status is after.status:
            return
        transition = await self.services.sessions.follow_event(after.id, status)
        if transition is not None and after.guild is not None:
            await self.after_transition(after.guild, transition)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        """An admin deleted the event: the session is cancelled (ended when it was running)."""
        transition = await self.services.sessions.follow_event(event.id, "cancelled")
        if transition is not None and event.guild is not None:
            await self.after_transition(event.guild, transition)

    async def after_transition(self, guild: discord.Guild, transition: Transition) -> None:
        """What follows a status change, whichever side made it: the announcement is updated;
        a start records who is already in the channel; a cancel tells the RSVPs (and office
        hours' slot holders and requesters) and carries the open questions over to the next
        session; an AMA's end posts the recap. Then `session_transition(guild, transition)` is
        dispatched (the founder-leader syncs follow it)."""
        if not transition.changed:
            return
        session = transition.session
        await self.kit.refresh(guild, session.id)
        if session.status == "active":
            await self.services.sessions.reconcile_attendance(
                session, self._present(guild, session)
            )
        elif session.status == "cancelled":
            # A leaders-only session's questions never go to the public backlog.
            keep = None if session.audience == "all" else 0
            await self.services.questions.carry_over(guild.id, session.id, top=keep)
            concerned = await self.services.sessions.rsvps(session.id, "going")
            concerned += await self.services.sessions.rsvps(session.id, "waitlist")
            if session.kind == "office_hours":
                concerned += await self.services.office_hours.participants(guild.id, session.id)
            await self.kit.notify(
                guild,
                session,
                concerned,
                "session.cancelled_dm",
                title=session.title,
                when=discord_timestamp(session.starts_at),
            )
        elif session.status == "completed" and session.kind == "ama":
            await self.post_recap(guild, session)
        self.bot.dispatch("session_transition", guild, transition)

    def _present(self, guild: discord.Guild, session: Session) -> list[int]:
        channel = guild.get_channel(session.channel_id or 0)
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return []
        return [member.id for member in channel.members if not member.bot]

    # -- recap ---------------------------------------------------------------------------------
    async def post_recap(self, guild: discord.Guild, session: Session) -> None:
        """Once per session: attendance, answered questions, and the top unanswered ones, which
        carry over to the next session."""
        if not await self.services.sessions.mark_recap(session.id):
            return
        attendance = await self.services.sessions.attendance(session.id)
        going = await self.services.sessions.rsvps(session.id, "going")
        answered = await self.services.questions.answered(guild.id, session.id)
        carried = await self.services.questions.carry_over(
            guild.id, session.id, CARRIED_OVER if session.audience == "all" else 0
        )
        locale = await self.bot.guild_locale(guild)
        present = [user for user, minutes in attendance.items() if minutes > 0]
        lines = [
            t(
                "session.recap.title",
                locale,
                title=session.title,
                attended=len(present),
                going=len(going),
                minutes=sum(attendance.values()),
            )
        ]
        if answered:
            lines.append(t("session.recap.answered", locale, count=len(answered)))
            lines += [question_line(q, i, locale) for i, q in enumerate(answered[:10], start=1)]
        if carried:
            lines.append(t("session.recap.carried", locale, count=len(carried)))
            lines += [question_line(q, i, locale) for i, q in enumerate(carried, start=1)]
        place = guild.get_channel_or_thread(
            session.questions_channel_id or session.post_channel_id or 0
        )
        if not isinstance(place, discord.TextChannel | discord.Thread):
            place = await self.kit.post_channel(guild, session)
        if place is None:
            return
        try:
            await place.send(fit("\n".join(lines)))
        except discord.HTTPException as error:
            log.warning("session %s: could not post its recap (%s)", session.id, error.status)

    # -- reminders -----------------------------------------------------------------------------
    async def run_reminder(self, job: Job) -> None:
        """Remind the RSVPs once: by DM in their language, else one mention in the session's
        channel. Skipped when the session already started (a missed reminder is late at most)."""
        session_id, minutes = int(job.payload["session_id"]), int(job.payload["minutes"])
        batch = await self.services.sessions.claim_reminders(session_id, minutes)
        if batch is None or not batch.user_ids:
            return
        guild = self.bot.get_guild(batch.session.guild_id)
        if guild is None:
            return
        session = batch.session
        outcomes = await self.kit.notify(
            guild,
            session,
            batch.user_ids,
            "session.reminder_dm",
            title=session.title,
            when=discord_timestamp(session.starts_at, "R"),
            at=discord_timestamp(session.starts_at, "t"),
            url=event_url(session.guild_id, session.event_id) or "",
        )
        await self.services.sessions.reminder_outcomes(session_id, minutes, outcomes)

    # -- attendance ----------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Presence in a running session's channel, in minutes (never what is said)."""
        left = before.channel.id if before.channel else None
        joined = after.channel.id if after.channel else None
        if left == joined or member.bot:
            return
        await self.services.sessions.voice_moved(member.guild.id, member.id, left, joined)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After a restart: running sessions' attendance follows who is in the channel now."""
        for session in await self.services.sessions.active():
            guild = self.bot.get_guild(session.guild_id)
            if guild is not None:
                await self.services.sessions.reconcile_attendance(
                    session, self._present(guild, session)
                )


def rsvp_text(result: RsvpResult, locale: object) -> str:
    """Where the member stands after a press."""
    session = result.session
    when = discord_timestamp(session.starts_at)
    if result.state == "going":
        return t("session.rsvp.going", locale, title=session.title, when=when)
    if result.state == "waitlist":
        return t("session.rsvp.waitlist", locale, title=session.title, place=result.place or 0)
    return t("session.rsvp.withdrawn", locale, title=session.title)


__all__ = ["SessionRunner", "guild_member"]
