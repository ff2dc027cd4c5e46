"""/setup referrals: the referral code prefix and the store's share URL."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t


class ReferralSetup(commands.Cog):
    """Mixed into the /setup group (its commands become /setup subcommands)."""

    bot: VouchBot

    @app_commands.command(name="referrals", description="Referral code prefix and store link")
    @app_commands.describe(
        code_prefix="Prefix of members' codes, or {name} for each member's name",
        store_url="Share link, with {code} where the code goes",
    )
    async def referrals(
        self,
        interaction: discord.Interaction[VouchBot],
        code_prefix: app_commands.Range[str, 1, 16] | None = None,
        store_url: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """Change (or show) the referral settings."""
        assert interaction.guild_id is not None
        prefix, url = await self.bot.services.referral_codes.set_settings(
            interaction.guild_id, code_prefix=code_prefix, store_url=store_url
        )
        await interaction.response.send_message(
            t(
                "setup.referrals.saved",
                interaction.locale,
                prefix=prefix,
                url=url or t("referral.code.no_url", interaction.locale),
            ),
            ephemeral=True,
        )
