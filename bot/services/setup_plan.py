"""What `/setup auto` has to create: the rule, with ids only."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.services.guild_config import CHANNEL_PURPOSES, ROLE_PURPOSES, GuildConfig

#: Channels only some roles may see; everything else is open to members but not to newcomers.
PRIVATE_CHANNELS: dict[str, tuple[str, ...]] = {
    "leaders": ("leader", "founder", "moderator"),
    "log": ("founder", "moderator"),
}
#: The one channel a newcomer sees.
GATE_CHANNEL = "welcome"


@dataclass(frozen=True)
class SetupPlan:
    """The purposes whose role or channel is missing (unset, or pointing at something deleted)."""

    missing_roles: tuple[str, ...]
    missing_channels: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Nothing to create."""
        return not self.missing_roles and not self.missing_channels


def plan_setup(
    config: GuildConfig, existing_role_ids: Collection[int], existing_channel_ids: Collection[int]
) -> SetupPlan:
    """Which purposes need a new role or channel."""
    return SetupPlan(
        missing_roles=tuple(
            p for p in ROLE_PURPOSES if config.roles.get(p) not in existing_role_ids
        ),
        missing_channels=tuple(
            p for p in CHANNEL_PURPOSES if config.channels.get(p) not in existing_channel_ids
        ),
    )
