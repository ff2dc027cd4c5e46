"""Discord side effects of polls: the post, its coalesced live count, closing, charts."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence

import discord

from bot.charts import render_bar_chart, render_distribution
from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.polls import Poll
from bot.services.feedback.surveys import SCALES
from cogs.polls._buttons import poll_view
from cogs.polls._render import chart_subtitle, fit, jump_url, poll_embed, results_text

log = logging.getLogger(__name__)

#: Seconds: the votes of a burst become one edit of the poll (Discord limits edits per channel).
REFRESH_DELAY = 2.0
Postable = discord.TextChannel | discord.Thread | discord.VoiceChannel


def guild_member(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member]:
    """The guild and the invoking member (poll commands and buttons exist in guilds only)."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise DomainError("errors.guild_only")
    return interaction.guild, interaction.user


class PollKit:
    """What the poll cogs do on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._refreshes: dict[int, asyncio.Task[None]] = {}

    async def is_moderator(self, member: discord.Member) -> bool:
        """Moderators, founders and server managers."""
        return is_moderator(member, await self.services.config.get(member.guild.id))

    async def require_moderator(
        self, interaction: discord.Interaction[VouchBot]
    ) -> tuple[discord.Guild, discord.Member]:
        """Moderators only, checked at run time."""
        guild, member = guild_member(interaction)
        if not await self.is_moderator(member):
            raise CheckRefused(DomainError("errors.moderator_required"))
        return guild, member

    # -- the post ------------------------------------------------------------------------------
    async def post(self, interaction: discord.Interaction[VouchBot], poll: Poll) -> Poll:
        """Post the poll where the command was run; if Discord refuses, the poll is removed."""
        channel = interaction.channel
        assert interaction.guild is not None
        if not isinstance(channel, Postable):
            await self.services.polls.remove(poll.guild_id, poll.id)
            raise DomainError("poll.cannot_post")
        locale = await self.bot.guild_locale(interaction.guild)
        counts = await self.services.polls.counts(poll)
        try:
            message = await channel.send(
                embed=poll_embed(poll, counts, locale), view=poll_view(poll, locale)
            )
        except discord.HTTPException:
            await self.services.polls.remove(poll.guild_id, poll.id)
            raise DomainError("poll.cannot_post") from None
        await self.services.polls.set_message(poll.id, channel.id, message.id)
        return await self.services.polls.get(poll.guild_id, poll.id)

    def refresh_soon(self, guild: discord.Guild, poll_id: int) -> None:
        """Edit the poll's live count after a short pause (one edit per burst)."""
        if poll_id in self._refreshes:
            return
        self._refreshes[poll_id] = asyncio.create_task(self._refresh_later(guild, poll_id))

    async def _refresh_later(self, guild: discord.Guild, poll_id: int) -> None:
        try:
            await asyncio.sleep(REFRESH_DELAY)
        finally:
            self._refreshes.pop(poll_id, None)
        await self.refresh(guild, poll_id)

    async def refresh(self, guild: discord.Guild, poll_id: int) -> None:
        """Edit the poll's message now (counts; buttons disabled once closed)."""
        try:
            poll = await self.services.polls.get(guild.id, poll_id)
        except DomainError:
            return
        channel = guild.get_channel_or_thread(poll.channel_id or 0)
        if not isinstance(channel, Postable) or poll.message_id is None:
            return
        locale = await self.bot.guild_locale(guild)
        counts = await self.services.polls.counts(poll)
        try:
            await channel.get_partial_message(poll.message_id).edit(
                embed=poll_embed(poll, counts, locale), view=poll_view(poll, locale)
            )
        except discord.HTTPException as error:
            log.warning("poll %s: could not edit its message (%s)", poll.id, error.status)

    async def flush(self) -> None:
        """Wait for pending poll edits (tests and shutdown)."""
        while self._refreshes:
            await asyncio.gather(*self._refreshes.values(), return_exceptions=True)

    # -- closing -------------------------------------------------------------------------------
    async def announce_close(self, guild: discord.Guild, poll: Poll) -> None:
        """After a close: the post shows the results with its buttons off, and the results are
        posted below it with the chart."""
        pending = self._refreshes.pop(poll.id, None)
        if pending is not None:
            pending.cancel()
        await self.refresh(guild, poll.id)
        channel = guild.get_channel_or_thread(poll.channel_id or 0)
        if not isinstance(channel, Postable):
            return
        locale = await self.bot.guild_locale(guild)
        counts = await self.services.polls.counts(poll)
        text = results_text(poll, counts, locale)
        if poll.message_id is not None:
            text = fit(f"{text}\n{t('poll.results.link', locale, url=jump_url(poll))}")
        chart = await self.chart(poll, counts, locale)
        try:
            if chart is None:
                await channel.send(text)
            else:
                await channel.send(text, file=chart)
        except discord.HTTPException as error:
            log.warning("poll %s: could not post its results (%s)", poll.id, error.status)

    # -- charts --------------------------------------------------------------------------------
    async def chart(self, poll: Poll, counts: Sequence[int], locale: str) -> discord.File | None:
        """A poll's results chart: bars per option, or a survey's distribution."""
        title = poll.question if len(poll.question) <= 120 else poll.question[:119] + "…"
        if poll.kind != "poll":
            labels = [str(value) for value in SCALES[poll.kind]]
            subtitle = chart_subtitle(poll, counts, locale)
            return await self.distribution(title, labels, counts, locale, subtitle=subtitle)
        try:
            png = await render_bar_chart(title, poll.options, counts, locale)
        except Exception:
            log.exception("poll %s: could not draw its chart", poll.id)
            return None
        return discord.File(io.BytesIO(png), filename=f"poll-{poll.id}.png")

    async def distribution(
        self,
        title: str,
        labels: Sequence[str],
        counts: Sequence[int],
        locale: str,
        *,
        subtitle: str | None = None,
    ) -> discord.File | None:
        """A 1-5 or 0-10 distribution chart; None when it cannot be drawn (the text has every
        figure anyway)."""
        try:
            png = await render_distribution(title, labels, counts, locale, subtitle=subtitle)
        except Exception:
            log.exception("could not draw a distribution chart")
            return None
        return discord.File(io.BytesIO(png), filename="distribution.png")
