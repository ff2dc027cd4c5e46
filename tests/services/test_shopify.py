"""Shopify webhooks into the order ledger, on real SQLite, with Shopify's payload shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from bot.services import Services
from bot.services.referrals.shopify import (
    DELIVERY_RETENTION,
    order_status,
    sign,
    verify,
)
from tests.conftest import FakeClock

G = 1
SHOP = "vouch-test.myshopify.com"
MEMBER = 7
BUYER = "Buyer.One@Example.com"


def order(
    order_id: int = 5_512_345_678_901,
    *,
    codes: tuple[str, ...] = (),
    total: str = "49.90",
    currency: str = "EUR",
    financial: str = "paid",
    cancelled_at: str | None = None,
    email: str | None = BUYER,
) -> dict[str, Any]:
    """An order as Shopify's orders/* webhooks send it (the fields that matter, and a few more)."""
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "order_number": 1001,
        "email": email,
        "contact_email": email,
        "created_at": "2026-10-30T14:05:09+01:00",
        "updated_at": "2026-10-30T14:06:12+01:00",
        "processed_at": "2026-10-30T14:05:08+01:00",
        "cancelled_at": cancelled_at,
        "cancel_reason": "customer" if cancelled_at else None,
        "currency": currency,
        "presentment_currency": currency,
        "total_price": total,
        "subtotal_price": total,
        "total_discounts": "5.00",
        "financial_status": financial,
        "fulfillment_status": None,
        "test": False,
        "discount_codes": [
            {"code": code, "amount": "5.00", "type": "fixed_amount"} for code in codes
        ],
        "discount_applications": [],
        "customer": {"id": 7_000_111, "email": email, "first_name": "Ana", "last_name": "Silva"},
        "line_items": [{"id": 1, "title": "Boots", "quantity": 1, "price": total}],
    }


def refund(
    order_id: int = 5_512_345_678_901, *amounts: str, currency: str = "EUR"
) -> dict[str, Any]:
    """A refunds/create payload: one transaction per amount (successful refunds)."""
    return {
        "id": 9_330_000_001,
        "order_id": order_id,
        "created_at": "2026-11-01T09:00:00+01:00",
        "note": "damaged",
        "restock": True,
        "refund_line_items": [],
        "order_adjustments": [],
        "transactions": [
            {
                "id": 4_000 + n,
                "order_id": order_id,
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": "success",
                "amount": amount,
                "currency": currency,
            }
            for n, amount in enumerate(amounts)
        ],
    }


class Deliveries:
    """Numbered delivery ids, like X-Shopify-Webhook-Id."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"b54557e4-bdd9-4b37-8a5f-bf7d70b{self.n:05d}"


@pytest.fixture
def next_id() -> Deliveries:
    return Deliveries()


@pytest.fixture
async def code(services: Services) -> str:
    await services.referral_codes.set_settings(G, shop_domain=SHOP)
    return (await services.referral_codes.code_for(G, MEMBER, "Maya")).code


async def send(
    services: Services, next_id: Deliveries, topic: str, payload: dict[str, Any], shop: str = SHOP
) -> Any:
    return await services.shopify.receive(shop, topic, next_id(), payload)


# --- signatures -------------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    secret, body = b"shpss_0123456789abcdef", b'{"id": 1}'
    header = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    assert sign(secret, body) == header
    assert verify(secret, body, header)
    assert verify(secret, body, f" {header} ")


@pytest.mark.parametrize(
    "header",
    [None, "", "not base64!", "é" * 44, sign(b"other-secret", b'{"id": 1}'), sign(b"s", b"{}")],
)
def test_forged_or_missing_signatures_fail(header: str | None) -> None:
    assert not verify(b"s", b'{"id": 1}', header)


def test_an_empty_secret_verifies_nothing() -> None:
    assert not verify(b"", b"{}", sign(b"", b"{}"))


@pytest.mark.parametrize(
    ("financial", "cancelled_at", "status"),
    [
        ("paid", None, "paid"),
        ("partially_refunded", None, "paid"),
        ("refunded", None, "refunded"),
        ("voided", None, "cancelled"),
        ("paid", "2026-10-31T10:00:00+01:00", "cancelled"),
        ("refunded", "2026-10-31T10:00:00+01:00", "cancelled"),
        ("pending", None, None),
        ("authorized", None, None),
        ("partially_paid", None, None),
        ("", None, None),
    ],
)
def test_order_status(financial: str, cancelled_at: str | None, status: str | None) -> None:
    assert order_status(order(financial=financial, cancelled_at=cancelled_at)) == status


# --- orders -----------------------------------------------------------------------------------


async def test_paid_order_is_credited_and_the_email_is_never_stored(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(services, next_id, "orders/paid", order(codes=(code.lower(),)))
    assert (result.outcome, result.guild_id) == ("applied", G)
    assert (result.report.added, result.report.rejected) == (1, 0)
    assert result.report.referrers == {MEMBER}
    assert await services.orders.totals(G, MEMBER) == {"EUR": (1, 4990)}
    stored = await services.db.fetch_all("SELECT * FROM referral_order")
    assert [(r["order_id"], r["code"], r["source"]) for r in stored] == [
        ("5512345678901", code, "webhook")
    ]
    assert "example.com" not in repr([dict(r) for r in stored]).lower()


@pytest.mark.parametrize("total", ["1500", "1500.00"])
async def test_zero_decimal_currency(
    services: Services, code: str, next_id: Deliveries, total: str
) -> None:
    await send(
        services, next_id, "orders/create", order(codes=(code,), total=total, currency="JPY")
    )
    assert await services.orders.totals(G, MEMBER) == {"JPY": (1, 1500)}


async def test_an_impossible_amount_is_rejected(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(
        services, next_id, "orders/paid", order(codes=(code,), total="1500.5", currency="JPY")
    )
    assert [(p.key, p.value) for p in result.report.problems] == [("referral.row.amount", "1500.5")]
    assert await services.orders.totals(G, MEMBER) == {}


async def test_refunded_then_cancelled_orders_reverse_the_credit(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await send(services, next_id, "orders/paid", order(codes=(code,)))
    refunded = await send(
        services, next_id, "orders/updated", order(codes=(code,), financial="refunded")
    )
    assert (refunded.report.updated, refunded.report.referrers) == (1, {MEMBER})
    assert await services.orders.totals(G, MEMBER) == {}
    other = order(6_000_000_000_001, codes=(code,), cancelled_at="2026-10-31T10:00:00+01:00")
    cancelled = await send(services, next_id, "orders/cancelled", other)
    assert cancelled.report.added == 1
    statuses = await services.db.fetch_all(
        "SELECT order_id, status FROM referral_order ORDER BY order_id"
    )
    assert [tuple(r) for r in statuses] == [
        ("5512345678901", "refunded"),
        ("6000000000001", "cancelled"),
    ]


async def test_a_late_paid_delivery_never_revives_a_refunded_order(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await send(services, next_id, "orders/updated", order(codes=(code,), financial="refunded"))
    late = await send(services, next_id, "orders/paid", order(codes=(code,)))
    assert (late.outcome, late.reason) == ("ignored", "order already refunded")
    assert await services.orders.totals(G, MEMBER) == {}


async def test_partially_refunded_order_keeps_its_credit(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await send(services, next_id, "orders/paid", order(codes=(code,)))
    partial = await send(
        services, next_id, "orders/updated", order(codes=(code,), financial="partially_refunded")
    )
    assert (partial.report.unchanged, partial.report.referrers) == (1, set())
    assert await services.orders.totals(G, MEMBER) == {"EUR": (1, 4990)}


async def test_pending_orders_wait_for_payment(
    services: Services, code: str, next_id: Deliveries
) -> None:
    for financial in ("pending", "authorized"):
        waiting = await send(
            services, next_id, "orders/create", order(codes=(code,), financial=financial)
        )
        assert (waiting.outcome, waiting.reason) == ("ignored", "not paid yet")
    assert await services.db.fetch_all("SELECT 1 FROM referral_order") == []
    paid = await send(services, next_id, "orders/paid", order(codes=(code,)))
    assert paid.report.added == 1


async def test_order_without_discount_code_is_ignored(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(services, next_id, "orders/paid", order())
    assert (result.outcome, result.guild_id, result.reason) == ("ignored", G, "no discount code")
    assert result.report.added == result.report.rejected == 0
    assert await services.db.fetch_all("SELECT 1 FROM referral_order") == []


async def test_unknown_code_is_rejected_by_the_ledger(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(services, next_id, "orders/paid", order(codes=("WELCOME10",)))
    assert result.outcome == "applied"
    assert [(p.key, p.value) for p in result.report.problems] == [
        ("referral.row.unknown_code", "WELCOME10")
    ]
    assert await services.db.fetch_all("SELECT 1 FROM referral_order") == []


async def test_the_members_code_is_picked_among_several(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(services, next_id, "orders/paid", order(codes=("WELCOME10", code)))
    assert result.report.referrers == {MEMBER}
    assert await services.orders.totals(G, MEMBER) == {"EUR": (1, 4990)}


async def test_members_own_purchase_is_a_self_referral(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await services.referral_links.register_email(G, MEMBER, "buyer.one@example.com ")
    own = order(codes=(code,), email=None)
    own["customer"]["email"] = BUYER  # only the customer record has it
    await send(services, next_id, "orders/paid", own)
    rows = await services.db.fetch_all("SELECT self_referral FROM referral_order")
    assert [r["self_referral"] for r in rows] == [1]
    assert await services.orders.totals(G, MEMBER) == {}


# --- refunds ----------------------------------------------------------------------------------


async def test_full_refund_webhook_reverses_the_credit(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await send(services, next_id, "orders/paid", order(codes=(code,)))
    result = await send(
        services, next_id, "refunds/create", refund(5_512_345_678_901, "40.00", "9.90")
    )
    assert (result.outcome, result.report.updated, result.report.referrers) == (
        "applied",
        1,
        {MEMBER},
    )
    assert await services.orders.totals(G, MEMBER) == {}
    again = await send(services, next_id, "refunds/create", refund(5_512_345_678_901, "49.90"))
    assert (again.outcome, again.reason) == ("ignored", "order already refunded")


async def test_partial_refund_keeps_the_credit(
    services: Services, code: str, next_id: Deliveries
) -> None:
    await send(services, next_id, "orders/paid", order(codes=(code,)))
    partial = await send(services, next_id, "refunds/create", refund(5_512_345_678_901, "10.00"))
    assert (partial.outcome, partial.reason) == ("ignored", "partial refund: the credit stays")
    failed = refund(5_512_345_678_901, "49.90")
    failed["transactions"][0]["status"] = "failure"
    assert (await send(services, next_id, "refunds/create", failed)).outcome == "ignored"
    other_currency = refund(5_512_345_678_901, "60.00", currency="USD")
    assert (await send(services, next_id, "refunds/create", other_currency)).outcome == "ignored"
    assert await services.orders.totals(G, MEMBER) == {"EUR": (1, 4990)}


async def test_refund_of_a_jpy_order(services: Services, code: str, next_id: Deliveries) -> None:
    await send(services, next_id, "orders/paid", order(codes=(code,), total="3200", currency="JPY"))
    short = await send(
        services, next_id, "refunds/create", refund(5_512_345_678_901, "3199", currency="JPY")
    )
    assert short.outcome == "ignored"
    full = await send(
        services, next_id, "refunds/create", refund(5_512_345_678_901, "3200", currency="JPY")
    )
    assert full.report.updated == 1
    assert await services.orders.totals(G, MEMBER) == {}


async def test_refund_of_an_unknown_order_is_ignored(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(services, next_id, "refunds/create", refund(42, "10.00"))
    assert (result.outcome, result.reason) == ("ignored", "refund of an order not in the ledger")


# --- deliveries -------------------------------------------------------------------------------


async def test_a_replayed_delivery_changes_nothing(services: Services, code: str) -> None:
    first = await services.shopify.receive(SHOP, "orders/paid", "delivery-1", order(codes=(code,)))
    assert first.outcome == "applied"
    # The same delivery id, even with a different body, is a replay.
    refunded = order(codes=(code,), financial="refunded")
    replay = await services.shopify.receive(SHOP, "orders/updated", "delivery-1", refunded)
    assert (replay.outcome, replay.guild_id, replay.report.referrers) == ("replayed", G, set())
    assert await services.orders.totals(G, MEMBER) == {"EUR": (1, 4990)}
    ignored = await services.shopify.receive(SHOP, "orders/paid", "delivery-2", order())
    assert ignored.outcome == "ignored"
    again = await services.shopify.receive(SHOP, "orders/paid", "delivery-2", order())
    assert again.outcome == "replayed"


async def test_old_delivery_ids_are_forgotten(
    services: Services, code: str, clock: FakeClock
) -> None:
    await services.shopify.receive(SHOP, "orders/paid", "old", order())
    clock.advance(seconds=DELIVERY_RETENTION.total_seconds() + 3600)
    await services.shopify.receive(SHOP, "orders/paid", "new", order())
    rows = await services.db.fetch_all("SELECT delivery_id FROM webhook_delivery")
    assert [r["delivery_id"] for r in rows] == ["new"]


@pytest.mark.parametrize("shop", ["other.myshopify.com", "not a domain", ""])
async def test_unknown_shop_changes_nothing(
    services: Services, code: str, next_id: Deliveries, shop: str
) -> None:
    result = await send(services, next_id, "orders/paid", order(codes=(code,)), shop=shop)
    assert (result.outcome, result.guild_id) == ("unknown_shop", None)
    assert await services.db.fetch_all("SELECT 1 FROM referral_order") == []
    assert await services.db.fetch_all("SELECT 1 FROM webhook_delivery") == []


async def test_shop_domain_is_matched_as_shopify_sends_it(
    services: Services, code: str, next_id: Deliveries
) -> None:
    result = await send(
        services, next_id, "orders/paid", order(codes=(code,)), shop="Vouch-Test.myshopify.com"
    )
    assert result.guild_id == G


async def test_unused_topics_and_odd_payloads_are_ignored(
    services: Services, code: str, next_id: Deliveries
) -> None:
    product = await send(services, next_id, "products/update", {"id": 1, "title": "Boots"})
    assert (product.outcome, product.reason) == ("ignored", "topic products/update is not used")
    odd = await send(
        services,
        next_id,
        "orders/paid",
        {"financial_status": "paid", "discount_codes": [{"code": code}]},
    )
    assert [p.key for p in odd.report.problems] == ["referral.row.order_id"]
    assert await services.db.fetch_all("SELECT 1 FROM referral_order") == []
