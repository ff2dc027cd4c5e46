"""Office hours: one-to-one slots with the founder, given by a fair draw or first come.

A round opens N slots. In draw mode members request during a window; the draw then puts those
who never had a 1:1 first, then those whose last 1:1 is longest ago, ties shuffled with a seed
so a draw can be replayed. Whoever draws no slot waits in line; a cancelled slot goes to the next
in line. In first-come mode (and after the draw) a request books the first free slot at once.

A request still waiting for the draw has no line number: that is how a draw knows whom it has
not placed yet, which makes it idempotent and lets a request made while the draw job is being
handled wait for it instead of jumping ahead. Every decision runs in one write transaction, and
the unique index on (session, member) backs it: two requests never get the same slot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.sessions.models import Session, session_of

DRAW_JOB = "session.office_hours.draw"
REMINDER_JOB = "session.office_hours.reminder"
SLOTS_MIN, SLOTS_MAX = 1, 12
SLOT_MINUTES_MIN, SLOT_MINUTES_MAX = 10, 60
WINDOW_MIN, WINDOW_MAX = 0, 20160
DEFAULT_WINDOW = 1440
#: The draw happens at least this long before the first slot, and never sooner than `DRAW_DELAY`.
DRAW_LEAD = timedelta(minutes=30)
DRAW_DELAY = timedelta(minutes=5)
REMINDER_LEAD = timedelta(minutes=15)
OfficeHoursMode = Literal["draw", "first_come"]
MODES: tuple[OfficeHoursMode, ...] = ("draw", "first_come")
#: booked: has a slot; line: waits for a freed slot; draw: waits for the draw.
RequestState = Literal["booked", "line", "draw"]


@dataclass(frozen=True)
class OfficeHoursSettings:
    """A guild's office-hours settings."""

    mode: OfficeHoursMode = "draw"
    request_window_min: int = DEFAULT_WINDOW


@dataclass(frozen=True)
class Slot:
    """One 1:1 slot of a round; `user_id` is None while it is free."""

    session_id: int
    slot: int
    starts_at: datetime
    ends_at: datetime
    user_id: int | None

    @property
    def is_free(self) -> bool:
        """Nobody holds it."""
        return self.user_id is None


@dataclass(frozen=True)
class InLine:
    """A member waiting for a freed slot; `place` 1 is next."""

    user_id: int
    place: int


@dataclass(frozen=True)
class RequestResult:
    """What a request got: a slot, a place in line, or a seat in the coming draw."""

    session_id: int
    user_id: int
    state: RequestState
    slot: Slot | None = None
    place: int | None = None
    #: When the draw is due (state "draw"; None if its job is already running).
    draw_at: datetime | None = None

    @property
    def booked(self) -> bool:
        """They have a slot."""
        return self.state == "booked"


@dataclass(frozen=True)
class DrawResult:
    """The round after the draw: who holds which slot, and who waits in which order."""

    session_id: int
    booked: tuple[Slot, ...]
    line: tuple[InLine, ...]


@dataclass(frozen=True)
class CancelResult:
    """What a cancellation did."""

    session_id: int
    user_id: int
    #: The slot they gave up, as they held it (None when they were only waiting).
    freed: Slot | None
    #: The same slot, now held by the next in line (None when nobody took it).
    promoted: Slot | None

    @property
    def promoted_user_id(self) -> int | None:
        """Who moved up into the freed slot, to notify."""
        return self.promoted.user_id if self.promoted else None


class OfficeHours:
    """Rounds of office hours: opening, requests, the draw, cancellations, reminders."""

    name = "office_hours"

    def __init__(self, db: Database, jobs: JobQueue, clock: Clock = utcnow) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock

    # -- settings ------------------------------------------------------------------------------
    async def settings(self, guild_id: int) -> OfficeHoursSettings:
        """The guild's settings (defaults when it never set any)."""
        return await _settings(self._db, guild_id)

    async def set_settings(
        self,
        guild_id: int,
        *,
        mode: str | None = None,
        request_window_min: int | None = None,
    ) -> OfficeHoursSettings:
        """Change the mode and/or the request window; returns the settings now in force."""
        if mode is not None and mode not in MODES:
            raise DomainError("session.office.mode", modes=", ".join(MODES))
        if request_window_min is not None and not (WINDOW_MIN <= request_window_min <= WINDOW_MAX):
            raise DomainError("session.office.window", min=WINDOW_MIN, max=WINDOW_MAX)
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            # Only our columns: reminder_minutes keeps its value (or its default).
            await tx.execute(
                "INSERT INTO session_settings (guild_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, now),
            )
            await tx.execute(
                "UPDATE session_settings SET "
                "office_hours_mode = coalesce(?, office_hours_mode), "
                "request_window_min = coalesce(?, request_window_min), updated_at = ? "
                "WHERE guild_id = ?",
                (mode, request_window_min, now, guild_id),
            )
            return await _settings(self._db, guild_id)

    # -- a round -------------------------------------------------------------------------------
    async def open(
        self,
        guild_id: int,
        host_id: int,
        title: str,
        starts_at: datetime,
        slots: int,
        slot_minutes: int,
        *,
        channel_id: int | None,
        location: str | None,
    ) -> tuple[Session, list[Slot], datetime | None]:
        """Open a round of `slots` back-to-back slots; returns it, its slots and the draw time
        (None in first-come mode)."""
        if not SLOTS_MIN <= slots <= SLOTS_MAX:
            raise DomainError("session.office.slots", min=SLOTS_MIN, max=SLOTS_MAX)
        if not SLOT_MINUTES_MIN <= slot_minutes <= SLOT_MINUTES_MAX:
            raise DomainError(
                "session.office.slot_minutes", min=SLOT_MINUTES_MIN, max=SLOT_MINUTES_MAX
            )
        now = self._clock()
        if starts_at <= now:
            raise DomainError("session.when.past")
        length = timedelta(minutes=slot_minutes)
        async with self._db.transaction() as tx:
            settings = await _settings(self._db, guild_id)
            session_id = await tx.execute(
                "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
                "channel_id, location, status, created_at, updated_at) "
                "VALUES (?, 'office_hours', ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)",
                (
                    guild_id,
                    title,
                    host_id,
                    iso(starts_at),
                    iso(starts_at + slots * length),
                    channel_id,
                    location,
                    iso(now),
                    iso(now),
                ),
            )
            await tx.executemany(
                "INSERT INTO office_hours_slot (session_id, slot, starts_at) VALUES (?, ?, ?)",
                [(session_id, n, iso(starts_at + n * length)) for n in range(slots)],
            )
            draw_at: datetime | None = None
            if settings.mode == "draw":
                window_closes = now + timedelta(minutes=settings.request_window_min)
                draw_at = max(min(window_closes, starts_at - DRAW_LEAD), now + DRAW_DELAY)
                await self._jobs.schedule(DRAW_JOB, str(session_id), draw_at, guild_id=guild_id)
            session = await _session(tx, guild_id, session_id)
            return session, await _slots(tx, session), draw_at

    async def request(self, guild_id: int, session_id: int, user_id: int) -> RequestResult:
        """Ask for a slot: wait for the draw, or (first come, or after the draw) book the first
        free slot, or join the end of the line."""
        now = self._clock()
        async with self._db.transaction() as tx:
            session = await _session(tx, guild_id, session_id)
            if session.status != "scheduled":
                raise DomainError("session.office.closed")
            if user_id == session.host_id:
                raise DomainError("session.office.host")
            draw_job = await self.draw_due(session_id)
            if draw_job is not None or await _undrawn(tx, session_id):
                await _put_request(tx, session_id, user_id, now, "waiting", None)
                return RequestResult(session_id, user_id, "draw", draw_at=draw_job)
            free = await _first_free(tx, session_id, now)
            if free is not None:
                await _put_request(tx, session_id, user_id, now, "booked", None)
                slot = await self._book(tx, session, free, user_id, now)
                return RequestResult(session_id, user_id, "booked", slot=slot)
            line = await _next_line(tx, session_id)
            await _put_request(tx, session_id, user_id, now, "waiting", line)
            place = await _place(tx, session_id, line)
            return RequestResult(session_id, user_id, "line", place=place)

    async def draw(self, guild_id: int, session_id: int, seed: int | None = None) -> DrawResult:
        """Place every requester not yet placed: slots in ranking order, then the line.

        Idempotent: a second call places nobody and returns the round as it stands.
        """
        now = self._clock()
        async with self._db.transaction() as tx:
            session = await _session(tx, guild_id, session_id)
            if session.status == "scheduled":
                ranked = await _ranked(tx, session, seed)
                free = [
                    row["slot"]
                    for row in await tx.fetch_all(
                        "SELECT slot FROM office_hours_slot WHERE session_id = ? "
                        "AND user_id IS NULL AND starts_at > ? ORDER BY slot",
                        (session_id, iso(now)),
                    )
                ]
                line = await _next_line(tx, session_id)
                for user_id in ranked:
                    if free:
                        await tx.execute(
                            "UPDATE office_hours_request SET state = 'booked', line = NULL "
                            "WHERE session_id = ? AND user_id = ?",
                            (session_id, user_id),
                        )
                        await self._book(tx, session, free.pop(0), user_id, now)
                    else:
                        await tx.execute(
                            "UPDATE office_hours_request SET line = ? "
                            "WHERE session_id = ? AND user_id = ?",
                            (line, session_id, user_id),
                        )
                        line += 1
            await self._jobs.cancel(DRAW_JOB, str(session_id))
            slots = await _slots(tx, session)
            waiting = await _line(tx, session_id)
        return DrawResult(
            session_id,
            booked=tuple(slot for slot in slots if not slot.is_free),
            line=tuple(InLine(user_id, place) for place, user_id in enumerate(waiting, 1)),
        )

    async def cancel(self, guild_id: int, session_id: int, user_id: int) -> CancelResult:
        """Give up a slot (it goes to the next in line) or withdraw a request."""
        now = self._clock()
        async with self._db.transaction() as tx:
            session = await _session(tx, guild_id, session_id)
            if not session.is_open:
                raise DomainError("session.office.closed")
            existing = await _request_row(tx, session_id, user_id)
            if existing is None or existing["state"] == "withdrawn":
                raise DomainError("session.office.not_requested")
            await tx.execute(
                "UPDATE office_hours_request SET state = 'withdrawn', line = NULL "
                "WHERE session_id = ? AND user_id = ?",
                (session_id, user_id),
            )
            held = await tx.fetch_one(
                "SELECT slot FROM office_hours_slot WHERE session_id = ? AND user_id = ?",
                (session_id, user_id),
            )
            if held is None:
                return CancelResult(session_id, user_id, freed=None, promoted=None)
            freed = await _slot(tx, session, held["slot"])
            promoted = await self._release(tx, session, held["slot"], now)
            return CancelResult(session_id, user_id, freed=freed, promoted=promoted)

    # -- reading -------------------------------------------------------------------------------
    async def slots(self, guild_id: int, session_id: int) -> list[Slot]:
        """The round's slots, in time order."""
        async with self._db.transaction() as tx:
            return await _slots(tx, await _session(tx, guild_id, session_id))

    async def booking(self, guild_id: int, session_id: int, user_id: int) -> Slot | None:
        """The member's slot in this round, if they hold one."""
        async with self._db.transaction() as tx:
            session = await _session(tx, guild_id, session_id)
            row = await tx.fetch_one(
                "SELECT slot FROM office_hours_slot WHERE session_id = ? AND user_id = ?",
                (session_id, user_id),
            )
            return await _slot(tx, session, row["slot"]) if row else None

    async def line(self, guild_id: int, session_id: int) -> list[int]:
        """Members waiting for a freed slot, next first."""
        async with self._db.transaction() as tx:
            await _session(tx, guild_id, session_id)
            return await _line(tx, session_id)

    async def participants(self, guild_id: int, session_id: int) -> list[int]:
        """Who holds a slot or waits for one (for the draw or in line): whom a cancelled round
        concerns. Slot holders first, in slot order."""
        async with self._db.transaction() as tx:
            await _session(tx, guild_id, session_id)
            rows = await tx.fetch_all(
                "SELECT user_id FROM office_hours_slot WHERE session_id = ? "
                "AND user_id IS NOT NULL ORDER BY slot",
                (session_id,),
            )
            waiting = await tx.fetch_all(
                "SELECT user_id FROM office_hours_request WHERE session_id = ? "
                "AND state = 'waiting' ORDER BY line IS NULL, line, requested_at",
                (session_id,),
            )
        return list(dict.fromkeys(int(row["user_id"]) for row in [*rows, *waiting]))

    async def reminder_target(self, session_id: int, slot: int) -> Slot | None:
        """For the reminder job: the slot, if someone still holds it and it has not started."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT f.* FROM founder_session f JOIN office_hours_slot s "
                "ON s.session_id = f.id WHERE f.id = ? AND s.slot = ? "
                "AND s.user_id IS NOT NULL AND s.starts_at > ? AND f.status IN "
                "('scheduled', 'active')",
                (session_id, slot, iso(self._clock())),
            )
            return await _slot(tx, session_of(row), slot) if row else None

    async def rearm(self) -> int:
        """After a restart: schedule again the draws still owed (a draw job claimed by a run
        that stopped is gone); returns how many. Reminder jobs are not re-made: a job stays in
        the database until it runs, and one that ran must not run twice."""
        now = self._clock()
        count = 0
        async with self._db.transaction() as tx:
            for row in await tx.fetch_all(
                "SELECT DISTINCT f.id, f.guild_id FROM founder_session f "
                "JOIN office_hours_request r ON r.session_id = f.id "
                "WHERE f.kind = 'office_hours' AND f.status = 'scheduled' "
                "AND r.state = 'waiting' AND r.line IS NULL"
            ):
                if await self.draw_due(row["id"]) is None:
                    await self._jobs.schedule(
                        DRAW_JOB, str(row["id"]), now, guild_id=row["guild_id"]
                    )
                    count += 1
        return count

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the member's office-hours requests and the slots they hold."""
        requests = await self._db.fetch_all(
            "SELECT r.session_id, r.requested_at, r.state, r.line FROM office_hours_request r "
            "JOIN founder_session f ON f.id = r.session_id "
            "WHERE f.guild_id = ? AND r.user_id = ? ORDER BY r.session_id",
            (guild_id, user_id),
        )
        slots = await self._db.fetch_all(
            "SELECT s.session_id, s.slot, s.starts_at, s.booked_at FROM office_hours_slot s "
            "JOIN founder_session f ON f.id = s.session_id "
            "WHERE f.guild_id = ? AND s.user_id = ? ORDER BY s.session_id",
            (guild_id, user_id),
        )
        exported: dict[str, object] = {}
        if requests:
            exported["requests"] = [dict(row) for row in requests]
        if slots:
            exported["slots"] = [dict(row) for row in slots]
        return exported

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: drop their requests and their name from slots; a future slot they
        held goes to the next in line."""
        now = self._clock()
        held = await tx.fetch_all(
            "SELECT f.*, s.slot AS held_slot, s.starts_at AS held_start FROM office_hours_slot s "
            "JOIN founder_session f ON f.id = s.session_id WHERE f.guild_id = ? AND s.user_id = ?",
            (guild_id, user_id),
        )
        for row in held:
            session = session_of(row)
            if session.status == "scheduled" and row["held_start"] > iso(now):
                await self._release(tx, session, row["held_slot"], now)
            else:
                await tx.execute(
                    "UPDATE office_hours_slot SET user_id = NULL, booked_at = NULL "
                    "WHERE session_id = ? AND slot = ?",
                    (session.id, row["held_slot"]),
                )
        deleted = await tx.execute_rowcount(
            "DELETE FROM office_hours_request WHERE user_id = ? AND session_id IN "
            "(SELECT id FROM founder_session WHERE guild_id = ?)",
            (user_id, guild_id),
        )
        return deleted + len(held)

    # -- helpers that schedule jobs ------------------------------------------------------------
    async def draw_due(self, session_id: int) -> datetime | None:
        """When the round's draw is due, if it is still pending."""
        for job in await self._jobs.pending(DRAW_JOB):
            if job.key == str(session_id):
                return job.due_at
        return None

    async def _book(
        self, tx: Transaction, session: Session, slot: int, user_id: int, now: datetime
    ) -> Slot:
        """Give a free slot to a member and arm its reminder."""
        await tx.execute(
            "UPDATE office_hours_slot SET user_id = ?, booked_at = ? "
            "WHERE session_id = ? AND slot = ? AND user_id IS NULL",
            (user_id, iso(now), session.id, slot),
        )
        booked = await _slot(tx, session, slot)
        # The transaction serializes bookings; this guards the invariant, not a race.
        assert booked.user_id == user_id, "slot was not free"
        due = max(booked.starts_at - REMINDER_LEAD, now)
        await self._jobs.schedule(
            REMINDER_JOB, f"{session.id}:{slot}", due, guild_id=session.guild_id
        )
        return booked

    async def _release(
        self, tx: Transaction, session: Session, slot: int, now: datetime
    ) -> Slot | None:
        """Free a held slot; the next in line takes it if it has not started."""
        await tx.execute(
            "UPDATE office_hours_slot SET user_id = NULL, booked_at = NULL "
            "WHERE session_id = ? AND slot = ?",
            (session.id, slot),
        )
        freed = await _slot(tx, session, slot)
        if freed.starts_at > now:
            waiting = await _line(tx, session.id)
            if waiting:
                await tx.execute(
                    "UPDATE office_hours_request SET state = 'booked', line = NULL "
                    "WHERE session_id = ? AND user_id = ?",
                    (session.id, waiting[0]),
                )
                return await self._book(tx, session, slot, waiting[0], now)
        await self._jobs.cancel(REMINDER_JOB, f"{session.id}:{slot}")
        return None


# -- data layer --------------------------------------------------------------------------------
async def _settings(db: Database, guild_id: int) -> OfficeHoursSettings:
    row = await db.fetch_one(
        "SELECT office_hours_mode, request_window_min FROM session_settings WHERE guild_id = ?",
        (guild_id,),
    )
    if row is None:
        return OfficeHoursSettings()
    return OfficeHoursSettings(row["office_hours_mode"], row["request_window_min"])


async def _session(tx: Transaction, guild_id: int, session_id: int) -> Session:
    """This guild's office-hours round, or DomainError("session.unknown")."""
    row = await tx.fetch_one(
        "SELECT * FROM founder_session WHERE id = ? AND guild_id = ? AND kind = 'office_hours'",
        (session_id, guild_id),
    )
    if row is None:
        raise DomainError("session.unknown")
    return session_of(row)


async def _slots(tx: Transaction, session: Session) -> list[Slot]:
    rows = await tx.fetch_all(
        "SELECT slot, starts_at, user_id FROM office_hours_slot WHERE session_id = ? ORDER BY slot",
        (session.id,),
    )
    return [_slot_of(session, row, len(rows)) for row in rows]


async def _slot(tx: Transaction, session: Session, slot: int) -> Slot:
    count = await tx.fetch_one(
        "SELECT count(*) FROM office_hours_slot WHERE session_id = ?", (session.id,)
    )
    row = await tx.fetch_one(
        "SELECT slot, starts_at, user_id FROM office_hours_slot WHERE session_id = ? AND slot = ?",
        (session.id, slot),
    )
    assert row is not None and count is not None
    return _slot_of(session, row, int(count[0]))


def _slot_of(session: Session, row: Any, count: int) -> Slot:
    # Slots are back to back and share the round evenly.
    length = (session.ends_at - session.starts_at) / count
    starts = datetime.fromisoformat(row["starts_at"])
    return Slot(session.id, int(row["slot"]), starts, starts + length, row["user_id"])


async def _request_row(tx: Transaction, session_id: int, user_id: int) -> Any:
    return await tx.fetch_one(
        "SELECT state, line FROM office_hours_request WHERE session_id = ? AND user_id = ?",
        (session_id, user_id),
    )


async def _put_request(
    tx: Transaction,
    session_id: int,
    user_id: int,
    now: datetime,
    state: Literal["waiting", "booked"],
    line: int | None,
) -> None:
    """Record a request (a withdrawn one is renewed, as of now); refuses a second one."""
    written = await tx.execute_rowcount(
        "INSERT INTO office_hours_request (session_id, user_id, requested_at, line, state) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, user_id) DO UPDATE SET "
        "requested_at = excluded.requested_at, line = excluded.line, state = excluded.state "
        "WHERE office_hours_request.state = 'withdrawn'",
        (session_id, user_id, iso(now), line, state),
    )
    if not written:
        raise DomainError("session.office.already")


async def _undrawn(tx: Transaction, session_id: int) -> bool:
    """Requests the draw has not placed yet (so it has not run, or is running)."""
    row = await tx.fetch_one(
        "SELECT 1 FROM office_hours_request WHERE session_id = ? AND state = 'waiting' "
        "AND line IS NULL LIMIT 1",
        (session_id,),
    )
    return row is not None


async def _first_free(tx: Transaction, session_id: int, now: datetime) -> int | None:
    row = await tx.fetch_one(
        "SELECT slot FROM office_hours_slot WHERE session_id = ? AND user_id IS NULL "
        "AND starts_at > ? ORDER BY slot LIMIT 1",
        (session_id, iso(now)),
    )
    return int(row["slot"]) if row else None


async def _next_line(tx: Transaction, session_id: int) -> int:
    row = await tx.fetch_one(
        "SELECT coalesce(max(line), 0) + 1 FROM office_hours_request WHERE session_id = ?",
        (session_id,),
    )
    assert row is not None
    return int(row[0])


async def _place(tx: Transaction, session_id: int, line: int) -> int:
    row = await tx.fetch_one(
        "SELECT count(*) FROM office_hours_request WHERE session_id = ? AND state = 'waiting' "
        "AND line IS NOT NULL AND line <= ?",
        (session_id, line),
    )
    assert row is not None
    return int(row[0])


async def _line(tx: Transaction, session_id: int) -> list[int]:
    rows = await tx.fetch_all(
        "SELECT user_id FROM office_hours_request WHERE session_id = ? AND state = 'waiting' "
        "AND line IS NOT NULL ORDER BY line",
        (session_id,),
    )
    return [int(row["user_id"]) for row in rows]


async def _ranked(tx: Transaction, session: Session, seed: int | None) -> list[int]:
    """Requesters not yet placed, in draw order: never had a 1:1 in this guild first, then
    longest since their last one; ties in a shuffled order reproducible from the seed."""
    rows = await tx.fetch_all(
        "SELECT r.user_id, ("
        "  SELECT max(s.starts_at) FROM office_hours_slot s "
        "  JOIN founder_session f ON f.id = s.session_id "
        "  WHERE s.user_id = r.user_id AND f.guild_id = ? AND f.kind = 'office_hours' "
        "  AND f.id != ? AND f.status != 'cancelled' AND s.starts_at < ?"
        ") AS last_at FROM office_hours_request r "
        "WHERE r.session_id = ? AND r.state = 'waiting' AND r.line IS NULL ORDER BY r.user_id",
        (session.guild_id, session.id, iso(session.starts_at), session.id),
    )
    rng = random.Random(seed if seed is not None else session.id)
    shuffled = list(rows)
    rng.shuffle(shuffled)
    # Stable sort: the shuffle only decides among equals. "" sorts before any ISO time.
    shuffled.sort(key=lambda row: (row["last_at"] is not None, row["last_at"] or ""))
    return [int(row["user_id"]) for row in shuffled]
