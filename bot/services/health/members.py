"""Growth, invitations, churn and the gate, read from the members' stints and introductions.

A member at instant T: a stint admitted before T (`admitted_at < T`) that had not ended by T
(`left_at` NULL or at/after T). So members at a period's end = members at its start + admitted +
recorded - left. People in the gate (pending, refused, left before admission) never count.
Members recorded without the gate (source `existing`: at setup, or given the member role by
hand) count from when Vouch recorded them, as `recorded`, not as an invitation source, and are
left out of early churn (their `admitted_at` is not an admission).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.services.clock import iso
from bot.services.health.models import SOURCES, Churn, Gate, Growth, Invitations

EARLY_DAYS = 30
#: A newcomer in the gate longer than this is "waiting long" (the gate is stalling).
GATE_WAIT = timedelta(days=1)

_MEMBERS_AT = "coalesce(sum(admitted_at < :{at} AND (left_at IS NULL OR left_at >= :{at})), 0)"


async def stint_figures(
    db: Database, guild_id: int, start: datetime, end: datetime
) -> tuple[Growth, Churn]:
    """Growth and churn of [start, end) in one pass over the guild's admitted stints."""
    row = await db.fetch_one(
        "SELECT "
        + _MEMBERS_AT.format(at="start")
        + " AS members_start, "
        + _MEMBERS_AT.format(at="end")
        + " AS members_end, "
        "coalesce(sum(source != 'existing' AND admitted_at >= :start AND admitted_at < :end), 0) "
        "AS admitted, "
        "coalesce(sum(source = 'existing' AND admitted_at >= :start AND admitted_at < :end), 0) "
        "AS recorded, "
        "coalesce(sum(left_at >= :start AND left_at < :end), 0) AS left_count, "
        "coalesce(sum(source != 'existing' AND left_at >= :start AND left_at < :end "
        f"AND julianday(left_at) - julianday(admitted_at) < {EARLY_DAYS}), 0) AS left_early "
        "FROM member_stint WHERE guild_id = :guild AND admitted_at IS NOT NULL "
        "AND admitted_at < :end AND (left_at IS NULL OR left_at >= :start)",
        {"guild": guild_id, "start": iso(start), "end": iso(end)},
    )
    assert row is not None  # an aggregate always returns a row
    growth = Growth(
        members_start=int(row["members_start"]),
        members_end=int(row["members_end"]),
        admitted=int(row["admitted"]),
        recorded=int(row["recorded"]),
        left=int(row["left_count"]),
    )
    return growth, Churn(growth.members_start, growth.left, int(row["left_early"]))


async def members_at(db: Database, guild_id: int, moments: list[datetime]) -> list[int]:
    """Members at each of these instants, in one query."""
    if not moments:
        return []
    values = ", ".join("(?, ?)" for _ in moments)
    params: list[Any] = [v for index, at in enumerate(moments) for v in (index, iso(at))]
    rows = await db.fetch_all(
        f"WITH w(idx, at) AS (VALUES {values}) SELECT w.idx, "
        "(SELECT count(*) FROM member_stint s WHERE s.guild_id = ? "
        "AND s.admitted_at IS NOT NULL AND s.admitted_at < w.at "
        "AND (s.left_at IS NULL OR s.left_at >= w.at)) AS n FROM w ORDER BY w.idx",
        (*params, guild_id),
    )
    return [int(row["n"]) for row in rows]


async def admissions_by_source(
    db: Database, guild_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Members admitted through the gate in [start, end), per source (every source listed)."""
    rows = await db.fetch_all(
        "SELECT source, count(*) AS n FROM member_stint WHERE guild_id = ? "
        "AND source != 'existing' AND admitted_at >= ? AND admitted_at < ? GROUP BY source",
        (guild_id, iso(start), iso(end)),
    )
    found = {row["source"]: int(row["n"]) for row in rows}
    return {source: found.get(source, 0) for source in SOURCES}


async def introductions_issued(db: Database, guild_id: int, start: datetime, end: datetime) -> int:
    """Introductions written in [start, end), except those cancelled (no invite could be made)."""
    row = await db.fetch_one(
        "SELECT count(*) FROM introduction WHERE guild_id = ? AND created_at >= ? "
        "AND created_at < ? AND status != 'cancelled'",
        (guild_id, iso(start), iso(end)),
    )
    return int(row[0]) if row else 0


async def invitations(db: Database, guild_id: int, start: datetime, end: datetime) -> Invitations:
    """Admissions by source, and the introductions' funnel: written in the period -> admitted
    by its end; and introduced members whose 30th day fell in the period -> still here on it."""
    by_source = await admissions_by_source(db, guild_id, start, end)
    issued = await introductions_issued(db, guild_id, start, end)
    admitted = await db.fetch_one(
        "SELECT count(DISTINCT i.id) FROM introduction i "
        "JOIN member_stint s ON s.introduction_id = i.id "
        "WHERE i.guild_id = ? AND i.created_at >= ? AND i.created_at < ? "
        "AND i.status != 'cancelled' AND s.admitted_at IS NOT NULL AND s.admitted_at < ?",
        (guild_id, iso(start), iso(end), iso(end)),
    )
    month = timedelta(days=EARLY_DAYS)
    cohort = await db.fetch_one(
        "SELECT count(*) AS reached, coalesce(sum(left_at IS NULL "
        f"OR julianday(left_at) - julianday(admitted_at) >= {EARLY_DAYS}), 0) AS stayed "
        "FROM member_stint WHERE guild_id = ? AND source = 'introduction' "
        "AND admitted_at >= ? AND admitted_at < ?",
        (guild_id, iso(start - month), iso(end - month)),
    )
    return Invitations(
        by_source=by_source,
        introductions_issued=issued,
        introductions_admitted=int(admitted[0]) if admitted else 0,
        reached_30_days=int(cohort["reached"]) if cohort else 0,
        stayed_30_days=int(cohort["stayed"]) if cohort else 0,
    )


async def gate(db: Database, guild_id: int, at: datetime) -> Gate:
    """Who was in the gate at `at`: joined, neither admitted nor gone yet."""
    row = await db.fetch_one(
        "SELECT count(*) AS pending, coalesce(sum(joined_at < :long), 0) AS waiting_long, "
        "coalesce(sum(submitted_at IS NOT NULL AND submitted_at < :long), 0) AS moderator, "
        "min(joined_at) AS first FROM member_stint WHERE guild_id = :guild "
        "AND source != 'existing' AND joined_at < :at "
        "AND (admitted_at IS NULL OR admitted_at >= :at) AND (left_at IS NULL OR left_at >= :at)",
        {"guild": guild_id, "at": iso(at), "long": iso(at - GATE_WAIT)},
    )
    assert row is not None
    first = row["first"]
    return Gate(
        pending=int(row["pending"]),
        waiting_long=int(row["waiting_long"]),
        waiting_moderator=int(row["moderator"]),
        longest_wait=at - datetime.fromisoformat(first) if first else None,
    )
