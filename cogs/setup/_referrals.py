"""/setup referrals settings|milestone: codes, the store, integrity windows and milestones.

Discord lets a command group hold subcommands but no options of its own, so the referral
settings are `/setup referrals settings ...` next to `/setup referrals milestone ...`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.referrals.rewards import Milestone
from cogs.setup._roles import check_role_to_hand_out


def render_milestones(milestones: list[Milestone], locale: object) -> str:
    """The milestones, smallest first, or a line saying there are none."""
    if not milestones:
        return t("setup.referrals.no_milestones", locale)
    return "\n".join(
        t("setup.referrals.milestone_line", locale, orders=m.orders, role=f"<@&{m.role_id}>")
        for m in milestones
    )


class ReferralSetup(commands.Cog):
    """Mixed into the /setup group (its commands become /setup subcommands)."""

    bot: VouchBot

    referrals = app_commands.Group(name="referrals", description="Referral program settings")

    @referrals.command(name="settings", description="Referral code prefix, store link and checks")
    @app_commands.describe(
        code_prefix="Prefix of members' codes, or {name} for each member's name",
        store_url="Share link, with {code} where the code goes",
        shop="Your Shopify shop domain (brand.myshopify.com), for store webhooks",
        young_account_days="Joins from accounts younger than this are flagged (default 7)",
        early_leave_days="Joins that leave within this many days are flagged (default 14)",
    )
    async def referral_settings(
        self,
        interaction: discord.Interaction[VouchBot],
        code_prefix: app_commands.Range[str, 1, 16] | None = None,
        store_url: app_commands.Range[str, 1, 300] | None = None,
        shop: app_commands.Range[str, 3, 255] | None = None,
        young_account_days: app_commands.Range[int, 0, 365] | None = None,
        early_leave_days: app_commands.Range[int, 0, 365] | None = None,
    ) -> None:
        """Change (or show) the referral settings."""
        assert interaction.guild_id is not None
        saved = await self.bot.services.referral_codes.set_settings(
            interaction.guild_id,
            code_prefix=code_prefix,
            store_url=store_url,
            shop_domain=shop,
            young_account_days=young_account_days,
            early_leave_days=early_leave_days,
        )
        milestones = await self.bot.services.rewards.milestones(interaction.guild_id)
        none = t("referral.code.no_url", interaction.locale)
        text = t(
            "setup.referrals.saved",
            interaction.locale,
            prefix=saved.code_prefix,
            url=saved.store_url or none,
            shop=saved.shop_domain or none,
            young=saved.young_account_days,
            early=saved.early_leave_days,
        )
        await interaction.response.send_message(
            text + "\n" + render_milestones(milestones, interaction.locale), ephemeral=True
        )

    @referrals.command(name="milestone", description="A role given at a number of referred orders")
    @app_commands.describe(
        orders="Paid referred orders needed",
        role="The role given (and announced) at that many orders",
        remove="Remove this milestone instead",
    )
    async def milestone(
        self,
        interaction: discord.Interaction[VouchBot],
        orders: app_commands.Range[int, 1, 100000],
        role: discord.Role | None = None,
        remove: bool = False,
    ) -> None:
        """Add, change or remove a milestone."""
        assert interaction.guild_id is not None
        rewards = self.bot.services.rewards
        if remove:
            milestones = await rewards.remove_milestone(interaction.guild_id, orders)
        else:
            if role is None:
                await interaction.response.send_message(
                    t("setup.referrals.role_needed", interaction.locale), ephemeral=True
                )
                return
            check_role_to_hand_out(interaction, role)
            milestones = await rewards.set_milestone(interaction.guild_id, orders, role.id)
        await interaction.response.send_message(
            render_milestones(milestones, interaction.locale), ephemeral=True
        )
