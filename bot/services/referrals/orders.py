"""Referred orders from the store: one streaming import path for CSV files and webhooks."""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.referrals.codes import normalize_code

COLUMNS = ("order_id", "code", "amount", "currency", "created_at", "status")
CUSTOMER_COLUMN = "customer_discord_id"
EMAIL_COLUMN = "customer_email"  # hashed as it is read, never stored
EMAIL_HASH_COLUMN = "customer_email_sha256"
OPTIONAL_COLUMNS = (CUSTOMER_COLUMN, EMAIL_COLUMN, EMAIL_HASH_COLUMN)
STATUSES = ("paid", "refunded", "cancelled")
MAX_BYTES = 20 * 1024 * 1024
BATCH = 500
PROBLEMS_SHOWN = 20
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class OrderRow:
    """One valid order line."""

    line: int
    order_id: str
    code: str
    amount_minor: int
    currency: str
    ordered_at: datetime
    status: str
    customer_id: int | None = None
    customer_email_sha256: str | None = None


def hash_email(email: str) -> str:
    """The SHA-256 of an email as shops and members type it (case and spaces don't matter)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class RowProblem:
    """A rejected line: its number and why, as a translation key with parameters."""

    line: int
    key: str
    value: str = ""


@dataclass
class ImportReport:
    """What an import did. Rejected rows changed nothing."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    #: Members whose credited orders changed (their milestones are checked after the import).
    referrers: set[int] = field(default_factory=set)

    def reject(self, problem: RowProblem) -> None:
        """Count a rejected line, keeping the first few for the reply."""
        self.rejected += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(problem)


@cache
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies  # imported on first import: ~1 MiB of RSS

    return frozenset(list_currencies())


def _minor_digits(currency: str) -> int:
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))


def parse_row(line: int, raw: dict[str, str | None], now: datetime) -> OrderRow | RowProblem:
    """Validate one CSV line."""
    values = {key: (raw.get(key) or "").strip() for key in (*COLUMNS, *OPTIONAL_COLUMNS)}
    if not values["order_id"] or len(values["order_id"]) > 64:
        return RowProblem(line, "referral.row.order_id", values["order_id"][:64])
    if not values["code"]:
        return RowProblem(line, "referral.row.code", "")
    currency = values["currency"].upper()
    if currency not in _currencies():
        return RowProblem(line, "referral.row.currency", values["currency"][:16])
    try:
        amount = Decimal(values["amount"])
    except InvalidOperation:
        return RowProblem(line, "referral.row.amount", values["amount"][:32])
    if not amount.is_finite() or amount < 0:
        return RowProblem(line, "referral.row.amount", values["amount"][:32])
    minor = amount.scaleb(_minor_digits(currency))
    if minor != minor.to_integral_value():
        return RowProblem(line, "referral.row.amount", values["amount"][:32])
    try:
        ordered_at = datetime.fromisoformat(values["created_at"])
    except ValueError:
        return RowProblem(line, "referral.row.date", values["created_at"][:40])
    if ordered_at.tzinfo is None:
        ordered_at = ordered_at.replace(tzinfo=UTC)
    if ordered_at > now + FUTURE_SLACK:
        return RowProblem(line, "referral.row.future", values["created_at"][:40])
    status = values["status"].lower()
    if status not in STATUSES:
        return RowProblem(line, "referral.row.status", values["status"][:16])
    customer = values[CUSTOMER_COLUMN]
    if customer and not customer.isdigit():
        return RowProblem(line, "referral.row.customer", customer[:32])
    email_hash = values[EMAIL_HASH_COLUMN].lower() or None
    if email_hash is not None and not _is_sha256(email_hash):
        return RowProblem(line, "referral.row.email_hash", email_hash[:16])
    if values[EMAIL_COLUMN]:
        email_hash = hash_email(values[EMAIL_COLUMN])
    return OrderRow(
        line=line,
        order_id=values["order_id"],
        code=normalize_code(values["code"]),
        amount_minor=int(minor),
        currency=currency,
        ordered_at=ordered_at,
        status=status,
        customer_id=int(customer) if customer else None,
        customer_email_sha256=email_hash,
    )


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


def read_csv(lines: Iterable[str], now: datetime) -> Iterator[OrderRow | RowProblem]:
    """Stream the rows of an orders CSV (line numbers count the header as line 1)."""
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DomainError("referral.import.columns", columns=", ".join(missing))
    reader.fieldnames = header
    for raw in reader:
        line = reader.line_num
        if None in raw:  # more cells than columns
            yield RowProblem(line, "referral.row.shape")
            continue
        yield parse_row(line, raw, now)


class OrderLedger:
    """Stores referred orders; re-importing an order updates it (a refund reverses its credit)."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def import_csv(self, guild_id: int, lines: Iterable[str]) -> ImportReport:
        """Import a CSV stream; see import_rows."""
        return await self.import_rows(guild_id, read_csv(lines, self._clock()), source="csv")

    async def import_rows(
        self,
        guild_id: int,
        rows: Iterable[OrderRow | RowProblem],
        *,
        source: Literal["csv", "webhook"],
    ) -> ImportReport:
        """The one import path (CSV files and store webhooks): validated rows are applied in
        batches, one transaction per batch, so memory stays flat however long the stream is.

        An order id seen twice in one import is an error for the second line; a known order id
        from an earlier import updates that order's status (a refund reverses its credit).
        """
        report = ImportReport()
        import_id = secrets.token_hex(8)
        batch: list[OrderRow] = []
        for item in rows:
            if isinstance(item, RowProblem):
                report.reject(item)
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                await self._apply(guild_id, batch, import_id, source, report)
                batch = []
        if batch:
            await self._apply(guild_id, batch, import_id, source, report)
        report.problems.sort(key=lambda problem: problem.line)
        return report

    async def totals(self, guild_id: int, referrer_id: int) -> dict[str, tuple[int, int]]:
        """Credited orders (paid, not self-referred) per currency: (count, minor units)."""
        rows = await self._db.fetch_all(
            "SELECT currency, count(*) AS orders, sum(amount_minor) AS amount "
            "FROM referral_order WHERE guild_id = ? AND referrer_id = ? AND status = 'paid' "
            "AND self_referral = 0 GROUP BY currency ORDER BY currency",
            (guild_id, referrer_id),
        )
        return {row["currency"]: (row["orders"], row["amount"]) for row in rows}

    async def _apply(
        self,
        guild_id: int,
        rows: list[OrderRow],
        import_id: str,
        source: str,
        report: ImportReport,
    ) -> None:
        """One batch in one transaction: one query for the orders already known, then one
        executemany for the new orders and one for the status updates."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            owners = await _owners(tx, guild_id, {row.code for row in rows})
            emails = await _email_hashes(tx, guild_id, set(owners.values()))
            known = await _known_orders(tx, guild_id, {row.order_id for row in rows})
            inserts: list[tuple[object, ...]] = []
            updates: list[tuple[object, ...]] = []
            for row in rows:
                referrer = owners.get(row.code)
                if referrer is None:
                    report.reject(RowProblem(row.line, "referral.row.unknown_code", row.code))
                    continue
                existing = known.get(row.order_id)
                if existing is not None and existing[1] == import_id:
                    report.reject(RowProblem(row.line, "referral.row.duplicate", row.order_id))
                    continue
                known[row.order_id] = (row.status, import_id)  # a later line with it: duplicate
                if existing is None:
                    own_order = row.customer_id == referrer or (
                        row.customer_email_sha256 is not None
                        and row.customer_email_sha256 == emails.get(referrer)
                    )
                    inserts.append(
                        (
                            guild_id,
                            row.order_id,
                            row.code,
                            referrer,
                            row.amount_minor,
                            row.currency,
                            iso(row.ordered_at),
                            row.status,
                            int(own_order),
                            source,
                            import_id,
                            now,
                            now,
                        )
                    )
                    report.added += 1
                    report.referrers.add(referrer)
                    continue
                updates.append((row.status, import_id, now, guild_id, row.order_id))
                if existing[0] == row.status:
                    report.unchanged += 1
                else:
                    report.updated += 1
                    report.referrers.add(referrer)
            if inserts:
                await tx.executemany(
                    "INSERT INTO referral_order (guild_id, order_id, code, referrer_id, "
                    "amount_minor, currency, ordered_at, status, self_referral, source, "
                    "import_id, imported_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    inserts,
                )
            if updates:
                await tx.executemany(
                    "UPDATE referral_order SET status = ?, import_id = ?, updated_at = ? "
                    "WHERE guild_id = ? AND order_id = ?",
                    updates,
                )


async def _known_orders(
    tx: Transaction, guild_id: int, order_ids: set[str]
) -> dict[str, tuple[str, str]]:
    """The orders of this batch already stored: order id -> (status, import id)."""
    marks = ", ".join("?" * len(order_ids))
    rows = await tx.fetch_all(
        "SELECT order_id, status, import_id FROM referral_order "
        f"WHERE guild_id = ? AND order_id IN ({marks})",
        (guild_id, *order_ids),
    )
    return {row["order_id"]: (row["status"], row["import_id"]) for row in rows}


async def _owners(tx: Transaction, guild_id: int, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    marks = ", ".join("?" * len(codes))
    rows = await tx.fetch_all(
        f"SELECT code, user_id FROM referral_code WHERE guild_id = ? AND code IN ({marks})",
        (guild_id, *codes),
    )
    return {row["code"]: int(row["user_id"]) for row in rows}


async def _email_hashes(tx: Transaction, guild_id: int, members: set[int]) -> dict[int, str]:
    """The email hashes the referrers registered with /referral me."""
    if not members:
        return {}
    marks = ", ".join("?" * len(members))
    rows = await tx.fetch_all(
        f"SELECT user_id, email_sha256 FROM referral_member WHERE guild_id = ? "
        f"AND email_sha256 IS NOT NULL AND user_id IN ({marks})",
        (guild_id, *members),
    )
    return {int(row["user_id"]): row["email_sha256"] for row in rows}
