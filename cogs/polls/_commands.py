"""/poll: create, close, results, export, and 1-5 product ratings."""

from __future__ import annotations

import csv
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.polls import Poll, parse_closes
from cogs.polls._kit import PollKit, guild_member
from cogs.polls._render import fit, jump_url, results_text


async def poll_choices(
    interaction: discord.Interaction[VouchBot], current: str
) -> list[app_commands.Choice[int]]:
    """The guild's polls, open ones first, matching what was typed (id or words)."""
    if interaction.guild_id is None:
        return []
    polls = await interaction.client.services.polls.recent(interaction.guild_id)
    typed = current.strip().lstrip("#").casefold()
    return [
        app_commands.Choice(name=f"#{poll.id} {poll.question}"[:100], value=poll.id)
        for poll in polls
        if not typed or typed in f"{poll.id} {poll.question}".casefold()
    ][:25]


def csv_bytes(header: tuple[str, ...], rows: tuple[dict[str, object], ...]) -> bytes:
    """A UTF-8 CSV (with a BOM, so spreadsheet apps read accents right)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@app_commands.guild_only()
class PollCommands(
    commands.GroupCog, group_name="poll", group_description="Polls and product ratings"
):
    """The /poll group."""

    def __init__(self, bot: VouchBot, kit: PollKit) -> None:
        self.bot = bot
        self.kit = kit
        super().__init__()

    @app_commands.command(name="create", description="Post a poll with one button per option")
    @app_commands.describe(
        question="What you ask",
        options="2 to 10 options, separated by ; (each up to 80 characters)",
        multi="Members may pick several options",
        anonymous="Nobody can see who voted for what",
        hide_results="Hide the counts until the poll closes",
        closes="When it closes: 3d, 12h, 90m or a date (otherwise with /poll close)",
        role="Only members with this role may vote",
    )
    async def create(
        self,
        interaction: discord.Interaction[VouchBot],
        question: app_commands.Range[str, 1, 300],
        options: app_commands.Range[str, 1, 1000],
        multi: bool = False,
        anonymous: bool = False,
        hide_results: bool = False,
        closes: app_commands.Range[str, 1, 100] | None = None,
        role: discord.Role | None = None,
    ) -> None:
        """Checks everything, then posts the poll in this channel (moderators)."""
        guild, member = await self.kit.require_moderator(interaction)
        services = self.bot.services
        closes_at = None
        if closes is not None:
            config = await services.config.get(guild.id)
            closes_at = parse_closes(
                closes, locale=str(interaction.locale), tz=config.timezone, now=services.clock()
            )
        poll = await services.polls.create_poll(
            guild.id,
            member.id,
            question=question,
            options=options,
            multi=multi,
            anonymous=anonymous,
            hide_results=hide_results,
            closes_at=closes_at,
            role_id=role.id if role is not None and not role.is_default() else None,
        )
        await self._post(interaction, poll)

    @app_commands.command(name="rating", description="Ask members to rate a product from 1 to 5")
    @app_commands.describe(product="What is rated", question="What you ask")
    async def rating(
        self,
        interaction: discord.Interaction[VouchBot],
        product: app_commands.Range[str, 1, 80],
        question: app_commands.Range[str, 1, 300],
    ) -> None:
        """Posts a 1-5 rating in this channel (moderators)."""
        guild, member = await self.kit.require_moderator(interaction)
        poll = await self.bot.services.polls.create_rating(
            guild.id, member.id, product=product, question=question
        )
        await self._post(interaction, poll)

    async def _post(self, interaction: discord.Interaction[VouchBot], poll: Poll) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.kit.post(interaction, poll)
        await interaction.followup.send(
            t("poll.created", interaction.locale, id=poll.id, url=jump_url(poll)), ephemeral=True
        )

    @app_commands.command(name="close", description="Close a poll now and post its results")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_choices)
    async def close(self, interaction: discord.Interaction[VouchBot], poll: int) -> None:
        """Closes a poll (moderators, or whoever asked it)."""
        guild, member = guild_member(interaction)
        polls = self.bot.services.polls
        target = await polls.get(guild.id, poll)
        if member.id != target.author_id and not await self.kit.is_moderator(member):
            raise DomainError("errors.moderator_required")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closing = await polls.close(guild.id, target.id)
        if closing.changed:
            await self.kit.announce_close(guild, closing.poll)
        key = "poll.closed_now" if closing.changed else "poll.already_closed"
        await interaction.followup.send(t(key, interaction.locale, id=target.id), ephemeral=True)

    @app_commands.command(name="results", description="A poll's results, with a chart")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_choices)
    async def results(self, interaction: discord.Interaction[VouchBot], poll: int) -> None:
        """Results of a closed poll (everyone), or of an open one (moderators)."""
        guild, member = guild_member(interaction)
        polls = self.bot.services.polls
        target = await polls.get(guild.id, poll)
        if target.is_open and not await self.kit.is_moderator(member):
            raise DomainError("poll.results.not_yet")
        await interaction.response.defer(ephemeral=True, thinking=True)
        counts = await polls.counts(target)
        locale = str(interaction.locale)
        chart = await self.kit.chart(target, counts, locale)
        text = results_text(target, counts, locale)
        if chart is None:
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.followup.send(text, file=chart, ephemeral=True)

    @app_commands.command(name="export", description="A poll's votes as a CSV file")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_choices)
    async def export(self, interaction: discord.Interaction[VouchBot], poll: int) -> None:
        """One row per vote (named polls and surveys) or per option (anonymous polls)."""
        guild, _ = await self.kit.require_moderator(interaction)
        exported = await self.bot.services.polls.export(guild.id, poll)
        file = discord.File(
            io.BytesIO(csv_bytes(exported.header, exported.rows)), filename=f"poll-{poll}.csv"
        )
        await interaction.response.send_message(
            fit(t("poll.exported", interaction.locale, id=poll, count=len(exported.rows))),
            file=file,
            ephemeral=True,
        )
