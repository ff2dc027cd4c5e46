"""Gateway discovery, application info, users and DM channels."""

from __future__ import annotations

from aiohttp import web

from . import payloads
from .rest_app import Routes, RouteSpec, json_response
from .rules import unknown


class CoreRoutes(Routes):
    """GET /gateway[/bot], /oauth2/applications/@me, /applications/@me, /users/..."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway_bot),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/users/@me", self.me),
            ("GET", "/users/{user_id}", self.user),
            ("POST", "/users/@me/channels", self.create_dm),
        ]

    async def gateway(self, request: web.Request) -> web.Response:
        """Gateway URL."""
        return json_response({"url": self.emu.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        """Gateway URL, shard count and session start limits."""
        return json_response(
            {
                "url": self.emu.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.emu.gateway.identify_count,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def application(self, request: web.Request) -> web.Response:
        """The bot's application."""
        emu = self.emu
        return json_response(
            {
                "id": str(emu.application_id),
                "name": emu.application_name,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": payloads.user(emu.app_owner),
                "verify_key": "0" * 64,
                "team": None,
                "flags": emu.application_flags,
                "bot": payloads.user(emu.bot_user),
                "rpc_origins": [],
                "tags": [],
                "install_params": None,
                "custom_install_url": None,
                "terms_of_service_url": None,
                "privacy_policy_url": None,
                "interactions_endpoint_url": None,
                "guild_id": None,
                "approximate_guild_count": len(self.state.guilds),
                "redirect_uris": [],
                "integration_types_config": {"0": {}},
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        """The bot user."""
        data = payloads.user(self.emu.bot_user)
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return json_response(data)

    async def user(self, request: web.Request) -> web.Response:
        """Any user."""
        user = self.state.users.get(self.int_param(request, "user_id"))
        if user is None:
            raise unknown("User", 10013)
        return json_response(payloads.user(user))

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or return) the DM channel with a recipient. Opening always works."""
        recipient = int(self.body(request).get("recipient_id", 0))
        if recipient not in self.state.users:
            raise unknown("User", 10013)
        return json_response(payloads.channel(self.state, self.state.dm_channel(recipient)))
