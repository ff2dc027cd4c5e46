"""Shopify order and refund webhooks, turned into rows for the one order import path.

The pure functions (`verify`, `order_status`, `order_row`, `refund_covers`) know Shopify's payload
shapes; `ShopifyWebhooks` maps a shop to its guild, skips replayed deliveries and applies the rows
through `OrderLedger.import_rows(..., source="webhook")`, exactly like a CSV line.

How an order becomes a row (see `order_status`):

- `cancelled_at` set, or `financial_status` voided: cancelled (never credited);
- `financial_status` refunded: refunded (the credit is reversed);
- paid or partially_refunded: paid (a partial refund keeps the credit);
- anything else (pending, authorized, partially_paid, ...): not credited yet, ignored; the
  orders/paid or orders/updated webhook that follows brings it in.

An order without a discount code is ignored. A refunded or cancelled order is final: an order
payload saying paid for it is a late, out-of-order delivery and is ignored.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from bot.db import Database
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.referrals.codes import ReferralCodes, normalize_code
from bot.services.referrals.orders import (
    EMAIL_COLUMN,
    ImportReport,
    OrderLedger,
    OrderRow,
    RowProblem,
    parse_row,
)

SOURCE = "shopify"
ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
REFUND_TOPIC = "refunds/create"
FINAL_STATUSES = frozenset({"refunded", "cancelled"})
#: Shopify retries a failed delivery for hours, not weeks; older delivery ids are forgotten.
DELIVERY_RETENTION = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)

Outcome = Literal["applied", "ignored", "replayed", "unknown_shop"]
Payload = Mapping[str, object]


def sign(secret: bytes, body: bytes) -> str:
    """The X-Shopify-Hmac-Sha256 value for a body: base64 of its HMAC-SHA256 with the secret."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether X-Shopify-Hmac-Sha256 is the HMAC-SHA256 of the raw body (constant-time)."""
    if not secret or not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):  # not base64, or not ASCII
        return False
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


def order_status(order: Payload) -> str | None:
    """The ledger status of an order payload, or None while it is not paid (not credited)."""
    financial = _text(order.get("financial_status")).lower()
    if order.get("cancelled_at") or financial == "voided":
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if financial in ("paid", "partially_refunded"):
        return "paid"
    return None


def discount_codes(order: Payload) -> list[str]:
    """The discount codes used on an order, normalized like members' codes, in order."""
    entries = order.get("discount_codes")
    if not isinstance(entries, list):
        return []
    codes = (
        normalize_code(entry["code"])
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("code"), str)
    )
    return [code for code in codes if code]


def customer_email(order: Payload) -> str:
    """The buyer's email (order.email, else customer.email); it is only ever hashed."""
    email = order.get("email")
    if not isinstance(email, str) or not email.strip():
        customer = order.get("customer")
        email = customer.get("email") if isinstance(customer, dict) else None
    return email.strip() if isinstance(email, str) else ""


def order_row(order: Payload, code: str, status: str, now: datetime) -> OrderRow | RowProblem:
    """An order payload as a validated ledger row, through the CSV line validator.

    The order id is Shopify's numeric `id` (refunds refer to it), the amount `total_price` in the
    shop's `currency`, and the email is hashed by the validator and never stored.
    """
    raw: dict[str, str | None] = {
        "order_id": _text(order.get("id")),
        "code": code,
        "amount": _text(order.get("total_price")),
        "currency": _text(order.get("currency")),
        "created_at": _text(order.get("created_at")),
        "status": status,
        EMAIL_COLUMN: customer_email(order),
    }
    return parse_row(1, raw, now)


def refund_covers(refund: Payload, amount_minor: int, currency: str, minor_digits: int) -> bool:
    """Whether one refund's successful refund transactions sum to at least the order's amount.

    A partial refund keeps the credit. Several partial refunds that add up to the whole order are
    not summed here: Shopify then sends orders/updated with financial_status refunded, which
    reverses the credit. A transaction in another currency cannot be compared and counts as
    partial for the same reason.
    """
    entries = refund.get("transactions")
    if not isinstance(entries, list):
        return False
    total = Decimal(0)
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if _text(entry.get("kind")) != "refund" or _text(entry.get("status")) != "success":
            continue
        if _text(entry.get("currency")).upper() not in ("", currency):
            return False
        try:
            amount = Decimal(_text(entry.get("amount")))
        except InvalidOperation:
            return False
        if not amount.is_finite():
            return False
        total += amount
    return total.scaleb(minor_digits) >= amount_minor


def _text(value: object) -> str:
    """A JSON scalar as the text a CSV cell would hold (ids are numbers in Shopify's JSON)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return ""


@dataclass(frozen=True)
class StoredOrder:
    """What the ledger holds about an order, for refunds and out-of-order deliveries."""

    code: str
    amount_minor: int
    currency: str
    ordered_at: datetime
    status: str


@dataclass(frozen=True)
class WebhookResult:
    """What a delivery did. `report.referrers` are the members whose credit changed."""

    outcome: Outcome
    guild_id: int | None = None
    report: ImportReport = field(default_factory=ImportReport)
    #: Why a delivery was ignored, for the log (never user-facing).
    reason: str = ""


class ShopifyWebhooks:
    """Applies verified Shopify deliveries to the order ledger of the shop's guild."""

    def __init__(
        self,
        db: Database,
        ledger: OrderLedger,
        codes: ReferralCodes,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._ledger = ledger
        self._codes = codes
        self._clock = clock
        # One delivery at a time: the replay check, the stored-status check and the import
        # then see each other's writes (webhooks are few; this costs nothing).
        self._lock = asyncio.Lock()
        self._pruned_at: datetime | None = None

    async def receive(
        self, shop_domain: str, topic: str, delivery_id: str, payload: Payload
    ) -> WebhookResult:
        """Apply one delivery (its HMAC already verified): unknown shop, replay, ignored or
        applied. A delivery id seen before changes nothing. The delivery is recorded after the
        import, so a crash in between means Shopify's retry applies it again, which is harmless:
        re-importing an order with the same status changes nothing."""
        guild_id = await self._guild(shop_domain)
        if guild_id is None:
            return WebhookResult("unknown_shop")
        async with self._lock:
            if await self._seen(delivery_id):
                return WebhookResult("replayed", guild_id)
            rows, reason = await self._rows(guild_id, topic.strip().lower(), payload)
            report = (
                await self._ledger.import_rows(guild_id, rows, source="webhook")
                if rows
                else ImportReport()
            )
            await self._record(delivery_id)
        return WebhookResult("applied" if rows else "ignored", guild_id, report, reason)

    async def _guild(self, shop_domain: str) -> int | None:
        try:
            return await self._codes.guild_for_shop(shop_domain)
        except DomainError:  # not even a domain: no guild can have it
            return None

    async def _rows(
        self, guild_id: int, topic: str, payload: Payload
    ) -> tuple[list[OrderRow | RowProblem], str]:
        if topic in ORDER_TOPICS:
            return await self._order_rows(guild_id, payload)
        if topic == REFUND_TOPIC:
            return await self._refund_rows(guild_id, payload)
        return [], f"topic {topic} is not used"

    async def _order_rows(
        self, guild_id: int, order: Payload
    ) -> tuple[list[OrderRow | RowProblem], str]:
        status = order_status(order)
        if status is None:
            return [], "not paid yet"
        codes = discount_codes(order)
        if not codes:
            return [], "no discount code"
        row = order_row(order, await self._member_code(guild_id, codes), status, self._clock())
        if isinstance(row, OrderRow) and row.status == "paid":
            stored = await self._stored(guild_id, row.order_id)
            if stored is not None and stored.status in FINAL_STATUSES:
                return [], f"order already {stored.status}"
        return [row], ""

    async def _refund_rows(
        self, guild_id: int, refund: Payload
    ) -> tuple[list[OrderRow | RowProblem], str]:
        order_id = _text(refund.get("order_id"))
        stored = await self._stored(guild_id, order_id) if order_id else None
        if stored is None:
            return [], "refund of an order not in the ledger"
        if stored.status != "paid":
            return [], f"order already {stored.status}"
        if not refund_covers(
            refund, stored.amount_minor, stored.currency, _minor_digits(stored.currency)
        ):
            return [], "partial refund: the credit stays"
        row = OrderRow(
            line=1,
            order_id=order_id,
            code=stored.code,
            amount_minor=stored.amount_minor,
            currency=stored.currency,
            ordered_at=stored.ordered_at,
            status="refunded",
        )
        return [row], ""

    async def _member_code(self, guild_id: int, codes: list[str]) -> str:
        """The first code that is a member's; else the first code (the ledger rejects it)."""
        for code in codes:
            if await self._codes.owner_of(guild_id, code) is not None:
                return code
        return codes[0]

    async def _stored(self, guild_id: int, order_id: str) -> StoredOrder | None:
        row = await self._db.fetch_one(
            "SELECT code, amount_minor, currency, ordered_at, status FROM referral_order "
            "WHERE guild_id = ? AND order_id = ?",
            (guild_id, order_id),
        )
        if row is None:
            return None
        ordered_at = datetime.fromisoformat(row["ordered_at"])
        return StoredOrder(
            code=row["code"],
            amount_minor=int(row["amount_minor"]),
            currency=row["currency"],
            ordered_at=ordered_at if ordered_at.tzinfo else ordered_at.replace(tzinfo=UTC),
            status=row["status"],
        )

    async def _seen(self, delivery_id: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM webhook_delivery WHERE source = ? AND delivery_id = ?",
            (SOURCE, delivery_id),
        )
        return row is not None

    async def _record(self, delivery_id: str) -> None:
        now = self._clock()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO webhook_delivery (source, delivery_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source, delivery_id) DO NOTHING",
                (SOURCE, delivery_id, iso(now)),
            )
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                await tx.execute(
                    "DELETE FROM webhook_delivery WHERE source = ? AND received_at < ?",
                    (SOURCE, iso(now - DELIVERY_RETENTION)),
                )
                self._pruned_at = now


def _minor_digits(currency: str) -> int:
    from babel.numbers import get_currency_precision  # as the ledger: imported on first use

    return int(get_currency_precision(currency))
