"""/referral code and /referral import: personal store codes and referred orders from the store."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.guild_config import GuildConfig
from bot.services.referrals.orders import MAX_BYTES, ImportReport

REPLY_LIMIT = 1_900


def render_report(report: ImportReport, locale: object) -> str:
    """The import summary and the first rejected lines, within one message."""
    lines = [
        t(
            "referral.import.summary",
            locale,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )
    ]
    for problem in report.problems:
        lines.append("- " + t(problem.key, locale, line=problem.line, value=problem.value))
    if report.rejected > len(report.problems):
        lines.append(t("list.more", locale, count=report.rejected - len(report.problems)))
    text = "\n".join(lines)
    return text if len(text) <= REPLY_LIMIT else text[: REPLY_LIMIT - 1] + "…"


@app_commands.guild_only()
class Referrals(
    commands.GroupCog, group_name="referral", group_description="Referral codes and referred sales"
):
    """Referral commands."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        super().__init__()

    async def _config(self, interaction: discord.Interaction[VouchBot]) -> GuildConfig:
        if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
            raise DomainError("errors.guild_only")
        return await self.services.config.get(interaction.guild_id)

    @app_commands.command(name="code", description="Your personal store referral code")
    async def code(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The member's code (made on first use) and the link they share."""
        config = await self._config(interaction)
        assert isinstance(interaction.user, discord.Member) and interaction.guild_id
        if not has_role(interaction.user, config, "member"):
            raise DomainError("referral.members_only")
        made = await self.services.referral_codes.code_for(
            interaction.guild_id, interaction.user.id, interaction.user.display_name
        )
        content = t(
            "referral.code.yours",
            interaction.locale,
            code=made.code,
            url=made.share_url or t("referral.code.no_url", interaction.locale),
        )
        await interaction.response.send_message(content, ephemeral=True)

    @app_commands.command(name="import", description="Import referred orders from a CSV file")
    @app_commands.describe(file="CSV: order_id, code, amount, currency, created_at, status")
    async def import_orders(
        self, interaction: discord.Interaction[VouchBot], file: discord.Attachment
    ) -> None:
        """Import orders (moderators): added, updated and rejected lines are reported."""
        config = await self._config(interaction)
        assert isinstance(interaction.user, discord.Member) and interaction.guild_id
        if not is_moderator(interaction.user, config):
            raise CheckRefused(DomainError("errors.moderator_required"))
        if file.size > MAX_BYTES:
            raise DomainError("referral.import.too_big", limit=MAX_BYTES // (1024 * 1024))
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("referral.import.encoding") from None
        report = await self.services.orders.import_csv(interaction.guild_id, io.StringIO(text))
        await interaction.followup.send(render_report(report, interaction.locale), ephemeral=True)


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Referrals(bot))
