"""The values of the circles feature: a stored plan, where its application stands, and what a
placement, a move or a rename did."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import DomainError
from bot.services.leaders.models import Circle

NAME_MAX = 100
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,21})")
_SPACES = re.compile(r"\s+")


def neutralize(text: str) -> str:
    """Mention strings made inert (a zero-width space after the @): `<@123…>`, `@everyone` and
    `@here` then read as text wherever the name is shown, and ping nobody."""
    return _MENTION.sub("@\u200b\\1", text)


def clean_name(raw: str) -> str:
    """A circle name as stored: one line, trimmed, at most NAME_MAX characters as typed,
    mention strings neutralized."""
    name = _SPACES.sub(" ", raw).strip()
    if not name:
        raise DomainError("circles.name.empty")
    if len(name) > NAME_MAX:
        raise DomainError("circles.name.too_long", limit=NAME_MAX)
    return neutralize(name)


class StalePlan(DomainError):
    """The members, sponsors, leaders or circles changed since the plan was made."""

    def __init__(self) -> None:
        super().__init__("circles.apply.stale")


@dataclass(frozen=True)
class PlannedCircle:
    """One circle of a plan, as shown."""

    number: int  # its place in the plan, from 1
    name: str
    circle_id: int | None  # the existing circle it continues; None: a new one
    leader_id: int | None
    member_ids: tuple[int, ...]
    added_ids: tuple[int, ...]
    removed_ids: tuple[int, ...]
    languages: tuple[tuple[str, int], ...]  # "" counts the members whose language is unknown
    pairs_kept: int


@dataclass(frozen=True)
class ClosingCircle:
    """An existing circle a fresh plan ends."""

    circle_id: int
    name: str
    channel_id: int | None  # its thread, archived once the plan is applied
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class CirclePlan:
    """What /circles plan showed, stored so that /circles apply makes exactly that."""

    guild_id: int
    fresh: bool
    members: int
    members_per_leader: int
    alert_at: int
    circles: tuple[PlannedCircle, ...]
    closing: tuple[ClosingCircle, ...]
    pairs_total: int
    pairs_kept: int
    placed: int  # members who were in no circle
    moved: int  # members who change circle
    had_circles: bool  # circles existed when it was made
    created_by: int
    created_at: datetime

    @property
    def changes(self) -> bool:
        """Whether applying it changes anything in the database."""
        return bool(self.closing) or any(
            c.circle_id is None or c.added_ids or c.removed_ids for c in self.circles
        )

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "fresh": self.fresh,
                "members": self.members,
                "members_per_leader": self.members_per_leader,
                "alert_at": self.alert_at,
                "circles": [
                    {
                        "number": c.number,
                        "name": c.name,
                        "circle_id": c.circle_id,
                        "leader_id": c.leader_id,
                        "member_ids": list(c.member_ids),
                        "added_ids": list(c.added_ids),
                        "removed_ids": list(c.removed_ids),
                        "languages": [list(pair) for pair in c.languages],
                        "pairs_kept": c.pairs_kept,
                    }
                    for c in self.circles
                ],
                "closing": [
                    {
                        "circle_id": c.circle_id,
                        "name": c.name,
                        "channel_id": c.channel_id,
                        "member_ids": list(c.member_ids),
                    }
                    for c in self.closing
                ],
                "pairs_total": self.pairs_total,
                "pairs_kept": self.pairs_kept,
                "placed": self.placed,
                "moved": self.moved,
                "had_circles": self.had_circles,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_row(cls, row: Any) -> CirclePlan:
        """A `circle_plan` row as a value."""
        data = json.loads(row["plan"])
        return cls(
            guild_id=row["guild_id"],
            fresh=data["fresh"],
            members=data["members"],
            members_per_leader=data["members_per_leader"],
            alert_at=data["alert_at"],
            circles=tuple(
                PlannedCircle(
                    number=c["number"],
                    name=c["name"],
                    circle_id=c["circle_id"],
                    leader_id=c["leader_id"],
                    member_ids=tuple(c["member_ids"]),
                    added_ids=tuple(c["added_ids"]),
                    removed_ids=tuple(c["removed_ids"]),
                    languages=tuple((str(lang), int(n)) for lang, n in c["languages"]),
                    pairs_kept=c["pairs_kept"],
                )
                for c in data["circles"]
            ),
            closing=tuple(
                ClosingCircle(c["circle_id"], c["name"], c["channel_id"], tuple(c["member_ids"]))
                for c in data["closing"]
            ),
            pairs_total=data["pairs_total"],
            pairs_kept=data["pairs_kept"],
            placed=data["placed"],
            moved=data["moved"],
            had_circles=data["had_circles"],
            created_by=row["created_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


@dataclass(frozen=True)
class ApplyState:
    """A stored plan and how far /circles apply got with it."""

    plan: CirclePlan
    channel_id: int | None  # where its threads are made (set when apply starts)
    started: bool
    applied: bool  # the database side is done
    cleaned: bool  # departures from threads and closed circles' threads are done
    threads: dict[int, int] = field(default_factory=dict)  # plan number -> thread id
    made: frozenset[int] = frozenset()  # numbers whose thread this apply made
    filled: frozenset[int] = frozenset()  # numbers whose thread has everyone in it
    circle_ids: dict[int, int] = field(default_factory=dict)  # number -> circle, once applied

    @property
    def finished(self) -> bool:
        """Nothing is left to do for this plan."""
        return self.applied and self.cleaned


@dataclass(frozen=True)
class Placement:
    """A newly admitted member joined a circle."""

    circle: Circle
    via_sponsor: bool  # their sponsor's circle (else the smallest)


@dataclass(frozen=True)
class Move:
    """A member moved from one circle (or none) to another."""

    user_id: int
    source: Circle | None
    target: Circle
    source_added_at: str | None = None


@dataclass(frozen=True)
class Rename:
    """A circle's new name, and the one it had."""

    circle: Circle
    old_name: str
