"""Shopify webhooks end to end: real HTTP requests to the real bot's receiver on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.errors import StartupError
from bot.i18n import t
from bot.services.referrals.shopify import sign
from bot.webhooks import MAX_BODY, SHOPIFY_PATH
from tests.emulator import Emulator
from tests.harness import BotHarness

from .conftest import CustomHarness, HarnessFactory
from .helpers import ephemeral_text
from .membership_helpers import Community, build_community

SECRET = "shpss_e2e_0123456789abcdef0123456789abcdef"
SHOP = "vouch-test.myshopify.com"
ORDER_ID = 5_512_345_678_901


def with_webhooks(h: CustomHarness) -> None:
    """WEBHOOK_PORT=0 (any free port) and a secret, as the environment would give them."""
    h.settings = h.settings.model_copy(
        update={"webhook_port": 0, "shopify_webhook_secret": SecretStr(SECRET)}
    )


@pytest_asyncio.fixture
async def community(make_harness: HarnessFactory) -> Community:
    return await build_community(await make_harness(before_start=with_webhooks))


def paid_order(code: str, order_id: int = ORDER_ID, financial: str = "paid") -> bytes:
    return json.dumps(
        {
            "id": order_id,
            "name": "#1001",
            "email": "ana@example.com",
            "created_at": "2026-10-30T14:05:09+01:00",
            "currency": "EUR",
            "total_price": "49.90",
            "financial_status": financial,
            "cancelled_at": None,
            "discount_codes": [{"code": code, "amount": "5.00", "type": "fixed_amount"}],
            "customer": {"id": 7_000_111, "email": "ana@example.com"},
        }
    ).encode()


def full_refund(order_id: int = ORDER_ID) -> bytes:
    transaction = {"kind": "refund", "status": "success", "amount": "49.90", "currency": "EUR"}
    return json.dumps({"id": 1, "order_id": order_id, "transactions": [transaction]}).encode()


async def post(
    h: BotHarness,
    body: bytes,
    *,
    delivery: str,
    topic: str = "orders/paid",
    shop: str = SHOP,
    signature: str | None = None,
    chunked: AsyncIterator[bytes] | None = None,
) -> tuple[int, str]:
    """POST like Shopify does; signed with the configured secret unless a signature is given."""
    assert h.bot.webhooks is not None and h.bot.webhooks.port
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Hmac-Sha256": signature
        if signature is not None
        else sign(SECRET.encode(), body),
    }
    url = f"http://127.0.0.1:{h.bot.webhooks.port}{SHOPIFY_PATH}"
    data: Any = io.BytesIO(body) if chunked is None else chunked
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=headers) as r,
    ):
        return r.status, await r.text()


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    """The body sent with chunked transfer encoding: no Content-Length to refuse it by."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


async def totals(c: Community) -> dict[str, tuple[int, int]]:
    return await c.h.bot.services.orders.totals(c.guild_id, c.sponsor)


async def test_signed_orders_are_credited_and_everything_else_changes_nothing(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    c, h, emu = community, community.h, community.emu
    saved = await ephemeral_text(
        await h.slash(
            "setup", ["referrals", "settings"], {"shop": "https://Vouch-Test.myshopify.com/"}
        )
    )
    assert SHOP in saved
    milestone = await h.slash(
        "setup", ["referrals", "milestone"], {"orders": 1, "role": c.role("leader")}
    )
    assert await ephemeral_text(milestone) == t(
        "setup.referrals.milestone_line", "en-US", orders=1, role=f"<@&{c.role('leader')}>"
    )
    code = (await h.bot.services.referral_codes.code_for(c.guild_id, c.sponsor, "Sam")).code
    mark = len(emu.messages_log)

    assert await post(h, paid_order(code), delivery="d-1") == (200, "ok\n")
    assert await totals(c) == {"EUR": (1, 4990)}
    # The import told the rewards cog (bot.dispatch("referral_orders", ...)): milestone reached.
    announced = await emu.wait_for_message(c.channel("announcements"), after=mark)
    assert announced.content == t("referral.announce", "en-US", member=f"<@{c.sponsor}>", orders=1)

    other = paid_order(code, order_id=ORDER_ID + 1)
    caplog.set_level(logging.WARNING, logger="bot.webhooks")
    forged = sign(b"not-the-secret", other)
    assert await post(h, other, delivery="d-2", signature=forged) == (401, "invalid signature\n")
    assert await post(h, other, delivery="d-3", signature="") == (401, "invalid signature\n")
    assert "wrong HMAC" in caplog.text
    assert "missing HMAC" in caplog.text
    assert "ana@example.com" not in caplog.text  # the body is never logged

    refunded = paid_order(code, financial="refunded")
    assert await post(h, refunded, delivery="d-1", topic="orders/updated") == (200, "ok\n")
    assert (await post(h, other, delivery="d-4", shop="stranger.myshopify.com"))[0] == 404
    assert "unknown shop 'stranger.myshopify.com'" in caplog.text
    assert (await post(h, b'{"id": 1,', delivery="d-5"))[0] == 400
    assert (await post(h, b"[1, 2]", delivery="d-6"))[0] == 400
    too_big = b"{" + b" " * MAX_BODY + b"}"
    assert (await post(h, too_big, delivery="d-7"))[0] == 413  # by its Content-Length
    assert (await post(h, too_big, delivery="d-7", chunked=chunks(too_big)))[0] == 413
    assert await totals(c) == {"EUR": (1, 4990)}
    stored = await h.bot.services.db.fetch_all(
        "SELECT order_id FROM referral_order WHERE guild_id = ?", (c.guild_id,)
    )
    assert [row["order_id"] for row in stored] == [str(ORDER_ID)]

    await h.restart()
    # The delivery id is remembered across the restart: the replay still changes nothing.
    assert await post(h, refunded, delivery="d-1", topic="orders/updated") == (200, "ok\n")
    assert await totals(c) == {"EUR": (1, 4990)}
    assert await post(h, full_refund(), delivery="d-8", topic="refunds/create") == (200, "ok\n")
    assert await totals(c) == {}


async def test_health_and_wrong_methods(community: Community) -> None:
    assert community.h.bot.webhooks is not None
    base = f"http://127.0.0.1:{community.h.bot.webhooks.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/healthz") as health:
            assert (health.status, await health.text()) == (200, "ok\n")
        async with session.get(f"{base}{SHOPIFY_PATH}") as wrong_method:
            assert wrong_method.status == 405
        async with session.post(f"{base}/webhooks/other", data=b"{}") as elsewhere:
            assert elsewhere.status == 404


async def test_signed_delivery_without_shopify_headers_is_refused(community: Community) -> None:
    h = community.h
    assert (await post(h, b"{}", delivery=" ")) == (
        400,
        "missing X-Shopify-Shop-Domain, X-Shopify-Topic or X-Shopify-Webhook-Id\n",
    )


async def test_webhooks_are_off_unless_configured(harness: BotHarness) -> None:
    assert harness.settings.webhook_port is None
    assert harness.bot.webhooks is None


async def test_a_port_in_use_stops_the_startup_with_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    h = CustomHarness(emulator, tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with_webhooks(h)
        h.settings = h.settings.model_copy(update={"webhook_port": port})
        with pytest.raises(StartupError) as caught:
            await h.start()
        with pytest.raises(StartupError):  # stopping awaits the failed bot: the same error
            await h.stop()
    assert str(caught.value).startswith(f"cannot listen for store webhooks on 127.0.0.1:{port}")
    assert "\n" not in str(caught.value)
