"""Daily snapshots: each UTC day's aggregates, stored once the day is over and never rewritten,
so the history survives members leaving or being forgotten. Counts only, never a member id.

A durable job per guild runs shortly after each UTC midnight; it stores every day missing since
the last stored one (the bot may have been down), rebuilding them from the live tables, at most
`CATCH_UP_DAYS` back: older gaps stay gaps (the charts break their lines there) rather than
being rebuilt from tables that forgetting and signal retention have thinned. The first run
starts at the community's first recorded join (within that limit). A day is stored with
INSERT ... ON CONFLICT DO NOTHING, so two runs (the job and a /health command) never write one
twice. Figures of features not yet in use that day are NULL; so is participation for days older
than the engagement signals' retention (their rows are gone: that would be a false zero).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.db import Database
from bot.services.clock import Clock, iso, utcnow
from bot.services.health import activity, members
from bot.services.health.models import SOURCES, CurrencySales, DailySnapshot, NpsScore
from bot.services.jobs import JobQueue
from bot.services.leaders.models import LeaderSettings

SNAPSHOT_JOB = "health.snapshot"
CATCH_UP_DAYS = 183  # two quarters: the quarter view's comparison is whole from the first day
RUN_AFTER_MIDNIGHT = timedelta(minutes=10)

_COLUMNS = (
    "members",
    "pending",
    "admitted",
    "recorded",
    "left_count",
    "left_early",
    *(f"admitted_{source}" for source in SOURCES),
    "introductions_issued",
    "active_7d",
    "broad_7d",
    "nps_promoters",
    "nps_passives",
    "nps_detractors",
    "orders_paid",
    "orders_refunded",
    "leaders",
    "circle_members",
    "checked_in_30d",
)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of a day."""
    return datetime.combine(day, time(), UTC)


class Snapshots:
    """Takes, stores and reads the daily snapshots of a guild."""

    def __init__(self, db: Database, jobs: JobQueue, clock: Clock = utcnow) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock
        self._busy: dict[int, asyncio.Lock] = {}  # one catch-up per guild at a time

    # -- the daily job -------------------------------------------------------------------------
    async def arm(self, guild_id: int) -> datetime:
        """Make sure the guild's daily job exists (at startup): a missing one runs now, so
        missed days are caught up; an armed one is left where it is. Returns when it is due."""
        for job in await self._jobs.pending(SNAPSHOT_JOB):
            if job.key == str(guild_id):
                return job.due_at
        due = self._clock()
        await self._jobs.schedule(SNAPSHOT_JOB, str(guild_id), due, guild_id=guild_id)
        return due

    async def run(self, guild_id: int) -> list[date]:
        """The job: store the missing days, then arm the next run (after next UTC midnight)."""
        stored = await self.catch_up(guild_id)
        now = self._clock().astimezone(UTC)
        due = day_start(now.date() + timedelta(days=1)) + RUN_AFTER_MIDNIGHT
        await self._jobs.schedule(SNAPSHOT_JOB, str(guild_id), due, guild_id=guild_id)
        return stored

    async def catch_up(self, guild_id: int) -> list[date]:
        """Store every day not stored yet, up to yesterday (UTC); returns the days stored."""
        async with self._busy.setdefault(guild_id, asyncio.Lock()):
            return await self._catch_up(guild_id)

    async def _catch_up(self, guild_id: int) -> list[date]:
        yesterday = self._clock().astimezone(UTC).date() - timedelta(days=1)
        earliest = yesterday - timedelta(days=CATCH_UP_DAYS - 1)
        row = await self._db.fetch_one(
            "SELECT max(day) FROM health_daily WHERE guild_id = ?", (guild_id,)
        )
        if row and row[0]:
            first = date.fromisoformat(row[0]) + timedelta(days=1)
        else:
            first = await self._first_day(guild_id) or yesterday
        day = max(first, earliest)
        stored: list[date] = []
        while day <= yesterday:
            if await self._store(guild_id, await self.compute(guild_id, day)):
                stored.append(day)
            day += timedelta(days=1)
        return stored

    async def _first_day(self, guild_id: int) -> date | None:
        row = await self._db.fetch_one(
            "SELECT min(joined_at) FROM member_stint WHERE guild_id = ?", (guild_id,)
        )
        return datetime.fromisoformat(row[0]).astimezone(UTC).date() if row and row[0] else None

    # -- one day -------------------------------------------------------------------------------
    async def compute(self, guild_id: int, day: date) -> DailySnapshot:
        """The aggregates of one UTC day, from the live tables (members: at its end)."""
        start = day_start(day)
        end = start + timedelta(days=1)
        db = self._db
        growth, churn = await members.stint_figures(db, guild_id, start, end)
        by_source = await members.admissions_by_source(db, guild_id, start, end)
        gate = await members.gate(db, guild_id, end)
        active, broad = await self._participation(guild_id, day, end)
        nps = await activity.nps(db, guild_id, start, end)
        sales = await activity.sales(db, guild_id, start, end, top=0)
        leaders = await activity.leadership(db, guild_id, end, growth.members_end)
        return DailySnapshot(
            day=day,
            members=growth.members_end,
            pending=gate.pending,
            admitted=growth.admitted,
            recorded=growth.recorded,
            left=growth.left,
            left_early=churn.left_early,
            admitted_by_source=by_source,
            introductions_issued=await members.introductions_issued(db, guild_id, start, end),
            active_7d=active,
            broad_7d=broad,
            nps=nps.overall if nps.enabled else None,
            orders_paid=sales.paid_orders if sales.enabled else None,
            orders_refunded=sales.refunded if sales.enabled else None,
            sales=sales.by_currency,
            leaders=leaders.leaders if leaders.enabled else None,
            circle_members=leaders.circle_members if leaders.enabled else None,
            checked_in_30d=leaders.checked_in if leaders.enabled else None,
        )

    async def _participation(
        self, guild_id: int, day: date, end: datetime
    ) -> tuple[int | None, int | None]:
        first = await activity.first_signal_day(self._db, guild_id)
        row = await self._db.fetch_one(
            "SELECT retention_days FROM leader_settings WHERE guild_id = ?", (guild_id,)
        )
        retention = int(row[0]) if row else LeaderSettings(guild_id).retention_days
        kept_since = self._clock().astimezone(UTC).date() - timedelta(days=retention)
        if first is None or day < first or day - timedelta(days=6) < kept_since:
            return None, None
        figures = await activity.participation(self._db, guild_id, end - timedelta(days=7), end)
        return figures.active, figures.broad

    async def _store(self, guild_id: int, snap: DailySnapshot) -> bool:
        """Insert the day unless it is there already; returns whether it was stored."""
        nps = snap.nps
        values: dict[str, Any] = {
            "members": snap.members,
            "pending": snap.pending,
            "admitted": snap.admitted,
            "recorded": snap.recorded,
            "left_count": snap.left,
            "left_early": snap.left_early,
            **{f"admitted_{s}": snap.admitted_by_source.get(s, 0) for s in SOURCES},
            "introductions_issued": snap.introductions_issued,
            "active_7d": snap.active_7d,
            "broad_7d": snap.broad_7d,
            "nps_promoters": nps.promoters if nps else None,
            "nps_passives": nps.passives if nps else None,
            "nps_detractors": nps.detractors if nps else None,
            "orders_paid": snap.orders_paid,
            "orders_refunded": snap.orders_refunded,
            "leaders": snap.leaders,
            "circle_members": snap.circle_members,
            "checked_in_30d": snap.checked_in_30d,
        }
        marks = ", ".join("?" for _ in _COLUMNS)
        day = snap.day.isoformat()
        async with self._db.transaction() as tx:
            stored = await tx.execute_rowcount(
                f"INSERT INTO health_daily (guild_id, day, {', '.join(_COLUMNS)}, taken_at) "
                f"VALUES (?, ?, {marks}, ?) ON CONFLICT (guild_id, day) DO NOTHING",
                (guild_id, day, *(values[c] for c in _COLUMNS), iso(self._clock())),
            )
            if stored:
                await tx.executemany(
                    "INSERT INTO health_daily_sales (guild_id, day, currency, orders, "
                    "amount_minor) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [(guild_id, day, s.currency, s.orders, s.amount_minor) for s in snap.sales],
                )
        return bool(stored)

    # -- reading -------------------------------------------------------------------------------
    async def history(
        self, guild_id: int, first: date | None = None, last: date | None = None
    ) -> list[DailySnapshot]:
        """Stored days between `first` and `last` (inclusive; open ends: all), oldest first."""
        low = first.isoformat() if first else ""
        high = last.isoformat() if last else "9999"
        rows = await self._db.fetch_all(
            "SELECT * FROM health_daily WHERE guild_id = ? AND day >= ? AND day <= ? ORDER BY day",
            (guild_id, low, high),
        )
        sales: dict[str, list[CurrencySales]] = {}
        for row in await self._db.fetch_all(
            "SELECT day, currency, orders, amount_minor FROM health_daily_sales "
            "WHERE guild_id = ? AND day >= ? AND day <= ? ORDER BY day, currency",
            (guild_id, low, high),
        ):
            sales.setdefault(row["day"], []).append(
                CurrencySales(row["currency"], int(row["orders"]), int(row["amount_minor"]))
            )
        return [_snapshot(row, sales.get(row["day"], ())) for row in rows]


def _snapshot(row: Any, sales: Sequence[CurrencySales]) -> DailySnapshot:
    nps = (
        NpsScore(row["nps_promoters"], row["nps_passives"], row["nps_detractors"])
        if row["nps_promoters"] is not None
        else None
    )
    return DailySnapshot(
        day=date.fromisoformat(row["day"]),
        members=row["members"],
        pending=row["pending"],
        admitted=row["admitted"],
        recorded=row["recorded"],
        left=row["left_count"],
        left_early=row["left_early"],
        admitted_by_source={source: row[f"admitted_{source}"] for source in SOURCES},
        introductions_issued=row["introductions_issued"],
        active_7d=row["active_7d"],
        broad_7d=row["broad_7d"],
        nps=nps,
        orders_paid=row["orders_paid"],
        orders_refunded=row["orders_refunded"],
        sales=tuple(sales),
        leaders=row["leaders"],
        circle_members=row["circle_members"],
        checked_in_30d=row["checked_in_30d"],
    )
