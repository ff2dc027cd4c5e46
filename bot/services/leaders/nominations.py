"""Nominations with consent: a founder asks, the member accepts or declines within 7 days.

pending -> accepted (a `leader` row is made, and the circle offered, if still free, is theirs)
        -> declined (recorded; nothing else happens)
        -> expired (7 days passed: a durable job, or a press after the deadline)
        -> withdrawn (the member left the server)

Only the nominee answers; an answered nomination is never answered again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso
from bot.services.jobs import JobQueue
from bot.services.leaders.models import Leader, Nomination

EXPIRE_JOB = "leaders.nomination.expire"
NOMINATION_DAYS = 7

#: Where the cog found the person on Discord: in the community, in the gate (the newcomer
#: role), or outside it (not in the server, or in it without the member role).
Standing = Literal["member", "newcomer", "outsider"]

_ANSWERED = {
    "accepted": "leaders.nomination.already_accepted",
    "declined": "leaders.nomination.already_declined",
    "expired": "leaders.nomination.expired",
    "withdrawn": "leaders.nomination.withdrawn",
}


@dataclass(frozen=True)
class CircleRef:
    """A circle, as the leader features name it."""

    id: int
    name: str
    channel_id: int | None
    leader_id: int | None = None


@dataclass(frozen=True)
class Acceptance:
    """What accepting did: the nomination, the new leader record, and the circle they now lead
    (None when none was offered, or when the one offered was closed or taken meanwhile)."""

    nomination: Nomination
    leader: Leader
    circle: CircleRef | None
    circle_missed: bool = False  # a circle was offered but is no longer free


def nomination_from_row(row: Any) -> Nomination:
    """A `leader_nomination` row as a value."""
    return Nomination(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        nominated_by=row["nominated_by"],
        circle_id=row["circle_id"],
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        decided_at=_when(row["decided_at"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


def leader_from_row(row: Any) -> Leader:
    """A `leader` row as a value."""
    return Leader(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        status=row["status"],
        since=datetime.fromisoformat(row["since"]),
        ended_at=_when(row["ended_at"]),
        end_reason=row["end_reason"],
        reviewed_at=_when(row["reviewed_at"]),
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class NominationDesk:
    """The nomination half of the roster (mixed into `LeaderRoster`)."""

    _db: Database
    _jobs: JobQueue
    _clock: Clock

    async def nominate(
        self,
        guild_id: int,
        user_id: int,
        by: int,
        circle_id: int | None = None,
        *,
        standing: Standing = "member",
    ) -> Nomination:
        """Ask a member to lead. Refused: not in the community, still in the gate, opted out,
        a leader already, a nomination already pending, an unknown or already led circle."""
        if standing == "outsider":
            raise DomainError("leaders.nominate.not_member", member=f"<@{user_id}>")
        now = self._clock()
        async with self._db.transaction() as tx:
            await self._check_nominee(tx, guild_id, user_id, standing)
            if circle_id is not None:
                circle = await _open_circle(tx, guild_id, circle_id)
                if circle is None:
                    raise DomainError("leaders.nominate.circle_unknown")
                if circle.leader_id is not None:
                    raise DomainError(
                        "leaders.nominate.circle_taken",
                        circle=circle.name,
                        leader=f"<@{circle.leader_id}>",
                    )
            expires = now + timedelta(days=NOMINATION_DAYS)
            try:
                nomination_id = await tx.execute(
                    "INSERT INTO leader_nomination (guild_id, user_id, nominated_by, circle_id, "
                    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (guild_id, user_id, by, circle_id, iso(now), iso(expires)),
                )
            except sqlite3.IntegrityError:
                raise DomainError("leaders.nominate.pending", member=f"<@{user_id}>") from None
            await self._jobs.schedule(
                EXPIRE_JOB,
                str(nomination_id),
                expires,
                guild_id=guild_id,
                payload={"nomination_id": nomination_id},
            )
            return await _nomination(tx, nomination_id)

    async def _check_nominee(
        self, tx: Transaction, guild_id: int, user_id: int, standing: Standing
    ) -> None:
        stint = await tx.fetch_one(
            "SELECT status FROM member_stint WHERE guild_id = ? AND user_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (guild_id, user_id),
        )
        if standing == "newcomer" or (stint is not None and stint["status"] == "pending"):
            raise DomainError("leaders.nominate.newcomer", member=f"<@{user_id}>")
        if stint is not None and stint["status"] != "member":
            raise DomainError("leaders.nominate.not_member", member=f"<@{user_id}>")
        if await tx.fetch_one(
            "SELECT 1 FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (guild_id, user_id),
        ):
            raise DomainError("leaders.nominate.already_leader", member=f"<@{user_id}>")
        if await tx.fetch_one(
            "SELECT 1 FROM leader_optout WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ):
            raise DomainError("leaders.nominate.opted_out", member=f"<@{user_id}>")

    async def delivered(self, nomination_id: int, channel_id: int, message_id: int) -> None:
        """Remember where the charter and its buttons were posted (to disable them later)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE leader_nomination SET channel_id = ?, message_id = ? WHERE id = ?",
                (channel_id, message_id, nomination_id),
            )

    async def discard(self, nomination_id: int) -> None:
        """Forget a pending nomination whose charter could not be delivered anywhere: it never
        reached the member, so it never happened."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM scheduled_job WHERE kind = ? AND key = ?",
                (EXPIRE_JOB, str(nomination_id)),
            )
            await tx.execute(
                "DELETE FROM leader_nomination WHERE id = ? AND status = 'pending'",
                (nomination_id,),
            )

    async def nomination(self, nomination_id: int) -> Nomination | None:
        """One nomination, or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM leader_nomination WHERE id = ?", (nomination_id,)
        )
        return nomination_from_row(row) if row else None

    async def pending_nomination(self, guild_id: int, user_id: int) -> Nomination | None:
        """The member's open nomination, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM leader_nomination WHERE guild_id = ? AND user_id = ? "
            "AND status = 'pending'",
            (guild_id, user_id),
        )
        return nomination_from_row(row) if row else None

    async def check_answer(self, nomination_id: int, user_id: int) -> Nomination:
        """The nomination `user_id` may answer now, or the DomainError saying why not (nothing
        is written: the Discord side is checked before `accept` commits)."""
        row = await self._db.fetch_one(
            "SELECT * FROM leader_nomination WHERE id = ?", (nomination_id,)
        )
        nomination = _answerable(row, user_id)
        if nomination.expires_at <= self._clock():
            raise DomainError("leaders.nomination.expired")
        return nomination

    async def accept(self, nomination_id: int, user_id: int) -> Acceptance:
        """The nominee says yes: they become a leader (and lead the circle offered, if it is
        still open and without a leader). Refused for anyone else, after expiry, and twice."""
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM leader_nomination WHERE id = ?", (nomination_id,)
            )
            nomination = _answerable(row, user_id)
            if nomination.expires_at <= now:
                await self._close(tx, nomination, "expired")
                acceptance = None
            else:
                acceptance = await self._make_leader(tx, nomination)
        if acceptance is None:
            raise DomainError("leaders.nomination.expired")
        return acceptance

    async def _make_leader(self, tx: Transaction, nomination: Nomination) -> Acceptance:
        try:
            leader_id = await tx.execute(
                "INSERT INTO leader (guild_id, user_id, nomination_id, status, since) "
                "VALUES (?, ?, ?, 'active', ?)",
                (nomination.guild_id, nomination.user_id, nomination.id, iso(self._clock())),
            )
        except sqlite3.IntegrityError:
            raise DomainError(
                "leaders.nominate.already_leader", member=f"<@{nomination.user_id}>"
            ) from None
        await self._close(tx, nomination, "accepted")
        circle = None
        if nomination.circle_id is not None:
            circle = await _take_circle(
                tx, nomination.guild_id, nomination.circle_id, nomination.user_id
            )
        row = await tx.fetch_one("SELECT * FROM leader WHERE id = ?", (leader_id,))
        return Acceptance(
            nomination=await _nomination(tx, nomination.id),
            leader=leader_from_row(row),
            circle=circle,
            circle_missed=nomination.circle_id is not None and circle is None,
        )

    async def decline(self, nomination_id: int, user_id: int) -> Nomination:
        """The nominee says no: recorded, and that is all. Refused for anyone else, after
        expiry, and twice."""
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM leader_nomination WHERE id = ?", (nomination_id,)
            )
            nomination = _answerable(row, user_id)
            late = nomination.expires_at <= now
            await self._close(tx, nomination, "expired" if late else "declined")
            declined = await _nomination(tx, nomination.id)
        if late:
            raise DomainError("leaders.nomination.expired")
        return declined

    async def expire(self, nomination_id: int) -> Nomination | None:
        """The deadline passed (the durable job): pending -> expired. None when it was answered
        or withdrawn meanwhile."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM leader_nomination WHERE id = ? AND status = 'pending'",
                (nomination_id,),
            )
            if row is None:
                return None
            await self._close(tx, nomination_from_row(row), "expired")
            return await _nomination(tx, nomination_id)

    async def withdraw(self, guild_id: int, user_id: int) -> Nomination | None:
        """The nominee left the server: their pending nomination is withdrawn (None if none)."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM leader_nomination WHERE guild_id = ? AND user_id = ? "
                "AND status = 'pending'",
                (guild_id, user_id),
            )
            if row is None:
                return None
            await self._close(tx, nomination_from_row(row), "withdrawn")
            return await _nomination(tx, row["id"])

    async def arm_expiries(self) -> int:
        """Give every pending nomination its expiry job if it lost it (a job dropped after
        repeated failures); returns how many were armed."""
        rows = await self._db.fetch_all(
            "SELECT n.id, n.guild_id, n.expires_at FROM leader_nomination n "
            "WHERE n.status = 'pending' AND NOT EXISTS (SELECT 1 FROM scheduled_job j "
            "WHERE j.kind = ? AND j.key = CAST(n.id AS TEXT))",
            (EXPIRE_JOB,),
        )
        for row in rows:
            await self._jobs.schedule(
                EXPIRE_JOB,
                str(row["id"]),
                datetime.fromisoformat(row["expires_at"]),
                guild_id=row["guild_id"],
                payload={"nomination_id": row["id"]},
            )
        return len(rows)

    async def _close(self, tx: Transaction, nomination: Nomination, status: str) -> None:
        await tx.execute(
            "UPDATE leader_nomination SET status = ?, decided_at = ? WHERE id = ?",
            (status, iso(self._clock()), nomination.id),
        )
        await tx.execute(
            "DELETE FROM scheduled_job WHERE kind = ? AND key = ?",
            (EXPIRE_JOB, str(nomination.id)),
        )


def _answerable(row: Any, user_id: int) -> Nomination:
    """The nomination if `user_id` may still answer it (expiry by time is checked apart)."""
    if row is None:
        raise DomainError("leaders.nomination.unknown")
    nomination = nomination_from_row(row)
    if nomination.user_id != user_id:
        raise DomainError("leaders.nomination.not_yours")
    if nomination.status != "pending":
        raise DomainError(_ANSWERED[nomination.status])
    return nomination


async def _nomination(tx: Transaction, nomination_id: int) -> Nomination:
    row = await tx.fetch_one("SELECT * FROM leader_nomination WHERE id = ?", (nomination_id,))
    assert row is not None
    return nomination_from_row(row)


async def _open_circle(tx: Transaction, guild_id: int, circle_id: int) -> CircleRef | None:
    """An open circle of the guild; its leader only when that person leads now."""
    row = await tx.fetch_one(
        "SELECT c.id, c.name, c.channel_id, l.user_id AS leader_id FROM circle c "
        "LEFT JOIN leader l ON l.guild_id = c.guild_id AND l.user_id = c.leader_id "
        "AND l.status = 'active' WHERE c.id = ? AND c.guild_id = ? AND c.closed_at IS NULL",
        (circle_id, guild_id),
    )
    if row is None:
        return None
    return CircleRef(row["id"], row["name"], row["channel_id"], row["leader_id"])


async def _take_circle(
    tx: Transaction, guild_id: int, circle_id: int, user_id: int
) -> CircleRef | None:
    """Make `user_id` the leader of the circle if it is still open and nobody leads it."""
    circle = await _open_circle(tx, guild_id, circle_id)
    if circle is None or circle.leader_id not in (None, user_id):
        return None
    await tx.execute("UPDATE circle SET leader_id = ? WHERE id = ?", (user_id, circle_id))
    return CircleRef(circle.id, circle.name, circle.channel_id, user_id)
