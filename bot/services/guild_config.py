"""Per-guild configuration: language, time zone, channel and role purposes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.db import Database
from bot.errors import DomainError
from bot.i18n import normalize_locale
from bot.services.clock import Clock, iso, utcnow

CHANNEL_PURPOSES: tuple[str, ...] = (
    "welcome",
    "introductions",
    "announcements",
    "feedback",
    "leaders",
    "log",
)
ROLE_PURPOSES: tuple[str, ...] = ("newcomer", "member", "leader", "founder", "moderator")


@dataclass(frozen=True)
class GuildConfig:
    """A guild's configuration; `locale` is None until set (the guild's Discord locale applies)."""

    guild_id: int
    locale: str | None = None
    timezone: str = "UTC"
    channels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    roles: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


def validate_timezone(name: str) -> str:
    """The canonical IANA zone name, or a DomainError for anything else."""
    cleaned = name.strip()
    if cleaned and cleaned in available_timezones() | {"UTC"}:
        try:
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return cleaned
    raise DomainError("setup.timezone.invalid", value=cleaned[:64])


class GuildConfigService:
    """Reads and writes guild configuration; every read is scoped to one guild.

    Nearly every interaction reads the configuration, and this service is its only writer (one
    process per database), so it keeps the configuration in memory and drops a guild's entry
    whenever it writes.
    """

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock
        self._cache: dict[int, GuildConfig] = {}
        self._writes: dict[int, int] = {}

    async def get(self, guild_id: int) -> GuildConfig:
        """The guild's configuration (defaults when nothing was set)."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        generation = self._writes.get(guild_id, 0)
        config = await self._load(guild_id)
        if self._writes.get(guild_id, 0) == generation:  # no write raced with the load
            self._cache[guild_id] = config
        return config

    def _written(self, guild_id: int) -> None:
        self._writes[guild_id] = self._writes.get(guild_id, 0) + 1
        self._cache.pop(guild_id, None)

    async def _load(self, guild_id: int) -> GuildConfig:
        row = await self._db.fetch_one(
            "SELECT locale, timezone FROM guild_config WHERE guild_id = ?", (guild_id,)
        )
        channels = await self._db.fetch_all(
            "SELECT purpose, channel_id FROM guild_channel WHERE guild_id = ?", (guild_id,)
        )
        roles = await self._db.fetch_all(
            "SELECT purpose, role_id FROM guild_role WHERE guild_id = ?", (guild_id,)
        )
        return GuildConfig(
            guild_id=guild_id,
            locale=row["locale"] if row else None,
            timezone=row["timezone"] if row else "UTC",
            channels=MappingProxyType({r["purpose"]: r["channel_id"] for r in channels}),
            roles=MappingProxyType({r["purpose"]: r["role_id"] for r in roles}),
        )

    async def set_channel(self, guild_id: int, purpose: str, channel_id: int) -> None:
        """Use a channel for a purpose."""
        if purpose not in CHANNEL_PURPOSES:
            raise DomainError("setup.purpose.unknown", purpose=purpose[:32])
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_channel (guild_id, purpose, channel_id, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, purpose) DO UPDATE SET "
                "channel_id = excluded.channel_id, updated_at = excluded.updated_at",
                (guild_id, purpose, channel_id, iso(self._clock())),
            )
        self._written(guild_id)

    async def set_role(self, guild_id: int, purpose: str, role_id: int) -> None:
        """Use a role for a purpose (the caller has checked the role is safe to manage)."""
        if purpose not in ROLE_PURPOSES:
            raise DomainError("setup.purpose.unknown", purpose=purpose[:32])
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_role (guild_id, purpose, role_id, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, purpose) DO UPDATE SET "
                "role_id = excluded.role_id, updated_at = excluded.updated_at",
                (guild_id, purpose, role_id, iso(self._clock())),
            )
        self._written(guild_id)

    async def set_language(self, guild_id: int, locale: str) -> str:
        """Set the language of the guild's public posts; returns the normalized locale."""
        normalized = normalize_locale(locale)
        if normalized is None:
            raise DomainError("language.unsupported", value=locale[:16])
        await self._upsert(guild_id, "locale", normalized)
        return normalized

    async def set_timezone(self, guild_id: int, name: str) -> str:
        """Set the guild's IANA time zone; returns the validated name."""
        zone = validate_timezone(name)
        await self._upsert(guild_id, "timezone", zone)
        return zone

    async def forget_channel(self, guild_id: int, channel_id: int) -> None:
        """Drop purposes pointing at a channel that was deleted."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM guild_channel WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
        self._written(guild_id)

    async def forget_role(self, guild_id: int, role_id: int) -> None:
        """Drop purposes pointing at a role that was deleted."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM guild_role WHERE guild_id = ? AND role_id = ?", (guild_id, role_id)
            )
        self._written(guild_id)

    async def _upsert(self, guild_id: int, column: str, value: str) -> None:
        assert column in {"locale", "timezone"}
        async with self._db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO guild_config (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (guild_id, value, iso(self._clock())),
            )
        self._written(guild_id)
