"""The seat count and waitlist promotion, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.db import Transaction
from bot.services.clock import iso
from bot.services.membership.models import Introduction, Seats, introduction_from_row


async def count_seats(tx: Transaction, guild_id: int) -> Seats:
    """Members, people in the gate, reserved and waitlisted introductions, and the cap."""
    row = await tx.fetch_one(
        "SELECT "
        " (SELECT max_members FROM membership_settings WHERE guild_id = :g) AS cap,"
        " (SELECT count(*) FROM member_stint WHERE guild_id = :g AND status = 'member')"
        "   AS members,"
        " (SELECT count(*) FROM member_stint WHERE guild_id = :g AND status = 'pending')"
        "   AS pending,"
        " (SELECT count(*) FROM introduction WHERE guild_id = :g AND status IN ('seated', 'open'))"
        "   AS reserved,"
        " (SELECT count(*) FROM introduction WHERE guild_id = :g AND status = 'waitlisted')"
        "   AS waitlisted",
        {"g": guild_id},
    )
    assert row is not None
    return Seats(
        cap=row["cap"] or 0,
        members=row["members"],
        pending=row["pending"],
        reserved=row["reserved"],
        waitlisted=row["waitlisted"],
    )


async def promote_waitlisted(tx: Transaction, guild_id: int, now: datetime) -> list[Introduction]:
    """Give free seats to the waitlist in order; each seat goes to exactly one introduction.

    Runs in the transaction that freed the seat, so concurrent frees can't hand out one seat twice.
    """
    seats = await count_seats(tx, guild_id)
    free = seats.waitlisted if seats.free is None else min(seats.free, seats.waitlisted)
    if free <= 0:
        return []
    rows = await tx.fetch_all(
        "SELECT * FROM introduction WHERE guild_id = ? AND status = 'waitlisted' "
        "ORDER BY id LIMIT ?",
        (guild_id, free),
    )
    await tx.executemany(
        "UPDATE introduction SET status = 'seated', seated_at = ? WHERE id = ?",
        [(iso(now), row["id"]) for row in rows],
    )
    return [replace(introduction_from_row(row), status="seated", seated_at=now) for row in rows]
