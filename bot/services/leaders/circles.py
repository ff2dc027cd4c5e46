"""Circles: small groups of members, each with one leader; the plan, its application, moves,
renames, and new members joining their sponsor's circle."""

from __future__ import annotations

from bot.db import Database
from bot.services.clock import Clock, utcnow
from bot.services.leaders.models import Circle


class CircleService:
    """The guild's circles and who is in which."""

    name = "circles"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def circles(self, guild_id: int) -> list[Circle]:
        """The guild's open circles, with their members."""
        raise NotImplementedError
