"""A guild's admission settings: cap, limits, policies, timeouts, house rules and questions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.membership.models import Introduction, MembershipSettings
from bot.services.membership.seats import promote_waitlisted

RULES_MAX = 3_000
QUESTION_MAX = 45  # a modal label is at most 45 characters
_BOUNDS: dict[str, tuple[int, int]] = {
    "max_members": (0, 100_000),
    "max_open_introductions": (1, 25),
    "invite_max_age": (3_600, 604_800),
    "pending_timeout": (3_600, 2_592_000),
}
_POLICIES = {
    "sponsored_admission": ("auto", "moderator"),
    "unsponsored_admission": ("moderator", "refuse"),
}


class MembershipSettingsService:
    """Reads and changes admission settings; raising the cap promotes the waitlist."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int) -> MembershipSettings:
        """The guild's settings (defaults when never set)."""
        row = await self._db.fetch_one(
            "SELECT * FROM membership_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return MembershipSettings(guild_id=guild_id)
        return MembershipSettings(
            guild_id=guild_id,
            max_members=row["max_members"],
            max_open_introductions=row["max_open_introductions"],
            invite_max_age=row["invite_max_age"],
            sponsored_admission=row["sponsored_admission"],
            unsponsored_admission=row["unsponsored_admission"],
            pending_timeout=row["pending_timeout"],
            rules_text=row["rules_text"],
            rules_version=row["rules_version"],
            questions=(row["question_1"], row["question_2"], row["question_3"]),
            panel_channel_id=row["panel_channel_id"],
            panel_message_id=row["panel_message_id"],
        )

    async def update(
        self, guild_id: int, **changes: Any
    ) -> tuple[MembershipSettings, list[Introduction]]:
        """Validate and store changes; returns the settings and introductions the change seated."""
        for name, value in changes.items():
            if name in _BOUNDS:
                low, high = _BOUNDS[name]
                if not isinstance(value, int) or not low <= value <= high:
                    raise DomainError(f"membership.invalid.{name}", low=low, high=high)
            elif name in _POLICIES:
                if value not in _POLICIES[name]:
                    raise DomainError("membership.invalid.policy", value=str(value)[:32])
            else:
                raise ValueError(f"unknown membership setting {name!r}")
        return await self._modify(guild_id, lambda current: replace(current, **changes), True)

    async def set_rules(self, guild_id: int, text: str | None) -> MembershipSettings:
        """New house rules (None: back to the localized default); the version goes up."""
        cleaned = text.strip() if text else None
        if cleaned is not None and len(cleaned) > RULES_MAX:
            raise DomainError("membership.rules.too_long", limit=RULES_MAX)
        updated, _ = await self._modify(
            guild_id,
            lambda current: replace(
                current, rules_text=cleaned or None, rules_version=current.rules_version + 1
            ),
        )
        return updated

    async def set_questions(
        self, guild_id: int, questions: tuple[str | None, str | None, str | None]
    ) -> MembershipSettings:
        """The three gate questions (None: the localized default)."""
        cleaned = tuple((q.strip() or None) if q else None for q in questions)
        if any(q is not None and len(q) > QUESTION_MAX for q in cleaned):
            raise DomainError("membership.question.too_long", limit=QUESTION_MAX)
        updated, _ = await self._modify(
            guild_id,
            lambda current: replace(current, questions=cleaned),  # type: ignore[arg-type]
        )
        return updated

    async def set_panel(self, guild_id: int, channel_id: int, message_id: int) -> None:
        """Remember where the gate panel is posted."""
        await self._modify(
            guild_id,
            lambda current: replace(
                current, panel_channel_id=channel_id, panel_message_id=message_id
            ),
        )

    async def _modify(
        self,
        guild_id: int,
        change: Callable[[MembershipSettings], MembershipSettings],
        promote: bool = False,
    ) -> tuple[MembershipSettings, list[Introduction]]:
        """Read, change and store in one transaction, so concurrent changes are not lost."""
        async with self._db.transaction() as tx:
            updated = change(await self.get(guild_id))
            await self._store(tx, updated)
            promoted = await promote_waitlisted(tx, guild_id, self._clock()) if promote else []
        return updated, promoted

    async def _store(self, tx: Transaction, s: MembershipSettings) -> None:
        await tx.execute(
            "INSERT OR REPLACE INTO membership_settings (guild_id, max_members, "
            "max_open_introductions, invite_max_age, sponsored_admission, unsponsored_admission, "
            "pending_timeout, rules_text, rules_version, question_1, question_2, question_3, "
            "panel_channel_id, panel_message_id, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.guild_id,
                s.max_members,
                s.max_open_introductions,
                s.invite_max_age,
                s.sponsored_admission,
                s.unsponsored_admission,
                s.pending_timeout,
                s.rules_text,
                s.rules_version,
                *s.questions,
                s.panel_channel_id,
                s.panel_message_id,
                iso(self._clock()),
            ),
        )
