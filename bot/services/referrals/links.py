"""Members' personal tracked invites, and their referral preferences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.referrals.orders import hash_email

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ReferralProfile:
    """What a member chose: milestone announcements (on by default), being named among the
    top referrers (off until they opt in), and whether an email hash is registered."""

    announce: bool = True
    email_registered: bool = False
    showcase: bool = False


async def link_owner(tx: Transaction, guild_id: int, invite_code: str) -> int | None:
    """The member whose personal link this invite is (inside the caller's transaction)."""
    row = await tx.fetch_one(
        "SELECT user_id FROM referral_link WHERE guild_id = ? AND invite_code = ?",
        (guild_id, invite_code),
    )
    return int(row["user_id"]) if row else None


class ReferralLinks:
    """One reusable tracked invite per member, made once and made again when Discord lost it."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def current(self, guild_id: int, user_id: int) -> tuple[bool, str | None]:
        """Whether the member ever had a link, and its invite code unless Discord deleted it."""
        row = await self._db.fetch_one(
            "SELECT invite_code FROM referral_link WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return (row is not None, row["invite_code"] if row else None)

    async def save(self, guild_id: int, user_id: int, invite_code: str) -> None:
        """Remember the member's (new) invite."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO referral_link (guild_id, user_id, invite_code, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "invite_code = excluded.invite_code, created_at = excluded.created_at",
                (guild_id, user_id, invite_code, iso(self._clock())),
            )

    async def invite_gone(self, guild_id: int, invite_code: str) -> int | None:
        """Discord deleted an invite; if it was a member's link, forget it and return the member."""
        async with self._db.transaction() as tx:
            owner = await link_owner(tx, guild_id, invite_code)
            if owner is not None:
                await tx.execute(
                    "UPDATE referral_link SET invite_code = NULL "
                    "WHERE guild_id = ? AND user_id = ?",
                    (guild_id, owner),
                )
            return owner

    async def close(self, guild_id: int, user_id: int) -> str | None:
        """The member left: their link stops working. Returns the invite code to delete."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT invite_code FROM referral_link WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            if row is None or row["invite_code"] is None:
                return None
            await tx.execute(
                "UPDATE referral_link SET invite_code = NULL WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            return str(row["invite_code"])

    async def profile(self, guild_id: int, user_id: int) -> ReferralProfile:
        """The member's referral preferences (announcements on by default)."""
        row = await self._db.fetch_one(
            "SELECT announce, email_sha256, showcase FROM referral_member "
            "WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return ReferralProfile()
        return ReferralProfile(
            bool(row["announce"]), row["email_sha256"] is not None, bool(row["showcase"])
        )

    async def set_announce(self, guild_id: int, user_id: int, announce: bool) -> ReferralProfile:
        """Whether the member's milestones are announced to the community."""
        await self._upsert(guild_id, user_id, "announce", int(announce))
        return await self.profile(guild_id, user_id)

    async def set_showcase(self, guild_id: int, user_id: int, showcase: bool) -> ReferralProfile:
        """Whether the member is named among the top referrers (digest, health view)."""
        await self._upsert(guild_id, user_id, "showcase", int(showcase))
        return await self.profile(guild_id, user_id)

    async def register_email(self, guild_id: int, user_id: int, email: str | None) -> bool:
        """Register (or with None, remove) the email the member shops with, as its SHA-256 only.

        Orders from that email are the member's own and are never credited to their code.
        """
        if email is not None and not _EMAIL.match(email.strip()):
            raise DomainError("referral.me.email_invalid")
        await self._upsert(
            guild_id, user_id, "email_sha256", hash_email(email) if email is not None else None
        )
        return email is not None

    async def _upsert(self, guild_id: int, user_id: int, column: str, value: object) -> None:
        assert column in {"announce", "email_sha256", "showcase"}
        async with self._db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO referral_member (guild_id, user_id, {column}, updated_at) "
                f"VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                f"{column} = excluded.{column}, updated_at = excluded.updated_at",
                (guild_id, user_id, value, iso(self._clock())),
            )
