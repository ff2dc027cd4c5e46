"""Application command storage, validation and the /applications/... routes."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, FormErrors, unknown

if TYPE_CHECKING:
    from .server import Emulator

JSON = dict[str, Any]
LOCALES = {
    "id",
    "da",
    "de",
    "en-GB",
    "en-US",
    "es-ES",
    "es-419",
    "fr",
    "hr",
    "it",
    "lt",
    "hu",
    "nl",
    "no",
    "pl",
    "pt-BR",
    "ro",
    "fi",
    "sv-SE",
    "vi",
    "tr",
    "cs",
    "el",
    "bg",
    "ru",
    "uk",
    "hi",
    "th",
    "zh-CN",
    "ja",
    "zh-TW",
    "ko",
}
NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


def _check_name(errors: FormErrors, path: tuple[str | int, ...], name: Any, chat: bool) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or (chat and name != name.lower()):
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def _check_localized(
    errors: FormErrors, path: tuple[str | int, ...], data: JSON, chat: bool
) -> None:
    _check_name(errors, (*path, "name"), data.get("name"), chat)
    desc = data.get("description", "")
    if chat and not 1 <= len(desc or "") <= 100:
        errors.add(
            (*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    for key in ("name_localizations", "description_localizations"):
        for locale, text in (data.get(key) or {}).items():
            if locale not in LOCALES:
                errors.add((*path, key), "INVALID_LOCALE", f"Invalid locale {locale!r}")
            elif key == "name_localizations":
                _check_name(errors, (*path, key, locale), text, chat)
            elif not 1 <= len(text or "") <= 100:
                errors.add(
                    (*path, key, locale),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )


def _check_options(errors: FormErrors, path: tuple[str | int, ...], options: list[JSON]) -> None:
    errors.max_len(path, options, 25)
    seen_optional = False
    for i, opt in enumerate(options):
        _check_localized(errors, (*path, i), opt, True)
        if opt.get("type") in (1, 2):
            _check_options(errors, (*path, i, "options"), opt.get("options") or [])
            continue
        if opt.get("required"):
            if seen_optional:
                errors.add(
                    (*path, i, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        errors.max_len((*path, i, "choices"), opt.get("choices"), 25)


def validate_commands(commands: list[JSON]) -> None:
    """Names, descriptions, localizations (valid locales only), option ordering and counts."""
    errors = FormErrors()
    names: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        chat = int(cmd.get("type", 1)) == 1
        _check_localized(errors, (i,), cmd, chat)
        key = (int(cmd.get("type", 1)), str(cmd.get("name")))
        if key in names:
            errors.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[1]}",
            )
        names.add(key)
        _check_options(errors, (i, "options"), cmd.get("options") or [])
    errors.raise_if_any("application commands")


class CommandRoutes(Routes):
    """PUT/GET/POST/PATCH/DELETE for global and guild application commands."""

    create_limit = 200

    def __init__(self, emu: Emulator) -> None:
        super().__init__(emu)
        self.stored: dict[int | None, dict[int, JSON]] = {}
        self.last_sync: dict[int | None, list[JSON]] = {}
        self.creates: dict[int | None, int] = {}

    def routes(self) -> list[RouteSpec]:
        base, guild = (
            "/applications/{app_id}/commands",
            "/applications/{app_id}/guilds/{guild_id}/commands",
        )
        specs: list[RouteSpec] = []
        for prefix in (base, guild):
            specs += [
                ("PUT", prefix, self.bulk),
                ("GET", prefix, self.list),
                ("POST", prefix, self.create),
                ("GET", prefix + "/{cmd_id}", self.get),
                ("PATCH", prefix + "/{cmd_id}", self.edit),
                ("DELETE", prefix + "/{cmd_id}", self.delete),
            ]
        return specs

    def _scope(self, request: web.Request) -> int | None:
        if self.int_param(request, "app_id") != self.emu.application_id:
            raise DiscordError(403, 50001, "Missing Access", violation="wrong application id")
        if "guild_id" in request.match_info:
            return self.guild(request).id
        return None

    def _payload(self, scope: int | None, cid: int, cmd: JSON, version: int) -> JSON:
        data: JSON = {
            "id": str(cid),
            "application_id": str(self.emu.application_id),
            "version": str(version),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "type": int(cmd.get("type", 1)),
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description", ""),
            "description_localizations": cmd.get("description_localizations"),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types", [0]),
            "nsfw": bool(cmd.get("nsfw", False)),
            "options": copy.deepcopy(cmd.get("options") or []),
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        else:
            data["dm_permission"] = cmd.get("dm_permission", True)
        return data

    def _upsert(self, scope: int | None, cmd: JSON, store: dict[int, JSON]) -> JSON:
        key = (int(cmd.get("type", 1)), cmd.get("name"))
        existing = next(
            (c for c in self.stored.get(scope, {}).values() if (c["type"], c["name"]) == key), None
        )
        if existing is None:
            self.creates[scope] = self.creates.get(scope, 0) + 1
            if self.creates[scope] > self.create_limit:
                raise DiscordError(
                    429,
                    30034,
                    "Max number of daily application command creates has been reached (200)",
                    violation=f"more than 200 command creates for {scope}",
                )
            cid = self.state.ids.make()
        else:
            cid = int(existing["id"])
        payload = self._payload(scope, cid, cmd, self.state.ids.make())
        store[cid] = payload
        return payload

    async def bulk(self, request: web.Request) -> web.Response:
        """Bulk overwrite: the stored set becomes exactly the body."""
        scope = self._scope(request)
        body = self.body_list(request)
        validate_commands(body)
        store: dict[int, JSON] = {}
        result = [self._upsert(scope, cmd, store) for cmd in body]
        self.stored[scope] = store
        self.last_sync[scope] = copy.deepcopy(result)
        return json_response(result)

    async def list(self, request: web.Request) -> web.Response:
        """List stored commands."""
        return json_response(list(self.stored.get(self._scope(request), {}).values()))

    async def create(self, request: web.Request) -> web.Response:
        """Create (or overwrite same-name) one command."""
        scope = self._scope(request)
        body = self.body(request)
        validate_commands([body])
        store = self.stored.setdefault(scope, {})
        new = not any(c["name"] == body.get("name") for c in store.values())
        return json_response(self._upsert(scope, body, store), 201 if new else 200)

    def _find(self, request: web.Request) -> tuple[int | None, JSON]:
        scope = self._scope(request)
        cmd = self.stored.get(scope, {}).get(self.int_param(request, "cmd_id"))
        if cmd is None:
            raise unknown("application command", 10063)
        return scope, cmd

    async def get(self, request: web.Request) -> web.Response:
        """Fetch one command."""
        return json_response(self._find(request)[1])

    async def edit(self, request: web.Request) -> web.Response:
        """Edit one command."""
        scope, cmd = self._find(request)
        merged = {**cmd, **self.body(request)}
        validate_commands([merged])
        payload = self._payload(scope, int(cmd["id"]), merged, self.state.ids.make())
        self.stored[scope][int(cmd["id"])] = payload
        return json_response(payload)

    async def delete(self, request: web.Request) -> web.Response:
        """Delete one command."""
        scope, cmd = self._find(request)
        del self.stored[scope][int(cmd["id"])]
        return no_content()

    def find_chat_command(self, guild_id: int | None, name: str) -> JSON | None:
        """A synced chat-input command by name: guild-scoped first, then global."""
        for scope in dict.fromkeys((guild_id, None)):
            for cmd in self.stored.get(scope, {}).values():
                if cmd["name"] == name and cmd["type"] == 1:
                    return cmd
        return None
