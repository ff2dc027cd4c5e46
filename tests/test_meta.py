"""The project's shape: layering, catalogs, and localized commands."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from discord import app_commands
from discord.app_commands import TranslationContext as Context
from discord.app_commands import TranslationContextLocation as Where

from bot.client import EXTENSIONS, VouchBot
from bot.db import Database
from bot.i18n import DEFAULT_LOCALE, LOCALE_NAMES, SUPPORTED_LOCALES, catalog, placeholders, t
from bot.services import Services
from bot.settings import Settings
from bot.translator import translation_key

ROOT = Path(__file__).resolve().parent.parent
OTHER_LOCALES = [loc for loc in SUPPORTED_LOCALES if loc != DEFAULT_LOCALE]
NAME = re.compile(r"^[-_\w]{1,32}$")


def imports_of(folder: Path) -> Iterator[tuple[Path, str]]:
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield path, node.module


def test_services_never_import_discord_cogs_or_the_bot() -> None:
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in imports_of(ROOT / "bot" / "services")
        if module.split(".")[0] in {"discord", "cogs"} or module in {"bot.client", "bot.ui"}
    ]
    assert bad == []


def test_core_never_imports_cogs() -> None:
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in imports_of(ROOT / "bot")
        if module.split(".")[0] == "cogs"
    ]
    assert bad == []


def test_nothing_outside_settings_reads_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "cogs")
        for path in (ROOT / folder).rglob("*.py")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert offenders == []


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_catalog_has_the_same_keys_and_placeholders(locale: str) -> None:
    english = catalog(DEFAULT_LOCALE).messages
    other = catalog(locale).messages
    assert sorted(set(english) - set(other)) == [], "missing translations"
    assert sorted(set(other) - set(english)) == [], "keys that English lacks"
    differing = {
        key: (placeholders(english[key]), placeholders(other[key]))
        for key in english
        if placeholders(english[key]) != placeholders(other[key])
    }
    assert differing == {}


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_translations_are_not_english_copies(locale: str) -> None:
    english = catalog(DEFAULT_LOCALE).messages
    other = catalog(locale).messages
    same = [key for key in english if other.get(key, "").casefold() == english[key].casefold()]
    assert len(same) <= len(english) * 0.1, same


def test_templates_are_well_formed() -> None:
    for locale in SUPPORTED_LOCALES:
        for key, text in catalog(locale).messages.items():
            list(string.Formatter().parse(text))  # raises on a stray brace
            assert text.strip(), (locale, key)


KEY_LITERAL = re.compile(
    r"""(?:DomainError|PermissionDenied|\bt|Text)\(\s*f?["']([a-z_]+(?:\.[a-z_{}]+)+)["']"""
)


def test_every_key_used_in_code_exists() -> None:
    english = catalog(DEFAULT_LOCALE).messages
    missing = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in KEY_LITERAL.findall(path.read_text()):
                if "{" in key:  # f-string: check the family exists
                    prefix = key.split("{")[0]
                    if not any(k.startswith(prefix) for k in english):
                        missing.append(f"{path.name}: {key}")
                elif key not in english:
                    missing.append(f"{path.name}: {key}")
    assert missing == []


@pytest.fixture(scope="module")
def command_tree(tmp_path_factory: pytest.TempPathFactory) -> app_commands.CommandTree:
    import asyncio

    db = Database(tmp_path_factory.mktemp("meta") / "unused.db")
    bot = VouchBot(Settings(_env_file=None, discord_token="x"), Services.build(db))  # type: ignore[call-arg]

    async def load() -> None:
        for extension in EXTENSIONS:
            await bot.load_extension(extension)

    asyncio.run(load())
    return bot.tree


def translatable(tree: app_commands.CommandTree) -> Iterator[tuple[str, str, str]]:
    """(key, English default, kind) for every localizable string of the tree."""

    def walk(command: app_commands.Command | app_commands.Group) -> Iterator[tuple[str, str, str]]:
        is_group = isinstance(command, app_commands.Group)
        where_name = Where.group_name if is_group else Where.command_name
        where_desc = Where.group_description if is_group else Where.command_description
        yield translation_key(Context(where_name, command)) or "", command.name, "name"  # type: ignore[arg-type]
        yield translation_key(Context(where_desc, command)) or "", command.description, "desc"  # type: ignore[arg-type]
        if isinstance(command, app_commands.Group):
            for child in command.commands:
                yield from walk(child)
            return
        for parameter in command.parameters:
            yield (
                translation_key(Context(Where.parameter_name, parameter)) or "",
                parameter.name,
                "name",
            )
            yield (
                translation_key(Context(Where.parameter_description, parameter)) or "",
                parameter.description,
                "desc",
            )
            for choice in parameter.choices:
                if choice.value not in LOCALE_NAMES:  # languages are shown in their own names
                    yield (
                        translation_key(Context(Where.choice_name, choice)) or "",
                        choice.name,
                        "choice",
                    )

    for command in tree.get_commands():
        yield from walk(command)  # type: ignore[arg-type]


def test_every_command_string_is_in_every_catalog(command_tree: app_commands.CommandTree) -> None:
    problems = []
    for key, default, kind in translatable(command_tree):
        assert key, default
        if kind == "desc" and (not default or default == "…"):
            problems.append(f"{key}: no description")
        if t(key, DEFAULT_LOCALE) != default:
            problems.append(f"{key}: English catalog differs from the code ({default!r})")
        for locale in OTHER_LOCALES:
            text = t(key, locale) if key in catalog(locale).messages else None
            if text is None:
                problems.append(f"{key}: missing in {locale}")
            elif kind == "name" and (not NAME.match(text) or text != text.lower()):
                problems.append(f"{key}: {text!r} is not a valid command name in {locale}")
            elif kind != "name" and not 1 <= len(text) <= 100:
                problems.append(f"{key}: {locale} text must be 1-100 characters")
    assert problems == []


def test_localized_sibling_names_are_unique(command_tree: app_commands.CommandTree) -> None:
    def siblings(commands: list[app_commands.Command | app_commands.Group]) -> Iterator[list[str]]:
        yield [translation_key(Context(Where.command_name, c)) or "" for c in commands]  # type: ignore[arg-type]
        for command in commands:
            if isinstance(command, app_commands.Group):
                yield from siblings(command.commands)  # type: ignore[arg-type]
            else:
                yield [
                    translation_key(Context(Where.parameter_name, p)) or ""
                    for p in command.parameters
                ]

    for locale in SUPPORTED_LOCALES:
        for keys in siblings(command_tree.get_commands()):  # type: ignore[arg-type]
            names = [catalog(locale).messages[key] for key in keys]
            assert len(names) == len(set(names)), (locale, names)
