"""The optional HTTP receiver for store webhooks (Shopify), run by VouchBot when configured.

POST /webhooks/shopify: the body is read (1 MiB at most), its HMAC verified before anything else,
then parsed and handed to `ShopifyWebhooks`. Replies are for Shopify, not people: short English.

    200  applied, ignored (no discount code, not paid yet, unused topic) or a replay
    400  missing Shopify headers, or a body that is not a JSON object
    401  missing or wrong X-Shopify-Hmac-Sha256 (logged without the body)
    404  a shop no server linked with /setup referrals settings shop: (Shopify retries it)
    413  a body over 1 MiB

GET /healthz answers 200 for the reverse proxy or a monitor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.errors import StartupError
from bot.services.referrals.shopify import ShopifyWebhooks, verify

log = logging.getLogger(__name__)

SHOPIFY_PATH = "/webhooks/shopify"
HEALTH_PATH = "/healthz"
MAX_BODY = 1024 * 1024
MAX_DELIVERY_ID = 128
#: The custom discord.py event cogs listen to with `on_referral_orders(guild_id, referrers)`.
ORDERS_EVENT = "referral_orders"
SHUTDOWN_SECONDS = 5.0

Dispatch = Callable[..., None]


def _reply(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


class WebhookServer:
    """An aiohttp server on WEBHOOK_HOST:WEBHOOK_PORT, started and stopped by the bot."""

    def __init__(
        self,
        service: ShopifyWebhooks,
        secret: bytes,
        *,
        host: str,
        port: int,
        dispatch: Dispatch,
    ) -> None:
        self._service = service
        self._secret = secret
        self._host = host
        self._requested_port = port
        self._dispatch = dispatch
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the bound port once started (WEBHOOK_PORT=0 picks one)

    def application(self) -> web.Application:
        """The routes; aiohttp refuses bodies over MAX_BODY with 413 as they are read."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(SHOPIFY_PATH, self._shopify)
        app.router.add_get(HEALTH_PATH, self._health)
        return app

    async def start(self) -> None:
        """Listen; a port that cannot be bound stops the startup with one line."""
        runner = web.AppRunner(
            self.application(), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._requested_port).start()
        except OSError as exc:
            await runner.cleanup()
            raise StartupError(
                f"cannot listen for store webhooks on {self._host}:{self._requested_port} "
                f"(WEBHOOK_HOST, WEBHOOK_PORT): {exc.strerror or exc}"
            ) from None
        self._runner = runner
        address: Any = runner.addresses[0]
        self.port = int(address[1])
        log.info("store webhooks listening on %s:%d%s", self._host, self.port, SHOPIFY_PATH)

    async def stop(self) -> None:
        """Stop listening; requests being handled get SHUTDOWN_SECONDS to finish."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        return _reply(200, "ok")

    async def _shopify(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _reply(413, "payload too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _reply(413, "payload too large")
        headers = request.headers
        shop = headers.get("X-Shopify-Shop-Domain", "").strip()
        signature = headers.get("X-Shopify-Hmac-Sha256")
        if not verify(self._secret, body, signature):
            log.warning(
                "shopify webhook refused: %s HMAC (shop %r, %d bytes)",
                "missing" if not signature else "wrong",
                shop[:255],
                len(body),
            )
            return _reply(401, "invalid signature")
        topic = headers.get("X-Shopify-Topic", "").strip()
        delivery_id = (
            headers.get("X-Shopify-Webhook-Id") or headers.get("X-Shopify-Event-Id") or ""
        ).strip()
        if not shop or not topic or not delivery_id or len(delivery_id) > MAX_DELIVERY_ID:
            return _reply(
                400, "missing X-Shopify-Shop-Domain, X-Shopify-Topic or X-Shopify-Webhook-Id"
            )
        try:
            payload = json.loads(body)
        except ValueError:  # also bytes that are not UTF-8
            return _reply(400, "body is not JSON")
        if not isinstance(payload, dict):
            return _reply(400, "body is not a JSON object")
        result = await self._service.receive(shop, topic, delivery_id, payload)
        if result.outcome == "unknown_shop":
            log.warning("shopify webhook for unknown shop %r (%s)", shop[:255], topic[:64])
            return _reply(404, "unknown shop")
        report = result.report
        log.info(
            "shopify %s %s for guild %s: %s%s added=%d updated=%d unchanged=%d rejected=%d",
            topic[:64],
            delivery_id,
            result.guild_id,
            result.outcome,
            f" ({result.reason})" if result.reason else "",
            report.added,
            report.updated,
            report.unchanged,
            report.rejected,
        )
        for problem in report.problems:
            log.warning(
                "shopify %s %s rejected: %s %r", topic[:64], delivery_id, problem.key, problem.value
            )
        if result.guild_id is not None and report.referrers:
            self._dispatch(ORDERS_EVENT, result.guild_id, set(report.referrers))
        return _reply(200, "ok")
