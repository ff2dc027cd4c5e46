"""Applying a stored circle plan, resumable across a crash.

The steps, each recorded as it happens (the cog does the Discord side between them):

1. `start_apply`: the plan must match the community as it is now (else `StalePlan`); the
   channel for the threads is recorded.
2. For each planned circle: its thread (made, or the circle's own) is recorded by
   `record_thread` the moment it exists; `mark_filled` once everyone is in it.
3. `commit_apply`: in one transaction, the plan is checked again and the circles and their
   members are written exactly as shown; closing circles close.
4. `mark_cleaned` once members who left a circle are out of its thread and closed circles'
   threads are archived.

Running apply again picks up where it stopped. When the plan went stale (or Discord refused a
permission) before step 3, the cog deletes the threads it made and `abandon_apply` forgets
the progress: nothing half-made remains.
"""

from __future__ import annotations

import json
from typing import Any

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso
from bot.services.leaders.circle_models import ApplyState, CirclePlan, StalePlan
from bot.services.leaders.circle_queries import load_inputs


def state_from_row(row: Any) -> ApplyState:
    """A `circle_plan` row as the plan and its progress."""
    progress = json.loads(row["progress"] or "{}")
    return ApplyState(
        plan=CirclePlan.from_row(row),
        channel_id=row["channel_id"],
        started=row["started_at"] is not None,
        applied=row["applied_at"] is not None,
        cleaned=row["cleaned_at"] is not None,
        threads={int(k): int(v) for k, v in progress.get("threads", {}).items()},
        made=frozenset(int(n) for n in progress.get("made", ())),
        filled=frozenset(int(n) for n in progress.get("filled", ())),
        circle_ids={int(k): int(v) for k, v in progress.get("circle_ids", {}).items()},
    )


class CircleApplyDesk:
    """The apply steps of the circle service (mixed into CircleService)."""

    _db: Database
    _clock: Clock

    async def apply_state(self, guild_id: int) -> ApplyState:
        """The stored plan and its progress. Refused when there is no plan."""
        row = await self._db.fetch_one("SELECT * FROM circle_plan WHERE guild_id = ?", (guild_id,))
        if row is None:
            raise DomainError("circles.apply.no_plan")
        return state_from_row(row)

    async def is_current(self, guild_id: int) -> bool:
        """Whether the stored plan still matches the members, leaders and circles."""
        row = await self._db.fetch_one(
            "SELECT fingerprint FROM circle_plan WHERE guild_id = ?", (guild_id,)
        )
        inputs = await load_inputs(self._db, guild_id)
        return row is not None and row["fingerprint"] == inputs.fingerprint()

    async def start_apply(self, guild_id: int, channel_id: int) -> ApplyState:
        """Begin (or resume) applying the stored plan in `channel_id`. Refused: no plan, a
        stale one, one already applied."""
        async with self._db.transaction() as tx:
            row = await self._plan_row(tx, guild_id)
            if row["started_at"] is None:
                await self._check_current(tx, guild_id, row)
                await tx.execute(
                    "UPDATE circle_plan SET channel_id = ?, started_at = ?, progress = '{}' "
                    "WHERE guild_id = ?",
                    (channel_id, iso(self._clock()), guild_id),
                )
                row = await self._plan_row(tx, guild_id)
            return state_from_row(row)

    async def record_thread(
        self, guild_id: int, number: int, thread_id: int, *, made: bool
    ) -> None:
        """The thread of planned circle `number` exists (recorded before anything else)."""
        await self._progress(guild_id, lambda p: _thread(p, number, thread_id, made))

    async def mark_filled(self, guild_id: int, number: int) -> None:
        """Everyone of planned circle `number` is in its thread."""
        await self._progress(guild_id, lambda p: _add(p, "filled", number))

    async def commit_apply(self, guild_id: int) -> ApplyState:
        """Write the circles and their members exactly as planned, in one transaction.
        Raises StalePlan when the community changed meanwhile (nothing is written)."""
        async with self._db.transaction() as tx:
            row = await self._plan_row(tx, guild_id)
            if row["applied_at"] is not None:
                return state_from_row(row)
            await self._check_current(tx, guild_id, row)
            state = state_from_row(row)
            now = iso(self._clock())
            closing = [c.circle_id for c in state.plan.closing]
            await tx.executemany(
                "UPDATE circle SET closed_at = ? WHERE id = ? AND guild_id = ?",
                [(now, circle_id, guild_id) for circle_id in closing],
            )
            await tx.executemany(
                "DELETE FROM circle_member WHERE circle_id = ?", [(c,) for c in closing]
            )
            circle_ids: dict[int, int] = {}
            for planned in state.plan.circles:
                thread = state.threads.get(planned.number)
                if planned.circle_id is None:
                    circle_id = await tx.execute(
                        "INSERT INTO circle (guild_id, name, leader_id, channel_id, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (guild_id, planned.name, planned.leader_id, thread, now),
                    )
                else:
                    circle_id = planned.circle_id
                    await tx.execute(
                        "UPDATE circle SET leader_id = ?, channel_id = coalesce(?, channel_id) "
                        "WHERE id = ?",
                        (planned.leader_id, thread, circle_id),
                    )
                    await tx.execute(
                        "DELETE FROM circle_member WHERE circle_id = ? AND user_id NOT IN "
                        "(SELECT value FROM json_each(?))",
                        (circle_id, json.dumps(planned.member_ids)),
                    )
                circle_ids[planned.number] = circle_id
                await tx.executemany(
                    "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                    "circle_id = excluded.circle_id, added_at = excluded.added_at",
                    [(guild_id, user_id, circle_id, now) for user_id in planned.added_ids],
                )
            progress = json.loads(row["progress"] or "{}")
            progress["circle_ids"] = {str(n): c for n, c in circle_ids.items()}
            await tx.execute(
                "UPDATE circle_plan SET applied_at = ?, progress = ? WHERE guild_id = ?",
                (now, json.dumps(progress), guild_id),
            )
            return state_from_row(await self._plan_row(tx, guild_id))

    async def mark_cleaned(self, guild_id: int) -> None:
        """Nothing is left to do for the applied plan."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE circle_plan SET cleaned_at = ? "
                "WHERE guild_id = ? AND applied_at IS NOT NULL",
                (iso(self._clock()), guild_id),
            )

    async def abandon_apply(self, guild_id: int, *, drop_plan: bool) -> None:
        """Forget an unfinished apply's progress (its threads are gone); a stale plan goes
        too. An applied plan is never rolled back."""
        async with self._db.transaction() as tx:
            if drop_plan:
                await tx.execute(
                    "DELETE FROM circle_plan WHERE guild_id = ? AND applied_at IS NULL",
                    (guild_id,),
                )
            else:
                await tx.execute(
                    "UPDATE circle_plan SET channel_id = NULL, started_at = NULL, progress = '{}' "
                    "WHERE guild_id = ? AND applied_at IS NULL",
                    (guild_id,),
                )

    async def thread_ids(self, guild_id: int) -> set[int]:
        """Every thread a circle or the stored plan's progress uses."""
        rows = await self._db.fetch_all(
            "SELECT channel_id FROM circle WHERE guild_id = ? AND channel_id IS NOT NULL",
            (guild_id,),
        )
        used = {int(r["channel_id"]) for r in rows}
        row = await self._db.fetch_one(
            "SELECT progress FROM circle_plan WHERE guild_id = ?", (guild_id,)
        )
        if row is not None:
            used |= {int(v) for v in json.loads(row["progress"]).get("threads", {}).values()}
        return used

    # -- helpers -------------------------------------------------------------------------
    async def _plan_row(self, tx: Transaction, guild_id: int) -> Any:
        row = await tx.fetch_one("SELECT * FROM circle_plan WHERE guild_id = ?", (guild_id,))
        if row is None:
            raise DomainError("circles.apply.no_plan")
        return row

    async def _check_current(self, tx: Transaction, guild_id: int, row: Any) -> None:
        inputs = await load_inputs(tx, guild_id)
        if row["fingerprint"] != inputs.fingerprint():
            raise StalePlan()

    async def _progress(self, guild_id: int, change: Any) -> None:
        async with self._db.transaction() as tx:
            row = await self._plan_row(tx, guild_id)
            progress = json.loads(row["progress"] or "{}")
            change(progress)
            await tx.execute(
                "UPDATE circle_plan SET progress = ? WHERE guild_id = ?",
                (json.dumps(progress), guild_id),
            )


def _thread(progress: dict[str, Any], number: int, thread_id: int, made: bool) -> None:
    progress.setdefault("threads", {})[str(number)] = thread_id
    if made:
        _add(progress, "made", number)
    elif number in progress.get("made", []):
        progress["made"].remove(number)


def _add(progress: dict[str, Any], key: str, number: int) -> None:
    values = progress.setdefault(key, [])
    if number not in values:
        values.append(number)
