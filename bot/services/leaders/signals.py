"""Engagement signals: per member and day, counts of what they did, never what they wrote.

Every feature reports here (messages per channel, RSVPs kept, attendance minutes, introductions
that stayed, feedback items and the upvotes they received, poll and survey votes). The suggestion
score, the leaders' duty lists and the community health metrics read the daily aggregates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.db import Database
from bot.services.clock import Clock, utcnow

SignalKind = Literal[
    "message",
    "rsvp_kept",
    "attendance_minutes",
    "introduction_stayed",
    "feedback_item",
    "feedback_upvote",
    "vote",
]
SIGNAL_KINDS: tuple[SignalKind, ...] = (
    "message",
    "rsvp_kept",
    "attendance_minutes",
    "introduction_stayed",
    "feedback_item",
    "feedback_upvote",
    "vote",
)


class EngagementSignals:
    """The one place every feature reports participation to (daily counts, never content)."""

    name = "engagement"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self,
        guild_id: int,
        user_id: int,
        kind: SignalKind,
        amount: int = 1,
        *,
        channel_id: int = 0,
        at: datetime | None = None,
    ) -> None:
        """Add `amount` to the member's count of `kind` for the day of `at` (default: now)."""
        raise NotImplementedError
