"""A member's own preferences (their language for DMs)."""

from __future__ import annotations

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.i18n import normalize_locale
from bot.services.clock import Clock, iso, utcnow


class PreferenceService:
    """Stores the language each person wants their DMs in."""

    name = "preferences"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def language(self, user_id: int) -> str | None:
        """The person's stored language, or None."""
        row = await self._db.fetch_one("SELECT locale FROM user_pref WHERE user_id = ?", (user_id,))
        return str(row["locale"]) if row else None

    async def set_language(self, user_id: int, locale: str) -> str:
        """Store the person's language; returns the normalized locale."""
        normalized = normalize_locale(locale)
        if normalized is None:
            raise DomainError("language.unsupported", value=locale[:16])
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO user_pref (user_id, locale, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale, "
                "updated_at = excluded.updated_at",
                (user_id, normalized, iso(self._clock())),
            )
        return normalized

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the stored language."""
        row = await self._db.fetch_one(
            "SELECT locale, updated_at FROM user_pref WHERE user_id = ?", (user_id,)
        )
        return {"language": dict(row)} if row else {}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: drop the stored language."""
        return await tx.execute_rowcount("DELETE FROM user_pref WHERE user_id = ?", (user_id,))
