"""Leaders and their nominations: nominate with consent, accept, decline, expiry, step down,
removal, and what happens when a leader leaves the server.

When a leader stops (steps down, is removed), each circle they led goes to another active
leader, the one with the fewest members in their circles (ties: the longest-serving), or stays
open (`circle.leader_id` NULL) when there is no other leader. A leader who left the server
leaves their circles open: the founders choose who takes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.leaders.models import Leader
from bot.services.leaders.nominations import (
    EXPIRE_JOB,
    CircleRef,
    NominationDesk,
    leader_from_row,
)

REASON_MAX = 300


@dataclass(frozen=True)
class CircleHandover:
    """What became of one circle of a leader who stopped."""

    circle_id: int
    name: str
    channel_id: int | None
    new_leader_id: int | None  # None: left open, waiting for a leader
    former_stays: bool  # the former leader is also a member of the circle


@dataclass(frozen=True)
class Handover:
    """A leader record closed, and what became of their circles."""

    leader: Leader
    circles: tuple[CircleHandover, ...]


@dataclass(frozen=True)
class LedCircle:
    """A circle in the list: its size (its members, not counting its leader) and the last
    check-in recorded in it."""

    id: int
    name: str
    members: int
    last_checkin_at: datetime | None


@dataclass(frozen=True)
class RosterEntry:
    """An active leader and the circles they lead."""

    user_id: int
    since: datetime
    circles: tuple[LedCircle, ...]


@dataclass(frozen=True)
class Roster:
    """`/leaders list`: the leaders, and the circles waiting for one."""

    leaders: tuple[RosterEntry, ...]
    open_circles: tuple[LedCircle, ...]


# One pass over the guild's leaders, circles, circle members and check-ins: every active
# leader (with each circle they lead, or one row without a circle) and every open circle whose
# leader is missing or no longer active.
_ROSTER = """
WITH open_circle AS (
    SELECT id, name, leader_id FROM circle WHERE guild_id = :guild AND closed_at IS NULL
), size AS (
    SELECT m.circle_id, count(*) AS members FROM circle_member m
    JOIN open_circle c ON c.id = m.circle_id
    WHERE m.user_id IS NOT c.leader_id GROUP BY m.circle_id
), last_checkin AS (
    SELECT circle_id, max(at) AS at FROM circle_checkin
    WHERE guild_id = :guild AND circle_id IS NOT NULL GROUP BY circle_id
)
SELECT * FROM (
    SELECT l.user_id, l.since, c.id AS circle_id, c.name,
           coalesce(s.members, 0) AS members, k.at
    FROM leader l
    LEFT JOIN open_circle c ON c.leader_id = l.user_id
    LEFT JOIN size s ON s.circle_id = c.id
    LEFT JOIN last_checkin k ON k.circle_id = c.id
    WHERE l.guild_id = :guild AND l.status = 'active'
    UNION ALL
    SELECT NULL, NULL, c.id, c.name, coalesce(s.members, 0), k.at
    FROM open_circle c
    LEFT JOIN size s ON s.circle_id = c.id
    LEFT JOIN last_checkin k ON k.circle_id = c.id
    WHERE NOT EXISTS (SELECT 1 FROM leader l WHERE l.guild_id = :guild
                      AND l.user_id = c.leader_id AND l.status = 'active')
)
ORDER BY since IS NULL, since, user_id, name COLLATE NOCASE, circle_id
"""


class LeaderRoster(NominationDesk):
    """Who leads, and how they came to (or stopped)."""

    name = "leaders"

    def __init__(self, db: Database, jobs: JobQueue, clock: Clock = utcnow) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock

    # -- who leads -----------------------------------------------------------------------------
    async def active(self, guild_id: int) -> list[Leader]:
        """The guild's current leaders, longest-serving first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM leader WHERE guild_id = ? AND status = 'active' ORDER BY since, id",
            (guild_id,),
        )
        return [leader_from_row(row) for row in rows]

    async def active_leader(self, guild_id: int, user_id: int) -> Leader | None:
        """The member's active leader record, or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (guild_id, user_id),
        )
        return leader_from_row(row) if row else None

    async def open_circles(self, guild_id: int) -> list[CircleRef]:
        """The guild's open circles (not closed), with their leader when that person leads
        now; for the `circle:` option of /leaders nominate."""
        rows = await self._db.fetch_all(
            "SELECT c.id, c.name, c.channel_id, l.user_id AS leader_id FROM circle c "
            "LEFT JOIN leader l ON l.guild_id = c.guild_id AND l.user_id = c.leader_id "
            "AND l.status = 'active' WHERE c.guild_id = ? AND c.closed_at IS NULL "
            "ORDER BY c.name COLLATE NOCASE, c.id",
            (guild_id,),
        )
        return [CircleRef(r["id"], r["name"], r["channel_id"], r["leader_id"]) for r in rows]

    async def roster(self, guild_id: int) -> Roster:
        """The leaders with their circles (size, last check-in), and the open circles."""
        rows = await self._db.fetch_all(_ROSTER, {"guild": guild_id})
        leaders: dict[int, tuple[datetime, list[LedCircle]]] = {}
        waiting: list[LedCircle] = []
        for row in rows:
            circle = (
                LedCircle(
                    id=row["circle_id"],
                    name=row["name"],
                    members=row["members"],
                    last_checkin_at=datetime.fromisoformat(row["at"]) if row["at"] else None,
                )
                if row["circle_id"] is not None
                else None
            )
            if row["user_id"] is None:
                if circle is not None:
                    waiting.append(circle)
                continue
            _, circles = leaders.setdefault(
                row["user_id"], (datetime.fromisoformat(row["since"]), [])
            )
            if circle is not None:
                circles.append(circle)
        return Roster(
            leaders=tuple(
                RosterEntry(user_id, since, tuple(circles))
                for user_id, (since, circles) in leaders.items()
            ),
            open_circles=tuple(waiting),
        )

    # -- stopping ------------------------------------------------------------------------------
    async def stepdown(self, guild_id: int, user_id: int) -> Handover:
        """A leader stops of their own accord; their circles go to another leader or stay
        open. Refused for someone who is not a leader."""
        async with self._db.transaction() as tx:
            record = await _active(tx, guild_id, user_id, "leaders.stepdown.not_leader")
            await self._end(tx, record, "stepped_down")
            circles = await self._hand_over(tx, guild_id, user_id, reassign=True)
            return Handover(await _record(tx, record.id), circles)

    async def remove(self, guild_id: int, user_id: int, by: int, reason: str) -> Handover:
        """A founder ends someone's leadership, with a reason; their circles go to another
        leader or stay open. Refused: not a leader, a blank or too long reason."""
        cleaned = reason.strip()
        if not cleaned or len(cleaned) > REASON_MAX:
            raise DomainError("leaders.remove.reason_invalid", limit=REASON_MAX)
        async with self._db.transaction() as tx:
            record = await _active(
                tx, guild_id, user_id, "leaders.remove.not_leader", member=f"<@{user_id}>"
            )
            await self._end(tx, record, "removed", reason=cleaned, by=by)
            circles = await self._hand_over(tx, guild_id, user_id, reassign=True)
            return Handover(await _record(tx, record.id), circles)

    async def leader_left(self, guild_id: int, user_id: int) -> Handover | None:
        """The leader left the server: their record is closed ('left') and their circles stay
        open for the founders to give to someone. None when they were not a leader."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
                (guild_id, user_id),
            )
            if row is None:
                return None
            record = leader_from_row(row)
            await self._end(tx, record, "left")
            circles = await self._hand_over(tx, guild_id, user_id, reassign=False)
            return Handover(await _record(tx, record.id), circles)

    async def _end(
        self,
        tx: Transaction,
        record: Leader,
        status: str,
        *,
        reason: str | None = None,
        by: int | None = None,
    ) -> None:
        await tx.execute(
            "UPDATE leader SET status = ?, ended_at = ?, end_reason = ?, ended_by = ? WHERE id = ?",
            (status, iso(self._clock()), reason, by, record.id),
        )

    async def _hand_over(
        self, tx: Transaction, guild_id: int, user_id: int, *, reassign: bool
    ) -> tuple[CircleHandover, ...]:
        """Each open circle `user_id` led goes to the other active leader with the fewest
        members (counted again after each circle), or is left open."""
        circles = await tx.fetch_all(
            "SELECT c.id, c.name, c.channel_id, "
            "(SELECT count(*) FROM circle_member m WHERE m.circle_id = c.id "
            "AND m.user_id != c.leader_id) AS members, "
            "EXISTS (SELECT 1 FROM circle_member m WHERE m.circle_id = c.id "
            "AND m.user_id = c.leader_id) AS former_stays "
            "FROM circle c WHERE c.guild_id = ? AND c.leader_id = ? AND c.closed_at IS NULL "
            "ORDER BY c.id",
            (guild_id, user_id),
        )
        load: dict[int, tuple[int, str, int]] = {}
        if reassign:
            for row in await tx.fetch_all(
                "SELECT l.user_id, l.since, coalesce((SELECT count(*) FROM circle c "
                "JOIN circle_member m ON m.circle_id = c.id AND m.user_id != c.leader_id "
                "WHERE c.guild_id = l.guild_id AND c.leader_id = l.user_id "
                "AND c.closed_at IS NULL), 0) AS members FROM leader l "
                "WHERE l.guild_id = ? AND l.status = 'active' AND l.user_id != ?",
                (guild_id, user_id),
            ):
                load[row["user_id"]] = (row["members"], row["since"], row["user_id"])
        done: list[CircleHandover] = []
        for circle in circles:
            successor = min(load, key=lambda uid: load[uid]) if load else None
            if successor is not None:
                members, since, _ = load[successor]
                load[successor] = (members + circle["members"], since, successor)
            await tx.execute(
                "UPDATE circle SET leader_id = ? WHERE id = ?", (successor, circle["id"])
            )
            done.append(
                CircleHandover(
                    circle_id=circle["id"],
                    name=circle["name"],
                    channel_id=circle["channel_id"],
                    new_leader_id=successor,
                    former_stays=bool(circle["former_stays"]),
                )
            )
        return tuple(done)

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's nominations and their times as a leader."""
        nominations = await self._db.fetch_all(
            "SELECT circle_id, status, created_at, expires_at, decided_at "
            "FROM leader_nomination WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        records = await self._db.fetch_all(
            "SELECT status, since, ended_at, end_reason FROM leader "
            "WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        if not nominations and not records:
            return {}
        return {
            "nominations": [dict(row) for row in nominations],
            "leader": [dict(row) for row in records],
        }

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's nominations and leader records; circles they led are left open,
        and nominations they made for others no longer name them."""
        records = await tx.execute_rowcount(
            "DELETE FROM leader WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        await tx.execute(
            "DELETE FROM scheduled_job WHERE kind = ? AND key IN (SELECT CAST(id AS TEXT) "
            "FROM leader_nomination WHERE guild_id = ? AND user_id = ?)",
            (EXPIRE_JOB, guild_id, user_id),
        )
        nominations = await tx.execute_rowcount(
            "DELETE FROM leader_nomination WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        await tx.execute(
            "UPDATE leader_nomination SET nominated_by = 0 WHERE guild_id = ? AND nominated_by = ?",
            (guild_id, user_id),
        )
        await tx.execute(
            "UPDATE leader SET ended_by = NULL WHERE guild_id = ? AND ended_by = ?",
            (guild_id, user_id),
        )
        await tx.execute(
            "UPDATE circle SET leader_id = NULL WHERE guild_id = ? AND leader_id = ?",
            (guild_id, user_id),
        )
        return records + nominations


async def _active(
    tx: Transaction, guild_id: int, user_id: int, refusal: str, **params: object
) -> Leader:
    row = await tx.fetch_one(
        "SELECT * FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
        (guild_id, user_id),
    )
    if row is None:
        raise DomainError(refusal, **params)
    return leader_from_row(row)


async def _record(tx: Transaction, record_id: int) -> Leader:
    row: Any = await tx.fetch_one("SELECT * FROM leader WHERE id = ?", (record_id,))
    return leader_from_row(row)
