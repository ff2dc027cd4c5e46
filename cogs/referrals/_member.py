"""What members do: their link, their store code, their preferences, stats and leaderboard."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.guild_config import GuildConfig
from bot.services.membership.models import Seats
from cogs.membership._kit import MembershipKit
from cogs.referrals._render import render_leaderboard, render_stats

Period = Literal["month", "quarter", "all"]


async def member_context(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member, GuildConfig]:
    """The guild, the invoking member and the guild's config (guild-only commands)."""
    guild, user = interaction.guild, interaction.user
    if guild is None or not isinstance(user, discord.Member):
        raise DomainError("errors.guild_only")
    return guild, user, await interaction.client.services.config.get(guild.id)


async def members_only(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member, GuildConfig]:
    """As member_context, refusing people who aren't members (yet)."""
    guild, member, config = await member_context(interaction)
    if not has_role(member, config, "member"):
        raise DomainError("referral.members_only")
    return guild, member, config


class MemberCommands(commands.Cog):
    """Mixed into the /referral group."""

    bot: VouchBot
    kit: MembershipKit

    @app_commands.command(name="link", description="Your personal invite link to the community")
    async def link(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The member's reusable tracked invite: made once, made again if it was deleted."""
        guild, member, config = await members_only(interaction)
        services = self.bot.services
        existed, code = await services.referral_links.current(guild.id, member.id)
        if code is not None and not await self._invite_exists(code):
            await services.referral_links.invite_gone(guild.id, code)
            code = None
        remade = existed and code is None
        if code is None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            code = await self._make_invite(guild, member, config)
            await services.referral_links.save(guild.id, member.id, code)
        seats = await services.members.seats(guild.id)
        lines = [
            t("referral.link.remade" if remade else "referral.link.yours", interaction.locale),
            f"https://discord.gg/{code}",
            t("referral.link.how", interaction.locale),
        ]
        if _full(seats):
            lines.append(t("referral.link.full", interaction.locale))
        await _reply(interaction, "\n".join(lines))

    async def _invite_exists(self, code: str) -> bool:
        try:
            await self.bot.fetch_invite(code, with_counts=False)
        except discord.NotFound:
            return False
        return True

    async def _make_invite(
        self, guild: discord.Guild, member: discord.Member, config: GuildConfig
    ) -> str:
        channel = guild.get_channel(config.channels.get("welcome", 0))
        if not isinstance(channel, discord.TextChannel):
            raise DomainError("membership.no_welcome_channel")
        invite = await self.kit.create_invite(
            channel, max_age=0, max_uses=0, reason=f"Vouch: referral link of {member.id}"
        )
        return invite.code

    @app_commands.command(name="code", description="Your personal store referral code")
    async def code(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The member's code (made on first use) and the link they share."""
        guild, member, _ = await members_only(interaction)
        made = await self.bot.services.referral_codes.code_for(
            guild.id, member.id, member.display_name
        )
        content = t(
            "referral.code.yours",
            interaction.locale,
            code=made.code,
            url=made.share_url or t("referral.code.no_url", interaction.locale),
        )
        await interaction.response.send_message(content, ephemeral=True)

    @app_commands.command(name="me", description="Register the email you shop with")
    @app_commands.describe(
        email="The email of your store account (only a one-way hash is kept)",
        forget="Remove the email you registered",
    )
    async def me(
        self,
        interaction: discord.Interaction[VouchBot],
        email: app_commands.Range[str, 3, 254] | None = None,
        forget: bool = False,
    ) -> None:
        """So the member's own purchases with their code are not credited to them."""
        guild, member, _ = await members_only(interaction)
        links = self.bot.services.referral_links
        if forget:
            await links.register_email(guild.id, member.id, None)
            key = "referral.me.forgotten"
        elif email is not None:
            await links.register_email(guild.id, member.id, email)
            key = "referral.me.saved"
        else:
            profile = await links.profile(guild.id, member.id)
            key = "referral.me.registered" if profile.email_registered else "referral.me.none"
        await interaction.response.send_message(t(key, interaction.locale), ephemeral=True)

    @app_commands.command(
        name="announcements", description="Whether your referral milestones are announced"
    )
    @app_commands.describe(enabled="Announce my milestones to the community")
    async def announcements(
        self, interaction: discord.Interaction[VouchBot], enabled: bool
    ) -> None:
        """Opt in or out of milestone announcements (rewards are the same either way)."""
        guild, member, _ = await member_context(interaction)
        await self.bot.services.referral_links.set_announce(guild.id, member.id, enabled)
        key = "referral.announcements.on" if enabled else "referral.announcements.off"
        await interaction.response.send_message(t(key, interaction.locale), ephemeral=True)

    @app_commands.command(
        name="showcase", description="Whether you are named among the top referrers"
    )
    @app_commands.describe(enabled="Name me among the top referrers in the weekly digest")
    async def showcase(self, interaction: discord.Interaction[VouchBot], enabled: bool) -> None:
        """Opt in (or back out) of being named among the top referrers: the digest and the
        founders' health view. Nobody is named without opting in."""
        guild, member, _ = await members_only(interaction)
        await self.bot.services.referral_links.set_showcase(guild.id, member.id, enabled)
        key = "referral.showcase.on" if enabled else "referral.showcase.off"
        await interaction.response.send_message(t(key, interaction.locale), ephemeral=True)

    @app_commands.command(name="stats", description="Joins and sales a member brought")
    @app_commands.describe(member="Whose figures (moderators); yourself if left empty")
    async def stats(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member | None = None,
    ) -> None:
        """A member's joins (with integrity flags), orders and revenue per currency."""
        guild, invoker, config = await member_context(interaction)
        target = member or invoker
        if target.id != invoker.id and not is_moderator(invoker, config):
            raise CheckRefused(DomainError("errors.moderator_required"))
        services = self.bot.services
        settings = await services.referral_codes.settings(guild.id)
        figures = await services.referral_insight.stats(guild.id, settings, target.id)
        await interaction.response.send_message(
            render_stats(figures, target.mention, interaction.locale), ephemeral=True
        )

    @app_commands.command(name="leaderboard", description="Who brought the most sales")
    @app_commands.describe(period="This month, this quarter, or all time")
    async def leaderboard(
        self, interaction: discord.Interaction[VouchBot], period: Period = "month"
    ) -> None:
        """Ranked by credited paid orders; ties go to more joins still here."""
        guild, _, config = await member_context(interaction)
        services = self.bot.services
        settings = await services.referral_codes.settings(guild.id)
        ranks = await services.referral_insight.leaderboard(
            guild.id, settings, period, config.timezone
        )
        label = t(f"referral.period.{period}", interaction.locale)
        await interaction.response.send_message(
            render_leaderboard(ranks, label, interaction.locale), ephemeral=True
        )


def _full(seats: Seats) -> bool:
    return seats.free == 0 or (seats.free is not None and seats.waitlisted > 0)


async def _reply(interaction: discord.Interaction[VouchBot], content: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)
