"""Catalogs and locale formatting for en-US, fr, pt-BR and da.

Catalogs are gettext `.po` files, `bot/locales/<locale>/LC_MESSAGES/messages.po`, read by Babel.
Each `msgid` is a stable key (`setup.saved`), each `msgstr` the text with named `{placeholders}`.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.messages.pofile import read_po

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


def _catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"


@cache
def catalog(locale: str) -> Catalog:
    """Load (once) the catalog of a supported locale."""
    with _catalog_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale.replace("-", "_"))
    messages = {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }
    return Catalog(locale=locale, messages=messages)


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
