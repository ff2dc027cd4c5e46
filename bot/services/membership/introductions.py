"""Introductions: a member vouches for a newcomer; seats, the waitlist, invites and expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.membership.models import (
    ACTIVE_INTRODUCTIONS,
    Introduction,
    introduction_from_row,
)
from bot.services.membership.seats import promote_waitlisted
from bot.services.membership.settings import MembershipSettingsService

NAME_MAX = 80
WHY_MAX = 500
EXPIRY_JOB = "membership.introduction_expiry"
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_INTRODUCTIONS)


@dataclass(frozen=True)
class Opened:
    """A new introduction, and the waitlisted ones ahead of it that got a seat with it."""

    introduction: Introduction
    promoted: list[Introduction]


@dataclass(frozen=True)
class Closed:
    """An introduction that ended, and the waitlisted ones its seat went to."""

    introduction: Introduction
    promoted: list[Introduction]


def clean_text(value: str, *, limit: int, key: str) -> str:
    """Trimmed, single-spaced text within the limit, or a DomainError naming the field."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise DomainError(f"{key}.empty")
    if len(cleaned) > limit:
        raise DomainError(f"{key}.too_long", limit=limit)
    return cleaned


class IntroductionService:
    """Opens, seats, expires and revokes introductions; one seat per introduction, never two."""

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

    async def open_introduction(
        self, *, guild_id: int, sponsor_id: int, sponsor_is_member: bool, name: str, why: str
    ) -> Opened:
        """Record an introduction at the end of the waitlist, then give free seats in order.

        Free seats go to the introductions already waiting first, in the same transaction, so a
        free seat never sits idle behind a waitlist and nobody jumps the queue.
        """
        if not sponsor_is_member:
            raise DomainError("intro.not_member")
        newcomer_name = clean_text(name, limit=NAME_MAX, key="intro.name")
        reason = clean_text(why, limit=WHY_MAX, key="intro.why")
        settings = await self._settings.get(guild_id)
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                f"SELECT count(*) FROM introduction WHERE guild_id = ? AND sponsor_id = ? "
                f"AND status IN ({_ACTIVE})",
                (guild_id, sponsor_id),
            )
            if row is not None and row[0] >= settings.max_open_introductions:
                raise DomainError("intro.too_many", limit=settings.max_open_introductions)
            intro_id = await tx.execute(
                "INSERT INTO introduction (guild_id, sponsor_id, newcomer_name, why, status, "
                "created_at) VALUES (?, ?, ?, ?, 'waitlisted', ?)",
                (guild_id, sponsor_id, newcomer_name, reason, iso(now)),
            )
            promoted = await promote_waitlisted(tx, guild_id, now)
            intro = await self._get(tx, intro_id)
        return Opened(intro, [p for p in promoted if p.id != intro_id])

    async def promote(self, guild_id: int) -> list[Introduction]:
        """Give any free seats to the waitlist now (seats freed outside this service)."""
        async with self._db.transaction() as tx:
            return await promote_waitlisted(tx, guild_id, self._clock())

    async def attach_invite(self, intro_id: int, code: str, expires_at: datetime) -> Introduction:
        """The invite for a seated introduction exists now: it is open until it expires."""
        async with self._db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE introduction SET status = 'open', invite_code = ?, expires_at = ? "
                "WHERE id = ? AND status = 'seated'",
                (code, iso(expires_at), intro_id),
            )
            if not changed:
                raise DomainError("intro.not_seated")
            intro = await self._get(tx, intro_id)
            await self._jobs.schedule(
                EXPIRY_JOB, str(intro_id), expires_at, guild_id=intro.guild_id
            )
        return intro

    async def cancel_seat(self, intro_id: int) -> Closed:
        """No invite could be created for a seated introduction: give the seat back."""
        return await self._close(intro_id, "cancelled", ("seated",))

    async def return_to_waitlist(self, intro_ids: Sequence[int]) -> None:
        """Seated introductions whose invite could not be made wait again, in their old places."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE introduction SET status = 'waitlisted', seated_at = NULL "
                "WHERE id = ? AND status = 'seated'",
                [(intro_id,) for intro_id in intro_ids],
            )

    async def expire(self, intro_id: int) -> Closed:
        """The invite's time ran out (or Discord deleted it unused)."""
        return await self._close(intro_id, "expired", ("seated", "open"))

    async def revoke(self, guild_id: int, intro_id: int) -> Closed:
        """A moderator (or the sponsor) withdraws an introduction, waitlisted or open."""
        intro = await self.get(intro_id)
        if intro is None or intro.guild_id != guild_id:
            raise DomainError("intro.unknown")
        return await self._close(intro_id, "revoked", ACTIVE_INTRODUCTIONS)

    async def get(self, intro_id: int) -> Introduction | None:
        """One introduction, with its waitlist position when waitlisted."""
        row = await self._db.fetch_one("SELECT * FROM introduction WHERE id = ?", (intro_id,))
        if row is None:
            return None
        return await self._with_position(row)

    async def by_invite(self, guild_id: int, code: str) -> Introduction | None:
        """The introduction an invite code belongs to."""
        row = await self._db.fetch_one(
            "SELECT * FROM introduction WHERE guild_id = ? AND invite_code = ?", (guild_id, code)
        )
        return introduction_from_row(row) if row else None

    async def active(self, guild_id: int, sponsor_id: int | None = None) -> list[Introduction]:
        """Waitlisted, seated and open introductions (of one sponsor, or all), oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT * FROM introduction WHERE guild_id = ? AND status IN ({_ACTIVE}) "
            "AND (? IS NULL OR sponsor_id = ?) ORDER BY id",
            (guild_id, sponsor_id, sponsor_id),
        )
        return [await self._with_position(row) for row in rows]

    async def waitlist(self, guild_id: int) -> list[Introduction]:
        """The waitlist in order, with positions."""
        rows = await self._db.fetch_all(
            "SELECT * FROM introduction WHERE guild_id = ? AND status = 'waitlisted' ORDER BY id",
            (guild_id,),
        )
        return [introduction_from_row(row, position) for position, row in enumerate(rows, 1)]

    async def _close(self, intro_id: int, status: str, allowed: tuple[str, ...]) -> Closed:
        marks = ", ".join("?" * len(allowed))
        now = self._clock()
        async with self._db.transaction() as tx:
            changed = await tx.execute_rowcount(
                f"UPDATE introduction SET status = ?, closed_at = ? "
                f"WHERE id = ? AND status IN ({marks})",
                (status, iso(now), intro_id, *allowed),
            )
            if not changed:
                raise DomainError("intro.not_active")
            intro = await self._get(tx, intro_id)
            await self._jobs.cancel(EXPIRY_JOB, str(intro_id))
            promoted = await promote_waitlisted(tx, intro.guild_id, now)
        return Closed(intro, promoted)

    async def _get(self, tx: Transaction, intro_id: int) -> Introduction:
        row = await tx.fetch_one("SELECT * FROM introduction WHERE id = ?", (intro_id,))
        assert row is not None
        return await self._with_position(row)

    async def _with_position(self, row: object) -> Introduction:
        intro = introduction_from_row(row)
        if intro.status != "waitlisted":
            return intro
        ahead = await self._db.fetch_one(
            "SELECT count(*) FROM introduction WHERE guild_id = ? AND status = 'waitlisted' "
            "AND id <= ?",
            (intro.guild_id, intro.id),
        )
        return introduction_from_row(row, int(ahead[0]) if ahead else None)

    def expiry_for(self, max_age_seconds: int) -> datetime:
        """When an invite created now expires."""
        return self._clock() + timedelta(seconds=max_age_seconds)
