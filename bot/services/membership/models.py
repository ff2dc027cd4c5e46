"""Membership records, as the services hand them out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

IntroductionStatus = Literal[
    "waitlisted", "seated", "open", "used", "arrived", "expired", "revoked", "cancelled"
]
StintStatus = Literal["pending", "member", "left", "refused"]
Source = Literal["introduction", "referral", "invite", "vanity", "unknown", "existing"]

#: Introductions that hold (or wait for) a seat and count against a sponsor's limit.
ACTIVE_INTRODUCTIONS: tuple[str, ...] = ("waitlisted", "seated", "open")


@dataclass(frozen=True)
class MembershipSettings:
    """How a guild admits people."""

    guild_id: int
    max_members: int = 0  # 0: no cap
    max_open_introductions: int = 3
    invite_max_age: int = 604_800  # seconds
    sponsored_admission: Literal["auto", "moderator"] = "auto"
    unsponsored_admission: Literal["moderator", "refuse"] = "moderator"
    pending_timeout: int = 259_200  # seconds
    rules_text: str | None = None  # None: the localized default
    rules_version: int = 1
    questions: tuple[str | None, str | None, str | None] = (None, None, None)
    panel_channel_id: int | None = None
    panel_message_id: int | None = None


@dataclass(frozen=True)
class Introduction:
    """A member vouching for a newcomer; holds a seat once seated."""

    id: int
    guild_id: int
    sponsor_id: int
    newcomer_name: str
    why: str
    status: IntroductionStatus
    created_at: datetime
    invite_code: str | None = None
    seated_at: datetime | None = None
    expires_at: datetime | None = None
    closed_at: datetime | None = None
    newcomer_id: int | None = None
    position: int | None = None  # on the waitlist, 1-based


@dataclass(frozen=True)
class Stint:
    """One stay of a person in the community, from join to leave."""

    id: int
    guild_id: int
    user_id: int
    status: StintStatus
    source: Source
    joined_at: datetime
    sponsor_id: int | None = None
    introduction_id: int | None = None
    invite_code: str | None = None
    rejoin: bool = False
    admitted_at: datetime | None = None
    left_at: datetime | None = None
    end_reason: str | None = None
    rules_version: int | None = None
    answers: tuple[str, ...] | None = None
    approval_message_id: int | None = None
    maybe_introduced: bool = False


@dataclass(frozen=True)
class Seats:
    """How full the community is."""

    cap: int  # 0: no cap
    members: int
    pending: int
    reserved: int  # seated or open introductions
    waitlisted: int

    @property
    def taken(self) -> int:
        """Seats in use: members, people in the gate, and open introductions."""
        return self.members + self.pending + self.reserved

    @property
    def free(self) -> int | None:
        """Free seats, or None without a cap."""
        return None if self.cap == 0 else max(0, self.cap - self.taken)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def introduction_from_row(row: Any, position: int | None = None) -> Introduction:
    """Build from a database row."""
    return Introduction(
        id=row["id"],
        guild_id=row["guild_id"],
        sponsor_id=row["sponsor_id"],
        newcomer_name=row["newcomer_name"],
        why=row["why"],
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
        invite_code=row["invite_code"],
        seated_at=_dt(row["seated_at"]),
        expires_at=_dt(row["expires_at"]),
        closed_at=_dt(row["closed_at"]),
        newcomer_id=row["newcomer_id"],
        position=position,
    )


def stint_from_row(row: Any) -> Stint:
    """Build from a database row."""
    answers = json.loads(row["answers"]) if row["answers"] else None
    return Stint(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        status=row["status"],
        source=row["source"],
        joined_at=datetime.fromisoformat(row["joined_at"]),
        sponsor_id=row["sponsor_id"],
        introduction_id=row["introduction_id"],
        invite_code=row["invite_code"],
        rejoin=bool(row["rejoin"]),
        admitted_at=_dt(row["admitted_at"]),
        left_at=_dt(row["left_at"]),
        end_reason=row["end_reason"],
        rules_version=row["rules_version"],
        answers=tuple(answers) if answers is not None else None,
        approval_message_id=row["approval_message_id"],
        maybe_introduced=bool(row["maybe_introduced"]),
    )
