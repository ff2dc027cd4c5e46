"""The bot's own small facts, such as the hash of the last synced command set."""

from __future__ import annotations

from bot.db import Database


class MetaService:
    """Key/value facts about the bot itself."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        row = await self._db.fetch_one("SELECT value FROM bot_meta WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def put(self, key: str, value: str) -> None:
        """Store a value."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
