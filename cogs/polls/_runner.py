"""Polls as they run: vote buttons, the survey comment form, and the closing deadline job."""

from __future__ import annotations

import logging
import re

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.polls import CLOSE_JOB, COMMENT_MAX, Ballot, Poll
from bot.services.jobs import Job
from bot.ui import show_modal
from cogs.polls._buttons import comment_view
from cogs.polls._kit import PollKit, guild_member

log = logging.getLogger(__name__)

#: Every `poll:comment_form:` id is routed, so a forged one gets an answer (not "This interaction
#: failed"); the id is checked in `submit_comment`.
COMMENT_FORM = r"poll:comment_form:(?P<id>.{0,82})"
_FORM_ID = re.compile(r"\d{1,18}")
_VOTE = re.compile(r"vote:(?P<poll>\d{1,18}):(?P<option>\d{1,2})")
_COMMENT = re.compile(r"comment:(?P<poll>\d{1,18})")


class CommentForm(discord.ui.Modal):
    """The optional comment after a rating or NPS answer (routed by custom_id)."""

    def __init__(self, poll: Poll, locale: object) -> None:
        super().__init__(
            title=t("survey.form.title", locale)[:45], custom_id=f"poll:comment_form:{poll.id}"
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("survey.form.label", locale)[:45],
                style=discord.TextStyle.paragraph,
                min_length=1,
                max_length=COMMENT_MAX,
                custom_id="comment",
            )
        )


class PollRunner(commands.Cog):
    """Everything polls do besides the slash commands."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = PollKit(bot)
        self._counts_reshown = False

    async def cog_load(self) -> None:
        """Closing deadlines are durable jobs; the comment form is routed by custom_id."""
        self.bot.jobs.register(CLOSE_JOB, self.run_close)
        self.bot.modals.route(COMMENT_FORM, self.submit_comment)

    async def cog_unload(self) -> None:
        """Stop handling jobs and forms (jobs stay in the database); finish pending edits."""
        self.bot.jobs.unregister(CLOSE_JOB)
        self.bot.modals.unroute(COMMENT_FORM)
        await self.kit.flush()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per start, re-show the counts of open polls: a coalesced edit still pending when
        the process died would otherwise leave stale counts until the next vote."""
        if self._counts_reshown:
            return
        self._counts_reshown = True
        for poll in await self.services.polls.open_posted():
            guild = self.bot.get_guild(poll.guild_id)
            if guild is not None and not (poll.kind == "poll" and poll.hide_results):
                self.kit.refresh_soon(guild, poll.id)

    # -- buttons -------------------------------------------------------------------------------
    async def press(self, interaction: discord.Interaction[VouchBot], rest: str) -> None:
        """Any `poll:` button: a vote, or "Add a comment". Anything else is refused."""
        if vote := _VOTE.fullmatch(rest):
            await self.press_vote(interaction, int(vote["poll"]), int(vote["option"]))
        elif comment := _COMMENT.fullmatch(rest):
            await self.press_comment(interaction, int(comment["poll"]))
        else:
            raise DomainError("poll.button.invalid")

    async def press_vote(
        self, interaction: discord.Interaction[VouchBot], poll_id: int, position: int
    ) -> None:
        """Vote, move the vote, or take it back; the answer says where the member stands."""
        guild, member = guild_member(interaction)
        ballot = await self.services.polls.vote(
            guild.id,
            poll_id,
            member.id,
            position,
            [role.id for role in member.roles],
            via_message=interaction.message.id if interaction.message else None,
        )
        locale = interaction.locale
        if ballot.poll.kind == "poll":
            await interaction.response.send_message(ballot_text(ballot, locale), ephemeral=True)
        else:
            score = ballot.poll.options[position]
            await interaction.response.send_message(
                t(f"survey.answered.{ballot.poll.kind}", locale, score=score),
                view=comment_view(ballot.poll, locale),
                ephemeral=True,
            )
        if ballot.changed:
            self.kit.refresh_soon(guild, ballot.poll.id)

    async def press_comment(self, interaction: discord.Interaction[VouchBot], poll_id: int) -> None:
        """Open the comment form (only for surveys still open)."""
        guild, _ = guild_member(interaction)
        poll = await self.services.polls.get(guild.id, poll_id)
        if poll.kind == "poll":
            raise DomainError("poll.button.invalid")
        if not poll.accepts_votes(self.services.clock()):
            raise DomainError("poll.closed")
        await show_modal(interaction, CommentForm(poll, interaction.locale))

    async def submit_comment(
        self,
        interaction: discord.Interaction[VouchBot],
        match: re.Match[str],
        values: dict[str, str],
    ) -> None:
        """Keep the comment with the member's answer."""
        guild, member = guild_member(interaction)
        if not _FORM_ID.fullmatch(match["id"]):
            raise DomainError("poll.form.invalid")
        await self.services.polls.comment(
            guild.id, int(match["id"]), member.id, values.get("comment", "")
        )
        await interaction.response.send_message(
            t("survey.comment.saved", interaction.locale), ephemeral=True
        )

    # -- the deadline --------------------------------------------------------------------------
    async def run_close(self, job: Job) -> None:
        """A poll's deadline: close it (once) and announce the results."""
        poll_id = int(job.payload["poll_id"])
        guild_id = job.guild_id or 0
        try:
            closing = await self.services.polls.close(guild_id, poll_id)
        except DomainError:  # removed meanwhile
            return
        guild = self.bot.get_guild(guild_id)
        if closing.changed and guild is not None:
            await self.kit.announce_close(guild, closing.poll)


def ballot_text(ballot: Ballot, locale: object) -> str:
    """Where the member stands after a click on a poll."""
    if not ballot.chosen:
        return t("poll.vote.withdrawn", locale)
    labels = ", ".join(f"**{ballot.poll.options[position]}**" for position in ballot.chosen)
    key = "poll.vote.recorded_multi" if ballot.poll.multi else "poll.vote.recorded"
    return t(key, locale, choices=labels)
