"""What the weekly digest is made of: settings, ledger rows, the spotlight and the contents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.services.feedback.polls import Poll

RunStatus = Literal["claimed", "sent", "skipped"]
Via = Literal["schedule", "manual"]
DmOutcome = Literal["dm", "fallback", "failed"]
DAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DEFAULT_DAY, DEFAULT_HOUR = 0, 9
SPOTLIGHT_MAX = 1000


@dataclass(frozen=True)
class DigestSettings:
    """A guild's digest schedule: off, or its day (0 Monday) and hour in the guild's time zone,
    and its channel (None: the announcements channel)."""

    guild_id: int
    enabled: bool = False
    day: int = DEFAULT_DAY
    hour: int = DEFAULT_HOUR
    channel_id: int | None = None
    start_week: str | None = None
    unpostable_told_at: datetime | None = None


@dataclass(frozen=True)
class Run:
    """A week's row in the ledger."""

    guild_id: int
    week: str
    status: RunStatus
    via: Via
    reason: str | None
    since: datetime | None
    until: datetime | None
    channel_id: int | None
    message_id: int | None
    claimed_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Due:
    """What the digest job should do now: post the week's digest ('send'), nothing yet
    ('wait': the schedule moved later), nothing ('settled', 'off'), or log the weeks skipped
    after downtime ('skip')."""

    action: Literal["send", "wait", "skip", "settled", "off"]
    week: str | None = None
    missed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spotlight:
    """The member spotlight written by the team; `week` is the digest that carried it."""

    id: int
    guild_id: int
    member_id: int
    text: str
    author_id: int | None
    created_at: datetime
    week: str | None


@dataclass(frozen=True)
class Welcome:
    """A member admitted in the window, and who sponsored them (None: nobody)."""

    user_id: int
    sponsor_id: int | None
    admitted_at: datetime


@dataclass(frozen=True)
class Upcoming:
    """A founder session open to every member, coming up."""

    session_id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    event_id: int | None
    post_channel_id: int | None
    post_message_id: int | None


@dataclass(frozen=True)
class Moved:
    """A feedback item whose status changed in the window (its latest status)."""

    item_id: int
    title: str
    product: str
    status: str
    votes: int
    channel_id: int | None
    message_id: int | None
    thread_id: int | None


@dataclass(frozen=True)
class ClosedPoll:
    """A poll or survey closed in the window, with its final counts."""

    poll: Poll
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Referrer:
    """A member whose referral code brought paid orders in the window (and who did not turn
    their announcements off)."""

    user_id: int
    paid_orders: int


@dataclass(frozen=True)
class DigestContent:
    """Everything one digest says, as ids and values: [since, until) is its window."""

    guild_id: int
    since: datetime
    until: datetime
    welcomed: tuple[Welcome, ...] = ()
    sessions: tuple[Upcoming, ...] = ()
    moved: tuple[Moved, ...] = ()
    polls: tuple[ClosedPoll, ...] = ()
    polls_more: int = 0
    spotlight: Spotlight | None = None
    referrers: tuple[Referrer, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to tell this week (the digest then says so, kindly, in a line)."""
        return not (
            self.welcomed
            or self.sessions
            or self.moved
            or self.polls
            or self.spotlight
            or self.referrers
        )


def when(value: Any) -> datetime | None:
    """A stored ISO time, or None."""
    return datetime.fromisoformat(value) if value else None


def run_of(row: Any) -> Run:
    """A ledger row."""
    return Run(
        guild_id=int(row["guild_id"]),
        week=row["week"],
        status=row["status"],
        via=row["via"],
        reason=row["reason"],
        since=when(row["since"]),
        until=when(row["until"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        claimed_at=datetime.fromisoformat(row["claimed_at"]),
        sent_at=when(row["sent_at"]),
    )


def spotlight_of(row: Any) -> Spotlight:
    """A spotlight row."""
    return Spotlight(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        member_id=int(row["member_id"]),
        text=row["text"],
        author_id=row["author_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        week=row["week"],
    )
