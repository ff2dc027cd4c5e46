"""Which roles the bot may be told to manage: the rule, with plain values and no Discord types."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import DomainError
from bot.i18n import Text

# Discord permission bits a purpose role must never carry: giving such a role through the bot
# would let anyone who can run a role command hand out moderation powers.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MANAGE_ROLES = 1 << 28
BAN_MEMBERS = 1 << 2
KICK_MEMBERS = 1 << 1
DANGEROUS_PERMISSIONS: dict[int, str] = {
    ADMINISTRATOR: "administrator",
    MANAGE_GUILD: "manage_guild",
    MANAGE_ROLES: "manage_roles",
    BAN_MEMBERS: "ban_members",
}


@dataclass(frozen=True)
class RoleFacts:
    """What the rule needs to know about a role."""

    role_id: int
    name: str
    position: int
    permissions: int
    is_default: bool
    managed: bool


def check_purpose_role(
    role: RoleFacts, *, bot_top_position: int, invoker_top_position: int, invoker_is_owner: bool
) -> None:
    """Raise a DomainError when the role may not be used for a purpose."""
    if role.is_default:
        raise DomainError("setup.role.everyone")
    if role.managed:
        raise DomainError("setup.role.managed", role=role.name)
    dangerous = [
        Text(f"permission.{name}")
        for bit, name in DANGEROUS_PERMISSIONS.items()
        if role.permissions & bit
    ]
    if dangerous:
        raise DomainError("setup.role.dangerous", role=role.name, permissions=tuple(dangerous))
    if role.position >= bot_top_position:
        raise DomainError("setup.role.above_bot", role=role.name)
    if not invoker_is_owner and role.position >= invoker_top_position:
        raise DomainError("setup.role.above_you", role=role.name)
