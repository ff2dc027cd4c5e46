"""Each person's stints: join (with attribution), the gate, admission, refusal and leaving."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.membership.introductions import EXPIRY_JOB, clean_text
from bot.services.membership.models import (
    Introduction,
    Seats,
    Stint,
    introduction_from_row,
    stint_from_row,
)
from bot.services.membership.seats import count_seats, promote_waitlisted
from bot.services.membership.settings import MembershipSettingsService
from bot.services.referrals.links import link_owner

REMINDER_JOB = "membership.pending_reminder"
TIMEOUT_JOB = "membership.pending_timeout"
ANSWER_MAX = 300
#: How long after a burst the people who arrived through its introductions are expected.
ARRIVAL_WINDOW = timedelta(minutes=10)
#: At the end of a burst's arrival window, seats nobody arrived for pass to the waitlist.
ARRIVAL_JOB = "membership.arrival_window"
JoinKind = Literal["invite", "vanity", "unknown"]


@dataclass(frozen=True)
class JoinOutcome:
    """What a join became: a person in the gate, a refusal, or a duplicate event."""

    stint: Stint
    action: Literal["gate", "refused", "already"]
    introduction: Introduction | None = None


@dataclass(frozen=True)
class Ended:
    """A stint that ended, and the waitlisted introductions its seat went to."""

    stint: Stint
    promoted: list[Introduction]


def job_key(guild_id: int, user_id: int) -> str:
    """The key of a person's gate timers."""
    return f"{guild_id}:{user_id}"


class MemberService:
    """The member record. Registered with the privacy registry as 'membership'."""

    name = "membership"

    def __init__(
        self,
        db: Database,
        settings: MembershipSettingsService,
        jobs: JobQueue,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._settings = settings
        self._jobs = jobs
        self._clock = clock

    async def record_join(
        self,
        guild_id: int,
        user_id: int,
        *,
        kind: JoinKind,
        code: str | None = None,
        candidates: Sequence[str] = (),
        rejoin_flag: bool = False,
    ) -> JoinOutcome:
        """Record a join; an introduction's invite brings its sponsor and its reserved seat.

        `candidates` are the invites a join that could not be told apart from others may have
        used. Introductions among them "arrived": their seats pass to the people of that burst,
        who are marked maybe-introduced (no sponsor guessed) and go to a moderator, never
        refused as unsponsored or over capacity.
        """
        settings = await self._settings.get(guild_id)
        now = self._clock()
        async with self._db.transaction() as tx:
            current = await self._current(tx, guild_id, user_id)
            if current is not None:
                return JoinOutcome(current, "already")
            before = await tx.fetch_one(
                "SELECT 1 FROM member_stint WHERE guild_id = ? AND user_id = ? LIMIT 1",
                (guild_id, user_id),
            )
            intro = await self._claim_introduction(tx, guild_id, code, user_id) if code else None
            # A member's personal link: sponsored by that member, through the same gate.
            referrer = (
                await link_owner(tx, guild_id, code)
                if intro is None and code and kind == "invite"
                else None
            )
            sponsor_id = intro.sponsor_id if intro else referrer
            source = "introduction" if intro else "referral" if referrer else kind
            status, reason = "pending", None
            maybe = (
                sponsor_id is None
                and kind == "unknown"
                and await self._maybe_introduced(tx, guild_id, candidates, now)
            )
            if intro is None and not maybe:
                seats = await count_seats(tx, guild_id)
                if seats.free == 0 or (seats.free is not None and seats.waitlisted > 0):
                    status, reason = "refused", "full"  # never ahead of the waitlist
                elif referrer is None and settings.unsponsored_admission == "refuse":
                    status, reason = "refused", "unsponsored"
            stint_id = await tx.execute(
                "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, "
                "introduction_id, invite_code, rejoin, joined_at, left_at, end_reason, "
                "maybe_introduced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    user_id,
                    status,
                    source,
                    sponsor_id,
                    intro.id if intro else None,
                    code,
                    int(rejoin_flag or before is not None),
                    iso(now),
                    iso(now) if reason else None,
                    reason,
                    int(maybe),
                ),
            )
            if status == "pending":
                timeout = timedelta(seconds=settings.pending_timeout)
                key = job_key(guild_id, user_id)
                await self._jobs.schedule(REMINDER_JOB, key, now + timeout / 2, guild_id=guild_id)
                await self._jobs.schedule(TIMEOUT_JOB, key, now + timeout, guild_id=guild_id)
            stint = await self._by_id(tx, stint_id)
        return JoinOutcome(stint, "gate" if status == "pending" else "refused", intro)

    async def accept_rules(self, guild_id: int, user_id: int, version: int) -> Stint:
        """The person in the gate accepted this version of the house rules."""
        async with self._db.transaction() as tx:
            stint = await self._pending(tx, guild_id, user_id)
            await tx.execute(
                "UPDATE member_stint SET rules_version = ?, rules_accepted_at = ? WHERE id = ?",
                (version, iso(self._clock()), stint.id),
            )
            return await self._by_id(tx, stint.id)

    async def submit_answers(self, guild_id: int, user_id: int, answers: Sequence[str]) -> Stint:
        """Store the person's story (once); the rules must be accepted first."""
        cleaned = [clean_text(a, limit=ANSWER_MAX, key="gate.answer") for a in answers]
        async with self._db.transaction() as tx:
            stint = await self._pending(tx, guild_id, user_id)
            if stint.rules_version is None:
                raise DomainError("gate.rules_first")
            if stint.answers is not None:
                raise DomainError("gate.already_submitted")
            await tx.execute(
                "UPDATE member_stint SET answers = ?, submitted_at = ? WHERE id = ?",
                (json.dumps(cleaned, ensure_ascii=False), iso(self._clock()), stint.id),
            )
            return await self._by_id(tx, stint.id)

    async def admission(self, stint: Stint) -> Literal["auto", "moderator"]:
        """Who admits this person: sponsored joins follow one policy, the others another."""
        settings = await self._settings.get(stint.guild_id)
        if stint.maybe_introduced:
            return "moderator"
        if stint.sponsor_id is not None:
            return settings.sponsored_admission
        return "moderator"

    async def admit(self, guild_id: int, user_id: int, *, stint_id: int | None = None) -> Stint:
        """The person becomes a member (only from stint `stint_id`, when given: a card's)."""
        async with self._db.transaction() as tx:
            stint = await self._pending(tx, guild_id, user_id, stint_id)
            await tx.execute(
                "UPDATE member_stint SET status = 'member', admitted_at = ? WHERE id = ?",
                (iso(self._clock()), stint.id),
            )
            await self._cancel_timers(guild_id, user_id)
            return await self._by_id(tx, stint.id)

    async def refuse(
        self, guild_id: int, user_id: int, reason: str, *, stint_id: int | None = None
    ) -> Ended:
        """The person in the gate is refused (denied or timed out); their seat is freed."""
        async with self._db.transaction() as tx:
            stint = await self._pending(tx, guild_id, user_id, stint_id)
            return await self._end(tx, stint, "refused", reason)

    async def record_leave(self, guild_id: int, user_id: int) -> Ended | None:
        """The person left (or was removed); None when we had no current stint for them."""
        async with self._db.transaction() as tx:
            stint = await self._current(tx, guild_id, user_id)
            if stint is None:
                return None
            return await self._end(tx, stint, "left", "left")

    async def end_absent(self, guild_id: int, present: Collection[int]) -> list[Ended]:
        """End, as left, the current stints of people no longer in the guild (they left while
        we were not listening); `present` must be the guild's complete member list."""
        here = set(present)
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT * FROM member_stint WHERE guild_id = ? AND status IN ('pending', 'member') "
                "ORDER BY id",
                (guild_id,),
            )
            gone = [stint_from_row(row) for row in rows if row["user_id"] not in here]
            return [await self._end(tx, stint, "left", "left") for stint in gone]

    async def set_approval_message(self, stint_id: int, message_id: int) -> None:
        """Remember the moderators' approval card of a stint."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE member_stint SET approval_message_id = ? WHERE id = ?",
                (message_id, stint_id),
            )

    async def add_existing(self, guild_id: int, user_ids: Iterable[int]) -> int:
        """Record people who were members before Vouch; returns how many were new to us."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            known = {
                row["user_id"]
                for row in await tx.fetch_all(
                    "SELECT user_id FROM member_stint WHERE guild_id = ? "
                    "AND status IN ('pending', 'member')",
                    (guild_id,),
                )
            }
            new = sorted(set(user_ids) - known)
            await tx.executemany(
                "INSERT INTO member_stint (guild_id, user_id, status, source, joined_at, "
                "admitted_at) VALUES (?, ?, 'member', 'existing', ?, ?)",
                [(guild_id, user_id, now, now) for user_id in new],
            )
        return len(new)

    async def seats(self, guild_id: int) -> Seats:
        """The guild's seats now: members, people in the gate, reserved, waitlisted, the cap."""
        async with self._db.transaction() as tx:
            return await count_seats(tx, guild_id)

    async def current(self, guild_id: int, user_id: int) -> Stint | None:
        """The person's pending or member stint."""
        row = await self._db.fetch_one(
            "SELECT * FROM member_stint WHERE guild_id = ? AND user_id = ? "
            "AND status IN ('pending', 'member')",
            (guild_id, user_id),
        )
        return stint_from_row(row) if row else None

    async def pending(self, guild_id: int) -> list[Stint]:
        """Everyone in the gate, longest waiting first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM member_stint WHERE guild_id = ? AND status = 'pending' ORDER BY id",
            (guild_id,),
        )
        return [stint_from_row(row) for row in rows]

    async def history(self, guild_id: int, user_id: int) -> list[Stint]:
        """All of a person's stints, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM member_stint WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        return [stint_from_row(row) for row in rows]

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the person's stints and the introductions they wrote."""
        stints = await self._db.fetch_all(
            "SELECT status, source, sponsor_id, invite_code, rejoin, joined_at, admitted_at, "
            "left_at, end_reason, rules_version, rules_accepted_at, answers, submitted_at "
            "FROM member_stint WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        intros = await self._db.fetch_all(
            "SELECT newcomer_name, why, status, created_at, expires_at, closed_at "
            "FROM introduction WHERE guild_id = ? AND sponsor_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        if not stints and not intros:
            return {}
        return {
            "stints": [
                {**dict(r), "answers": json.loads(r["answers"]) if r["answers"] else None}
                for r in stints
            ],
            "introductions_made": [dict(r) for r in intros],
        }

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: their stints, their introductions, and their name on others' records."""
        intro_ids = [
            row["id"]
            for row in await tx.fetch_all(
                "SELECT id FROM introduction WHERE guild_id = ? AND sponsor_id = ?",
                (guild_id, user_id),
            )
        ]
        await tx.executemany(
            "UPDATE member_stint SET introduction_id = NULL WHERE introduction_id = ?",
            [(i,) for i in intro_ids],
        )
        await tx.executemany(
            "DELETE FROM scheduled_job WHERE kind = ? AND key = ?",
            [(EXPIRY_JOB, str(i)) for i in intro_ids]
            + [(kind, job_key(guild_id, user_id)) for kind in (REMINDER_JOB, TIMEOUT_JOB)],
        )
        await tx.execute(
            "UPDATE member_stint SET sponsor_id = NULL WHERE guild_id = ? AND sponsor_id = ?",
            (guild_id, user_id),
        )
        await tx.execute(
            "UPDATE introduction SET newcomer_id = NULL WHERE guild_id = ? AND newcomer_id = ?",
            (guild_id, user_id),
        )
        deleted = await tx.execute_rowcount(
            "DELETE FROM introduction WHERE guild_id = ? AND sponsor_id = ?", (guild_id, user_id)
        )
        deleted += await tx.execute_rowcount(
            "DELETE FROM member_stint WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return deleted

    async def _claim_introduction(
        self, tx: Transaction, guild_id: int, code: str, user_id: int
    ) -> Introduction | None:
        row = await tx.fetch_one(
            "SELECT * FROM introduction WHERE guild_id = ? AND invite_code = ? AND status = 'open'",
            (guild_id, code),
        )
        if row is None:
            return None
        await tx.execute(
            "UPDATE introduction SET status = 'used', newcomer_id = ?, closed_at = ? WHERE id = ?",
            (user_id, iso(self._clock()), row["id"]),
        )
        await self._jobs.cancel(EXPIRY_JOB, str(row["id"]))
        return introduction_from_row(row)

    async def _maybe_introduced(
        self, tx: Transaction, guild_id: int, candidates: Sequence[str], now: datetime
    ) -> bool:
        """Whether this unattributed join belongs to a burst that used introductions' invites."""
        if candidates:
            marks = ", ".join("?" * len(candidates))
            arrived = await tx.fetch_all(
                f"SELECT id FROM introduction WHERE guild_id = ? AND status = 'open' "
                f"AND invite_code IN ({marks})",
                (guild_id, *candidates),
            )
            await tx.executemany(
                "UPDATE introduction SET status = 'arrived', closed_at = ? WHERE id = ?",
                [(iso(now), row["id"]) for row in arrived],
            )
            for intro in arrived:
                await self._jobs.cancel(EXPIRY_JOB, str(intro["id"]))
            if arrived:
                # Their people take these seats as they come; a seat nobody came for by the end
                # of the window must not stay empty while others wait.
                await self._jobs.schedule(
                    ARRIVAL_JOB, str(guild_id), now + ARRIVAL_WINDOW, guild_id=guild_id
                )
        since = iso(now - ARRIVAL_WINDOW)
        balance = await tx.fetch_one(
            "SELECT (SELECT count(*) FROM introduction WHERE guild_id = :g "
            "        AND status = 'arrived' AND closed_at >= :since) "
            "     - (SELECT count(*) FROM member_stint WHERE guild_id = :g "
            "        AND maybe_introduced = 1 AND joined_at >= :since)",
            {"g": guild_id, "since": since},
        )
        return bool(balance and balance[0] > 0)

    async def _end(self, tx: Transaction, stint: Stint, status: str, reason: str) -> Ended:
        now = self._clock()
        await tx.execute(
            "UPDATE member_stint SET status = ?, left_at = ?, end_reason = ? WHERE id = ?",
            (status, iso(now), reason, stint.id),
        )
        await self._cancel_timers(stint.guild_id, stint.user_id)
        promoted = await promote_waitlisted(tx, stint.guild_id, now)
        return Ended(await self._by_id(tx, stint.id), promoted)

    async def _cancel_timers(self, guild_id: int, user_id: int) -> None:
        for kind in (REMINDER_JOB, TIMEOUT_JOB):
            await self._jobs.cancel(kind, job_key(guild_id, user_id))

    async def _current(self, tx: Transaction, guild_id: int, user_id: int) -> Stint | None:
        row = await tx.fetch_one(
            "SELECT * FROM member_stint WHERE guild_id = ? AND user_id = ? "
            "AND status IN ('pending', 'member')",
            (guild_id, user_id),
        )
        return stint_from_row(row) if row else None

    async def _pending(
        self, tx: Transaction, guild_id: int, user_id: int, stint_id: int | None = None
    ) -> Stint:
        stint = await self._current(tx, guild_id, user_id)
        if stint is None or stint.status != "pending":
            raise DomainError("gate.not_pending")
        if stint_id is not None and stint.id != stint_id:
            raise DomainError("gate.card.stale")  # a card from an earlier stay of this person
        return stint

    async def _by_id(self, tx: Transaction, stint_id: int) -> Stint:
        row = await tx.fetch_one("SELECT * FROM member_stint WHERE id = ?", (stint_id,))
        assert row is not None
        return stint_from_row(row)
