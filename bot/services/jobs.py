"""Durable jobs: timers that survive restarts. Claiming a job deletes it, so it runs once."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from bot.db import Database
from bot.services.clock import Clock, iso, utcnow


@dataclass(frozen=True)
class Job:
    """A claimed job, handed to its handler."""

    kind: str
    key: str
    due_at: datetime
    guild_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    attempts: int = 0


class JobQueue:
    """Schedules, cancels and claims jobs in the database."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def schedule(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        *,
        guild_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        """Add a job, or move an existing (kind, key) job to the new time and payload.

        Joins the caller's transaction when there is one, so a record and its timer land together.
        """
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO scheduled_job (kind, key, guild_id, due_at, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET "
                "due_at = excluded.due_at, payload = excluded.payload, "
                "guild_id = excluded.guild_id, attempts = 0",
                (
                    kind,
                    key,
                    guild_id,
                    iso(due_at),
                    json.dumps(dict(payload or {})),
                    iso(self._clock()),
                ),
            )

    async def cancel(self, kind: str, key: str) -> bool:
        """Drop a job; returns whether there was one."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    "DELETE FROM scheduled_job WHERE kind = ? AND key = ?", (kind, key)
                )
                > 0
            )

    async def pending(self, kind: str | None = None) -> list[Job]:
        """Jobs not yet run, soonest first (for status displays and tests)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM scheduled_job WHERE ? IS NULL OR kind = ? ORDER BY due_at, id",
            (kind, kind),
        )
        return [_job(row) for row in rows]

    async def next_due(self, kinds: Collection[str]) -> datetime | None:
        """When the soonest job of these kinds is due."""
        if not kinds:
            return None
        marks = ",".join("?" * len(kinds))
        row = await self._db.fetch_one(
            f"SELECT min(due_at) FROM scheduled_job WHERE kind IN ({marks})", tuple(kinds)
        )
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def claim_due(self, kinds: Collection[str], limit: int = 50) -> list[Job]:
        """Remove and return the jobs of these kinds that are due now, oldest first."""
        if not kinds:
            return []
        marks = ",".join("?" * len(kinds))
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                f"SELECT * FROM scheduled_job WHERE kind IN ({marks}) AND due_at <= ? "
                "ORDER BY due_at, id LIMIT ?",
                (*kinds, iso(self._clock()), limit),
            )
            if rows:
                await tx.executemany(
                    "DELETE FROM scheduled_job WHERE id = ?", [(row["id"],) for row in rows]
                )
        return [_job(row) for row in rows]

    async def retry(self, job: Job, due_at: datetime) -> None:
        """Put a failed job back for a later attempt (unless it was rescheduled meanwhile)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO scheduled_job "
                "(kind, key, guild_id, due_at, payload, attempts, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO NOTHING",
                (
                    job.kind,
                    job.key,
                    job.guild_id,
                    iso(due_at),
                    json.dumps(dict(job.payload)),
                    job.attempts + 1,
                    iso(self._clock()),
                ),
            )


def _job(row: Any) -> Job:
    return Job(
        kind=row["kind"],
        key=row["key"],
        due_at=datetime.fromisoformat(row["due_at"]),
        guild_id=row["guild_id"],
        payload=MappingProxyType(json.loads(row["payload"])),
        attempts=row["attempts"],
    )
