"""Run-time permission checks: server admins can change who sees a command, so we check again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import DomainError
from bot.services.guild_config import GuildConfig

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


def has_role(member: discord.Member, config: GuildConfig, purpose: str) -> bool:
    """Whether the member holds the role configured for a purpose."""
    role_id = config.roles.get(purpose)
    return role_id is not None and member.get_role(role_id) is not None


def is_moderator(member: discord.Member, config: GuildConfig) -> bool:
    """Moderators and founders by role, and anyone who may manage the server."""
    return (
        member.guild_permissions.manage_guild
        or has_role(member, config, "moderator")
        or has_role(member, config, "founder")
    )
