"""Localizes command names, descriptions, options and choices from the catalogs.

Keys are derived from where a string sits, so a command needs no extra markup:
`cmd.setup.channel.name`, `cmd.setup.channel.desc`, `opt.setup.channel.purpose.name`,
`opt.setup.channel.purpose.desc`, and `choice.<name>` for choices (spaces become `_`).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import DEFAULT_LOCALE, has_key, normalize_locale, t


def translation_key(context: app_commands.TranslationContextTypes) -> str | None:
    """The catalog key for a string of the command tree, or None for strings we don't localize."""
    data: Any = context.data
    where = context.location
    if where in (Where.command_name, Where.group_name):
        return f"cmd.{_dotted(data.qualified_name)}.name"
    if where in (Where.command_description, Where.group_description):
        return f"cmd.{_dotted(data.qualified_name)}.desc"
    if where in (Where.parameter_name, Where.parameter_description):
        suffix = "name" if where is Where.parameter_name else "desc"
        return f"opt.{_dotted(data.command.qualified_name)}.{data.name}.{suffix}"
    if where is Where.choice_name:
        return f"choice.{data.name.lower().replace(' ', '_')}"
    return None


def _dotted(qualified_name: str) -> str:
    return qualified_name.replace(" ", ".")


class CatalogTranslator(app_commands.Translator):
    """discord.py's translator hook, backed by our gettext catalogs."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The localized string, or None to let Discord show the default (English)."""
        ours = normalize_locale(locale)
        if ours is None or ours == DEFAULT_LOCALE:
            return None
        key = translation_key(context)
        if key is None or not has_key(key, ours):
            return None
        return t(key, ours)
