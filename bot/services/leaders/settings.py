"""A guild's leader settings: team size, the scale alert, signal retention, reviews, the
charter and the suggestion weights."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.leaders.models import WEIGHT_NAMES, LeaderSettings

CHARTER_MAX = 3_000
WEIGHT_MAX = 10
_BOUNDS: dict[str, tuple[int, int]] = {
    "members_per_leader": (2, 200),
    "alert_at": (2, 100_000),
    "retention_days": (30, 730),
    "review_weeks": (1, 26),
}
# "consistency=4 tenure=0.5", also with ':' and with commas or semicolons between pairs; a
# decimal comma is read as a point ("tenure=0,5").
_WEIGHT_PAIR = re.compile(r"([^\W\d]\w*)\s*[=:]\s*(-?\d+(?:[.,]\d+)?)")
_WEIGHT_GAPS = re.compile(r"[\s,;]*")


def parse_weights(text: str) -> dict[str, float]:
    """Read weights typed as "consistency=4 tenure=0.5" (names in any case). Refused: nothing
    readable or stray text, an unknown name, a weight outside 0 to 10."""
    weights: dict[str, float] = {}
    position = 0
    for match in _WEIGHT_PAIR.finditer(text):
        if not _WEIGHT_GAPS.fullmatch(text, position, match.start()):
            raise DomainError("leaders.invalid.weights_format")
        position = match.end()
        weights[match[1].casefold()] = float(match[2].replace(",", "."))
    if not weights or not _WEIGHT_GAPS.fullmatch(text, position):
        raise DomainError("leaders.invalid.weights_format")
    check_weights(weights)
    return weights


def check_numbers(changes: Mapping[str, Any]) -> None:
    """Refuse a numeric setting outside its bounds (a DomainError naming them)."""
    for name, value in changes.items():
        if name not in _BOUNDS:
            raise ValueError(f"unknown leader setting {name!r}")
        low, high = _BOUNDS[name]
        if not isinstance(value, int) or not low <= value <= high:
            raise DomainError(f"leaders.invalid.{name}", low=low, high=high)


def check_weights(weights: Mapping[str, float]) -> None:
    """Refuse an unknown score part or a weight outside 0 to 10."""
    for name, value in weights.items():
        if name not in WEIGHT_NAMES:
            raise DomainError("leaders.invalid.weight_name", name=name[:32])
        if not 0.0 <= value <= WEIGHT_MAX:
            raise DomainError("leaders.invalid.weight", name=name, high=WEIGHT_MAX)


class LeaderSettingsService:
    """Reads and changes the leader settings of a guild."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int) -> LeaderSettings:
        """The guild's settings (defaults when never set)."""
        row = await self._db.fetch_one(
            "SELECT * FROM leader_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return LeaderSettings(guild_id=guild_id)
        return LeaderSettings(
            guild_id=guild_id,
            members_per_leader=row["members_per_leader"],
            alert_at=row["alert_at"],
            retention_days=row["retention_days"],
            review_weeks=row["review_weeks"],
            charter_text=row["charter_text"],
            weights={name: float(row[f"weight_{name}"]) for name in WEIGHT_NAMES},
            alerted_gap=row["alerted_gap"],
        )

    async def update(self, guild_id: int, **changes: Any) -> LeaderSettings:
        """Validate and store numeric settings (members_per_leader, alert_at, retention_days,
        review_weeks)."""
        return await self.configure(guild_id, numbers=changes)

    async def set_weights(self, guild_id: int, weights: dict[str, float]) -> LeaderSettings:
        """Change some of the score's weights (each 0 to 10; not all of them 0)."""
        return await self.configure(guild_id, weights=weights)

    async def configure(
        self,
        guild_id: int,
        *,
        numbers: Mapping[str, int] | None = None,
        weights: Mapping[str, float] | None = None,
        reset_charter: bool = False,
    ) -> LeaderSettings:
        """Several changes at once (/setup leaders): every value is checked before anything is
        written, so one refused value changes nothing."""
        numbers, weights = dict(numbers or {}), dict(weights or {})
        check_numbers(numbers)
        check_weights(weights)
        async with self._db.transaction() as tx:
            current = await self.get(guild_id)
            merged = {**current.weights, **weights}
            if not any(value > 0 for value in merged.values()):
                raise DomainError("leaders.invalid.weights_zero")
            updated = replace(
                current,
                **numbers,
                weights=merged,
                charter_text=None if reset_charter else current.charter_text,
            )
            await self._store(tx, updated)
        return updated

    async def set_charter(self, guild_id: int, text: str | None) -> LeaderSettings:
        """The leader charter (None or blank: back to the localized default)."""
        cleaned = text.strip() if text else None
        if cleaned is not None and len(cleaned) > CHARTER_MAX:
            raise DomainError("leaders.charter.too_long", limit=CHARTER_MAX)
        async with self._db.transaction() as tx:
            updated = replace(await self.get(guild_id), charter_text=cleaned or None)
            await self._store(tx, updated)
        return updated

    async def set_alerted_gap(self, tx: Transaction, guild_id: int, gap: int) -> None:
        """Remember the gap the last scale alert reported (inside the caller's transaction)."""
        current = await self.get(guild_id)
        await self._store(tx, replace(current, alerted_gap=gap))

    async def _store(self, tx: Transaction, settings: LeaderSettings) -> None:
        columns = {
            "members_per_leader": settings.members_per_leader,
            "alert_at": settings.alert_at,
            "retention_days": settings.retention_days,
            "review_weeks": settings.review_weeks,
            "charter_text": settings.charter_text,
            **{f"weight_{name}": settings.weights[name] for name in WEIGHT_NAMES},
            "alerted_gap": settings.alerted_gap,
            "updated_at": iso(self._clock()),
        }
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
        await tx.execute(
            f"INSERT INTO leader_settings (guild_id, {names}) VALUES (?, {marks}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {updates}",
            (settings.guild_id, *columns.values()),
        )
