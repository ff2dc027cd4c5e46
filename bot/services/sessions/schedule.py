"""Founder sessions: scheduling, RSVPs with a waitlist, reminders, lifecycle and attendance.

A session mirrors a Discord scheduled event. Its status moves scheduled -> active -> completed,
or scheduled -> cancelled, whichever side (our commands or Discord's own UI) moves it; every
transition is idempotent, so following the event's updates after our own change is harmless.

Reminders (`reminders.py`) and attendance (`attendance.py`) are parts of the same service.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.sessions.attendance import SessionAttendance
from bot.services.sessions.models import Session, SessionAudience, SessionKind, session_of
from bot.services.sessions.reminders import (
    REMINDER_JOB,
    ReminderBatch,
    ReminderOutcome,
    SessionReminders,
)

if TYPE_CHECKING:
    from bot.services.leaders.signals import EngagementSignals

DEFAULT_REMINDERS: tuple[int, ...] = (1440, 15)
MIN_MINUTES, MAX_MINUTES = 15, 240
TITLE_MAX = 100  # Discord's limit for an event name
DESCRIPTION_MAX = 1000  # Discord's limit for an event description
LOCATION_MAX = 100
CAPACITY_MAX = 10_000
REMINDER_MIN, REMINDER_MAX, REMINDERS_MAX = 5, 7 * 1440, 3
DRAFT_TTL = timedelta(hours=1)
Via = Literal["button", "event"]


@dataclass(frozen=True)
class SessionSettings:
    """A guild's session settings."""

    reminder_minutes: tuple[int, ...] = DEFAULT_REMINDERS
    office_hours_mode: str = "draw"
    request_window_min: int = 1440


@dataclass(frozen=True)
class Draft:
    """A session as typed in, checked, not yet created."""

    title: str
    starts_at: datetime
    minutes: int
    channel_id: int | None
    location: str | None
    description: str | None
    capacity: int | None

    @property
    def ends_at(self) -> datetime:
        """When it ends."""
        return self.starts_at + timedelta(minutes=self.minutes)

    def to_json(self) -> str:
        """For a saved draft."""
        data = self.__dict__ | {"starts_at": iso(self.starts_at)}
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Draft:
        """Back from a saved draft."""
        data: dict[str, Any] = json.loads(text)
        data["starts_at"] = datetime.fromisoformat(data["starts_at"])
        return cls(**data)


@dataclass(frozen=True)
class Counts:
    """RSVPs of a session."""

    going: int
    waitlist: int


@dataclass(frozen=True)
class RsvpResult:
    """What an RSVP click (or Discord's "Interested") did."""

    session: Session
    #: "going", "waitlist" or None (not coming any more).
    state: str | None
    changed: bool
    #: Their place on the waitlist (1 = next).
    place: int | None
    #: Members moved up from the waitlist because a seat came free.
    promoted: tuple[int, ...]
    counts: Counts


@dataclass(frozen=True)
class Transition:
    """A lifecycle change (or a no-op when it had already happened)."""

    session: Session
    changed: bool
    previous: str


class SessionService(SessionReminders, SessionAttendance):
    """Sessions of every guild."""

    name = "sessions"

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        clock: Clock = utcnow,
        *,
        signals: EngagementSignals | None = None,
    ) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock
        self._signals = signals

    # -- settings ------------------------------------------------------------------------------
    async def settings(self, guild_id: int) -> SessionSettings:
        """The guild's settings (defaults when never set)."""
        row = await self._db.fetch_one(
            "SELECT * FROM session_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return SessionSettings()
        return SessionSettings(
            reminder_minutes=tuple(json.loads(row["reminder_minutes"])),
            office_hours_mode=row["office_hours_mode"],
            request_window_min=row["request_window_min"],
        )

    async def set_reminders(self, guild_id: int, minutes: Sequence[int]) -> SessionSettings:
        """Reminder offsets in minutes before the start (1 to 3, 5 min to 7 days; none: off)."""
        offsets = sorted(set(minutes), reverse=True)
        if len(offsets) > REMINDERS_MAX or any(
            not REMINDER_MIN <= m <= REMINDER_MAX for m in offsets
        ):
            raise DomainError(
                "session.reminders.invalid",
                count=REMINDERS_MAX,
                min=REMINDER_MIN,
                max=REMINDER_MAX // 1440,
            )
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO session_settings (guild_id, reminder_minutes, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "reminder_minutes = excluded.reminder_minutes, updated_at = excluded.updated_at",
                (guild_id, json.dumps(offsets), iso(self._clock())),
            )
        return await self.settings(guild_id)

    # -- scheduling ----------------------------------------------------------------------------
    def check(
        self,
        *,
        title: str,
        starts_at: datetime,
        minutes: int,
        channel_id: int | None = None,
        location: str | None = None,
        description: str | None = None,
        capacity: int | None = None,
    ) -> Draft:
        """A draft from typed-in values, or a DomainError naming the first thing wrong."""
        title = " ".join(title.split())
        if not title or len(title) > TITLE_MAX:
            raise DomainError("session.title.invalid", max=TITLE_MAX)
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise DomainError("session.duration.invalid", min=MIN_MINUTES, max=MAX_MINUTES // 60)
        if starts_at <= self._clock():
            raise DomainError("session.when.past")
        description = (description or "").strip() or None
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise DomainError("session.description.too_long", max=DESCRIPTION_MAX)
        location = " ".join((location or "").split()) or None
        if location is not None and len(location) > LOCATION_MAX:
            raise DomainError("session.location.too_long", max=LOCATION_MAX)
        if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
            raise DomainError("session.capacity.invalid", max=CAPACITY_MAX)
        return Draft(title, starts_at, minutes, channel_id, location, description, capacity)

    async def overlaps(
        self, guild_id: int, starts_at: datetime, ends_at: datetime
    ) -> list[Session]:
        """Open sessions of the guild whose time overlaps this one."""
        rows = await self._db.fetch_all(
            "SELECT * FROM founder_session WHERE guild_id = ? AND status IN "
            "('scheduled', 'active') AND starts_at < ? AND ends_at > ? ORDER BY starts_at",
            (guild_id, iso(ends_at), iso(starts_at)),
        )
        return [session_of(row) for row in rows]

    async def save_draft(self, guild_id: int, user_id: int, draft: Draft) -> int:
        """Keep a draft until its author confirms it (after an overlap warning)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM session_draft WHERE created_at < ?",
                (iso(self._clock() - DRAFT_TTL),),
            )
            return await tx.execute(
                "INSERT INTO session_draft (guild_id, user_id, payload, created_at) "
                "VALUES (?, ?, ?, ?)",
                (guild_id, user_id, draft.to_json(), iso(self._clock())),
            )

    async def take_draft(self, guild_id: int, user_id: int, draft_id: int) -> Draft:
        """The saved draft (removed: it is used once), still checked against the clock."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT payload, created_at FROM session_draft "
                "WHERE id = ? AND guild_id = ? AND user_id = ?",
                (draft_id, guild_id, user_id),
            )
            if row is None or datetime.fromisoformat(row["created_at"]) < (
                self._clock() - DRAFT_TTL
            ):
                raise DomainError("session.draft.expired")
            await tx.execute("DELETE FROM session_draft WHERE id = ?", (draft_id,))
        draft = Draft.from_json(row["payload"])
        if draft.starts_at <= self._clock():
            raise DomainError("session.when.past")
        return draft

    async def create(
        self,
        guild_id: int,
        host_id: int,
        draft: Draft,
        *,
        kind: SessionKind = "ama",
        audience: SessionAudience = "all",
    ) -> Session:
        """Store a session and arm its reminders (offsets already past are skipped)."""
        now = self._clock()
        settings = await self.settings(guild_id)
        async with self._db.transaction() as tx:
            session_id = await tx.execute(
                "INSERT INTO founder_session (guild_id, kind, title, description, host_id, "
                "starts_at, ends_at, channel_id, location, capacity, created_at, updated_at, "
                "audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    kind,
                    draft.title,
                    draft.description,
                    host_id,
                    iso(draft.starts_at),
                    iso(draft.ends_at),
                    draft.channel_id,
                    draft.location,
                    draft.capacity,
                    iso(now),
                    iso(now),
                    audience,
                ),
            )
            for minutes in settings.reminder_minutes:
                due = draft.starts_at - timedelta(minutes=minutes)
                if due > now:
                    await self._jobs.schedule(
                        REMINDER_JOB,
                        f"{session_id}:{minutes}",
                        due,
                        guild_id=guild_id,
                        payload={"session_id": session_id, "minutes": minutes},
                    )
        return await self.get(guild_id, session_id)

    async def remove(self, guild_id: int, session_id: int) -> None:
        """Drop a session whose Discord side could not be made (nothing half-written)."""
        async with self._db.transaction() as tx:
            if await tx.execute_rowcount(
                "DELETE FROM founder_session WHERE id = ? AND guild_id = ?", (session_id, guild_id)
            ):
                await tx.execute(
                    "DELETE FROM scheduled_job WHERE kind = ? AND key LIKE ?",
                    (REMINDER_JOB, f"{session_id}:%"),
                )

    async def set_event(self, session_id: int, event_id: int) -> None:
        """Link the Discord scheduled event."""
        await self._update(session_id, "event_id = ?", (event_id,))

    async def set_post(
        self,
        session_id: int,
        channel_id: int,
        message_id: int,
        questions_channel_id: int | None = None,
    ) -> None:
        """Link the announcement (and where its questions are listed)."""
        await self._update(
            session_id,
            "post_channel_id = ?, post_message_id = ?, questions_channel_id = ?",
            (channel_id, message_id, questions_channel_id),
        )

    async def _update(self, session_id: int, assignments: str, params: tuple[Any, ...]) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE founder_session SET {assignments}, updated_at = ? WHERE id = ?",
                (*params, iso(self._clock()), session_id),
            )

    # -- reading -------------------------------------------------------------------------------
    async def get(self, guild_id: int, session_id: int) -> Session:
        """A session of this guild, or DomainError("session.unknown")."""
        row = await self._db.fetch_one(
            "SELECT * FROM founder_session WHERE id = ? AND guild_id = ?", (session_id, guild_id)
        )
        if row is None:
            raise DomainError("session.unknown")
        return session_of(row)

    async def by_event(self, event_id: int) -> Session | None:
        """The session of a Discord scheduled event."""
        row = await self._db.fetch_one(
            "SELECT * FROM founder_session WHERE event_id = ?", (event_id,)
        )
        return session_of(row) if row else None

    async def current(self, guild_id: int, kind: SessionKind | None = "ama") -> Session:
        """The session a host command means when none is named: the running one, else the next
        one to start, else DomainError("session.none")."""
        row = await self._db.fetch_one(
            "SELECT * FROM founder_session WHERE guild_id = ? AND (? IS NULL OR kind = ?) "
            "AND status IN ('active', 'scheduled') "
            "ORDER BY status = 'active' DESC, starts_at LIMIT 1",
            (guild_id, kind, kind),
        )
        if row is None:
            raise DomainError("session.none")
        return session_of(row)

    async def upcoming(self, guild_id: int, limit: int = 10) -> list[tuple[Session, Counts]]:
        """Running and upcoming sessions, soonest first, with their RSVP counts."""
        rows = await self._db.fetch_all(
            "SELECT s.*, "
            "(SELECT count(*) FROM session_rsvp r WHERE r.session_id = s.id "
            " AND r.state = 'going') AS going, "
            "(SELECT count(*) FROM session_rsvp r WHERE r.session_id = s.id "
            " AND r.state = 'waitlist') AS waiting "
            "FROM founder_session s WHERE s.guild_id = ? "
            "AND s.status IN ('scheduled', 'active') ORDER BY s.starts_at LIMIT ?",
            (guild_id, limit),
        )
        return [(session_of(row), Counts(row["going"], row["waiting"])) for row in rows]

    async def active(self) -> list[Session]:
        """Running sessions of every guild (attendance is reconciled with them at startup)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM founder_session WHERE status = 'active' ORDER BY id"
        )
        return [session_of(row) for row in rows]

    async def counts(self, session_id: int) -> Counts:
        """RSVP counts."""
        return await _counts(self._db, session_id)

    async def rsvps(self, session_id: int, state: str = "going") -> list[int]:
        """Member ids with this RSVP state, in the order they came."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM session_rsvp WHERE session_id = ? AND state = ? ORDER BY seq",
            (session_id, state),
        )
        return [int(row["user_id"]) for row in rows]

    # -- RSVP ----------------------------------------------------------------------------------
    async def rsvp(
        self,
        guild_id: int,
        session_id: int,
        user_id: int,
        *,
        via: Via,
        want: bool | None = None,
    ) -> RsvpResult:
        """RSVP (want=True), un-RSVP (False) or toggle (None). Idempotent: Discord's "Interested"
        and our button both land here, and a repeated event changes nothing. With a capacity,
        RSVPs past it wait in line and move up when a seat comes free."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM founder_session WHERE id = ? AND guild_id = ?",
                (session_id, guild_id),
            )
            if row is None:
                raise DomainError("session.unknown")
            session = session_of(row)
            mine = await tx.fetch_one(
                "SELECT state FROM session_rsvp WHERE session_id = ? AND user_id = ?",
                (session_id, user_id),
            )
            coming = mine is not None
            wanted = not coming if want is None else want
            if wanted == coming:
                state = mine["state"] if mine else None
                place = await _place(tx, session_id, user_id) if state == "waitlist" else None
                counts = await _counts(tx, session_id)
                return RsvpResult(session, state, False, place, (), counts)
            if not session.is_open:
                raise DomainError("session.rsvp.closed")
            promoted: tuple[int, ...] = ()
            if wanted:
                await self.check_audience(session, user_id)
                state = "going"
                if session.capacity is not None:
                    going = (await _counts(tx, session_id)).going
                    state = "going" if going < session.capacity else "waitlist"
                await tx.execute(
                    "INSERT INTO session_rsvp (session_id, user_id, state, via, seq, created_at) "
                    "VALUES (?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM session_rsvp "
                    "WHERE session_id = ?), ?)",
                    (session_id, user_id, state, via, session_id, iso(self._clock())),
                )
            else:
                state = None
                await tx.execute(
                    "DELETE FROM session_rsvp WHERE session_id = ? AND user_id = ?",
                    (session_id, user_id),
                )
                promoted = await _fill_seats(tx, session)
            place = await _place(tx, session_id, user_id) if state == "waitlist" else None
            counts = await _counts(tx, session_id)
        return RsvpResult(session, state, True, place, promoted, counts)

    async def check_audience(self, session: Session, user_id: int) -> None:
        """Refuse (DomainError) someone the session is not for: a leaders-only session (a
        founder-leader sync) takes current leaders only."""
        if session.audience == "leaders" and not await _is_leader(
            self._db, session.guild_id, user_id
        ):
            raise DomainError("session.leaders_only")

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self, guild_id: int, session_id: int) -> Transition:
        """scheduled -> active (a no-op when it runs already)."""
        session = await self.get(guild_id, session_id)
        if session.status == "active":
            return Transition(session, False, session.status)
        if session.status != "scheduled":
            raise DomainError("session.status.over")
        if not await self._set_status(session_id, "scheduled", "active", "started_at"):
            return await self.start(guild_id, session_id)  # moved meanwhile: read it again
        return Transition(await self.get(guild_id, session_id), True, session.status)

    async def end(self, guild_id: int, session_id: int) -> Transition:
        """active -> completed; closes the attendance spans still open."""
        session = await self.get(guild_id, session_id)
        if session.status == "completed":
            return Transition(session, False, session.status)
        if session.status == "scheduled":
            raise DomainError("session.status.not_started")
        if session.status != "active":
            raise DomainError("session.status.over")
        if not await self._set_status(session_id, "active", "completed", "ended_at"):
            return await self.end(guild_id, session_id)  # moved meanwhile: read it again
        await self.close_attendance(session_id)
        return Transition(await self.get(guild_id, session_id), True, session.status)

    async def cancel(self, guild_id: int, session_id: int) -> Transition:
        """scheduled -> cancelled; its reminders are dropped. A running session is ended
        instead (Discord does not cancel a started event)."""
        session = await self.get(guild_id, session_id)
        if session.status == "cancelled":
            return Transition(session, False, session.status)
        if session.status == "active":
            raise DomainError("session.status.running")
        if session.status != "scheduled":
            raise DomainError("session.status.over")
        async with self._db.transaction() as tx:
            cancelled = await self._set_status(session_id, "scheduled", "cancelled", "ended_at")
            if cancelled:
                await tx.execute(
                    "DELETE FROM scheduled_job WHERE kind = ? AND key LIKE ?",
                    (REMINDER_JOB, f"{session_id}:%"),
                )
        if not cancelled:
            return await self.cancel(guild_id, session_id)  # moved meanwhile: read it again
        return Transition(await self.get(guild_id, session_id), True, session.status)

    async def follow_event(self, event_id: int, status: str) -> Transition | None:
        """Follow a status set in Discord's own UI (or an event deleted there: "cancelled").
        None when the event is not a session's or the change does not apply."""
        session = await self.by_event(event_id)
        if session is None or session.status == status:
            return None
        try:
            if status == "active":
                return await self.start(session.guild_id, session.id)
            if status == "completed":
                if session.status == "scheduled":  # ended without ever starting
                    await self._set_status(session.id, "scheduled", "active", "started_at")
                    ended = await self.end(session.guild_id, session.id)
                    return Transition(ended.session, ended.changed, session.status)
                return await self.end(session.guild_id, session.id)
            if status == "cancelled":
                if session.status == "active":
                    return await self.end(session.guild_id, session.id)
                return await self.cancel(session.guild_id, session.id)
        except DomainError:
            return None
        return None

    async def mark_recap(self, session_id: int) -> bool:
        """Claim the recap post: True once per session."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    "UPDATE founder_session SET recap_posted_at = ? "
                    "WHERE id = ? AND recap_posted_at IS NULL",
                    (iso(self._clock()), session_id),
                )
                > 0
            )

    async def _set_status(self, session_id: int, old: str, status: str, stamp: str) -> bool:
        """Move from `old` to `status`; False when it was not `old` any more."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    f"UPDATE founder_session SET status = ?, {stamp} = coalesce({stamp}, ?), "
                    "updated_at = ? WHERE id = ? AND status = ?",
                    (status, now, now, session_id, old),
                )
                > 0
            )

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """RSVPs, reminders and attendance of a member."""
        rsvps = await self._db.fetch_all(
            "SELECT s.id, s.title, s.starts_at, r.state, r.via, r.created_at "
            "FROM session_rsvp r JOIN founder_session s ON s.id = r.session_id "
            "WHERE s.guild_id = ? AND r.user_id = ? ORDER BY s.starts_at",
            (guild_id, user_id),
        )
        reminders = await self._db.fetch_all(
            "SELECT s.id AS session, m.minutes, m.outcome, m.sent_at FROM session_reminder m "
            "JOIN founder_session s ON s.id = m.session_id "
            "WHERE s.guild_id = ? AND m.user_id = ? ORDER BY s.starts_at, m.minutes DESC",
            (guild_id, user_id),
        )
        attendance = await self._db.fetch_all(
            "SELECT s.id, s.title, a.seconds FROM session_attendance a "
            "JOIN founder_session s ON s.id = a.session_id "
            "WHERE s.guild_id = ? AND a.user_id = ? ORDER BY s.starts_at",
            (guild_id, user_id),
        )
        sections: dict[str, object] = {
            "rsvps": [dict(row) for row in rsvps],
            "reminders": [dict(row) for row in reminders],
            "attendance_minutes": [
                {"session": r["id"], "title": r["title"], "minutes": r["seconds"] // 60}
                for r in attendance
            ],
        }
        return {name: rows for name, rows in sections.items() if rows}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete a member's RSVPs, reminders, attendance and drafts in this guild."""
        deleted = 0
        for table in ("session_rsvp", "session_reminder", "session_attendance"):
            deleted += await tx.execute_rowcount(
                f"DELETE FROM {table} WHERE user_id = ? AND session_id IN "
                "(SELECT id FROM founder_session WHERE guild_id = ?)",
                (user_id, guild_id),
            )
        deleted += await tx.execute_rowcount(
            "DELETE FROM session_draft WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return deleted


async def _counts(tx: Database | Transaction, session_id: int) -> Counts:
    row = await tx.fetch_one(
        "SELECT coalesce(sum(state = 'going'), 0) AS going, "
        "coalesce(sum(state = 'waitlist'), 0) AS waiting FROM session_rsvp WHERE session_id = ?",
        (session_id,),
    )
    assert row is not None
    return Counts(int(row["going"]), int(row["waiting"]))


async def _is_leader(tx: Database | Transaction, guild_id: int, user_id: int) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
        (guild_id, user_id),
    )
    return row is not None


async def _place(tx: Transaction, session_id: int, user_id: int) -> int:
    row = await tx.fetch_one(
        "SELECT count(*) FROM session_rsvp WHERE session_id = ? AND state = 'waitlist' "
        "AND seq <= (SELECT seq FROM session_rsvp WHERE session_id = ? AND user_id = ?)",
        (session_id, session_id, user_id),
    )
    return int(row[0]) if row else 0


async def _fill_seats(tx: Transaction, session: Session) -> tuple[int, ...]:
    """Move the first waiting members up while there are free seats."""
    if session.capacity is None:
        return ()
    going = (await _counts(tx, session.id)).going
    free = session.capacity - going
    if free <= 0:
        return ()
    rows = await tx.fetch_all(
        "SELECT user_id FROM session_rsvp WHERE session_id = ? AND state = 'waitlist' "
        "ORDER BY seq LIMIT ?",
        (session.id, free),
    )
    users = tuple(int(r["user_id"]) for r in rows)
    await tx.executemany(
        "UPDATE session_rsvp SET state = 'going' WHERE session_id = ? AND user_id = ?",
        [(session.id, user) for user in users],
    )
    return users


__all__ = ["REMINDER_JOB", "ReminderBatch", "ReminderOutcome", "SessionService"]
