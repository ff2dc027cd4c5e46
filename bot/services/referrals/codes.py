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
class ReferralSettings:
    """A guild's referral settings."""

    code_prefix: str = "{name}"
    store_url: str | None = None
    shop_domain: str | None = None
    young_account_days: int = 7
    early_leave_days: int = 14


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


def normalize_shop(domain: str) -> str:
    """A shop's domain as Shopify sends it in X-Shopify-Shop-Domain: brand.myshopify.com."""
    text = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not text or "/" in text or " " in text or "." not in text or len(text) > 255:
        raise DomainError("referral.shop_invalid")
    return text


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
        settings = await self.settings(guild_id)
        existing = await self._db.fetch_one(
            "SELECT code FROM referral_code WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if existing is not None:
            return self._with_url(guild_id, user_id, existing["code"], settings.store_url)
        template = settings.code_prefix
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
                    return self._with_url(guild_id, user_id, again["code"], settings.store_url)
                continue  # someone else has this code: draw another
            return self._with_url(guild_id, user_id, code, settings.store_url)
        raise DomainError("referral.code_exhausted")

    async def owner_of(self, guild_id: int, code: str) -> int | None:
        """Who a code belongs to (still valid after the member left)."""
        row = await self._db.fetch_one(
            "SELECT user_id FROM referral_code WHERE guild_id = ? AND code = ?",
            (guild_id, normalize_code(code)),
        )
        return int(row["user_id"]) if row else None

    async def code_of(self, guild_id: int, user_id: int) -> str | None:
        """The member's code, if they have one."""
        row = await self._db.fetch_one(
            "SELECT code FROM referral_code WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return str(row["code"]) if row else None

    async def set_settings(
        self,
        guild_id: int,
        *,
        code_prefix: str | None = None,
        store_url: str | None = None,
        shop_domain: str | None = None,
        young_account_days: int | None = None,
        early_leave_days: int | None = None,
    ) -> ReferralSettings:
        """Change some settings: the prefix template, the share URL template (which must contain
        {code}), the Shopify shop whose webhooks count for this guild, and the integrity windows."""
        if store_url is not None and "{code}" not in store_url:
            raise DomainError("referral.store_url_needs_code")
        if store_url is not None and not store_url.startswith(("https://", "http://")):
            raise DomainError("referral.store_url_invalid")
        if code_prefix is not None and not (
            code_prefix == NAME_PLACEHOLDER or clean_prefix(code_prefix)
        ):
            raise DomainError("referral.prefix_invalid")
        if shop_domain is not None:
            shop_domain = normalize_shop(shop_domain)
        async with self._db.transaction() as tx:
            if shop_domain is not None:
                taken = await tx.fetch_one(
                    "SELECT guild_id FROM referral_settings WHERE shop_domain = ? "
                    "AND guild_id != ?",
                    (shop_domain, guild_id),
                )
                if taken is not None:
                    raise DomainError("referral.shop_taken", shop=shop_domain)
            old = await self.settings(guild_id)
            new = ReferralSettings(
                code_prefix=code_prefix if code_prefix is not None else old.code_prefix,
                store_url=store_url if store_url is not None else old.store_url,
                shop_domain=shop_domain if shop_domain is not None else old.shop_domain,
                young_account_days=(
                    young_account_days if young_account_days is not None else old.young_account_days
                ),
                early_leave_days=(
                    early_leave_days if early_leave_days is not None else old.early_leave_days
                ),
            )
            await tx.execute(
                "INSERT INTO referral_settings (guild_id, code_prefix, store_url, shop_domain, "
                "young_account_days, early_leave_days, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET code_prefix = excluded.code_prefix, "
                "store_url = excluded.store_url, shop_domain = excluded.shop_domain, "
                "young_account_days = excluded.young_account_days, "
                "early_leave_days = excluded.early_leave_days, updated_at = excluded.updated_at",
                (
                    guild_id,
                    new.code_prefix,
                    new.store_url,
                    new.shop_domain,
                    new.young_account_days,
                    new.early_leave_days,
                    iso(self._clock()),
                ),
            )
        return new

    async def settings(self, guild_id: int) -> ReferralSettings:
        """The guild's referral settings (defaults when never set)."""
        row = await self._db.fetch_one(
            "SELECT code_prefix, store_url, shop_domain, young_account_days, early_leave_days "
            "FROM referral_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return ReferralSettings(**dict(row)) if row else ReferralSettings()

    async def guild_for_shop(self, shop_domain: str) -> int | None:
        """Which guild a store's webhooks belong to (None: an unknown shop)."""
        row = await self._db.fetch_one(
            "SELECT guild_id FROM referral_settings WHERE shop_domain = ?",
            (normalize_shop(shop_domain),),
        )
        return int(row["guild_id"]) if row else None

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the member's code, link, preferences, credited orders and awards."""
        queries = {
            "code": "SELECT code, created_at FROM referral_code WHERE guild_id = ? AND user_id = ?",
            "link": "SELECT invite_code, created_at FROM referral_link "
            "WHERE guild_id = ? AND user_id = ?",
            "preferences": "SELECT announce, showcase, "
            "email_sha256 IS NOT NULL AS email_registered, updated_at FROM referral_member "
            "WHERE guild_id = ? AND user_id = ?",
            "orders": "SELECT order_id, amount_minor, currency, ordered_at, status, "
            "self_referral FROM referral_order WHERE guild_id = ? AND referrer_id = ? "
            "ORDER BY ordered_at",
            "rewards": "SELECT a.orders, a.reached_at, a.status, c.code AS reward_code "
            "FROM referral_award a LEFT JOIN reward_code c ON c.award_id = a.id "
            "WHERE a.guild_id = ? AND a.user_id = ? ORDER BY a.id",
        }
        found: dict[str, object] = {}
        for name, query in queries.items():
            rows = [dict(row) for row in await self._db.fetch_all(query, (guild_id, user_id))]
            if rows:
                found[name] = rows
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: the code (it stops matching new orders), its orders, the link, the
        preferences, the awards and the reward codes they were given."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM reward_code WHERE award_id IN "
            "(SELECT id FROM referral_award WHERE guild_id = ? AND user_id = ?)",
            (guild_id, user_id),
        )
        await tx.execute(
            "DELETE FROM scheduled_job WHERE kind = 'referral.reward' AND key IN "
            "(SELECT CAST(id AS TEXT) FROM referral_award WHERE guild_id = ? AND user_id = ?)",
            (guild_id, user_id),
        )
        for table, column in (
            ("referral_award", "user_id"),
            ("referral_order", "referrer_id"),
            ("referral_code", "user_id"),
            ("referral_link", "user_id"),
            ("referral_member", "user_id"),
        ):
            deleted += await tx.execute_rowcount(
                f"DELETE FROM {table} WHERE guild_id = ? AND {column} = ?", (guild_id, user_id)
            )
        return deleted

    @staticmethod
    def _with_url(guild_id: int, user_id: int, code: str, template: str | None) -> ReferralCode:
        url = template.replace("{code}", code) if template else None
        return ReferralCode(guild_id, user_id, code, url)
