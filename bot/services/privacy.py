"""One registry through which every feature exports and deletes what it stores about a member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.db import Database, Transaction
from bot.services.clock import Clock, iso, utcnow


class MemberDataProvider(Protocol):
    """A feature that stores data about members registers one of these."""

    name: str

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Everything stored about the member in this guild, JSON-ready; empty when nothing."""
        ...

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete it inside the given transaction; returns how many records went."""
        ...


@dataclass(frozen=True)
class ForgetReport:
    """What `forget` deleted, per feature."""

    deleted: dict[str, int]

    @property
    def total(self) -> int:
        """Records deleted in all."""
        return sum(self.deleted.values())


class PrivacyRegistry:
    """Collects the providers; export and forget walk all of them."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock
        self._providers: dict[str, MemberDataProvider] = {}

    def register(self, provider: MemberDataProvider) -> None:
        """Add a feature's provider (names are unique)."""
        if provider.name in self._providers:
            raise ValueError(f"privacy provider {provider.name!r} registered twice")
        self._providers[provider.name] = provider

    @property
    def names(self) -> list[str]:
        """The registered features, in registration order."""
        return list(self._providers)

    async def export(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's data from every feature, as one JSON-ready document."""
        sections: dict[str, object] = {}
        for name, provider in self._providers.items():
            sections[name] = await provider.export_member(guild_id, user_id)
        return {
            "user_id": str(user_id),
            "guild_id": str(guild_id),
            "exported_at": iso(self._clock()),
            "data": sections,
        }

    async def forget(self, guild_id: int, user_id: int) -> ForgetReport:
        """Delete the member's data from every feature in one transaction."""
        deleted: dict[str, int] = {}
        async with self._db.transaction() as tx:
            for name, provider in self._providers.items():
                deleted[name] = await provider.forget_member(tx, guild_id, user_id)
        return ForgetReport(deleted)
