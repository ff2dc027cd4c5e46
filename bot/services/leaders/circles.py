"""Circles: small groups of members, each with one leader; the plan, its application, moves,
renames, and new members joining their sponsor's circle.

A circle's members are its `circle_member` rows; its leader is `circle.leader_id` and, when
the leader is a member too, one of those rows (a plan puts a leader in the circle they lead).
How a plan is made: `bot.services.leaders.circle_plan`; how it is applied: `circle_apply`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.leaders.circle_apply import CircleApplyDesk
from bot.services.leaders.circle_models import (
    NAME_MAX,
    CirclePlan,
    ClosingCircle,
    Move,
    Placement,
    PlannedCircle,
    Rename,
    clean_name,
)
from bot.services.leaders.circle_plan import plan_layout
from bot.services.leaders.circle_queries import load_inputs, open_circles
from bot.services.leaders.models import Circle

__all__ = ["NAME_MAX", "CircleService"]


class CircleService(CircleApplyDesk):
    """The guild's circles and who is in which."""

    name = "circles"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    # -- reading -------------------------------------------------------------------------
    async def circles(self, guild_id: int) -> list[Circle]:
        """The guild's open circles, with their members, by name."""
        found = await open_circles(self._db, guild_id)
        return sorted(found, key=lambda c: (c.name.casefold(), c.id))

    async def get(self, guild_id: int, circle_id: int) -> Circle | None:
        """One open circle of the guild."""
        found = await open_circles(self._db, guild_id, circle_id=circle_id)
        return found[0] if found else None

    async def find(self, guild_id: int, typed: str) -> Circle:
        """The open circle picked in an autocomplete (its id) or typed (its name, any case).
        Refused when there is none."""
        wanted = typed.strip()
        for circle in await self.circles(guild_id):
            if wanted == str(circle.id) or wanted.casefold() == circle.name.casefold():
                return circle
        raise DomainError("circles.unknown")

    async def circle_of(self, guild_id: int, user_id: int) -> Circle | None:
        """The open circle the person is in."""
        row = await self._db.fetch_one(
            "SELECT c.id FROM circle_member m JOIN circle c ON c.id = m.circle_id "
            "WHERE m.guild_id = ? AND m.user_id = ? AND c.closed_at IS NULL",
            (guild_id, user_id),
        )
        return await self.get(guild_id, row["id"]) if row else None

    async def led_by(self, guild_id: int, leader_id: int) -> list[Circle]:
        """The open circles this person leads."""
        return [c for c in await self.circles(guild_id) if c.leader_id == leader_id]

    # -- planning ------------------------------------------------------------------------
    async def plan(
        self, guild_id: int, *, by: int = 0, fresh: bool = False, name_prefix: str = "Circle"
    ) -> CirclePlan:
        """Propose circles of about `members_per_leader` and store the proposal for
        /circles apply (replacing any earlier one). With circles in place, members stay in
        theirs and only the others are placed, unless `fresh`. New circles are called
        "<name_prefix> <n>". Refused: no members, or an apply still running."""
        row = await self._db.fetch_one(
            "SELECT started_at, cleaned_at FROM circle_plan WHERE guild_id = ?", (guild_id,)
        )
        if row is not None and row["started_at"] is not None and row["cleaned_at"] is None:
            raise DomainError("circles.plan.apply_running")
        settings = await self._db.fetch_one(
            "SELECT members_per_leader, alert_at FROM leader_settings WHERE guild_id = ?",
            (guild_id,),
        )
        size, alert_at = (settings[0], settings[1]) if settings else (15, 30)
        inputs = await load_inputs(self._db, guild_id)
        if not inputs.members:
            raise DomainError("circles.plan.no_members")
        # Pure CPU work (~45 ms at 2,000 members): off the event loop, so nothing waits on it.
        layout = await asyncio.to_thread(
            plan_layout, inputs.members, inputs.leaders, size, inputs.current(), fresh=fresh
        )
        by_id = {c.id: c for c in inputs.circles}
        closing_ids = set(layout.closed_ids)
        taken = {c.name.casefold() for c in inputs.circles if c.id not in closing_ids}
        numbers = iter(range(1, len(inputs.circles) + len(layout.groups) + 2))
        planned = []
        for position, group in enumerate(layout.groups, start=1):
            if group.circle_id is not None:
                name = by_id[group.circle_id].name
            else:
                name = next(
                    candidate
                    for n in numbers
                    if (candidate := f"{name_prefix} {n}").casefold() not in taken
                )
                taken.add(name.casefold())
            planned.append(
                PlannedCircle(
                    number=position,
                    name=name,
                    circle_id=group.circle_id,
                    leader_id=group.leader_id,
                    member_ids=group.member_ids,
                    added_ids=group.added_ids,
                    removed_ids=group.removed_ids,
                    languages=group.languages,
                    pairs_kept=group.pairs_kept,
                )
            )
        present = {m.user_id for m in inputs.members}
        proposal = CirclePlan(
            guild_id=guild_id,
            fresh=fresh,
            members=len(inputs.members),
            members_per_leader=size,
            alert_at=alert_at,
            circles=tuple(planned),
            closing=tuple(
                ClosingCircle(
                    c,
                    by_id[c].name,
                    by_id[c].channel_id,
                    tuple(u for u in by_id[c].member_ids if u in present),
                )
                for c in layout.closed_ids
            ),
            pairs_total=layout.pairs_total,
            pairs_kept=layout.pairs_kept,
            placed=layout.placed,
            moved=layout.moved,
            had_circles=bool(inputs.circles),
            created_by=by,
            created_at=self._clock(),
        )
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT OR REPLACE INTO circle_plan (guild_id, plan, fingerprint, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, proposal.to_json(), inputs.fingerprint(), by, iso(proposal.created_at)),
            )
        return proposal

    # -- members coming and going --------------------------------------------------------
    async def admit(self, guild_id: int, user_id: int, sponsor_id: int | None) -> Placement | None:
        """A newly admitted member joins their sponsor's circle (the one the sponsor is in,
        else one they lead), or the smallest. None while there are no circles, or when they
        are in one already."""
        async with self._db.transaction() as tx:
            if await _circle_id_of(tx, guild_id, user_id) is not None:
                return None
            target = None
            if sponsor_id is not None:
                target = await _circle_id_of(tx, guild_id, sponsor_id)
                if target is None:
                    led = await tx.fetch_one(
                        "SELECT id FROM circle WHERE guild_id = ? AND leader_id = ? "
                        "AND closed_at IS NULL ORDER BY id LIMIT 1",
                        (guild_id, sponsor_id),
                    )
                    target = led["id"] if led else None
            via_sponsor = target is not None
            if target is None:
                smallest = await tx.fetch_one(
                    "SELECT c.id FROM circle c LEFT JOIN circle_member m ON m.circle_id = c.id "
                    "WHERE c.guild_id = ? AND c.closed_at IS NULL GROUP BY c.id "
                    "ORDER BY count(m.user_id), c.id LIMIT 1",
                    (guild_id,),
                )
                if smallest is None:
                    return None
                target = smallest["id"]
            await _put(tx, guild_id, user_id, target, iso(self._clock()))
            (circle,) = await open_circles(tx, guild_id, circle_id=target)
        return Placement(circle, via_sponsor)

    async def member_left(self, guild_id: int, user_id: int) -> Circle | None:
        """The person left the server: out of their circle. Returns that circle, if any."""
        async with self._db.transaction() as tx:
            circle_id = await _circle_id_of(tx, guild_id, user_id)
            await tx.execute(
                "DELETE FROM circle_member WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            if circle_id is None:
                return None
            (circle,) = await open_circles(tx, guild_id, circle_id=circle_id)
            return circle

    # -- founders' changes ---------------------------------------------------------------
    async def move(
        self, guild_id: int, user_id: int, circle_id: int, *, is_bot: bool = False
    ) -> Move:
        """Put a member in another circle. Refused: a bot, a newcomer, someone who is not a
        member, a circle's leader, an unknown circle, the circle they are in already."""
        mention = f"<@{user_id}>"
        if is_bot:
            raise DomainError("circles.move.bot", member=mention)
        async with self._db.transaction() as tx:
            stint = await tx.fetch_one(
                "SELECT status FROM member_stint WHERE guild_id = ? AND user_id = ? "
                "AND status IN ('pending', 'member')",
                (guild_id, user_id),
            )
            if stint is None:
                raise DomainError("circles.move.not_member", member=mention)
            if stint["status"] == "pending":
                raise DomainError("circles.move.newcomer", member=mention)
            found = await open_circles(tx, guild_id, circle_id=circle_id)
            if not found:
                raise DomainError("circles.unknown")
            target = found[0]
            led = await tx.fetch_one(
                "SELECT name FROM circle WHERE guild_id = ? AND leader_id = ? "
                "AND closed_at IS NULL AND id != ? ORDER BY id LIMIT 1",
                (guild_id, user_id, circle_id),
            )
            if led is not None:
                raise DomainError("circles.move.leader", member=mention, circle=led["name"])
            row = await tx.fetch_one(
                "SELECT m.circle_id, m.added_at FROM circle_member m JOIN circle c "
                "ON c.id = m.circle_id WHERE m.guild_id = ? AND m.user_id = ? "
                "AND c.closed_at IS NULL",
                (guild_id, user_id),
            )
            if row is not None and row["circle_id"] == circle_id:
                raise DomainError("circles.move.already", member=mention, circle=target.name)
            source = (
                (await open_circles(tx, guild_id, circle_id=row["circle_id"]))[0] if row else None
            )
            await _put(tx, guild_id, user_id, circle_id, iso(self._clock()))
            (target,) = await open_circles(tx, guild_id, circle_id=circle_id)
        return Move(user_id, source, target, row["added_at"] if row else None)

    async def undo_move(self, guild_id: int, move: Move) -> None:
        """Put the member back where they were (Discord refused the move)."""
        async with self._db.transaction() as tx:
            if move.source is None:
                await tx.execute(
                    "DELETE FROM circle_member WHERE guild_id = ? AND user_id = ? "
                    "AND circle_id = ?",
                    (guild_id, move.user_id, move.target.id),
                )
            else:
                await _put(tx, guild_id, move.user_id, move.source.id, move.source_added_at or "")

    async def rename(self, guild_id: int, circle_id: int, name: str) -> Rename:
        """Give a circle a new name (at most NAME_MAX characters; mention strings made inert).
        Refused: a blank or too long name, one another circle has, an unknown circle."""
        cleaned = clean_name(name)
        async with self._db.transaction() as tx:
            found = await open_circles(tx, guild_id, circle_id=circle_id)
            if not found:
                raise DomainError("circles.unknown")
            clash = await tx.fetch_one(
                "SELECT 1 FROM circle WHERE guild_id = ? AND closed_at IS NULL AND id != ? "
                "AND lower(name) = lower(?)",
                (guild_id, circle_id, cleaned),
            )
            if clash is not None:
                raise DomainError("circles.name.taken", name=cleaned)
            await tx.execute("UPDATE circle SET name = ? WHERE id = ?", (cleaned, circle_id))
            (circle,) = await open_circles(tx, guild_id, circle_id=circle_id)
        return Rename(circle, found[0].name)

    async def restore_name(self, guild_id: int, circle_id: int, name: str) -> None:
        """Undo a rename (Discord refused to rename the thread)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE circle SET name = ? WHERE id = ? AND guild_id = ?",
                (name, circle_id, guild_id),
            )

    # -- privacy -------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The circle the member is in (name, since, whether they lead it), and whether the
        stored plan places them."""
        row = await self._db.fetch_one(
            "SELECT c.name, m.added_at, c.leader_id = m.user_id AS leads FROM circle_member m "
            "JOIN circle c ON c.id = m.circle_id WHERE m.guild_id = ? AND m.user_id = ?",
            (guild_id, user_id),
        )
        exported: dict[str, object] = {}
        if row is not None:
            exported["circle"] = {
                "name": row["name"],
                "since": row["added_at"],
                "leads_it": bool(row["leads"]),
            }
        plan = await self._db.fetch_one(
            "SELECT plan FROM circle_plan WHERE guild_id = ?", (guild_id,)
        )
        if plan is not None:
            for planned in json.loads(plan["plan"])["circles"]:
                if user_id in planned["member_ids"] or user_id == planned["leader_id"]:
                    exported["planned_circle"] = planned["name"]
        return exported

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Take the member out of their circle and out of the stored plan (which can then no
        longer be applied: it no longer matches, so its unfinished threads are undone)."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM circle_member WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        row = await tx.fetch_one(
            "SELECT plan, created_by FROM circle_plan WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return deleted
        data = json.loads(row["plan"])
        mentioned = row["created_by"] == user_id
        for section in (*data["circles"], *data["closing"]):
            for key in ("member_ids", "added_ids", "removed_ids"):
                if user_id in section.get(key, ()):
                    section[key] = [u for u in section[key] if u != user_id]
                    mentioned = True
            if section.get("leader_id") == user_id:
                section["leader_id"] = None
                mentioned = True
        if mentioned:
            await tx.execute(
                "UPDATE circle_plan SET plan = ?, fingerprint = 'forgotten', "
                "created_by = CASE created_by WHEN ? THEN 0 ELSE created_by END "
                "WHERE guild_id = ?",
                (json.dumps(data, separators=(",", ":")), user_id, guild_id),
            )
            deleted += 1
        return deleted


async def _circle_id_of(tx: Transaction, guild_id: int, user_id: int) -> int | None:
    row: Any = await tx.fetch_one(
        "SELECT m.circle_id FROM circle_member m JOIN circle c ON c.id = m.circle_id "
        "WHERE m.guild_id = ? AND m.user_id = ? AND c.closed_at IS NULL",
        (guild_id, user_id),
    )
    return int(row["circle_id"]) if row else None


async def _put(tx: Transaction, guild_id: int, user_id: int, circle_id: int, at: str) -> None:
    await tx.execute(
        "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET circle_id = excluded.circle_id, "
        "added_at = excluded.added_at",
        (guild_id, user_id, circle_id, at),
    )
