"""Run-time permission checks: server admins can change who sees a command, so we check again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import DomainError

T = TypeVar("T")


class CheckRefused(app_commands.CheckFailure):
    """A check failed; carries the DomainError that explains why to the user."""

    def __init__(self, reason: DomainError) -> None:
        super().__init__(reason.key)
        self.reason = reason


def require_manage_guild(interaction: discord.Interaction[Any]) -> bool:
    """Allow only members with Manage Server (or Administrator) in this guild."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage
    if not interaction.permissions.manage_guild:
        raise CheckRefused(DomainError("errors.manage_guild_required"))
    return True


def manage_guild_only() -> Callable[[T], T]:
    """Decorator: hidden by default from non-managers, and refused at run time too."""
    default = app_commands.default_permissions(manage_guild=True)
    check = app_commands.check(require_manage_guild)

    def decorate(func: T) -> T:
        return default(check(func))

    return decorate
