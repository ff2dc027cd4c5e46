"""The one check every role the bot will hand out goes through."""

from __future__ import annotations

import discord

from bot.client import VouchBot
from bot.services.roles import RoleFacts, check_purpose_role


def role_facts(role: discord.Role) -> RoleFacts:
    """What the role checks need to know of a Discord role."""
    return RoleFacts(
        role_id=role.id,
        name=role.name,
        position=role.position,
        permissions=role.permissions.value,
        is_default=role.is_default(),
        managed=role.managed,
    )


def check_role_to_hand_out(interaction: discord.Interaction[VouchBot], role: discord.Role) -> None:
    """Refuse @everyone, managed and privileged roles, and roles at or above the bot's or the
    invoker's top role (a DomainError says which)."""
    guild = interaction.guild
    assert guild is not None and isinstance(interaction.user, discord.Member)
    check_purpose_role(
        role_facts(role),
        bot_top_position=guild.me.top_role.position,
        invoker_top_position=interaction.user.top_role.position,
        invoker_is_owner=guild.owner_id == interaction.user.id,
    )
