"""aiohttp application: recording middleware, faults, auth, error mapping, route helpers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .recording import RecordedCall, UploadedFile
from .rules import DiscordError, missing_permissions, unknown
from .state import Channel, Guild, Member, Role

if TYPE_CHECKING:
    from .emulator import EmulatorCore
    from .server import Emulator

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteSpec = tuple[str, str, Handler]
EMU_KEY: web.AppKey[Any] = web.AppKey("emulator", object)
BODY_KEY: web.RequestKey[Any] = web.RequestKey("body", object)
FILES_KEY: web.RequestKey[list[UploadedFile]] = web.RequestKey("files", list)
NO_AUTH_PREFIXES = ("/interactions/", "/webhooks/")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with Content-Type exactly `application/json` (no charset, as Discord sends)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def no_content() -> web.Response:
    """204 No Content."""
    return web.Response(status=204)


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    ctype = request.content_type
    files: list[UploadedFile] = []
    if ctype.startswith("multipart/"):
        payload: Any = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read(decode=False)
            if name == "payload_json":
                payload = json.loads(bytes(data))
            else:
                files.append(
                    UploadedFile(
                        name, part.filename or name, bytes(data), part.headers.get("Content-Type")
                    )
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode(errors="replace"), files


def make_middleware(emu: EmulatorCore) -> Any:
    """Middleware recording every call, applying faults/auth and mapping DiscordError."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        rel = request.path[len(API_PREFIX) :]
        body, files = await _read_body(request)
        request[BODY_KEY], request[FILES_KEY] = body, files
        headers = {
            k: v
            for k, v in request.headers.items()
            if k in ("Content-Type", "X-Audit-Log-Reason", "User-Agent")
        }
        headers["Authorization"] = "present" if "Authorization" in request.headers else "absent"
        call = RecordedCall(
            len(emu.calls), request.method, rel, dict(request.query), body, files, headers
        )
        emu.calls.append(call)
        response = await _respond(emu, request, handler, call, rel)
        call.status = response.status
        if isinstance(response, web.Response) and response.body is not None:
            try:
                call.response = json.loads(bytes(response.body))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                call.response = None
        emu.call_waiters.notify(call)
        return response

    return middleware


async def _respond(
    emu: EmulatorCore, request: web.Request, handler: Handler, call: RecordedCall, rel: str
) -> web.StreamResponse:
    fault = emu.take_fault(call)
    if fault is not None:
        return json_response(fault.body(), fault.status, fault.headers())
    authorized = request.headers.get("Authorization") == f"Bot {emu.token}"
    if not rel.startswith(NO_AUTH_PREFIXES) and not authorized:
        return json_response({"message": "401: Unauthorized", "code": 0}, 401)
    try:
        return await handler(request)
    except DiscordError as exc:
        if exc.violation:
            emu.violations.append(f"{call.method} {rel}: {exc.violation}")
        return json_response(exc.body(), exc.status)
    except web.HTTPMethodNotAllowed:
        call.unhandled = True
        emu.unhandled.append(call)
        return json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
    except web.HTTPNotFound:
        call.unhandled = True
        emu.unhandled.append(call)
        return json_response({"message": "404: Not Found", "code": 0}, 404)
    except Exception as exc:
        emu.violations.append(f"EMULATOR BUG in {call.method} {rel}: {exc!r}")
        return json_response({"message": f"emulator error: {exc!r}", "code": 0}, 400)


class Routes:
    """Base for route groups: lookups and permission checks shared by handlers."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.state = emu.state

    def routes(self) -> list[RouteSpec]:
        """(method, path template relative to /api/v10, handler) triples."""
        raise NotImplementedError

    @staticmethod
    def body(request: web.Request) -> dict[str, Any]:
        """Parsed JSON (or payload_json) body."""
        data = request.get(BODY_KEY)
        return data if isinstance(data, dict) else {}

    @staticmethod
    def body_list(request: web.Request) -> list[Any]:
        """Parsed JSON body when it is an array (bulk endpoints)."""
        data = request.get(BODY_KEY)
        return data if isinstance(data, list) else []

    @staticmethod
    def files(request: web.Request) -> list[UploadedFile]:
        """Uploaded multipart files."""
        return list(request.get(FILES_KEY) or [])

    @staticmethod
    def int_param(request: web.Request, name: str) -> int:
        """A snowflake from the path; non-numeric ids are 404s."""
        value = request.match_info[name]
        if not value.isdigit():
            raise DiscordError(404, 0, "404: Not Found")
        return int(value)

    def guild(self, request: web.Request) -> Guild:
        """Guild from {guild_id}; the bot must be a member."""
        guild = self.state.guilds.get(self.int_param(request, "guild_id"))
        if guild is None or self.emu.bot_user.id not in guild.members:
            raise unknown("Guild", 10004)
        return guild

    def channel(self, request: web.Request) -> Channel:
        """Channel from {channel_id}."""
        channel = self.state.channels.get(self.int_param(request, "channel_id"))
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def role(self, guild: Guild, request: web.Request) -> Role:
        """Role from {role_id}."""
        role = guild.roles.get(self.int_param(request, "role_id"))
        if role is None:
            raise unknown("Role", 10011)
        return role

    def member(self, guild: Guild, request: web.Request) -> Member:
        """Member from {user_id}."""
        member = guild.members.get(self.int_param(request, "user_id"))
        if member is None:
            raise unknown("Member", 10007)
        return member

    def require(self, guild: Guild, perm: int, what: str, channel: Channel | None = None) -> None:
        """Raise 403 50013 unless the bot has `perm` (in `channel` if given)."""
        bot = self.emu.bot_user.id
        perms = (
            self.state.channel_permissions(channel, bot)
            if channel is not None
            else self.state.base_permissions(guild, bot)
        )
        if not perms & perm:
            raise missing_permissions(what)

    def require_below_bot(self, guild: Guild, role: Role, what: str) -> None:
        """Hierarchy: a role at or above the bot's top role cannot be managed (owner excepted)."""
        bot = self.emu.bot_user.id
        if bot == guild.owner_id:
            return
        if role.position >= self.state.top_position(guild, bot):
            raise missing_permissions(
                f"{what}: role {role.name!r} (position {role.position}) is not below the bot's "
                f"top role (position {self.state.top_position(guild, bot)})"
            )


async def _serve_file(request: web.Request) -> web.Response:
    """The CDN: an attachment's bytes, as Discord's CDN serves them."""
    emu = request.app[EMU_KEY]
    found = emu.state.files.get(int(request.match_info["attachment_id"]))
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.data, content_type=found.content_type or "application/octet-stream"
    )


def build_app(emu: EmulatorCore, groups: list[Routes], ws_handler: Handler) -> web.Application:
    """Create the aiohttp app with every route group and the gateway websocket at '/'."""
    app = web.Application(middlewares=[make_middleware(emu)], client_max_size=64 * 1024 * 1024)
    app[EMU_KEY] = emu
    app.router.add_get("/", ws_handler)
    app.router.add_get("/cdn/attachments/0/{attachment_id}/{filename}", _serve_file)
    for group in groups:
        for method, path, handler in group.routes():
            app.router.add_route(method, API_PREFIX + path, handler)
    return app
