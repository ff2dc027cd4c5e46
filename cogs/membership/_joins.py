"""Joins and leaves: invite tracking, attribution, the Newcomer role, and the gate's timers."""

from __future__ import annotations

import logging
from datetime import timedelta

import discord
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import Text
from bot.services.attribution import Attribution
from bot.services.jobs import Job
from bot.services.membership.introductions import EXPIRY_JOB
from bot.services.membership.members import ARRIVAL_JOB, REMINDER_JOB, TIMEOUT_JOB
from bot.services.membership.models import Stint
from cogs.membership._kit import MembershipKit, invite_state

log = logging.getLogger(__name__)

#: After Discord deletes an introduction's invite, wait this long for the join it may belong to.
VANISHED_JOB = "membership.invite_vanished"
VANISHED_WAIT = timedelta(seconds=60)
UNKNOWN = Attribution(kind="unknown", code=None, inviter_id=None, reason="not_listed")


class Joins(commands.Cog):
    """Listens to joins, leaves and invites; runs the gate's timers."""

    def __init__(self, kit: MembershipKit) -> None:
        self.kit = kit
        self.bot: VouchBot = kit.bot
        self.services = kit.services

    async def cog_load(self) -> None:
        """Register the timers this cog runs."""
        jobs = self.bot.jobs
        jobs.register(REMINDER_JOB, self.remind_pending)
        jobs.register(TIMEOUT_JOB, self.time_out_pending)
        jobs.register(EXPIRY_JOB, self.expire_introduction)
        jobs.register(VANISHED_JOB, self.close_vanished_introduction)
        jobs.register(ARRIVAL_JOB, self.promote_after_arrivals)

    async def cog_unload(self) -> None:
        """Stop running this cog's timers (they stay in the database)."""
        for kind in (REMINDER_JOB, TIMEOUT_JOB, EXPIRY_JOB, VANISHED_JOB, ARRIVAL_JOB):
            self.bot.jobs.unregister(kind)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Refresh invite snapshots, and count members who hold the member role (also after a
        fresh IDENTIFY): people who were members before Vouch, or made members by hand."""
        for guild in self.bot.guilds:
            await self.refresh(guild)
            await self.record_role_holders(guild)
            await self.end_absent_stints(guild)
            # Seats given while the bot stopped before their invite was made, or seats left
            # free: make the invites now.
            await self.services.introductions.promote(guild.id)
            seated = [
                intro
                for intro in await self.services.introductions.active(guild.id)
                if intro.status == "seated"
            ]
            await self.kit.deliver_promoted(guild, seated)

    async def end_absent_stints(self, guild: discord.Guild) -> None:
        """People who left while the bot was away: end their stints, freeing their seats.

        Only with the complete member list: a partial cache would end the stints of people who
        are still here.
        """
        if not guild.chunked:
            log.info("guild %s: member list incomplete; not checking for departures", guild.id)
            return
        ended = await self.services.members.end_absent(guild.id, [m.id for m in guild.members])
        if ended:
            log.info("guild %s: %d people left while the bot was away", guild.id, len(ended))

    @commands.Cog.listener()
    async def on_member_data_forgotten(self, guild_id: int, user_id: int) -> None:
        """A privacy forget deleted someone's stints and introductions: their seats pass on."""
        guild = self.bot.get_guild(guild_id)
        if guild is not None:
            await self.kit.deliver_promoted(
                guild, await self.services.introductions.promote(guild_id)
            )

    async def record_role_holders(self, guild: discord.Guild) -> None:
        """Give a member record to everyone holding the member role who has none."""
        config = await self.services.config.get(guild.id)
        role = guild.get_role(config.roles.get("member", 0))
        if role is not None:
            added = await self.services.members.add_existing(
                guild.id, [m.id for m in role.members if not m.bot]
            )
            if added:
                log.info("guild %s: recorded %d existing members", guild.id, added)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Someone given the member role by hand: admit them if in the gate, else record them."""
        if after.bot or set(before.roles) == set(after.roles):
            return
        config = await self.services.config.get(after.guild.id)
        role_id = config.roles.get("member")
        if role_id is None or after.get_role(role_id) is None or before.get_role(role_id):
            return
        current = await self.services.members.current(after.guild.id, after.id)
        if current is None:
            if not await self.services.members.add_existing(after.guild.id, [after.id]):
                return
            sponsor_id = None
        elif current.status == "pending":
            sponsor_id = (await self.services.members.admit(after.guild.id, after.id)).sponsor_id
            await self.kit.set_roles(after, remove="newcomer")
        else:
            return
        # A member made by hand joins a circle and counts for the scale alert like any other.
        self.bot.dispatch("member_admitted", after.guild, after.id, sponsor_id)

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Events may have been missed while disconnected: refresh the snapshots."""
        for guild in self.bot.guilds:
            await self.refresh(guild)

    async def refresh(self, guild: discord.Guild) -> None:
        """Replace a guild's invite snapshot with what Discord lists now."""
        async with self.kit.join_lock(guild.id):
            invites = await self.kit.fetch_invites(guild)
            if invites is not None:
                await self.services.invites.refresh(guild.id, invites)

    @commands.Cog.listener()
    async def on_invite_create(self, invite: discord.Invite) -> None:
        """Keep the snapshot in step."""
        if invite.guild is not None:
            await self.services.invites.created(invite.guild.id, invite_state(invite))

    @commands.Cog.listener()
    async def on_invite_delete(self, invite: discord.Invite) -> None:
        """Mark the invite gone; an introduction's invite gone without its join closes later."""
        if invite.guild is None:
            return
        await self.services.invites.deleted(invite.guild.id, invite.code)
        intro = await self.services.introductions.by_invite(invite.guild.id, invite.code)
        if intro is not None and intro.status == "open":
            due = self.services.clock() + VANISHED_WAIT
            await self.services.jobs.schedule(
                VANISHED_JOB, str(intro.id), due, guild_id=invite.guild.id
            )
            self.bot.jobs.poke()

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Attribute the join, record it, and send the person to the gate (or refuse them)."""
        if member.bot:
            return
        guild = member.guild
        async with self.kit.join_lock(guild.id):
            invites = await self.kit.fetch_invites(guild)
            attribution = (
                await self.services.invites.attribute_join(guild.id, invites)
                if invites is not None
                else UNKNOWN
            )
        outcome = await self.services.members.record_join(
            guild.id,
            member.id,
            kind=attribution.kind,
            code=attribution.code,
            candidates=attribution.candidates,
            rejoin_flag=member.flags.did_rejoin,
        )
        if outcome.action == "already":
            return
        if outcome.action == "refused":
            await self._refuse_join(member, outcome.stint)
            return
        await self.kit.set_roles(member, add="newcomer")
        sponsor = f"<@{outcome.stint.sponsor_id}>" if outcome.stint.sponsor_id else "-"
        await self.kit.log(
            guild,
            "membership.log.joined",
            user=str(member),
            source=Text(f"source.{outcome.stint.source}"),
            sponsor=sponsor,
        )

    async def _refuse_join(self, member: discord.Member, stint: Stint) -> None:
        """Tell the person kindly why they can't stay, remove them, and tell the moderators."""
        guild = member.guild
        if stint.end_reason == "full" and stint.sponsor_id is not None:
            # Through a member's personal link: the waitlist is open through that member.
            referrer = guild.get_member(stint.sponsor_id)
            name = referrer.display_name if referrer else "-"
            await self.kit.dm(guild, member.id, "gate.refused.full_referral", sponsor=name)
            await self.kit.dm(
                guild, stint.sponsor_id, "referral.link.full_dm", newcomer=str(member)
            )
        else:
            key = "gate.refused.full" if stint.end_reason == "full" else "gate.refused.closed"
            await self.kit.dm(guild, member.id, key)
        await self.kit.remove(guild, member.id, reason=f"Vouch: {stint.end_reason}")
        await self.kit.log(guild, "membership.log.refused_join", user=str(member))

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member or a person in the gate left: free their seat for the waitlist."""
        ended = await self.services.members.record_leave(payload.guild_id, payload.user.id)
        guild = self.bot.get_guild(payload.guild_id)
        if ended is not None and guild is not None:
            await self.kit.deliver_promoted(guild, ended.promoted)

    async def remind_pending(self, job: Job) -> None:
        """Half-time: remind the person in the gate to finish."""
        guild, user_id = self._target(job)
        if guild is None:
            return
        current = await self.services.members.current(guild.id, user_id)
        if current is None or current.status != "pending":
            return  # admitted (or gone) meanwhile
        if not await self.kit.dm(guild, user_id, "gate.reminder.dm"):
            await self.kit.post_fallback(
                guild, user_id, "gate.reminder.fallback", audience="newcomer"
            )

    async def time_out_pending(self, job: Job) -> None:
        """Time is up: refuse, tell them kindly, remove them, free the seat."""
        guild, user_id = self._target(job)
        if guild is None:
            return
        try:
            ended = await self.services.members.refuse(guild.id, user_id, "timeout")
        except DomainError:
            return  # admitted, refused or gone meanwhile
        await self.kit.dm(guild, user_id, "gate.timeout.dm")
        await self.kit.remove(guild, user_id, reason="Vouch: welcome steps not finished in time")
        await self.kit.log(guild, "membership.log.timeout", user=f"<@{user_id}>")
        await self.kit.deliver_promoted(guild, ended.promoted)

    async def promote_after_arrivals(self, job: Job) -> None:
        """A burst's arrival window is over: seats nobody arrived for pass to the waitlist."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is not None:
            await self.kit.deliver_promoted(
                guild, await self.services.introductions.promote(guild.id)
            )

    async def expire_introduction(self, job: Job) -> None:
        """An introduction's invite expired unused: free its seat."""
        await self._close_introduction(job)

    async def close_vanished_introduction(self, job: Job) -> None:
        """The invite was deleted and no join claimed it: the introduction is over."""
        await self._close_introduction(job)

    async def _close_introduction(self, job: Job) -> None:
        guild = self.bot.get_guild(job.guild_id or 0)
        try:
            closed = await self.services.introductions.expire(int(job.key))
        except DomainError:
            return  # used or revoked meanwhile
        if guild is None:
            return
        await self.kit.delete_invite(guild.id, closed.introduction.invite_code)
        await self.kit.dm(
            guild,
            closed.introduction.sponsor_id,
            "intro.expired.dm",
            name=closed.introduction.newcomer_name,
        )
        await self.kit.deliver_promoted(guild, closed.promoted)

    def _target(self, job: Job) -> tuple[discord.Guild | None, int]:
        guild_id, user_id = (int(part) for part in job.key.split(":"))
        return self.bot.get_guild(guild_id), user_id
