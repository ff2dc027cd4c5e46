"""Reading circles and what a plan is made from, for the circle service and its apply desk."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.db import Row
from bot.services.leaders.circle_plan import CurrentCircle, PlanMember
from bot.services.leaders.models import Circle


class Reader(Protocol):
    """The database or a transaction: anything that runs a query."""

    async def fetch_all(self, sql: str, params: Any = ()) -> list[Row]: ...


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is made from, read at one moment."""

    members: tuple[PlanMember, ...]
    leaders: tuple[int, ...]  # active, longest-serving first
    circles: tuple[Circle, ...]  # open, by id

    def current(self) -> tuple[CurrentCircle, ...]:
        """The open circles as the planner sees them."""
        return tuple(CurrentCircle(c.id, c.leader_id, c.member_ids) for c in self.circles)

    def fingerprint(self) -> str:
        """Changes when a member comes or goes, a sponsor link, a leader, or who is in which
        circle changes (names, threads and languages don't count)."""
        document = [
            [[m.user_id, m.sponsor_id] for m in self.members],
            list(self.leaders),
            [[c.id, c.leader_id, sorted(c.member_ids)] for c in self.circles],
        ]
        return hashlib.sha256(json.dumps(document).encode()).hexdigest()


# The language of a member: the one they chose (/language), else their Discord client's as
# last seen on an interaction.
_MEMBERS = (
    "SELECT s.user_id, s.sponsor_id, coalesce(p.locale, v.locale) AS language "
    "FROM member_stint s LEFT JOIN user_pref p ON p.user_id = s.user_id "
    "LEFT JOIN user_seen_locale v ON v.user_id = s.user_id "
    "WHERE s.guild_id = ? AND s.status = 'member' ORDER BY s.user_id"
)


async def load_inputs(reader: Reader, guild_id: int) -> PlanInputs:
    """The current members (with sponsor and language), active leaders and open circles."""
    members = await reader.fetch_all(_MEMBERS, (guild_id,))
    leaders = await reader.fetch_all(
        "SELECT user_id FROM leader WHERE guild_id = ? AND status = 'active' ORDER BY since, id",
        (guild_id,),
    )
    return PlanInputs(
        members=tuple(PlanMember(r["user_id"], r["sponsor_id"], r["language"]) for r in members),
        leaders=tuple(r["user_id"] for r in leaders),
        circles=tuple(await open_circles(reader, guild_id)),
    )


async def open_circles(
    reader: Reader, guild_id: int, *, circle_id: int | None = None
) -> list[Circle]:
    """The guild's open circles (or one of them), by id, with their members."""
    where = "c.guild_id = ? AND c.closed_at IS NULL" + (" AND c.id = ?" if circle_id else "")
    params = (guild_id, circle_id) if circle_id else (guild_id,)
    rows = await reader.fetch_all(
        f"SELECT c.*, (SELECT json_group_array(m.user_id) FROM "
        f"(SELECT user_id FROM circle_member WHERE circle_id = c.id ORDER BY user_id) m) "
        f"AS members FROM circle c WHERE {where} ORDER BY c.id",
        params,
    )
    return [circle_from_row(row) for row in rows]


def circle_from_row(row: Any) -> Circle:
    """A `circle` row (with a `members` JSON array) as a value."""
    return Circle(
        id=row["id"],
        guild_id=row["guild_id"],
        name=row["name"],
        leader_id=row["leader_id"],
        channel_id=row["channel_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        member_ids=tuple(json.loads(row["members"] or "[]")),
    )
