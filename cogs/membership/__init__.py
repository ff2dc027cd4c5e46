"""Membership by introduction: /introduce, joins and their attribution, the gate, admission."""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.services.membership.models import Introduction
from bot.ui import report_error
from cogs.membership._commands import MembershipCommands
from cogs.membership._gate import (
    AcceptRules,
    ApprovalButton,
    GatePanel,
    handle_modal_submit,
    post_panel,
)
from cogs.membership._joins import Joins
from cogs.membership._kit import MembershipKit


class Gate(commands.Cog):
    """Routes the gate's modal submissions (they survive restarts; see `_gate`)."""

    def __init__(self, kit: MembershipKit) -> None:
        self.kit = kit

    async def seats_opened(self, guild: discord.Guild, promoted: Sequence[Introduction]) -> None:
        """Send the invites of introductions that just got a seat."""
        await self.kit.deliver_promoted(guild, promoted)

    async def post_panel(self, guild: discord.Guild) -> discord.Message:
        """Post or refresh the gate panel in the welcome channel."""
        return await post_panel(self.kit, guild)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Handle our modal submissions, rendering any error like every other interaction."""
        try:
            await handle_modal_submit(interaction)
        except Exception as error:
            await report_error(interaction, error)


async def setup(bot: VouchBot) -> None:
    """Extension entry point: one kit shared by the membership cogs."""
    kit = MembershipKit(bot)
    bot.add_view(GatePanel())
    bot.add_dynamic_items(AcceptRules, ApprovalButton)
    await bot.add_cog(Gate(kit))
    await bot.add_cog(Joins(kit))
    await bot.add_cog(MembershipCommands(kit))
