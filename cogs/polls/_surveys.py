"""/survey: NPS questions (0-10 buttons, then an optional comment) and survey results."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.feedback.surveys import SCALES
from cogs.polls._kit import PollKit
from cogs.polls._render import chart_caption, jump_url, report_text


@app_commands.guild_only()
class SurveyCommands(
    commands.GroupCog, group_name="survey", group_description="NPS surveys and their results"
):
    """The /survey group."""

    def __init__(self, bot: VouchBot, kit: PollKit) -> None:
        self.bot = bot
        self.kit = kit
        super().__init__()

    @app_commands.command(name="nps", description="Ask how likely members are to recommend us")
    @app_commands.describe(
        question="What you ask (a standard question when left out)",
        product="What it is about",
    )
    async def nps(
        self,
        interaction: discord.Interaction[VouchBot],
        question: app_commands.Range[str, 1, 300] | None = None,
        product: app_commands.Range[str, 1, 80] | None = None,
    ) -> None:
        """Posts a 0-10 question in this channel (moderators)."""
        guild, member = await self.kit.require_moderator(interaction)
        if question is None:
            locale = await self.bot.guild_locale(guild)
            if product is None:
                question = t("survey.nps.default", locale)
            else:
                question = t("survey.nps.default_product", locale, product=product)
        poll = await self.bot.services.polls.create_nps(
            guild.id, member.id, question=question, product=product
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.kit.post(interaction, poll)
        await interaction.followup.send(
            t("poll.created", interaction.locale, id=poll.id, url=jump_url(poll)), ephemeral=True
        )

    @app_commands.command(name="results", description="NPS and ratings, per product and month")
    @app_commands.describe(product="Only this product")
    async def results(
        self,
        interaction: discord.Interaction[VouchBot],
        product: app_commands.Range[str, 1, 80] | None = None,
    ) -> None:
        """NPS with promoters and detractors, its trend by month, ratings (moderators)."""
        guild, _ = await self.kit.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.services.polls.survey_report(guild.id, product)
        locale = str(interaction.locale)
        text = report_text(report, locale)
        score = report.nps if report.nps.n else report.rating
        if not score.n:
            await interaction.followup.send(text, ephemeral=True)
            return
        title = t(
            f"survey.chart.title.{score.kind}",
            locale,
            scope=product or t("survey.results.all_products", locale),
        )
        chart = await self.kit.distribution(
            title,
            [str(v) for v in SCALES[score.kind]],
            score.counts,
            locale,
            subtitle=chart_caption(score, locale),
        )
        if chart is None:
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.followup.send(text, file=chart, ephemeral=True)
