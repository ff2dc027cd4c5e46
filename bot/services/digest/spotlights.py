"""The member spotlight: a few words the team writes about a member for the next digest."""

from __future__ import annotations

from bot.db import Database
from bot.errors import DomainError
from bot.services.clock import Clock, iso
from bot.services.digest.models import SPOTLIGHT_MAX, Spotlight, spotlight_of


def check_spotlight_text(text: str) -> str:
    """The text, trimmed; 1 to SPOTLIGHT_MAX characters (a DomainError otherwise)."""
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("digest.spotlight.empty")
    if len(cleaned) > SPOTLIGHT_MAX:
        raise DomainError("digest.spotlight.too_long", max=SPOTLIGHT_MAX, length=len(cleaned))
    return cleaned


class DigestSpotlights:
    """Spotlights (mixed into DigestService)."""

    _db: Database
    _clock: Clock

    async def set_spotlight(
        self, guild_id: int, member_id: int, author_id: int, text: str
    ) -> tuple[Spotlight, bool]:
        """Store the spotlight for the next digest, replacing one still waiting; returns it and
        whether it replaced another."""
        cleaned = check_spotlight_text(text)
        async with self._db.transaction() as tx:
            replaced = await tx.execute_rowcount(
                "DELETE FROM digest_spotlight WHERE guild_id = ? AND week IS NULL", (guild_id,)
            )
            spotlight_id = await tx.execute(
                "INSERT INTO digest_spotlight (guild_id, member_id, text, author_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, member_id, cleaned, author_id, iso(self._clock())),
            )
            row = await tx.fetch_one("SELECT * FROM digest_spotlight WHERE id = ?", (spotlight_id,))
        assert row is not None
        return spotlight_of(row), replaced > 0

    async def waiting_spotlight(self, guild_id: int) -> Spotlight | None:
        """The spotlight the next digest will carry."""
        row = await self._db.fetch_one(
            "SELECT * FROM digest_spotlight WHERE guild_id = ? AND week IS NULL", (guild_id,)
        )
        return spotlight_of(row) if row else None

    async def spotlight_of_week(self, guild_id: int, week: str) -> Spotlight | None:
        """The spotlight a week's digest carried."""
        row = await self._db.fetch_one(
            "SELECT * FROM digest_spotlight WHERE guild_id = ? AND week = ? "
            "ORDER BY id DESC LIMIT 1",
            (guild_id, week),
        )
        return spotlight_of(row) if row else None
