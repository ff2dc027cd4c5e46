"""Nominations with consent, step-down, removal and the list of leaders: the /leaders
nominate, stepdown, remove and list commands. What runs without a command (answers, expiry,
departures) is in `_nominations.py`."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import has_role
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import discord_timestamp, t
from bot.services.leaders.roster import REASON_MAX, Handover
from cogs.leaders._nominations import RosterRunner
from cogs.leaders._render import DYNAMIC_ITEMS, chunks, handover_lines, roster_lines
from cogs.leaders._roster_kit import standing_of

__all__ = ["DYNAMIC_ITEMS", "RosterCommands", "RosterRunner"]


def roster_runner(bot: VouchBot) -> RosterRunner:
    """The loaded RosterRunner cog."""
    cog: Any = bot.get_cog("RosterRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: RosterRunner = cog
    return runner


class RosterCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot

    @app_commands.command(
        name="nominate", description="Ask a member to become a leader (they accept or decline)"
    )
    @app_commands.describe(
        member="The member you ask", circle="A circle they would lead (optional)"
    )
    async def nominate(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member | discord.User,
        circle: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Founders only. The leader role is checked before anything is sent; the member gets
        the charter with Accept / Decline in their language."""
        runner = roster_runner(self.bot)
        guild, founder = await runner.kit.require_founder(interaction)
        if member.bot:
            raise DomainError("leaders.nominate.bot")
        services = self.bot.services
        standing = standing_of(member, await services.config.get(guild.id))
        circle_id = await self._circle_id(guild, circle) if circle else None
        await runner.kit.role_to_hand_out(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        nomination = await services.leaders.nominate(
            guild.id, member.id, founder.id, circle_id, standing=standing
        )
        delivered = await runner.deliver(guild, nomination)
        if delivered is None:
            await services.leaders.discard(nomination.id)
            raise DomainError("leaders.nominate.undeliverable", member=member.mention)
        kind, channel_id = delivered
        until = discord_timestamp(nomination.expires_at, "F")
        if kind == "dm":
            text = t(
                "leaders.nominate.sent", interaction.locale, member=member.mention, until=until
            )
        else:
            text = t(
                "leaders.nominate.sent_fallback",
                interaction.locale,
                member=member.mention,
                channel=f"<#{channel_id}>",
                until=until,
            )
        await interaction.followup.send(text, ephemeral=True)
        await self.bot.log_line(
            guild, "leaders.log.nominated", member=member.mention, founder=founder.mention
        )

    @nominate.autocomplete("circle")
    async def _circle_choices(
        self, interaction: discord.Interaction[VouchBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Open circles without a leader, by name (for founders only)."""
        guild, user = interaction.guild, interaction.user
        if guild is None or not isinstance(user, discord.Member):
            return []
        config = await self.bot.services.config.get(guild.id)
        if not (user.guild_permissions.manage_guild or has_role(user, config, "founder")):
            return []
        typed = current.casefold()
        return [
            app_commands.Choice(name=c.name[:100], value=str(c.id))
            for c in await self.bot.services.leaders.open_circles(guild.id)
            if c.leader_id is None and typed in c.name.casefold()
        ][:25]

    async def _circle_id(self, guild: discord.Guild, typed: str) -> int:
        """The circle picked (its id from the autocomplete) or typed (its name)."""
        circles = await self.bot.services.leaders.open_circles(guild.id)
        for circle in circles:
            if typed == str(circle.id) or typed.strip().casefold() == circle.name.casefold():
                return circle.id
        raise DomainError("leaders.nominate.circle_unknown")

    @app_commands.command(name="stepdown", description="Stop being a leader")
    async def stepdown(self, interaction: discord.Interaction[VouchBot]) -> None:
        """For a leader, about themself: the role goes, the circles move or stay open."""
        runner = roster_runner(self.bot)
        guild = interaction.guild
        if guild is None or not isinstance(interaction.user, discord.Member):
            raise DomainError("errors.guild_only")
        leaders = self.bot.services.leaders
        if await leaders.active_leader(guild.id, interaction.user.id) is None:
            raise DomainError("leaders.stepdown.not_leader")
        try:
            role = await runner.kit.role_to_take_back(guild)
        except DomainError as problem:
            # The leader can't fix this: the founders hear of it, the leader hears they did.
            locale = await self.bot.guild_locale(guild)
            await self.bot.log_line(
                guild,
                "leaders.log.stepdown_blocked",
                member=interaction.user.mention,
                problem=t(problem.key, locale, **problem.params),
            )
            raise DomainError(
                "leaders.stepdown.blocked",
                problem=t(problem.key, interaction.locale, **problem.params),
            ) from None
        await interaction.response.defer(ephemeral=True, thinking=True)
        handover = await leaders.stepdown(guild.id, interaction.user.id)
        kept_role = not await self._after_stop(guild, handover, role)
        locale = await self.bot.guild_locale(guild)
        post = [t("leaders.stepdown.post", locale, leader=interaction.user.mention)]
        await runner.kit.post(
            guild, "\n".join(post + handover_lines(handover.circles, locale)), "leaders", "log"
        )
        reply = [t("leaders.stepdown.done", interaction.locale)]
        reply += handover_lines(handover.circles, interaction.locale)
        if kept_role:
            reply.append(t("leaders.role.not_removed", interaction.locale))
        await interaction.followup.send("\n".join(reply)[:2000], ephemeral=True)

    @app_commands.command(name="remove", description="End someone's leadership (founders)")
    @app_commands.describe(
        member="The leader", reason="Why (shown to the founders and to them; never pings)"
    )
    async def remove(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member | discord.User,
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        """Founders only: the role goes, the circles move or stay open, and the reason is kept."""
        runner = roster_runner(self.bot)
        guild, founder = await runner.kit.require_founder(interaction)
        leaders = self.bot.services.leaders
        if await leaders.active_leader(guild.id, member.id) is None:
            raise DomainError("leaders.remove.not_leader", member=member.mention)
        role = await runner.kit.role_to_take_back(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        handover = await leaders.remove(guild.id, member.id, founder.id, reason)
        kept_role = not await self._after_stop(guild, handover, role)
        locale = await self.bot.guild_locale(guild)
        post = [t("leaders.remove.post", locale, leader=member.mention)]
        await runner.kit.post(
            guild, "\n".join(post + handover_lines(handover.circles, locale)), "leaders", "log"
        )
        stored = handover.leader.end_reason or ""
        await self.bot.log_line(
            guild,
            "leaders.log.removed",
            leader=member.mention,
            founder=founder.mention,
            reason=stored,
        )
        await self.bot.dm(guild, member.id, "leaders.remove.dm", reason=stored)
        reply = [t("leaders.remove.done", interaction.locale, leader=member.mention)]
        reply += handover_lines(handover.circles, interaction.locale)
        if kept_role:
            reply.append(t("leaders.role.not_removed", interaction.locale))
        await interaction.followup.send("\n".join(reply)[:2000], ephemeral=True)

    async def _after_stop(
        self, guild: discord.Guild, handover: Handover, role: discord.Role | None
    ) -> bool:
        """The Discord side of a closed record: the role and the leaders channel access go;
        circles' threads change hands and new leaders are told. False when the role stayed."""
        runner = roster_runner(self.bot)
        user_id = handover.leader.user_id
        removed = await runner.kit.take_role(guild.get_member(user_id), role)
        await runner.kit.leaders_channel_access(guild, user_id, grant=False)
        for circle in handover.circles:
            if not circle.former_stays:
                await runner.kit.circle_access(guild, circle.channel_id, user_id, grant=False)
            if circle.new_leader_id is not None:
                await runner.kit.circle_access(
                    guild, circle.channel_id, circle.new_leader_id, grant=True
                )
                await self.bot.dm(
                    guild, circle.new_leader_id, "leaders.handover.dm", circle=circle.name
                )
        return removed

    @app_commands.command(
        name="list", description="Leaders, their circles, sizes and last check-ins"
    )
    async def list_leaders(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Founders and moderators; open circles are listed too."""
        guild, _ = await roster_runner(self.bot).kit.require_moderator(interaction)
        roster = await self.bot.services.leaders.roster(guild.id)
        pages = list(chunks(roster_lines(roster, interaction.locale)))
        await interaction.response.send_message(pages[0], ephemeral=True)
        for page in pages[1:]:
            await interaction.followup.send(page, ephemeral=True)
