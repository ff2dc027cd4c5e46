"""Session attendance: presence in a running session's voice or stage channel, per member, in
seconds (never what is said). `open_since` is set while the member is in the channel."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from bot.db import Database, Transaction
from bot.services.clock import Clock, iso
from bot.services.sessions.models import Session

if TYPE_CHECKING:
    from bot.services.leaders.signals import EngagementSignals

# Seconds from open_since to the moment given as the first parameter.
_ELAPSED = "CAST(round((julianday(?) - julianday(open_since)) * 86400) AS INTEGER)"


class SessionAttendance:
    """The attendance part of SessionService."""

    _db: Database
    _clock: Clock
    _signals: EngagementSignals | None

    async def voice_moved(
        self, guild_id: int, user_id: int, left: int | None, joined: int | None
    ) -> None:
        """A member left channel `left` and/or joined `joined`: spans of running sessions in
        those channels are closed or opened."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            if left is not None:
                await _close_spans(tx, now, guild_id, left, (user_id,))
            if joined is not None:
                await tx.execute(
                    "INSERT INTO session_attendance (session_id, user_id, open_since) "
                    "SELECT id, ?, ? FROM founder_session WHERE guild_id = ? AND channel_id = ? "
                    "AND status = 'active' ON CONFLICT (session_id, user_id) DO UPDATE SET "
                    "open_since = coalesce(open_since, excluded.open_since)",
                    (user_id, now, guild_id, joined),
                )

    async def reconcile_attendance(self, session: Session, present: Collection[int]) -> None:
        """At a start or after a restart: members in the channel now have an open span, the
        others none (time while the bot was down counts up to now for those still there)."""
        if session.channel_id is None:
            return
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT user_id FROM session_attendance WHERE session_id = ? "
                "AND open_since IS NOT NULL",
                (session.id,),
            )
            gone = [int(r["user_id"]) for r in rows if int(r["user_id"]) not in present]
            await _close_spans(tx, now, session.guild_id, session.channel_id, gone)
            await tx.executemany(
                "INSERT INTO session_attendance (session_id, user_id, open_since) "
                "VALUES (?, ?, ?) ON CONFLICT (session_id, user_id) DO UPDATE SET "
                "open_since = coalesce(open_since, excluded.open_since)",
                [(session.id, user, now) for user in present],
            )

    async def close_attendance(self, session_id: int) -> None:
        """Close every open span (the session ended), and report to the engagement signals,
        in the same transaction, each member's minutes present and the RSVPs kept (RSVP'd
        going and present for a minute or more)."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE session_attendance SET seconds = seconds + max(0, {_ELAPSED}), "
                "open_since = NULL WHERE session_id = ? AND open_since IS NOT NULL",
                (now, session_id),
            )
            if self._signals is not None:
                rows = await tx.fetch_all(
                    "SELECT s.guild_id, a.user_id, a.seconds / 60 AS minutes, EXISTS (SELECT 1 "
                    "FROM session_rsvp r WHERE r.session_id = a.session_id "
                    "AND r.user_id = a.user_id AND r.state = 'going') AS going "
                    "FROM session_attendance a JOIN founder_session s ON s.id = a.session_id "
                    "WHERE a.session_id = ? AND a.seconds >= 60",
                    (session_id,),
                )
                if rows:
                    await self._signals.credit_session(
                        int(rows[0]["guild_id"]),
                        session_id,
                        {int(r["user_id"]): int(r["minutes"]) for r in rows},
                        [int(r["user_id"]) for r in rows if r["going"]],
                    )

    async def attendance(self, session_id: int) -> dict[int, int]:
        """Member -> whole minutes present (closed spans; open ones counted up to now)."""
        rows = await self._db.fetch_all(
            f"SELECT user_id, seconds + coalesce({_ELAPSED}, 0) AS total "
            "FROM session_attendance WHERE session_id = ? ORDER BY user_id",
            (iso(self._clock()), session_id),
        )
        return {int(r["user_id"]): int(r["total"]) // 60 for r in rows}


async def _close_spans(
    tx: Transaction, now: str, guild_id: int, channel_id: int, users: Collection[int]
) -> None:
    await tx.executemany(
        f"UPDATE session_attendance SET seconds = seconds + max(0, {_ELAPSED}), "
        "open_since = NULL WHERE user_id = ? AND open_since IS NOT NULL AND session_id IN "
        "(SELECT id FROM founder_session WHERE guild_id = ? AND channel_id = ?)",
        [(now, user, guild_id, channel_id) for user in users],
    )
