"""/referral: personal links and store codes, referred orders, rewards and figures."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from cogs.membership._kit import MembershipKit
from cogs.referrals._member import MemberCommands
from cogs.referrals._moderation import ModerationCommands
from cogs.referrals._render import render_report
from cogs.referrals._rewards import RewardRunner

__all__ = ["Referrals", "RewardRunner", "render_report"]


@app_commands.guild_only()
class Referrals(
    MemberCommands,
    ModerationCommands,
    commands.GroupCog,
    group_name="referral",
    group_description="Referral links, codes and referred sales",
):
    """Referral commands."""

    def __init__(self, bot: VouchBot, kit: MembershipKit) -> None:
        self.bot = bot
        self.kit = kit
        super().__init__()


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    runner = RewardRunner(bot)
    await bot.add_cog(runner)
    await bot.add_cog(Referrals(bot, runner.kit))
