"""Discord's validation rules and error shapes (400 50035 Invalid Form Body and friends)."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
EPHEMERAL, LOADING, COMPONENTS_V2 = 1 << 6, 1 << 7, 1 << 15


class DiscordError(Exception):
    """An API error; the REST layer turns it into `{"code", "message", "errors"?}` JSON.

    `violation` (if set) is appended to `emu.violations` so tests notice it.
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: JSON | None = None,
        violation: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message = status, code, message
        self.errors, self.violation = errors, violation

    def body(self) -> JSON:
        """JSON body Discord returns."""
        data: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def missing_permissions(what: str) -> DiscordError:
    """403 50013 Missing Permissions, recorded as a violation."""
    return DiscordError(
        403, 50013, "Missing Permissions", violation=f"50013 Missing Permissions: {what}"
    )


def unknown(kind: str, code: int) -> DiscordError:
    """404 Unknown <kind>."""
    return DiscordError(404, code, f"Unknown {kind}")


class FormErrors:
    """Collects nested `errors` entries for a 50035 Invalid Form Body response."""

    def __init__(self) -> None:
        self.tree: JSON = {}
        self.flat: list[str] = []

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at a body path such as ("embeds", 0, "title")."""
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
        self.flat.append(f"{'.'.join(map(str, path))}: {message}")

    def max_len(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        """Error if `value` (str or list) is longer than `limit`."""
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self, context: str) -> None:
        """Raise 400 50035 if anything was recorded."""
        if self.tree:
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                errors=self.tree,
                violation=f"50035 Invalid Form Body ({context}): " + "; ".join(self.flat),
            )


def embed_size(embed: JSON) -> int:
    """Characters counted toward the 6000 limit."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def check_embeds(errors: FormErrors, embeds: list[JSON]) -> None:
    """Embed limits: 10 embeds, title 256, description 4096, 25 fields, 6000 total."""
    errors.max_len(("embeds",), embeds, 10)
    for i, e in enumerate(embeds):
        errors.max_len(("embeds", i, "title"), e.get("title"), 256)
        errors.max_len(("embeds", i, "description"), e.get("description"), 4096)
        errors.max_len(("embeds", i, "fields"), e.get("fields"), 25)
        errors.max_len(("embeds", i, "footer", "text"), (e.get("footer") or {}).get("text"), 2048)
        errors.max_len(("embeds", i, "author", "name"), (e.get("author") or {}).get("name"), 256)
        for j, f in enumerate(e.get("fields") or []):
            for key, limit in (("name", 256), ("value", 1024)):
                value = f.get(key)
                if not value:
                    errors.add(
                        ("embeds", i, "fields", j, key),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )
                errors.max_len(("embeds", i, "fields", j, key), value, limit)
    if sum(embed_size(e) for e in embeds) > 6000:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )


def _check_item(
    errors: FormErrors, path: tuple[str | int, ...], item: JSON, seen: set[str]
) -> None:
    ctype = item.get("type")
    cid = item.get("custom_id")
    if cid is not None:
        errors.max_len((*path, "custom_id"), cid, 100)
        if cid in seen:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(cid)
    if ctype == 2:
        errors.max_len((*path, "label"), item.get("label"), 80)
        if item.get("style") == 5:
            if not item.get("url") or cid is not None:
                errors.add(path, "BUTTON_COMPONENT_INVALID_URL", "Link buttons need a url only")
        elif item.get("style") != 6 and not cid:
            errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    elif ctype in (3, 5, 6, 7, 8):
        errors.max_len((*path, "placeholder"), item.get("placeholder"), 150)
        if not cid:
            errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        if ctype == 3:
            options = item.get("options") or []
            errors.max_len((*path, "options"), options, 25)
            if not options:
                errors.add(
                    (*path, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
                )
            for k, opt in enumerate(options):
                for key in ("label", "value", "description"):
                    errors.max_len((*path, "options", k, key), opt.get(key), 100)
        if int(item.get("max_values", 1)) > 25:
            errors.add((*path, "max_values"), "NUMBER_TYPE_MAX", "int value should be <= 25.")


def check_components(errors: FormErrors, components: list[JSON], flags: int = 0) -> None:
    """Message components: 5 rows, 5 buttons a row, selects alone, custom_id 100, labels 80."""
    seen: set[str] = set()
    if flags & COMPONENTS_V2:
        _walk_v2(errors, ("components",), components, seen)
        return
    errors.max_len(("components",), components, 5)
    for i, row in enumerate(components):
        path: tuple[str | int, ...] = ("components", i)
        if row.get("type") != 1:
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", "Top-level component must be a row")
            continue
        children = row.get("components") or []
        errors.max_len((*path, "components"), children, 5)
        if not children:
            errors.add(
                (*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
            )
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(children) > 1:
            errors.add(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, item in enumerate(children):
            _check_item(errors, (*path, "components", j), item, seen)


def _walk_v2(
    errors: FormErrors, path: tuple[str | int, ...], items: list[JSON], seen: set[str]
) -> None:
    for i, item in enumerate(items):
        _check_item(errors, (*path, i), item, seen)
        if isinstance(item.get("components"), list):
            _walk_v2(errors, (*path, i, "components"), item["components"], seen)
        if isinstance(item.get("accessory"), dict):
            _check_item(errors, (*path, i, "accessory"), item["accessory"], seen)


def check_message(body: JSON, *, has_files: bool = False, context: str = "message") -> None:
    """Validate a message create/edit body; raise DiscordError on failure."""
    errors = FormErrors()
    errors.max_len(("content",), body.get("content"), 2000)
    check_embeds(errors, body.get("embeds") or [])
    check_components(errors, body.get("components") or [], int(body.get("flags") or 0))
    errors.raise_if_any(context)


def check_not_empty(body: JSON, *, has_files: bool) -> None:
    """Creating a message with nothing in it fails with 50006."""
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or has_files
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise DiscordError(
            400,
            50006,
            "Cannot send an empty message",
            violation="50006 Cannot send an empty message",
        )


def _text_input(
    errors: FormErrors,
    path: tuple[str | int, ...],
    item: JSON,
    seen: set[str],
    *,
    legacy_label: bool,
) -> None:
    _check_item(errors, path, item, seen)
    if item.get("type") == 4:
        if legacy_label:
            errors.max_len((*path, "label"), item.get("label"), 45)
        errors.max_len((*path, "placeholder"), item.get("placeholder"), 100)
        errors.max_len((*path, "value"), item.get("value"), 4000)
        for key in ("min_length", "max_length"):
            if item.get(key) is not None and not 0 <= int(item[key]) <= 4000:
                errors.add((*path, key), "NUMBER_TYPE_MAX", "int value should be <= 4000.")


def check_modal(data: JSON) -> None:
    """Modal: title 45, custom_id 100, 1-5 components, text inputs max_length 4000."""
    errors = FormErrors()
    title = data.get("title")
    if not title:
        errors.add(("data", "title"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.max_len(("data", "title"), title, 45)
    errors.max_len(("data", "custom_id"), data.get("custom_id"), 100)
    comps = data.get("components") or []
    errors.max_len(("data", "components"), comps, 5)
    if not comps:
        errors.add(("data", "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    seen: set[str] = set()
    for i, comp in enumerate(comps):
        path: tuple[str | int, ...] = ("data", "components", i)
        if comp.get("type") == 1:
            for j, item in enumerate(comp.get("components") or []):
                _text_input(errors, (*path, "components", j), item, seen, legacy_label=True)
        elif comp.get("type") == 18:
            errors.max_len((*path, "label"), comp.get("label"), 45)
            _text_input(
                errors, (*path, "component"), comp.get("component") or {}, seen, legacy_label=False
            )
    errors.raise_if_any("modal")
