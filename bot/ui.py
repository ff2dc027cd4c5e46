"""The one place errors become messages, and the base classes every view and modal uses."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import discord
from discord import app_commands

from bot.checks import CheckRefused
from bot.errors import DomainError
from bot.i18n import Text, t

log = logging.getLogger(__name__)

P = ParamSpec("P")
S = TypeVar("S")


def error_message(error: BaseException, locale: object) -> str:
    """The localized text a user sees for an error; unexpected ones are logged with a reference."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        cause = error.__cause__ or getattr(error, "original", None)
        if isinstance(error, app_commands.TransformerError) and not isinstance(cause, Exception):
            return t("errors.bad_input", locale)
        if isinstance(cause, BaseException):
            error = cause
    if isinstance(error, CheckRefused):
        error = error.reason
    if isinstance(error, DomainError):
        return t(error.key, locale, **error.params)
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("errors.guild_only", locale)
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return t("errors.no_permission", locale)
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = tuple(Text(f"permission.{name}") for name in error.missing_permissions)
        return t("errors.bot_missing_permissions", locale, permissions=missing)
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("errors.cooldown", locale, seconds=int(error.retry_after) + 1)
    if isinstance(error, discord.Forbidden):
        log.warning("Discord refused an action (code %s): %s", error.code, error.text)
        return t("errors.discord_forbidden", locale)
    reference = secrets.token_hex(4)
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return t("errors.unexpected", locale, reference=reference)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Answer the interaction with the error, ephemeral, in the invoker's language."""
    content = error_message(error, interaction.locale)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id)


def guarded(
    callback: Callable[Concatenate[S, discord.Interaction[Any], P], Awaitable[None]],
) -> Callable[Concatenate[S, discord.Interaction[Any], P], Awaitable[None]]:
    """For DynamicItem callbacks, whose errors discord.py would otherwise only log."""

    @functools.wraps(callback)
    async def wrapper(
        self: S, interaction: discord.Interaction[Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        try:
            await callback(self, interaction, *args, **kwargs)
        except Exception as error:
            await report_error(interaction, error)

    return wrapper


class VouchView(discord.ui.View):
    """A view whose errors reach the central handler."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Render the error for the user."""
        await report_error(interaction, error)


class VouchTree(app_commands.CommandTree[Any]):
    """The command tree: every command error goes through `report_error`."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        """Render the error for the user."""
        await report_error(interaction, error)


ModalHandler = Callable[
    [discord.Interaction[Any], "re.Match[str]", dict[str, str]], Awaitable[None]
]


async def show_modal(interaction: discord.Interaction[Any], modal: discord.ui.Modal) -> None:
    """Show a modal whose submission the bot's ModalRouter handles.

    discord.py keeps an open modal in memory keyed by its custom_id alone: two people with the
    same form open would share one object, and a restart loses it ("This interaction failed").
    So the modal is used for its layout only and taken out of that store at once.
    """
    await interaction.response.send_modal(modal)
    modal.stop()


def submitted_values(data: Any) -> dict[str, str]:
    """custom_id -> value of a modal submission (action rows or labels)."""
    values: dict[str, str] = {}
    for top in data.get("components", []):
        children = top.get("components") or ([top["component"]] if "component" in top else [])
        for child in children:
            if "custom_id" in child and isinstance(child.get("value"), str):
                values[child["custom_id"]] = child["value"]
    return values


class ModalRouter:
    """Routes modal submissions by custom_id pattern; works for everyone and after restarts."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], ModalHandler]] = []

    def route(self, pattern: str, handler: ModalHandler) -> None:
        """Handle submissions whose custom_id fully matches `pattern`."""
        self._routes.append((re.compile(pattern), handler))

    def unroute(self, pattern: str) -> None:
        """Stop handling a pattern (when its cog unloads)."""
        self._routes = [(p, h) for p, h in self._routes if p.pattern != pattern]

    async def dispatch(self, interaction: discord.Interaction[Any]) -> bool:
        """Run the matching handler, rendering its errors; False when no route matches."""
        if interaction.type is not discord.InteractionType.modal_submit or not interaction.data:
            return False
        custom_id = str(interaction.data.get("custom_id", ""))
        for pattern, handler in self._routes:
            if match := pattern.fullmatch(custom_id):
                try:
                    await handler(interaction, match, submitted_values(interaction.data))
                except Exception as error:
                    await report_error(interaction, error)
                return True
        return False
