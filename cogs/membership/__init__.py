"""Membership by introduction: /introduce, joins and their attribution, the gate, admission."""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.services.membership.models import Introduction
from cogs.membership._commands import MembershipCommands
from cogs.membership._gate import (
    AcceptRules,
    ApprovalButton,
    GatePanel,
    post_panel,
    route_modals,
    unroute_modals,
)
from cogs.membership._joins import Joins
from cogs.membership._kit import MembershipKit


class Gate(commands.Cog):
    """The gate's entry points for other extensions (found with `bot.get_cog("Gate")`)."""

    def __init__(self, kit: MembershipKit) -> None:
        self.kit = kit

    async def seats_opened(self, guild: discord.Guild, promoted: Sequence[Introduction]) -> None:
        """Send the invites of introductions that just got a seat."""
        await self.kit.deliver_promoted(guild, promoted)

    async def post_panel(self, guild: discord.Guild) -> discord.Message:
        """Post or refresh the gate panel in the welcome channel."""
        return await post_panel(self.kit, guild)


async def setup(bot: VouchBot) -> None:
    """Extension entry point: one kit shared by the membership cogs."""
    kit = MembershipKit(bot)
    bot.add_view(GatePanel())
    bot.add_dynamic_items(AcceptRules, ApprovalButton)
    route_modals(bot)
    await bot.add_cog(Gate(kit))
    await bot.add_cog(Joins(kit))
    await bot.add_cog(MembershipCommands(kit))


async def teardown(bot: VouchBot) -> None:
    """Extension exit point: the gate's forms are no longer handled."""
    unroute_modals(bot)
