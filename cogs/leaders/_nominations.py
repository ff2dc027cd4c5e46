"""Nominations as they run: the charter delivered (DM, else a post that mentions only the
nominee), Accept and Decline presses, the 7-day expiry (a durable job), and people who leave
the server (a pending nomination is withdrawn; a leader's record closes and their circles are
flagged as open)."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import discord_timestamp, t
from bot.services.jobs import Job
from bot.services.leaders.models import Nomination
from bot.services.leaders.nominations import EXPIRE_JOB
from bot.services.leaders.roster import Handover
from cogs.leaders._render import charter_message, handover_lines, nomination_view
from cogs.leaders._roster_kit import Delivery, RosterKit

log = logging.getLogger(__name__)

#: Refusals that mean "this nomination is over": the nominee's buttons are greyed out.
_OVER = {
    "leaders.nomination.expired",
    "leaders.nomination.already_accepted",
    "leaders.nomination.already_declined",
    "leaders.nomination.withdrawn",
}


class RosterRunner(commands.Cog):
    """Nomination delivery, answers and expiry, and leaders who leave the server."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.kit = RosterKit(bot)
        # Answers are rare: one lock makes a double click one answer and a refusal.
        self._answering = asyncio.Lock()
        # (nomination, problem) the founders heard of: a nominee pressing again isn't news.
        self._told: set[tuple[int, str]] = set()

    async def cog_load(self) -> None:
        """Expiry is a durable job: it survives restarts."""
        self.bot.jobs.register(EXPIRE_JOB, self.run_expiry)

    async def cog_unload(self) -> None:
        """Stop handling expiries (the jobs stay in the database)."""
        self.bot.jobs.unregister(EXPIRE_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Re-arm lost expiry jobs, and catch up with leaders and nominees who left while the
        bot was away."""
        if await self.services.leaders.arm_expiries():
            self.bot.jobs.poke()
        for guild in self.bot.guilds:
            if not guild.chunked:
                continue  # who is here is not known yet: the leave event handles it
            for leader in await self.services.leaders.active(guild.id):
                if guild.get_member(leader.user_id) is None:
                    await self.member_left(guild.id, leader.user_id)

    # -- delivery -----------------------------------------------------------------------------
    async def deliver(
        self, guild: discord.Guild, nomination: Nomination
    ) -> tuple[Delivery, int] | None:
        """The charter with Accept / Decline, in the nominee's language: by DM, else posted in
        the leaders (or log) channel mentioning only them. How, and the channel; None when
        neither worked."""
        locale = await self.bot.member_locale(nomination.user_id, guild)
        settings = await self.services.leader_settings.get(guild.id)
        circle_name = None
        if nomination.circle_id is not None:
            circle_name = next(
                (
                    c.name
                    for c in await self.services.leaders.open_circles(guild.id)
                    if c.id == nomination.circle_id
                ),
                None,
            )
        content, embed = charter_message(
            nomination,
            guild_name=guild.name,
            charter=settings.charter_text or t("leaders.charter.default", locale),
            circle_name=circle_name,
            locale=locale,
        )
        view = nomination_view(nomination.id, locale)
        try:
            user = self.bot.get_user(nomination.user_id) or await self.bot.fetch_user(
                nomination.user_id
            )
            message = await user.send(content, embed=embed, view=view)
        except discord.HTTPException as error:
            if not isinstance(error, discord.Forbidden | discord.NotFound):
                log.warning("could not DM nominee %s (%s)", nomination.user_id, error.status)
        else:
            await self.services.leaders.delivered(nomination.id, message.channel.id, message.id)
            return "dm", message.channel.id
        for purpose in ("leaders", "log"):
            channel = await self.kit.channel(guild, purpose)
            if channel is None:
                continue
            try:
                message = await channel.send(
                    f"<@{nomination.user_id}>\n{content}",
                    embed=embed,
                    view=view,
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, roles=False, users=[discord.Object(nomination.user_id)]
                    ),
                )
            except discord.HTTPException as error:
                log.warning("nomination fallback refused in %s (%s)", purpose, error.status)
                continue
            await self.services.leaders.delivered(nomination.id, channel.id, message.id)
            return "fallback", channel.id
        return None

    async def close_message(self, nomination: Nomination, key: str) -> None:
        """Grey out the buttons of a delivered charter and say how it ended (in the nominee's
        language); the charter itself stays."""
        if nomination.channel_id is None or nomination.message_id is None:
            return
        guild = self.bot.get_guild(nomination.guild_id)
        locale = await self.bot.member_locale(nomination.user_id, guild)
        message = self.bot.get_partial_messageable(nomination.channel_id).get_partial_message(
            nomination.message_id
        )
        content = t(key, locale, guild=guild.name if guild else "")
        if guild is not None and guild.get_channel(nomination.channel_id) is not None:
            content = f"<@{nomination.user_id}>\n{content}"  # the closed-DM fallback post
        try:
            await message.edit(
                content=content, view=nomination_view(nomination.id, locale, disabled=True)
            )
        except discord.HTTPException as error:
            log.warning("could not close nomination message %s (%s)", nomination.id, error.status)

    # -- answers ------------------------------------------------------------------------------
    async def press_accept(
        self, interaction: discord.Interaction[VouchBot], nomination_id: int
    ) -> None:
        """The nominee accepts: the role (checked again now; if it cannot be given the
        nomination stays open), the record, the leaders channel, the circle, the recognition."""
        async with self._answering:
            nomination = await self._answerable(interaction, nomination_id)
            if nomination is None:
                return
            guild, member = await self._nominee(nomination)
            await interaction.response.defer()
            try:
                role = await self.kit.role_to_hand_out(guild)
                await member.add_roles(role, reason="Vouch: accepted a leader nomination")
            except (DomainError, discord.Forbidden) as problem:
                await self._blocked(guild, nomination, problem)
                raise DomainError(
                    "leaders.accept.role_blocked",
                    until=discord_timestamp(nomination.expires_at, "F"),
                ) from None
            try:
                accepted = await self.services.leaders.accept(nomination_id, member.id)
            except DomainError:
                if await self.services.leaders.active_leader(guild.id, member.id) is None:
                    await self.kit.take_role(member, role)
                raise
        await self.kit.leaders_channel_access(guild, member.id, grant=True)
        circle = accepted.circle
        if circle is not None:
            await self.kit.circle_access(guild, circle.channel_id, member.id, grant=True)
        locale = interaction.locale
        if circle is not None:
            text = t("leaders.accept.done_circle", locale, guild=guild.name, circle=circle.name)
        elif accepted.circle_missed:
            text = t("leaders.accept.done_circle_missed", locale, guild=guild.name)
        else:
            text = t("leaders.accept.done", locale, guild=guild.name)
        await interaction.edit_original_response(
            content=self._addressed(interaction, member.id, text),
            view=nomination_view(nomination_id, locale, disabled=True),
        )
        if not await self.kit.recognise(guild, member.id, circle.name if circle else None):
            await self.bot.log_line(guild, "leaders.log.recognition_failed", leader=member.mention)
        await self.bot.log_line(
            guild,
            "leaders.log.accepted",
            leader=member.mention,
            founder=f"<@{nomination.nominated_by}>",
        )

    async def press_decline(
        self, interaction: discord.Interaction[VouchBot], nomination_id: int
    ) -> None:
        """The nominee declines: recorded, the message updated, and it quietly ends (only a
        line in the log channel for the founders)."""
        async with self._answering:
            if await self._answerable(interaction, nomination_id) is None:
                return
            try:
                declined = await self.services.leaders.decline(nomination_id, interaction.user.id)
            except DomainError as refusal:
                await self._refused(interaction, nomination_id, refusal)
                return
        await interaction.response.edit_message(
            content=self._addressed(
                interaction, declined.user_id, t("leaders.decline.done", interaction.locale)
            ),
            view=nomination_view(nomination_id, interaction.locale, disabled=True),
        )
        guild = self.bot.get_guild(declined.guild_id)
        if guild is not None:
            await self.bot.log_line(guild, "leaders.log.declined", member=f"<@{declined.user_id}>")

    async def _answerable(
        self, interaction: discord.Interaction[VouchBot], nomination_id: int
    ) -> Nomination | None:
        """The nomination if the presser may answer it now; otherwise the refusal is shown
        (and the nominee's buttons greyed out when it is over) and None returned."""
        try:
            return await self.services.leaders.check_answer(nomination_id, interaction.user.id)
        except DomainError as refusal:
            await self._refused(interaction, nomination_id, refusal)
            return None

    async def _refused(
        self,
        interaction: discord.Interaction[VouchBot],
        nomination_id: int,
        refusal: DomainError,
    ) -> None:
        if refusal.key not in _OVER:  # someone else, or an unknown nomination
            raise refusal
        await interaction.response.edit_message(
            view=nomination_view(nomination_id, interaction.locale, disabled=True)
        )
        await interaction.followup.send(
            t(refusal.key, interaction.locale, **refusal.params), ephemeral=True
        )

    async def _nominee(self, nomination: Nomination) -> tuple[discord.Guild, discord.Member]:
        """The nominee's guild and member; a nominee no longer in the server has their
        nomination withdrawn."""
        guild = self.bot.get_guild(nomination.guild_id)
        if guild is None:
            raise DomainError("errors.unavailable")
        member = guild.get_member(nomination.user_id)
        if member is None:
            try:
                member = await guild.fetch_member(nomination.user_id)
            except discord.NotFound:
                await self.services.leaders.withdraw(guild.id, nomination.user_id)
                raise DomainError("leaders.nomination.withdrawn") from None
        return guild, member

    async def _blocked(
        self, guild: discord.Guild, nomination: Nomination, problem: Exception
    ) -> None:
        """The role could not be given at accept time: the founders are told why (once per
        nomination and problem)."""
        told = (nomination.id, problem.key if isinstance(problem, DomainError) else "forbidden")
        if told in self._told:
            return
        self._told.add(told)
        locale = await self.bot.guild_locale(guild)
        if isinstance(problem, DomainError):
            reason = t(problem.key, locale, **problem.params)
        else:
            reason = t("errors.discord_forbidden", locale)
        await self.bot.log_line(
            guild,
            "leaders.log.accept_blocked",
            member=f"<@{nomination.user_id}>",
            problem=reason,
        )

    @staticmethod
    def _addressed(interaction: discord.Interaction[VouchBot], user_id: int, text: str) -> str:
        """In a channel (the closed-DM fallback) the message keeps naming its nominee."""
        return text if interaction.guild_id is None else f"<@{user_id}>\n{text}"

    # -- expiry and departures ----------------------------------------------------------------
    async def run_expiry(self, job: Job) -> None:
        """Seven days passed without an answer."""
        expired = await self.services.leaders.expire(int(job.payload["nomination_id"]))
        if expired is None:
            return  # answered or withdrawn meanwhile
        await self.close_message(expired, "leaders.nomination.expired_note")
        guild = self.bot.get_guild(expired.guild_id)
        if guild is not None:
            await self.bot.log_line(guild, "leaders.log.expired", member=f"<@{expired.user_id}>")

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Someone left: a pending nomination is withdrawn; a leader's record is closed and
        their circles are flagged as open in the leaders channel."""
        await self.member_left(payload.guild_id, payload.user.id)

    async def member_left(self, guild_id: int, user_id: int) -> None:
        """See `on_raw_member_remove`."""
        withdrawn = await self.services.leaders.withdraw(guild_id, user_id)
        if withdrawn is not None:
            await self.close_message(withdrawn, "leaders.nomination.withdrawn_note")
        handover = await self.services.leaders.leader_left(guild_id, user_id)
        guild = self.bot.get_guild(guild_id)
        if handover is None or guild is None:
            return
        await self.kit.leaders_channel_access(guild, user_id, grant=False)
        await self.flag_left(guild, handover)

    async def flag_left(self, guild: discord.Guild, handover: Handover) -> None:
        """Tell the leaders channel (else the log channel) that a leader left, and which of
        their circles now wait for one."""
        locale = await self.bot.guild_locale(guild)
        leader = f"<@{handover.leader.user_id}>"
        lines = [
            t("leaders.left.post_circles", locale, leader=leader)
            if handover.circles
            else t("leaders.left.post", locale, leader=leader)
        ]
        lines += handover_lines(handover.circles, locale)
        await self.kit.post(guild, "\n".join(lines)[:2000], "leaders", "log")
