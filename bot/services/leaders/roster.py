"""Leaders and their nominations: nominate with consent, accept, decline, expiry, step down,
removal, and what happens when a leader leaves the server."""

from __future__ import annotations

from bot.db import Database
from bot.services.clock import Clock, utcnow
from bot.services.leaders.models import Leader


class LeaderRoster:
    """Who leads, and how they came to (or stopped)."""

    name = "leaders"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def active(self, guild_id: int) -> list[Leader]:
        """The guild's current leaders."""
        raise NotImplementedError
