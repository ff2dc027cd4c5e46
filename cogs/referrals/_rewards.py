"""Rewards on the Discord side: milestone checks after orders change, the award job (role,
announcement, code DM), and members' links following invites and departures."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.jobs import Job
from bot.services.referrals.rewards import REWARD_JOB, Award
from cogs.membership._kit import MANAGE_ROLES, MembershipKit

log = logging.getLogger(__name__)


class RewardRunner(commands.Cog):
    """Runs awards and keeps members' links in step with Discord."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = MembershipKit(bot)
        self._running: set[int] = set()  # award ids: a re-armed job never runs alongside

    async def cog_load(self) -> None:
        """Award jobs are durable: ones left by a restart run when the bot is ready."""
        self.bot.jobs.register(REWARD_JOB, self.run_award)

    async def cog_unload(self) -> None:
        """Stop running award jobs (they stay in the database)."""
        self.bot.jobs.unregister(REWARD_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Awards whose run was cut short by a stop get their job back."""
        if await self.services.rewards.rearm():
            self.bot.jobs.poke()

    @commands.Cog.listener()
    async def on_referral_orders(self, guild_id: int, referrers: set[int]) -> None:
        """Orders changed (a CSV import or a store webhook): check milestones."""
        await self.after_orders(guild_id, referrers)

    async def after_orders(self, guild_id: int, referrers: Iterable[int]) -> None:
        """Award milestones newly reached and tell moderators what needs them."""
        result = await self.services.rewards.check(guild_id, referrers)
        guild = self.bot.get_guild(guild_id)
        if result.new:
            self.bot.jobs.poke()
        if guild is None:
            return
        for award in result.new:
            if award.status == "held":
                await self._log(guild, "referral.log.held", award)
        for award in result.dropped_below:
            await self._log(guild, "referral.log.below", award)
        if result.pool_empty:
            await self.kit.log(guild, "referral.log.pool_empty")

    async def run_award(self, job: Job) -> None:
        """Give the role, announce (unless the member opted out), DM the code: each step once."""
        award_id = int(job.key)
        if award_id in self._running:
            return
        self._running.add(award_id)
        try:
            await self._run_award(award_id)
        finally:
            self._running.discard(award_id)

    async def _run_award(self, award_id: int) -> None:
        award = await self.services.rewards.get(award_id)
        if award is None or award.status != "pending":
            return
        guild = self.bot.get_guild(award.guild_id)
        if guild is None:
            return
        member = guild.get_member(award.user_id)
        if member is None:  # left since: a moderator decides
            await self.services.rewards.finish(award.id, "held")
            await self._log(guild, "referral.log.held", award)
            return
        if not award.role_given:
            await self._give_role(member, award)
            await self.services.rewards.mark(award.id, "role")
        if not award.announced:
            await self._announce(member, award)
            await self.services.rewards.mark(award.id, "announce")
        code = await self.services.rewards.claim_code_send(award.id)
        if code is not None and not await self._dm_code(guild, award, code):
            await self.services.rewards.finish(award.id, "undeliverable")
            await self._log(guild, "referral.log.undeliverable", award)
            return
        await self.services.rewards.finish(award.id, "done")

    async def _give_role(self, member: discord.Member, award: Award) -> None:
        role = member.guild.get_role(award.role_id)
        if role is None:
            await self._log(member.guild, "referral.log.role_missing", award)
            return
        try:
            await member.add_roles(role, reason=f"Vouch: {award.orders} referred orders")
        except discord.Forbidden:
            await self.kit.notice(member.guild, MANAGE_ROLES)

    async def _announce(self, member: discord.Member, award: Award) -> None:
        profile = await self.services.referral_links.profile(member.guild.id, member.id)
        if not profile.announce:
            return
        config = await self.services.config.get(member.guild.id)
        channel = member.guild.get_channel(config.channels.get("announcements", 0))
        if not isinstance(channel, discord.TextChannel):
            return
        locale = await self.bot.guild_locale(member.guild)
        try:
            await channel.send(
                t("referral.announce", locale, member=member.mention, orders=award.orders)
            )
        except discord.HTTPException:
            log.warning("could not announce award %s", award.id)

    async def _dm_code(self, guild: discord.Guild, award: Award, code: str) -> bool:
        try:
            return await self.kit.dm(
                guild, award.user_id, "referral.reward.dm", code=code, orders=award.orders
            )
        except discord.HTTPException:
            log.warning("could not DM the reward code of award %s", award.id)
            return False

    async def _log(self, guild: discord.Guild, key: str, award: Award) -> None:
        await self.kit.log(guild, key, member=f"<@{award.user_id}>", orders=award.orders)

    @commands.Cog.listener()
    async def on_invite_delete(self, invite: discord.Invite) -> None:
        """An admin deleted a member's link: the next /referral link makes a new one."""
        if invite.guild is not None:
            await self.services.referral_links.invite_gone(invite.guild.id, invite.code)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member left: their link stops working (their store code stays valid for orders)."""
        code = await self.services.referral_links.close(payload.guild_id, payload.user.id)
        await self.kit.delete_invite(payload.guild_id, code)
