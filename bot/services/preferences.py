"""A member's own preferences: their language for DMs, and which DMs they want."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import ClassVar

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.i18n import normalize_locale
from bot.services.clock import Clock, iso, utcnow


class PreferenceService:
    """Stores the language each person wants their DMs in, and which kinds of DM they want."""

    name = "preferences"

    NOTIFICATION_KINDS: ClassVar[tuple[str, ...]] = ("sessions", "feedback", "digest")
    #: What a person gets while they have no row for a kind (the migration's documented default).
    DEFAULT_ON: ClassVar[Mapping[str, bool]] = {"sessions": True, "feedback": True, "digest": False}

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

    def _checked_kind(self, kind: str) -> str:
        if kind not in self.NOTIFICATION_KINDS:
            raise DomainError("notifications.unknown_kind", kind=str(kind)[:32])
        return kind

    async def wants(self, user_id: int, kind: str) -> bool:
        """Whether the person wants DMs of this kind (their choice, else the default)."""
        return user_id in await self.wanting((user_id,), kind)

    async def wanting(self, user_ids: Collection[int], kind: str) -> set[int]:
        """Those of the people who want DMs of this kind, in one query (for fan-out)."""
        self._checked_kind(kind)
        if not user_ids:
            return set()
        # One JSON parameter rather than `IN (?, ?, ...)`: no bound-variable limit, one statement.
        rows = await self._db.fetch_all(
            "SELECT wanted.value FROM json_each(:ids) AS wanted "
            "LEFT JOIN notification_pref AS pref "
            "ON pref.user_id = wanted.value AND pref.kind = :kind "
            "WHERE coalesce(pref.enabled, :default) = 1",
            {
                "ids": json.dumps(sorted(set(user_ids))),
                "kind": kind,
                "default": int(self.DEFAULT_ON[kind]),
            },
        )
        return {int(row[0]) for row in rows}

    async def notifications(self, user_id: int) -> dict[str, bool]:
        """Every kind of DM and whether the person wants it, in NOTIFICATION_KINDS order."""
        rows = await self._db.fetch_all(
            "SELECT kind, enabled FROM notification_pref WHERE user_id = ?", (user_id,)
        )
        chosen = {str(row["kind"]): bool(row["enabled"]) for row in rows}
        return {kind: chosen.get(kind, self.DEFAULT_ON[kind]) for kind in self.NOTIFICATION_KINDS}

    async def set_notification(self, user_id: int, kind: str, enabled: bool) -> dict[str, bool]:
        """Store whether the person wants DMs of this kind; returns all their settings."""
        return await self.set_notifications(user_id, {kind: enabled})

    async def set_notifications(self, user_id: int, changes: Mapping[str, bool]) -> dict[str, bool]:
        """Store several kinds at once (all or none); returns all the person's settings."""
        for kind in changes:
            self._checked_kind(kind)
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO notification_pref (user_id, kind, enabled, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, kind) DO UPDATE SET "
                "enabled = excluded.enabled, updated_at = excluded.updated_at",
                [(user_id, kind, int(enabled), now) for kind, enabled in changes.items()],
            )
        return await self.notifications(user_id)

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the chosen language, the client language last seen, and the
        notification choices the person made."""
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
        choices = await self._db.fetch_all(
            "SELECT kind, enabled, updated_at FROM notification_pref WHERE user_id = ? "
            "ORDER BY kind",
            (user_id,),
        )
        if choices:
            exported["notifications"] = {
                str(row["kind"]): {"enabled": bool(row["enabled"]), "updated_at": row["updated_at"]}
                for row in choices
            }
        return exported

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: drop the stored languages and notification choices."""
        self._seen.pop(user_id, None)
        deleted = 0
        for table in ("user_pref", "user_seen_locale", "notification_pref"):  # fixed names
            deleted += await tx.execute_rowcount(
                f"DELETE FROM {table} WHERE user_id = ?", (user_id,)
            )
        return deleted
