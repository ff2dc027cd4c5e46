"""Milestones on referred paid orders, and the pool of single-use reward codes.

Rewards follow purchases, never joins. A member reaches a milestone when their credited orders
(paid, not their own) reach its count; that creates one award, once ever per member and
milestone. The award takes a code from the pool in the same transaction, so a code can never go
to two awards, and a durable job then gives the role, announces and DMs the code. The job marks
the code sent before the DM: a retry or a restart never sends it twice (a DM that fails is kept
for moderators to pass on instead).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.referrals.orders import PROBLEMS_SHOWN, RowProblem

REWARD_JOB = "referral.reward"
MAX_MILESTONES = 10
CODE_MAX = 64
AwardStatus = Literal["pending", "done", "held", "undeliverable"]
Step = Literal["role", "announce"]


@dataclass(frozen=True)
class Milestone:
    """Reaching `orders` credited orders gives `role_id`."""

    orders: int
    role_id: int


@dataclass(frozen=True)
class Award:
    """A milestone a member reached, with the progress of its steps."""

    id: int
    guild_id: int
    user_id: int
    orders: int
    role_id: int
    status: AwardStatus
    reached_at: datetime
    role_given: bool
    announced: bool
    code: str | None
    code_owed: bool
    code_sent: bool
    below_since: datetime | None


@dataclass
class CheckResult:
    """What a check after an import found."""

    new: list[Award] = field(default_factory=list)
    #: Awards whose member fell below the milestone after a refund (the reward stays theirs).
    dropped_below: list[Award] = field(default_factory=list)
    #: An award was due a code and the pool had none: moderators are told.
    pool_empty: bool = False


@dataclass
class CodesReport:
    """What an upload of reward codes did."""

    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    #: Awards that were owed a code and got one from this upload.
    given: list[Award] = field(default_factory=list)
    available: int = 0


class Rewards:
    """Milestones, the reward-code pool and the awards."""

    def __init__(self, db: Database, jobs: JobQueue, clock: Clock = utcnow) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock

    async def set_milestone(self, guild_id: int, orders: int, role_id: int) -> list[Milestone]:
        """Add a milestone (or change its role); returns all of the guild's milestones."""
        if not 1 <= orders <= 100_000:
            raise DomainError("referral.milestone.orders_range")
        async with self._db.transaction() as tx:
            count = await tx.fetch_one(
                "SELECT count(*) FROM referral_milestone WHERE guild_id = ? AND orders != ?",
                (guild_id, orders),
            )
            if count is not None and count[0] >= MAX_MILESTONES:
                raise DomainError("referral.milestone.too_many", limit=MAX_MILESTONES)
            await tx.execute(
                "INSERT INTO referral_milestone (guild_id, orders, role_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, orders) DO UPDATE SET "
                "role_id = excluded.role_id",
                (guild_id, orders, role_id, iso(self._clock())),
            )
        return await self.milestones(guild_id)

    async def remove_milestone(self, guild_id: int, orders: int) -> list[Milestone]:
        """Remove a milestone (awards already given stay)."""
        async with self._db.transaction() as tx:
            removed = await tx.execute_rowcount(
                "DELETE FROM referral_milestone WHERE guild_id = ? AND orders = ?",
                (guild_id, orders),
            )
        if not removed:
            raise DomainError("referral.milestone.unknown", orders=orders)
        return await self.milestones(guild_id)

    async def milestones(self, guild_id: int) -> list[Milestone]:
        """The guild's milestones, smallest first."""
        rows = await self._db.fetch_all(
            "SELECT orders, role_id FROM referral_milestone WHERE guild_id = ? ORDER BY orders",
            (guild_id,),
        )
        return [Milestone(row["orders"], row["role_id"]) for row in rows]

    async def check(self, guild_id: int, referrers: Iterable[int]) -> CheckResult:
        """After orders changed: award milestones newly reached, note the ones fallen below.

        A member who is not a current member (they left) still gets the award, held for
        moderators. Reaching a milestone again after falling below never awards it twice.
        """
        result = CheckResult()
        members = sorted(set(referrers))
        if not members:
            return result
        now = self._clock()
        async with self._db.transaction() as tx:
            milestones = await tx.fetch_all(
                "SELECT orders, role_id FROM referral_milestone WHERE guild_id = ? ORDER BY orders",
                (guild_id,),
            )
            pool_used = await tx.fetch_one(
                "SELECT 1 FROM reward_code WHERE guild_id = ? LIMIT 1", (guild_id,)
            )
            for user_id in members:
                credited = await _credited(tx, guild_id, user_id)
                present = await _is_member(tx, guild_id, user_id)
                awarded = {
                    row["orders"]: row
                    for row in await tx.fetch_all(
                        "SELECT id, orders, below_since FROM referral_award "
                        "WHERE guild_id = ? AND user_id = ?",
                        (guild_id, user_id),
                    )
                }
                for milestone in milestones:
                    row = awarded.get(milestone["orders"])
                    if row is not None:
                        below = credited < milestone["orders"]
                        if below and row["below_since"] is None:
                            await tx.execute(
                                "UPDATE referral_award SET below_since = ? WHERE id = ?",
                                (iso(now), row["id"]),
                            )
                            result.dropped_below.append(await _award(tx, row["id"]))
                        elif not below and row["below_since"] is not None:
                            await tx.execute(
                                "UPDATE referral_award SET below_since = NULL WHERE id = ?",
                                (row["id"],),
                            )
                        continue
                    if credited < milestone["orders"]:
                        continue
                    award_id = await tx.execute(
                        "INSERT INTO referral_award (guild_id, user_id, orders, role_id, "
                        "reached_at, status) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            guild_id,
                            user_id,
                            milestone["orders"],
                            milestone["role_id"],
                            iso(now),
                            "pending" if present else "held",
                        ),
                    )
                    if pool_used is not None and not await _give_code(tx, guild_id, award_id):
                        await tx.execute(
                            "UPDATE referral_award SET code_owed = 1 WHERE id = ?", (award_id,)
                        )
                        result.pool_empty = True
                    if present:
                        await self._jobs.schedule(REWARD_JOB, str(award_id), now, guild_id=guild_id)
                    result.new.append(await _award(tx, award_id))
        return result

    async def add_codes(self, guild_id: int, lines: Iterable[str]) -> CodesReport:
        """Add single-use codes (a CSV whose first column is the code; a header line `code` is
        skipped). Codes already in the pool are counted, not added twice. Awards that were owed a
        code get one, oldest first."""
        report = CodesReport()
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            for number, cells in enumerate(csv.reader(lines), start=1):
                code = cells[0].strip() if cells else ""
                if number == 1 and code.lower() in {"code", "codes"}:
                    continue
                if not code:
                    continue
                if len(code) > CODE_MAX or any(ch.isspace() for ch in code):
                    report.rejected += 1
                    if len(report.problems) < PROBLEMS_SHOWN:
                        report.problems.append(
                            RowProblem(number, "referral.rewards.bad_code", code[:CODE_MAX])
                        )
                    continue
                added = await tx.execute_rowcount(
                    "INSERT OR IGNORE INTO reward_code (guild_id, code, added_at) VALUES (?, ?, ?)",
                    (guild_id, code, now),
                )
                report.added += added
                report.duplicates += 1 - added
            owed = await tx.fetch_all(
                "SELECT id, status FROM referral_award WHERE guild_id = ? AND code_owed = 1 "
                "ORDER BY id",
                (guild_id,),
            )
            for row in owed:
                if not await _give_code(tx, guild_id, row["id"]):
                    break
                await tx.execute(
                    "UPDATE referral_award SET code_owed = 0 WHERE id = ?", (row["id"],)
                )
                if row["status"] in ("pending", "done"):
                    await tx.execute(
                        "UPDATE referral_award SET status = 'pending' WHERE id = ?", (row["id"],)
                    )
                    await self._jobs.schedule(
                        REWARD_JOB, str(row["id"]), self._clock(), guild_id=guild_id
                    )
                report.given.append(await _award(tx, row["id"]))
            report.available = await _available(tx, guild_id)
        return report

    async def get(self, award_id: int) -> Award | None:
        """One award."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT id FROM referral_award WHERE id = ?", (award_id,))
            return await _award(tx, award_id) if row else None

    async def mark(self, award_id: int, step: Step) -> None:
        """A step of the award was done (or could not be, and was reported instead)."""
        column = {"role": "role_given_at", "announce": "announced_at"}[step]
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE referral_award SET {column} = coalesce({column}, ?) WHERE id = ?",
                (iso(self._clock()), award_id),
            )

    async def claim_code_send(self, award_id: int) -> str | None:
        """The code to DM now, marked sent first so that no retry can send it again; None when
        there is none or it was already sent."""
        async with self._db.transaction() as tx:
            award = await _award(tx, award_id)
            if award.code is None or award.code_sent:
                return None
            await tx.execute(
                "UPDATE referral_award SET code_sent_at = ? WHERE id = ?",
                (iso(self._clock()), award_id),
            )
            return award.code

    async def finish(self, award_id: int, status: AwardStatus) -> Award:
        """The job is over: done, held (the member left) or undeliverable (closed DMs)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE referral_award SET status = ? WHERE id = ?", (status, award_id)
            )
            return await _award(tx, award_id)

    async def release(self, guild_id: int, user_id: int) -> list[Award]:
        """A moderator releases a returning member's held awards: their steps run again."""
        async with self._db.transaction() as tx:
            if not await _is_member(tx, guild_id, user_id):
                raise DomainError("referral.rewards.release_not_member")
            rows = await tx.fetch_all(
                "SELECT id FROM referral_award WHERE guild_id = ? AND user_id = ? "
                "AND status = 'held' ORDER BY id",
                (guild_id, user_id),
            )
            for row in rows:
                await tx.execute(
                    "UPDATE referral_award SET status = 'pending' WHERE id = ?", (row["id"],)
                )
                await self._jobs.schedule(
                    REWARD_JOB, str(row["id"]), self._clock(), guild_id=guild_id
                )
            return [await _award(tx, row["id"]) for row in rows]

    async def rearm(self) -> int:
        """Schedule the job of every pending award again (a job claimed by a run that stopped
        mid-way is gone, its award still pending). Steps already done are not redone."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id, guild_id FROM referral_award WHERE status = 'pending' ORDER BY id"
            )
            for row in rows:
                await self._jobs.schedule(
                    REWARD_JOB, str(row["id"]), self._clock(), guild_id=row["guild_id"]
                )
        return len(rows)

    async def attention(self, guild_id: int) -> list[Award]:
        """Awards moderators should know about: held, undeliverable, owed a code, or below."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM referral_award WHERE guild_id = ? AND (status IN "
                "('held', 'undeliverable') OR code_owed = 1 OR below_since IS NOT NULL) "
                "ORDER BY id",
                (guild_id,),
            )
            return [await _award(tx, row["id"]) for row in rows]

    async def available(self, guild_id: int) -> int:
        """Codes left in the pool."""
        async with self._db.transaction() as tx:
            return await _available(tx, guild_id)

    async def awards_of(self, guild_id: int, user_id: int) -> list[Award]:
        """A member's awards, oldest first."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM referral_award WHERE guild_id = ? AND user_id = ? ORDER BY id",
                (guild_id, user_id),
            )
            return [await _award(tx, row["id"]) for row in rows]


async def _credited(tx: Transaction, guild_id: int, user_id: int) -> int:
    row = await tx.fetch_one(
        "SELECT count(*) FROM referral_order WHERE guild_id = ? AND referrer_id = ? "
        "AND status = 'paid' AND self_referral = 0",
        (guild_id, user_id),
    )
    return int(row[0]) if row else 0


async def _is_member(tx: Transaction, guild_id: int, user_id: int) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM member_stint WHERE guild_id = ? AND user_id = ? AND status = 'member'",
        (guild_id, user_id),
    )
    return row is not None


async def _give_code(tx: Transaction, guild_id: int, award_id: int) -> bool:
    """Give the oldest free code to the award; False when the pool is empty."""
    row = await tx.fetch_one(
        "SELECT id FROM reward_code WHERE guild_id = ? AND award_id IS NULL ORDER BY id LIMIT 1",
        (guild_id,),
    )
    if row is None:
        return False
    await tx.execute("UPDATE reward_code SET award_id = ? WHERE id = ?", (award_id, row["id"]))
    return True


async def _available(tx: Transaction, guild_id: int) -> int:
    row = await tx.fetch_one(
        "SELECT count(*) FROM reward_code WHERE guild_id = ? AND award_id IS NULL", (guild_id,)
    )
    return int(row[0]) if row else 0


async def _award(tx: Transaction, award_id: int) -> Award:
    row: Any = await tx.fetch_one(
        "SELECT a.*, c.code FROM referral_award a LEFT JOIN reward_code c ON c.award_id = a.id "
        "WHERE a.id = ?",
        (award_id,),
    )
    assert row is not None
    return Award(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        orders=row["orders"],
        role_id=row["role_id"],
        status=row["status"],
        reached_at=datetime.fromisoformat(row["reached_at"]),
        role_given=row["role_given_at"] is not None,
        announced=row["announced_at"] is not None,
        code=row["code"],
        code_owed=bool(row["code_owed"]),
        code_sent=row["code_sent_at"] is not None,
        below_since=datetime.fromisoformat(row["below_since"]) if row["below_since"] else None,
    )
