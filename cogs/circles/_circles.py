"""/circles plan, apply, show, move and rename. New members joining their sponsor's circle and
members leaving the server: `_circle_runner.py`.

Who may do what (checked at run time, also when admins opened the commands to everyone):
plan, apply, move and rename are for founders and moderators; show lists every circle to
founders and moderators, and a leader's own circles (with their members) to a leader.
"""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.leaders.circle_models import NAME_MAX
from cogs.circles._circle_apply import CircleApplier
from cogs.circles._circle_render import fit_plan, mine_lines, pages, show_lines
from cogs.circles._circle_runner import CircleRunner
from cogs.circles._circle_threads import (
    add_people,
    all_permissions,
    find_thread,
    missing_in,
    remove_people,
    reopen,
    say,
)
from cogs.sessions._kit import guild_member

__all__ = ["CircleCommands", "CircleRunner"]

log = logging.getLogger(__name__)


class CircleCommands(commands.Cog):
    """Mixed into the /circles group."""

    bot: VouchBot

    async def _moderator(
        self, interaction: discord.Interaction[VouchBot]
    ) -> tuple[discord.Guild, discord.Member]:
        guild, member = guild_member(interaction)
        if not is_moderator(member, await self.bot.services.config.get(guild.id)):
            raise CheckRefused(DomainError("errors.moderator_required"))
        return guild, member

    @app_commands.command(
        name="plan", description="Propose circles of members (nothing changes until you apply)"
    )
    @app_commands.describe(
        fresh="Regroup everyone, instead of only placing members who are in no circle"
    )
    async def plan(self, interaction: discord.Interaction[VouchBot], fresh: bool = False) -> None:
        """Computes and stores the plan, and shows it; nothing else changes."""
        guild, member = await self._moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        prefix = t("circles.name.prefix", await self.bot.guild_locale(guild))
        proposal = await self.bot.services.circles.plan(
            guild.id, by=member.id, fresh=fresh, name_prefix=prefix
        )
        text, whole = fit_plan(proposal, interaction.locale)
        if whole is None:
            await interaction.followup.send(text, ephemeral=True)
            return
        attachment = discord.File(io.BytesIO(whole.encode()), filename="circle-plan.txt")
        await interaction.followup.send(text, file=attachment, ephemeral=True)

    @app_commands.command(
        name="apply", description="Create the circles of the last plan, each with a private thread"
    )
    @app_commands.describe(
        channel="Where the private threads go (default: the introductions channel)"
    )
    async def apply(
        self,
        interaction: discord.Interaction[VouchBot],
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Makes the stored plan exactly as shown; running it again resumes."""
        guild, _ = await self._moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = guild.get_channel(channel.id) if channel else None
        report = await CircleApplier(self.bot, guild).run(
            chosen if isinstance(chosen, discord.TextChannel) else None
        )
        await interaction.followup.send(report.render(interaction.locale), ephemeral=True)

    @app_commands.command(
        name="show",
        description="The circles: all of them for founders and moderators, yours for a leader",
    )
    async def show(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Founders and moderators: every circle; a leader: theirs, with their members."""
        guild, member = guild_member(interaction)
        circles = self.bot.services.circles
        if is_moderator(member, await self.bot.services.config.get(guild.id)):
            found = await circles.circles(guild.id)
            lines = show_lines(found, interaction.locale) if found else []
        else:
            found = await circles.led_by(guild.id, member.id)
            if not found and await self.bot.services.leaders.active_leader(guild.id, member.id):
                raise DomainError("circle.none")
            if not found:
                raise CheckRefused(DomainError("circles.show.not_allowed"))
            lines = mine_lines(found, interaction.locale)
        if not lines:
            raise DomainError("circles.show.none")
        texts = list(pages(lines))
        await interaction.response.send_message(texts[0], ephemeral=True)
        for text in texts[1:]:
            await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="move", description="Move a member to another circle")
    @app_commands.describe(member="The member to move", circle="The circle they join")
    async def move(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member | discord.User,
        circle: app_commands.Range[str, 1, 100],
    ) -> None:
        """Out of the old circle's thread, into the new one's; undone if Discord refuses."""
        guild, _ = await self._moderator(interaction)
        circles = self.bot.services.circles
        target = await circles.find(guild.id, circle)
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = await find_thread(guild, target.channel_id)
        if thread is not None and (missing := missing_in(thread)):
            raise DomainError(
                "circles.move.refused",
                member=member.mention,
                circle=target.name,
                permission=missing,
            )
        moved = await circles.move(guild.id, member.id, target.id, is_bot=member.bot)
        if thread is not None:
            try:
                thread = await reopen(thread)
                await add_people(thread, [member.id])
            except discord.Forbidden as error:
                await circles.undo_move(guild.id, moved)
                raise DomainError(
                    "circles.move.refused",
                    member=member.mention,
                    circle=moved.target.name,
                    permission=missing_in(thread) or all_permissions(),
                ) from error
            except discord.HTTPException:
                await circles.undo_move(guild.id, moved)  # nothing half-done
                raise
            locale = await self.bot.guild_locale(guild)
            await say(
                thread,
                t("circles.thread.joined", locale, member=member.mention, circle=moved.target.name),
            )
        if moved.source is not None:
            old = await find_thread(guild, moved.source.channel_id)
            if old is not None:
                try:
                    await remove_people(old, [member.id])
                except discord.HTTPException as error:
                    log.warning("thread %s: could not remove %s (%s)", old.id, member.id, error)
            text = t(
                "circles.move.done",
                interaction.locale,
                member=member.mention,
                source=moved.source.name,
                target=moved.target.name,
            )
        else:
            text = t(
                "circles.move.joined",
                interaction.locale,
                member=member.mention,
                target=moved.target.name,
            )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="rename", description="Rename a circle and its thread")
    @app_commands.describe(
        circle="The circle to rename", name="Its new name (up to 100 characters)"
    )
    async def rename(
        self,
        interaction: discord.Interaction[VouchBot],
        circle: app_commands.Range[str, 1, 100],
        name: app_commands.Range[str, 1, NAME_MAX],
    ) -> None:
        """The name is stored with mention strings made inert; the thread follows; a refusal
        puts the old name back."""
        guild, _ = await self._moderator(interaction)
        circles = self.bot.services.circles
        found = await circles.find(guild.id, circle)
        await interaction.response.defer(ephemeral=True, thinking=True)
        renamed = await circles.rename(guild.id, found.id, name)
        thread = await find_thread(guild, renamed.circle.channel_id)
        if thread is not None:
            try:
                thread = await thread.edit(name=renamed.circle.name[:100], archived=False)
            except discord.Forbidden as error:
                await circles.restore_name(guild.id, found.id, renamed.old_name)
                raise DomainError(
                    "circles.rename.refused", permission=missing_in(thread) or all_permissions()
                ) from error
            except discord.HTTPException:
                await circles.restore_name(guild.id, found.id, renamed.old_name)
                raise
            locale = await self.bot.guild_locale(guild)
            await say(thread, t("circles.thread.renamed", locale, name=renamed.circle.name))
        await interaction.followup.send(
            t(
                "circles.rename.done",
                interaction.locale,
                old=renamed.old_name,
                name=renamed.circle.name,
            ),
            ephemeral=True,
        )

    @move.autocomplete("circle")
    @rename.autocomplete("circle")
    async def _circle_choices(
        self, interaction: discord.Interaction[VouchBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Open circles whose name contains what was typed."""
        guild, user = interaction.guild, interaction.user
        if guild is None or not isinstance(user, discord.Member):
            return []
        if not is_moderator(user, await self.bot.services.config.get(guild.id)):
            return []  # circle names are the founders' and moderators' business
        typed = current.casefold().strip()
        return [
            app_commands.Choice(name=c.name[:100], value=str(c.id))
            for c in await self.bot.services.circles.circles(guild.id)
            if typed in c.name.casefold()
        ][:25]
