"""/circles apply on Discord: one private thread per planned circle, everyone added, then the
circles written; resumable across a crash, undone when Discord refuses or the plan went stale.

The order (see bot/services/leaders/circle_apply.py for what is recorded when):
threads first, each recorded the moment it exists, then the database in one transaction, then
the tidying (people who left a circle out of its thread, closed circles' threads archived).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import Text, t
from bot.services.leaders.circle_models import ApplyState, PlannedCircle, StalePlan
from bot.services.leaders.models import Circle
from cogs.circles._circle_threads import (
    ARCHIVE_MINUTES,
    add_people,
    all_permissions,
    default_channel,
    find_thread,
    members_can_read,
    missing_permissions,
    remove_people,
    reopen,
    say,
)

log = logging.getLogger(__name__)

#: Discord's error code when the guild has as many active threads as it may.
THREAD_LIMIT = 160006
#: One apply at a time per guild (a double submit would make threads twice).
_locks: dict[int, asyncio.Lock] = {}


@dataclass
class ApplyReport:
    """What an apply did, for the reply."""

    circles: int = 0
    created: int = 0
    added: int = 0
    resumed: bool = False
    tidy_refused: bool = False
    channel_id: int = 0

    def render(self, locale: object) -> str:
        """The founder's reply."""
        lines = [
            t(
                "circles.apply.done",
                locale,
                circles=self.circles,
                channel=f"<#{self.channel_id}>",
                created=self.created,
                added=self.added,
            )
        ]
        if self.resumed:
            lines.append(t("circles.apply.resumed", locale))
        if self.tidy_refused:
            lines.append(
                t(
                    "circles.apply.cleanup_refused",
                    locale,
                    permission=Text("permission.manage_threads"),
                )
            )
        return "\n".join(lines)


class CircleApplier:
    """Runs /circles apply for one guild."""

    def __init__(self, bot: VouchBot, guild: discord.Guild) -> None:
        self.bot = bot
        self.guild = guild
        self.circles = bot.services.circles
        self.report = ApplyReport()

    async def run(self, chosen: discord.TextChannel | None) -> ApplyReport:
        """Apply (or resume applying) the stored plan."""
        async with _locks.setdefault(self.guild.id, asyncio.Lock()):
            state = await self.circles.apply_state(self.guild.id)
            if state.finished:
                raise DomainError("circles.apply.already")
            self.report.resumed = state.started
            if not state.applied:
                if state.started and not await self.circles.is_current(self.guild.id):
                    await self._undo(drop_plan=True)
                    raise StalePlan()
                if state.started and self._recorded_channel(state) is None:
                    await self._undo(drop_plan=False)  # its channel is gone: start over
                    state = await self.circles.apply_state(self.guild.id)
                channel = await self._channel(state, chosen)
                state = await self.circles.start_apply(self.guild.id, channel.id)
                try:
                    await self._threads(state, channel)
                    state = await self.circles.commit_apply(self.guild.id)
                except StalePlan:
                    await self._undo(drop_plan=True)
                    raise
                except discord.Forbidden as error:
                    log.warning("guild %s: apply refused (%s)", self.guild.id, error.code)
                    await self._undo(drop_plan=False)
                    raise DomainError(
                        "circles.apply.refused",
                        channel=channel.mention,
                        permissions=missing_permissions(channel) or all_permissions(),
                    ) from error
                except discord.HTTPException as error:
                    log.warning("guild %s: apply interrupted (%s)", self.guild.id, error.code)
                    if error.code == THREAD_LIMIT:
                        await self._undo(drop_plan=False)
                        raise DomainError("circles.apply.thread_limit") from error
                    raise DomainError("circles.apply.interrupted") from error
            await self._tidy(state)
            await self.circles.mark_cleaned(self.guild.id)
            self.report.circles = len(state.plan.circles)
            self.report.channel_id = state.channel_id or 0
            return self.report

    async def _channel(
        self, state: ApplyState, chosen: discord.TextChannel | None
    ) -> discord.TextChannel:
        """Where the threads go (the one recorded when resuming), checked before anything
        is made: a text channel members read, where the bot has every permission it needs."""
        config = await self.bot.services.config.get(self.guild.id)
        if state.started:
            channel = self._recorded_channel(state)
        else:
            channel = chosen or default_channel(self.guild, config)
        if channel is None:
            raise DomainError("circles.apply.no_channel")
        if channel.type != discord.ChannelType.text:
            raise DomainError("circles.apply.channel_type", channel=channel.mention)
        if not members_can_read(channel, config):
            raise DomainError("circles.apply.channel_hidden", channel=channel.mention)
        missing = missing_permissions(channel)
        if missing:
            raise DomainError(
                "circles.apply.missing_permissions", channel=channel.mention, permissions=missing
            )
        return channel

    def _recorded_channel(self, state: ApplyState) -> discord.TextChannel | None:
        """The channel an unfinished apply makes its threads in, if it still exists."""
        found = self.guild.get_channel(state.channel_id or 0)
        return found if isinstance(found, discord.TextChannel) else None

    async def _threads(self, state: ApplyState, channel: discord.TextChannel) -> None:
        """Each planned circle gets its thread (made, adopted after a crash, or its own) with
        everyone in it."""
        existing = {c.id: c for c in await self.circles.circles(self.guild.id)}
        orphans = await self._orphans(channel)
        locale = await self.bot.guild_locale(self.guild)
        for planned in state.plan.circles:
            number = planned.number
            circle = existing.get(planned.circle_id or 0)
            own = circle.channel_id if circle else None
            thread = await find_thread(self.guild, state.threads.get(number) or own)
            made = number in state.made
            if thread is None:
                thread = orphans.pop(planned.name[:100], None)
                if thread is None:
                    thread = await channel.create_thread(
                        name=planned.name[:100],
                        type=discord.ChannelType.private_thread,
                        invitable=False,
                        auto_archive_duration=ARCHIVE_MINUTES,
                        reason="Vouch: /circles apply",
                    )
                    self.report.created += 1
                made = True
                await self.circles.record_thread(self.guild.id, number, thread.id, made=True)
            elif number not in state.threads:
                await self.circles.record_thread(self.guild.id, number, thread.id, made=False)
            if number in state.filled:
                continue
            thread = await reopen(thread)
            self.report.added += await add_people(thread, _joining(planned, circle, made))
            if made:
                await say(thread, _welcome(planned, locale))
            await self.circles.mark_filled(self.guild.id, number)

    async def _orphans(self, channel: discord.TextChannel) -> dict[str, discord.Thread]:
        """Private threads the bot made in `channel` that nothing records (a crash right after
        one was made, or an undo Discord refused), by name: apply takes them rather than making
        twins."""
        used = await self.circles.thread_ids(self.guild.id)
        me = self.guild.me.id
        found: dict[str, discord.Thread] = {}
        for thread in sorted(await self.guild.active_threads(), key=lambda th: th.id):
            if (
                thread.parent_id == channel.id
                and thread.owner_id == me
                and thread.type == discord.ChannelType.private_thread
                and thread.id not in used
            ):
                found.setdefault(thread.name, thread)
        return found

    async def _undo(self, *, drop_plan: bool) -> None:
        """Delete the threads this apply made and take the people it added out of circles'
        own threads; then forget the progress (and the plan, when it went stale)."""
        state = await self.circles.apply_state(self.guild.id)
        before = {c.id: c for c in await self.circles.circles(self.guild.id)}
        for planned in state.plan.circles:
            thread = await find_thread(self.guild, state.threads.get(planned.number))
            if thread is None:
                continue
            try:
                if planned.number in state.made:
                    await thread.delete(reason="Vouch: /circles apply undone")
                else:
                    await remove_people(
                        thread, _newcomers(planned, before.get(planned.circle_id or 0))
                    )
            except discord.HTTPException as error:
                log.warning("thread %s: could not undo (%s)", thread.id, error.status)
        await self.circles.abandon_apply(self.guild.id, drop_plan=drop_plan)

    async def _tidy(self, state: ApplyState) -> None:
        """People who left a circle leave its thread; closed circles' threads are archived
        and locked. A refusal is reported, never retried."""
        existing = {c.id: c.channel_id for c in await self.circles.circles(self.guild.id)}
        locale = await self.bot.guild_locale(self.guild)
        try:
            for planned in state.plan.circles:
                if planned.removed_ids and planned.circle_id in existing:
                    thread = await find_thread(self.guild, existing[planned.circle_id])
                    if thread is not None:
                        await remove_people(await reopen(thread), planned.removed_ids)
            for closing in state.plan.closing:
                thread = await find_thread(self.guild, closing.channel_id)
                if thread is not None and not thread.locked:
                    thread = await reopen(thread)
                    await say(thread, t("circles.thread.closed", locale))
                    await thread.edit(archived=True, locked=True)
        except discord.Forbidden:
            self.report.tidy_refused = True
        except discord.HTTPException as error:
            log.warning("guild %s: could not tidy threads (%s)", self.guild.id, error.status)


def _newcomers(planned: PlannedCircle, circle: Circle | None) -> tuple[int, ...]:
    """Who an apply adds to a circle's own thread: the people joining it, and its new leader."""
    was_there = {*(circle.member_ids if circle else ()), circle.leader_id if circle else None}
    leader = () if planned.leader_id in was_there else (planned.leader_id,)
    return tuple(u for u in (*planned.added_ids, *leader) if u is not None)


def _joining(planned: PlannedCircle, circle: Circle | None, made: bool) -> tuple[int, ...]:
    """A new thread gets the leader and everyone; a circle's own thread, its newcomers."""
    if made:
        return tuple(u for u in (planned.leader_id, *planned.member_ids) if u is not None)
    return _newcomers(planned, circle)


def _welcome(planned: PlannedCircle, locale: str) -> str:
    if planned.leader_id is None:
        return t("circles.thread.welcome_open", locale, circle=planned.name)
    return t(
        "circles.thread.welcome_led", locale, circle=planned.name, leader=f"<@{planned.leader_id}>"
    )
