"""What the sessions services hand out: plain values, no discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SessionKind = Literal["ama", "office_hours"]
#: Who a session is for: every member, or the community leaders only (the founder-leader syncs).
SessionAudience = Literal["all", "leaders"]
SessionStatus = Literal["scheduled", "active", "completed", "cancelled"]
OPEN_STATUSES: tuple[SessionStatus, ...] = ("scheduled", "active")


@dataclass(frozen=True)
class Session:
    """A founder session (an AMA or a round of office hours)."""

    id: int
    guild_id: int
    kind: SessionKind
    title: str
    description: str | None
    host_id: int
    starts_at: datetime
    ends_at: datetime
    channel_id: int | None
    location: str | None
    capacity: int | None
    status: SessionStatus
    event_id: int | None
    post_channel_id: int | None
    post_message_id: int | None
    questions_channel_id: int | None
    started_at: datetime | None
    ended_at: datetime | None
    audience: SessionAudience = "all"

    @property
    def is_open(self) -> bool:
        """Scheduled or running: it takes RSVPs and questions."""
        return self.status in OPEN_STATUSES

    @property
    def minutes(self) -> int:
        """Its planned length."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def session_of(row: Any) -> Session:
    """A Session from a founder_session row."""
    starts = _when(row["starts_at"])
    ends = _when(row["ends_at"])
    assert starts is not None and ends is not None
    return Session(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        host_id=int(row["host_id"]),
        starts_at=starts,
        ends_at=ends,
        channel_id=row["channel_id"],
        location=row["location"],
        capacity=row["capacity"],
        status=row["status"],
        event_id=row["event_id"],
        post_channel_id=row["post_channel_id"],
        post_message_id=row["post_message_id"],
        questions_channel_id=row["questions_channel_id"],
        started_at=_when(row["started_at"]),
        ended_at=_when(row["ended_at"]),
        audience=row["audience"],
    )
