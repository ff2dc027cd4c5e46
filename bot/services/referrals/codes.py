"""Personal store referral codes: readable, unique per guild, no ambiguous characters."""

from __future__ import annotations

import random
import sqlite3
import unicodedata
from dataclasses import dataclass

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow

#: Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SUFFIX_LENGTH = 4
PREFIX_MAX = 10
NAME_PLACEHOLDER = "{name}"
FALLBACK_PREFIX = "VOUCH"
ATTEMPTS = 20


@dataclass(frozen=True)
class ReferralCode:
    """A member's code and the URL they share."""

    guild_id: int
    user_id: int
    code: str
    share_url: str | None


def clean_prefix(text: str) -> str:
    """Upper-case ASCII letters and digits of a name or prefix, accents dropped ('Maëlle' ->
    'MAELLE'). The prefix is read as a word, so it keeps every letter; only the random suffix
    avoids the characters that could be misread."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.upper() if ch.isalnum())[:PREFIX_MAX]


def make_code(prefix: str, rng: random.Random) -> str:
    """PREFIX-XXXX with a random suffix from the unambiguous alphabet."""
    suffix = "".join(rng.choice(ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{prefix}-{suffix}"


def normalize_code(code: str) -> str:
    """How customers may type a code: case and surrounding spaces don't matter."""
    return code.strip().upper()


class ReferralCodes:
    """Gives each member one code per guild (created once, then reused).

    Registered with the privacy registry as 'referrals'.
    """

    name = "referrals"

    def __init__(
        self, db: Database, clock: Clock = utcnow, rng: random.Random | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._rng = rng or random.SystemRandom()

    async def code_for(self, guild_id: int, user_id: int, display_name: str) -> ReferralCode:
        """The member's code, creating it on first use (a collision is retried internally)."""
        settings = await self._settings(guild_id)
        existing = await self._db.fetch_one(
            "SELECT code FROM referral_code WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if existing is not None:
            return self._with_url(guild_id, user_id, existing["code"], settings[1])
        template = settings[0]
        prefix = (
            clean_prefix(
                template.replace(NAME_PLACEHOLDER, display_name) if template else display_name
            )
            or FALLBACK_PREFIX
        )
        for _ in range(ATTEMPTS):
            code = make_code(prefix, self._rng)
            try:
                async with self._db.transaction() as tx:
                    await tx.execute(
                        "INSERT INTO referral_code (guild_id, user_id, code, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (guild_id, user_id, code, iso(self._clock())),
                    )
            except sqlite3.IntegrityError:
                again = await self._db.fetch_one(
                    "SELECT code FROM referral_code WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )
                if again is not None:  # made concurrently for the same member
                    return self._with_url(guild_id, user_id, again["code"], settings[1])
                continue  # someone else has this code: draw another
            return self._with_url(guild_id, user_id, code, settings[1])
        raise DomainError("referral.code_exhausted")

    async def owner_of(self, guild_id: int, code: str) -> int | None:
        """Who a code belongs to (still valid after the member left)."""
        row = await self._db.fetch_one(
            "SELECT user_id FROM referral_code WHERE guild_id = ? AND code = ?",
            (guild_id, normalize_code(code)),
        )
        return int(row["user_id"]) if row else None

    async def set_settings(
        self, guild_id: int, *, code_prefix: str | None = None, store_url: str | None = None
    ) -> tuple[str, str | None]:
        """Change the prefix template or the share URL template (which must contain {code})."""
        if store_url is not None and "{code}" not in store_url:
            raise DomainError("referral.store_url_needs_code")
        if store_url is not None and not store_url.startswith(("https://", "http://")):
            raise DomainError("referral.store_url_invalid")
        if code_prefix is not None and not (
            code_prefix == NAME_PLACEHOLDER or clean_prefix(code_prefix)
        ):
            raise DomainError("referral.prefix_invalid")
        async with self._db.transaction() as tx:
            prefix, url = await self._settings(guild_id)
            prefix = code_prefix if code_prefix is not None else prefix
            url = store_url if store_url is not None else url
            await tx.execute(
                "INSERT INTO referral_settings (guild_id, code_prefix, store_url, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "code_prefix = excluded.code_prefix, store_url = excluded.store_url, "
                "updated_at = excluded.updated_at",
                (guild_id, prefix, url, iso(self._clock())),
            )
        return prefix, url

    async def _settings(self, guild_id: int) -> tuple[str, str | None]:
        row = await self._db.fetch_one(
            "SELECT code_prefix, store_url FROM referral_settings WHERE guild_id = ?", (guild_id,)
        )
        return (row["code_prefix"], row["store_url"]) if row else (NAME_PLACEHOLDER, None)

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the member's code and the orders credited to it."""
        code = await self._db.fetch_one(
            "SELECT code, created_at FROM referral_code WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        orders = await self._db.fetch_all(
            "SELECT order_id, amount_minor, currency, ordered_at, status, self_referral "
            "FROM referral_order WHERE guild_id = ? AND referrer_id = ? ORDER BY ordered_at",
            (guild_id, user_id),
        )
        if code is None and not orders:
            return {}
        return {"code": dict(code) if code else None, "orders": [dict(r) for r in orders]}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: the code (it stops matching new orders) and its orders."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM referral_order WHERE guild_id = ? AND referrer_id = ?", (guild_id, user_id)
        )
        return deleted + await tx.execute_rowcount(
            "DELETE FROM referral_code WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    @staticmethod
    def _with_url(guild_id: int, user_id: int, code: str, template: str | None) -> ReferralCode:
        url = template.replace("{code}", code) if template else None
        return ReferralCode(guild_id, user_id, code, url)
