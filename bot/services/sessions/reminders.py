"""Session reminders: durable jobs, one per offset. When one fires, the members to remind are
written (claimed) before anything is sent, so a retry, a restart or a reconnect never reminds twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.db import Database
from bot.services.clock import Clock, iso
from bot.services.sessions.models import Session, session_of

REMINDER_JOB = "session.reminder"
ReminderOutcome = Literal["dm", "channel", "off", "failed"]


@dataclass(frozen=True)
class ReminderBatch:
    """Members to remind now; they are already claimed."""

    session: Session
    minutes: int
    user_ids: tuple[int, ...]


class SessionReminders:
    """The reminders part of SessionService."""

    _db: Database
    _clock: Clock

    async def claim_reminders(self, session_id: int, minutes: int) -> ReminderBatch | None:
        """The members to remind for this offset, claimed so nobody is reminded twice. None
        when the session is no longer upcoming (a reminder missed while the bot was down is sent
        late only if the session has not started)."""
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT * FROM founder_session WHERE id = ?", (session_id,))
            if row is None:
                return None
            session = session_of(row)
            if session.status != "scheduled" or session.starts_at <= now:
                return None
            # A leaders-only session reminds only those still leaders.
            rows = await tx.fetch_all(
                "SELECT user_id FROM session_rsvp r WHERE session_id = ? AND state = 'going' "
                "AND NOT EXISTS (SELECT 1 FROM session_reminder m WHERE m.session_id = ? "
                "AND m.minutes = ? AND m.user_id = r.user_id) AND (? = 'all' OR EXISTS "
                "(SELECT 1 FROM leader l WHERE l.guild_id = ? AND l.user_id = r.user_id "
                "AND l.status = 'active')) ORDER BY seq",
                (session_id, session_id, minutes, session.audience, session.guild_id),
            )
            users = tuple(int(r["user_id"]) for r in rows)
            await tx.executemany(
                "INSERT INTO session_reminder (session_id, minutes, user_id, outcome, sent_at) "
                "VALUES (?, ?, ?, 'claimed', ?)",
                [(session_id, minutes, user, iso(now)) for user in users],
            )
        return ReminderBatch(session, minutes, users)

    async def reminder_outcomes(
        self, session_id: int, minutes: int, outcomes: Mapping[int, ReminderOutcome]
    ) -> None:
        """Record how each claimed reminder went (DM, channel mention, turned off, failed)."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE session_reminder SET outcome = ? "
                "WHERE session_id = ? AND minutes = ? AND user_id = ?",
                [(out, session_id, minutes, user) for user, out in outcomes.items()],
            )

    async def reminders_sent(self, session_id: int) -> dict[tuple[int, int], str]:
        """(minutes, user) -> outcome, for status displays and tests."""
        rows = await self._db.fetch_all(
            "SELECT minutes, user_id, outcome FROM session_reminder WHERE session_id = ?",
            (session_id,),
        )
        return {(r["minutes"], r["user_id"]): r["outcome"] for r in rows}
