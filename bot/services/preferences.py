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
        self._seen: dict[int, str] = {}  # written only when it changes: this runs per interaction

    async def language(self, user_id: int) -> str | None:
        """The person's stored language, or None."""
        row = await self._db.fetch_one("SELECT locale FROM user_pref WHERE user_id = ?", (user_id,))
        return str(row["locale"]) if row else None

    async def dm_language(self, user_id: int) -> str | None:
        """The language to DM a person in: their choice, else their client's as last seen."""
        row = await self._db.fetch_one(
            "SELECT coalesce((SELECT locale FROM user_pref WHERE user_id = :u), "
            "(SELECT locale FROM user_seen_locale WHERE user_id = :u))",
            {"u": user_id},
        )
        return str(row[0]) if row and row[0] else None

    async def saw_locale(self, user_id: int, locale: str | None) -> None:
        """Remember the language of a person's Discord client (from an interaction)."""
        normalized = normalize_locale(locale) if locale else None
        if normalized is None or self._seen.get(user_id) == normalized:
            return
        self._seen[user_id] = normalized
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO user_seen_locale (user_id, locale, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale, "
                "seen_at = excluded.seen_at",
                (user_id, normalized, iso(self._clock())),
            )

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
        """Privacy export: the chosen language, and the client language last seen."""
        chosen = await self._db.fetch_one(
            "SELECT locale, updated_at FROM user_pref WHERE user_id = ?", (user_id,)
        )
        seen = await self._db.fetch_one(
            "SELECT locale, seen_at FROM user_seen_locale WHERE user_id = ?", (user_id,)
        )
        exported: dict[str, object] = {}
        if chosen:
            exported["language"] = dict(chosen)
        if seen:
            exported["client_language"] = dict(seen)
        return exported

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: drop the stored languages."""
        self._seen.pop(user_id, None)
        deleted = await tx.execute_rowcount("DELETE FROM user_pref WHERE user_id = ?", (user_id,))
        return deleted + await tx.execute_rowcount(
            "DELETE FROM user_seen_locale WHERE user_id = ?", (user_id,)
        )
