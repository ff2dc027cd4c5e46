"""What moderators do: import referred orders, export the figures, run the reward-code pool."""

from __future__ import annotations

import codecs
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.referrals.orders import MAX_BYTES
from cogs.referrals._member import member_context
from cogs.referrals._render import csv_bytes, render_attention, render_problems, render_report

CODES_MAX_BYTES = 1024 * 1024


async def moderators_only(interaction: discord.Interaction[VouchBot]) -> discord.Guild:
    """The guild, after checking at run time that the invoker moderates."""
    guild, member, config = await member_context(interaction)
    if not is_moderator(member, config):
        raise CheckRefused(DomainError("errors.moderator_required"))
    return guild


async def read_text(file: discord.Attachment, limit: int) -> io.TextIOWrapper:
    """An uploaded CSV as a text stream: size checked before downloading, UTF-8 (with or
    without BOM) checked before anything is imported. The file is decoded as it is read, so a
    large import holds its bytes once rather than also as one big string."""
    if file.size > limit:
        raise DomainError("referral.import.too_big", limit=_mib(limit))
    data = await file.read()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 16):
            decoder.decode(data[start : start + (1 << 16)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DomainError("referral.import.encoding") from None
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def _mib(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


class ModerationCommands(commands.Cog):
    """Mixed into the /referral group."""

    bot: VouchBot

    rewards = app_commands.Group(name="rewards", description="Reward codes for milestones")

    @app_commands.command(name="import", description="Import referred orders from a CSV file")
    @app_commands.describe(file="CSV: order_id, code, amount, currency, created_at, status")
    async def import_orders(
        self, interaction: discord.Interaction[VouchBot], file: discord.Attachment
    ) -> None:
        """Import orders (moderators): added, updated and rejected lines are reported."""
        guild = await moderators_only(interaction)
        if file.size > MAX_BYTES:
            raise DomainError("referral.import.too_big", limit=_mib(MAX_BYTES))
        await interaction.response.defer(ephemeral=True, thinking=True)
        stream = await read_text(file, MAX_BYTES)
        report = await self.bot.services.orders.import_csv(guild.id, stream)
        if report.referrers:
            self.bot.dispatch("referral_orders", guild.id, report.referrers)
        await interaction.followup.send(render_report(report, interaction.locale), ephemeral=True)

    @app_commands.command(name="export", description="Referral figures per member, as a CSV file")
    async def export(self, interaction: discord.Interaction[VouchBot]) -> None:
        """One row per member: joins with flags, orders, revenue per currency (moderators)."""
        guild = await moderators_only(interaction)
        services = self.bot.services
        settings = await services.referral_codes.settings(guild.id)
        header, rows = await services.referral_insight.export(guild.id, settings)
        stamp = services.clock().strftime("%Y-%m-%d")
        file = discord.File(io.BytesIO(csv_bytes(header, rows)), f"referrals-{stamp}.csv")
        await interaction.response.send_message(
            t("referral.export.done", interaction.locale, count=len(rows)),
            file=file,
            ephemeral=True,
        )

    @rewards.command(name="add", description="Upload single-use store-credit codes")
    @app_commands.describe(file="A CSV file with one code per line")
    async def rewards_add(
        self, interaction: discord.Interaction[VouchBot], file: discord.Attachment
    ) -> None:
        """Add codes to the pool; members owed a code get one now."""
        guild = await moderators_only(interaction)
        if file.size > CODES_MAX_BYTES:
            raise DomainError("referral.import.too_big", limit=_mib(CODES_MAX_BYTES))
        await interaction.response.defer(ephemeral=True, thinking=True)
        stream = await read_text(file, CODES_MAX_BYTES)
        report = await self.bot.services.rewards.add_codes(guild.id, stream)
        if report.given:
            self.bot.jobs.poke()
        summary = t(
            "referral.rewards.added",
            interaction.locale,
            added=report.added,
            duplicates=report.duplicates,
            rejected=report.rejected,
            given=len(report.given),
            available=report.available,
        )
        await interaction.followup.send(
            render_problems(summary, report.problems, report.rejected, interaction.locale),
            ephemeral=True,
        )

    @rewards.command(name="status", description="The code pool and rewards that need you")
    async def rewards_status(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Codes left; rewards held (member left), undeliverable, owed a code, or below after a
        refund (a delivered code is never taken back)."""
        guild = await moderators_only(interaction)
        rewards = self.bot.services.rewards
        awards = await rewards.attention(guild.id)
        available = await rewards.available(guild.id)
        await interaction.response.send_message(
            render_attention(awards, available, interaction.locale), ephemeral=True
        )

    @rewards.command(name="release", description="Give a returning member their held rewards")
    @app_commands.describe(member="The member whose rewards were held")
    async def rewards_release(
        self, interaction: discord.Interaction[VouchBot], member: discord.Member
    ) -> None:
        """Held rewards run again: role, announcement, code."""
        guild = await moderators_only(interaction)
        released = await self.bot.services.rewards.release(guild.id, member.id)
        if released:
            self.bot.jobs.poke()
        await interaction.response.send_message(
            t(
                "referral.rewards.released",
                interaction.locale,
                member=member.mention,
                count=len(released),
            ),
            ephemeral=True,
        )
