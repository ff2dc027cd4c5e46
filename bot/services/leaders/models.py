"""The leaders feature's values: settings, leaders, nominations and circles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: The parts of the suggestion score, in the order README explains them.
WEIGHT_NAMES: tuple[str, ...] = (
    "breadth",
    "consistency",
    "introductions",
    "attendance",
    "feedback",
    "tenure",
)


@dataclass(frozen=True)
class LeaderSettings:
    """A guild's leader settings (defaults until changed with /setup leaders)."""

    guild_id: int
    members_per_leader: int = 15
    alert_at: int = 30
    retention_days: int = 180
    review_weeks: int = 4
    charter_text: str | None = None  # None: the localized default charter
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "breadth": 2.0,
            "consistency": 3.0,
            "introductions": 2.0,
            "attendance": 2.0,
            "feedback": 1.0,
            "tenure": 1.0,
        }
    )
    alerted_gap: int = 0


@dataclass(frozen=True)
class Leader:
    """One time a member is a leader."""

    id: int
    guild_id: int
    user_id: int
    status: str  # active, stepped_down, removed, left
    since: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class Nomination:
    """A founder asked a member to become a leader; the member decides."""

    id: int
    guild_id: int
    user_id: int
    nominated_by: int
    circle_id: int | None
    status: str  # pending, accepted, declined, expired, withdrawn
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    channel_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class Circle:
    """A small group of members with one leader (None while it waits for one)."""

    id: int
    guild_id: int
    name: str
    leader_id: int | None
    channel_id: int | None
    created_at: datetime
    member_ids: tuple[int, ...] = ()
