"""Catalogs and locale formatting for en-US, fr, pt-BR and da.

Catalogs are gettext `.po` files, `bot/locales/<locale>/LC_MESSAGES/messages.po`, the source of
truth. Each `msgid` is a stable key (`setup.saved`), each `msgstr` the text with named
`{placeholders}`. Babel's `.po` reader (with babel.dates and pytz, ~2 MiB of RSS) runs only when a
`.po` file changed: its messages are cached as JSON in `bot/locales/.compiled/` (not in git), named
by a hash of the `.po` bytes, and every later start reads that JSON with the standard library.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import string
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from babel import Locale

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
#: Our languages, as Discord names them (en-GB is served by en-US's catalog).
SUPPORTED_LOCALES: tuple[str, ...] = ("en-US", "fr", "pt-BR", "da")
LOCALE_NAMES: Mapping[str, str] = {
    "en-US": "English",
    "fr": "Français",
    "pt-BR": "Português (Brasil)",
    "da": "Dansk",
}
_ALIASES = {
    "en": "en-US",
    "en-us": "en-US",
    "en-gb": "en-US",
    "fr": "fr",
    "fr-fr": "fr",
    "pt": "pt-BR",
    "pt-br": "pt-BR",
    "da": "da",
    "da-dk": "da",
}
LOCALES_DIR = Path(__file__).parent / "locales"
#: Messages compiled from the `.po` files, one JSON file per locale and `.po` content (gitignored).
COMPILED_DIR = LOCALES_DIR / ".compiled"
#: Part of the cache key: bump it when the compiled form or its filtering changes.
_COMPILED_FORMAT = b"vouch-catalog-1"


def normalize_locale(value: object) -> str | None:
    """Map a Discord or POSIX locale (`en-GB`, `pt_BR`, `Locale.french`) to ours, or None."""
    raw = str(getattr(value, "value", value)).strip().replace("_", "-").lower()
    return _ALIASES.get(raw) or _ALIASES.get(raw.split("-")[0])


def resolve_locale(*candidates: object) -> str:
    """The first supported locale among the candidates, else English."""
    for candidate in candidates:
        if candidate is not None and (locale := normalize_locale(candidate)):
            return locale
    return DEFAULT_LOCALE


@dataclass(frozen=True)
class Text:
    """A message key given as a parameter; rendered in the reader's language with the message."""

    key: str


@dataclass(frozen=True)
class Catalog:
    """One language's messages, by key."""

    locale: str
    messages: Mapping[str, str]


def po_path(locale: str) -> Path:
    """The `.po` file of a supported locale."""
    return LOCALES_DIR / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def catalogs_fingerprint() -> str:
    """A digest of every `.po` file: it changes whenever any translation does (read from disk,
    without loading the catalogs)."""
    digest = hashlib.sha256()
    for locale in sorted(LOCALE_NAMES):
        digest.update(locale.encode() + b"\0" + po_path(locale).read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def catalog(locale: str) -> Catalog:
    """Load (once) the catalog of a supported locale."""
    messages = load_messages(locale, po_path(locale), COMPILED_DIR)
    # The four catalogs share their keys (one string each, not four): ~0.15 MiB.
    return Catalog(locale, {sys.intern(key): text for key, text in messages.items()})


def load_messages(locale: str, po: Path, compiled_dir: Path) -> dict[str, str]:
    """The messages of a `.po` file, from its JSON (compiled first when missing or stale)."""
    source = po.read_bytes()
    digest = hashlib.sha256(_COMPILED_FORMAT + b"\0" + source).hexdigest()[:20]
    compiled = compiled_dir / f"{locale}.{digest}.json"
    try:
        data: object = json.loads(compiled.read_bytes())
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return data
    messages = compile_po(source, locale)
    try:
        _store(compiled, messages)
    except OSError as exc:  # a read-only checkout: compile again on the next start
        log.warning("could not cache the %s catalog in %s: %s", locale, compiled_dir, exc)
    return messages


def compile_po(source: bytes, locale: str) -> dict[str, str]:
    """Read a `.po` file with Babel: translated, non-fuzzy messages by key, in file order."""
    from babel.messages.pofile import read_po  # only when a .po changed: ~2 MiB of RSS

    po = read_po(io.BytesIO(source), locale=locale.replace("-", "_"))
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def _store(path: Path, messages: Mapping[str, str]) -> None:
    """Write the compiled messages atomically, then drop this locale's stale compiled files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(messages, handle, ensure_ascii=False, indent=0)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    locale = path.name.split(".")[0]
    for stale in path.parent.glob(f"{locale}.*.json"):
        if stale != path:
            stale.unlink(missing_ok=True)


def has_key(key: str, locale: str) -> bool:
    """Whether a catalog holds a translation for the key."""
    return key in catalog(locale).messages


def placeholders(text: str) -> frozenset[str]:
    """The named placeholders of a message template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def t(key: str, locale: object = DEFAULT_LOCALE, /, **params: object) -> str:
    """The message for `key` in `locale` (falling back to English), formatted with `params`."""
    resolved = resolve_locale(locale)
    template = catalog(resolved).messages.get(key)
    if template is None:
        template = catalog(DEFAULT_LOCALE).messages.get(key)
        if template is None:
            log.error("missing translation key %r", key)
            return key
        log.warning("key %r missing in %s; using English", key, resolved)
    rendered = {name: _render_param(value, resolved) for name, value in params.items()}
    try:
        return template.format(**rendered)
    except (KeyError, IndexError, ValueError):
        log.exception("bad placeholders for key %r in %s", key, resolved)
        return template


def _render_param(value: object, locale: str) -> object:
    if isinstance(value, Text):
        return t(value.key, locale)
    if isinstance(value, tuple | list) and value and all(isinstance(v, Text) for v in value):
        return ", ".join(t(v.key, locale) for v in value)
    return value


def babel_locale(locale: object) -> Locale:
    """The Babel locale used to format dates and numbers."""
    from babel import Locale

    return Locale.parse(resolve_locale(locale).replace("-", "_"))


def format_number(value: float, locale: object) -> str:
    """A number written the way the locale writes numbers (1,234.5 / 1 234,5)."""
    from babel.numbers import format_decimal  # imported when first needed: ~1 MiB of RSS

    return format_decimal(value, locale=babel_locale(locale))


def format_money(minor: int, currency: str, locale: object) -> str:
    """An amount in a currency's minor unit, written the locale's way (€1,234.50 / 1 234,50 €)."""
    from babel.numbers import format_currency, get_currency_precision

    digits = int(get_currency_precision(currency))
    return format_currency(minor / 10**digits, currency, locale=babel_locale(locale))


def format_when(value: datetime, locale: object, tz: str = "UTC") -> str:
    """A date and time, medium format, in the locale and time zone."""
    from babel.dates import format_datetime  # imported when first needed: ~2 MiB of RSS

    return format_datetime(value, format="medium", tzinfo=ZoneInfo(tz), locale=babel_locale(locale))


def discord_timestamp(value: datetime, style: str = "F") -> str:
    """A Discord timestamp markup that each member sees in their own time zone."""
    return f"<t:{int(value.timestamp())}:{style}>"
