"""Founder-leader syncs: a recurring founder session for leaders only.

One sync per guild. It holds one leaders-only session at a time (`founder_session.audience =
'leaders'`, made by SessionService, so it has its event, RSVPs, reminders and attendance). When
that session ends or is cancelled, the next one is made at the next occurrence: every week, two
weeks or month, at the first sync's wall-clock time in the guild's time zone (DST-safe; a
month's sync keeps its day of the month, or the month's last day). A session nobody ended is
rolled over anyway a while after its planned end (a durable job), and every sync is checked at
startup, so a roll lost in a crash still happens, once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.sessions.models import Session, session_of
from bot.services.sessions.schedule import Draft, SessionService

Every = Literal["week", "2weeks", "month"]
EVERY: tuple[Every, ...] = get_args(Every)
ROLL_JOB = "leaders.sync.roll"  # one per guild, at the current session's end + ROLL_GRACE
ROLL_GRACE = timedelta(hours=12)
DEFAULT_MINUTES = 45
_STEP_DAYS = {"week": 7, "2weeks": 14}


@dataclass(frozen=True)
class Sync:
    """A guild's recurring founder-leader sync."""

    guild_id: int
    every: Every
    anchor_local: datetime  # naive: the first sync's wall-clock time in `timezone`
    timezone: str
    next_starts_at: datetime  # the current (or last) session's start
    minutes: int
    channel_id: int | None
    host_id: int
    session_id: int | None


def occurrence(anchor_local: datetime, every: Every, index: int, timezone: str) -> datetime:
    """The `index`-th sync (0 = the first), aware, UTC. A wall-clock time skipped by a DST
    change lands as far past the change as it was written past it (as `parse_when` does)."""
    if every == "month":
        months = anchor_local.month - 1 + index
        year, month = anchor_local.year + months // 12, months % 12 + 1
        day = min(anchor_local.day, calendar.monthrange(year, month)[1])
        local = anchor_local.replace(year=year, month=month, day=day)
    else:
        local = anchor_local + timedelta(days=_STEP_DAYS[every] * index)
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def next_occurrence(
    anchor_local: datetime, every: Every, timezone: str, after: datetime
) -> datetime:
    """The first sync strictly after `after`."""
    first = occurrence(anchor_local, every, 0, timezone)
    if first > after:
        return first
    days = (after - first).days
    index = max(0, days // 31 - 1 if every == "month" else days // _STEP_DAYS[every] - 1)
    while (moment := occurrence(anchor_local, every, index, timezone)) <= after:
        index += 1
    return moment


class LeaderSyncs:
    """Schedules, rolls over and stops a guild's founder-leader sync."""

    def __init__(
        self, db: Database, sessions: SessionService, jobs: JobQueue, clock: Clock = utcnow
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._jobs = jobs
        self._clock = clock

    async def get(self, guild_id: int) -> Sync | None:
        """The guild's sync, if one is scheduled."""
        row = await self._db.fetch_one("SELECT * FROM leader_sync WHERE guild_id = ?", (guild_id,))
        return _sync(row) if row else None

    async def guilds(self) -> list[int]:
        """Guilds with a sync (checked at startup)."""
        rows = await self._db.fetch_all("SELECT guild_id FROM leader_sync ORDER BY guild_id")
        return [int(row["guild_id"]) for row in rows]

    async def schedule(
        self,
        guild_id: int,
        host_id: int,
        *,
        starts_at: datetime,
        every: str,
        timezone: str,
        title: str,
        description: str | None = None,
        minutes: int = DEFAULT_MINUTES,
        channel_id: int | None = None,
    ) -> tuple[Sync, Session]:
        """Start the recurring sync with its first session (refused when one is scheduled)."""
        if every not in EVERY:
            raise DomainError("leaders.sync.every_invalid")
        draft = self._sessions.check(
            title=title,
            starts_at=starts_at,
            minutes=minutes,
            channel_id=channel_id,
            description=description,
        )
        now = iso(self._clock())
        anchor = starts_at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
        async with self._db.transaction() as tx:
            if await tx.fetch_one("SELECT 1 FROM leader_sync WHERE guild_id = ?", (guild_id,)):
                raise DomainError("leaders.sync.exists")
            await tx.execute(
                "INSERT INTO leader_sync (guild_id, every, anchor_local, timezone, "
                "next_starts_at, duration_min, channel_id, host_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    every,
                    anchor.isoformat(),
                    timezone,
                    iso(starts_at),
                    minutes,
                    channel_id,
                    host_id,
                    now,
                    now,
                ),
            )
            session = await self._open(tx, guild_id, draft)
            sync = await self.get(guild_id)
        assert sync is not None
        return sync, session

    async def roll(
        self, guild_id: int, *, title: str, description: str | None = None
    ) -> Session | None:
        """Make the next session when the current one is over (ended, cancelled, gone, or
        `ROLL_GRACE` past its planned end); None when there is nothing to do. Safe to call from
        every path (the end itself, the durable job, startup): the check and the new session
        are one transaction."""
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT * FROM leader_sync WHERE guild_id = ?", (guild_id,))
            if row is None:
                return None
            sync = _sync(row)
            current = None
            if sync.session_id is not None:
                found = await tx.fetch_one(
                    "SELECT * FROM founder_session WHERE id = ?", (sync.session_id,)
                )
                current = session_of(found) if found else None
            if current is not None and current.is_open and now < current.ends_at + ROLL_GRACE:
                return None
            # After a session that took place (or was cancelled): the occurrence after it. With
            # none (its Discord event could not be made), the next one still to come.
            after = max(now, current.starts_at) if current else now
            starts = next_occurrence(sync.anchor_local, sync.every, sync.timezone, after)
            draft = Draft(title, starts, sync.minutes, sync.channel_id, None, description, None)
            return await self._open(tx, guild_id, draft)

    async def _open(self, tx: Transaction, guild_id: int, draft: Draft) -> Session:
        """The leaders-only session for `draft`, linked to the sync, with its roll-over job."""
        row = await tx.fetch_one("SELECT host_id FROM leader_sync WHERE guild_id = ?", (guild_id,))
        assert row is not None
        session = await self._sessions.create(
            guild_id, int(row["host_id"]), draft, audience="leaders"
        )
        await tx.execute(
            "UPDATE leader_sync SET session_id = ?, next_starts_at = ?, updated_at = ? "
            "WHERE guild_id = ?",
            (session.id, iso(draft.starts_at), iso(self._clock()), guild_id),
        )
        await self._jobs.schedule(
            ROLL_JOB, str(guild_id), draft.ends_at + ROLL_GRACE, guild_id=guild_id
        )
        return session

    async def stop(self, guild_id: int) -> Session | None:
        """End the recurrence. Returns its upcoming session if it has not started (the caller
        cancels it, on Discord too); a running one goes on."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT s.* FROM leader_sync y LEFT JOIN founder_session s ON s.id = y.session_id "
                "WHERE y.guild_id = ?",
                (guild_id,),
            )
            if row is None:
                raise DomainError("leaders.sync.none")
            await tx.execute("DELETE FROM leader_sync WHERE guild_id = ?", (guild_id,))
            await self._jobs.cancel(ROLL_JOB, str(guild_id))
        if row["id"] is None:
            return None
        session = session_of(row)
        return session if session.status == "scheduled" else None


def _sync(row: Any) -> Sync:
    return Sync(
        guild_id=int(row["guild_id"]),
        every=row["every"],
        anchor_local=datetime.fromisoformat(row["anchor_local"]),
        timezone=row["timezone"],
        next_starts_at=datetime.fromisoformat(row["next_starts_at"]),
        minutes=int(row["duration_min"]),
        channel_id=row["channel_id"],
        host_id=int(row["host_id"]),
        session_id=row["session_id"],
    )
