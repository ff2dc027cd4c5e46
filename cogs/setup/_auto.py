"""`/setup auto`: create missing roles and channels; newcomers see only the welcome channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import discord

from bot.client import VouchBot
from bot.i18n import Text, t
from bot.services.setup_plan import GATE_CHANNEL, PRIVATE_CHANNELS, plan_setup

log = logging.getLogger(__name__)

MANAGE_ROLES = Text("permission.manage_roles")
MANAGE_CHANNELS = Text("permission.manage_channels")
Overwrites = dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]


@dataclass
class AutoSetupReport:
    """What was created, what was hidden from newcomers, and what failed (with the reason)."""

    roles: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    hidden: int = 0
    failed: list[tuple[str, Text]] = field(default_factory=list)

    def render(self, locale: object) -> str:
        """The reply, in the invoker's language."""
        lines: list[str] = []
        if self.roles:
            lines.append(t("setup.auto.roles", locale, roles=", ".join(self.roles)))
        if self.channels:
            lines.append(t("setup.auto.channels", locale, channels=", ".join(self.channels)))
        if self.hidden:
            lines.append(t("setup.auto.hidden", locale, count=self.hidden))
        for what, permission in self.failed:
            lines.append(t("setup.auto.failed", locale, what=what, permission=permission))
        return "\n".join(lines) or t("setup.auto.nothing", locale)


async def run_auto_setup(bot: VouchBot, guild: discord.Guild) -> AutoSetupReport:
    """Create what the plan says is missing; never stop at the first refusal."""
    services = bot.services
    config = await services.config.get(guild.id)
    plan = plan_setup(config, {r.id for r in guild.roles}, {c.id for c in guild.channels})
    locale = await bot.guild_locale(guild)
    report = AutoSetupReport()
    me = guild.me
    # Roles we create are not in the cache until their gateway event arrives: keep them here.
    roles: dict[str, discord.Role | None] = {
        purpose: guild.get_role(role_id) for purpose, role_id in config.roles.items()
    }

    for purpose in plan.missing_roles:
        name = t(f"role.{purpose}", locale)
        if not me.guild_permissions.manage_roles:
            report.failed.append((name, MANAGE_ROLES))
            continue
        try:
            role = await guild.create_role(
                name=name, permissions=discord.Permissions.none(), reason="Vouch /setup auto"
            )
        except discord.Forbidden:
            report.failed.append((name, MANAGE_ROLES))
            continue
        await services.config.set_role(guild.id, purpose, role.id)
        roles[purpose] = role
        report.roles.append(role.mention)
    newcomer = roles.get("newcomer")

    for purpose in plan.missing_channels:
        name = t(f"channel.{purpose}", locale)
        if not me.guild_permissions.manage_channels:
            report.failed.append((f"#{name}", MANAGE_CHANNELS))
            continue
        try:
            channel = await guild.create_text_channel(
                name=name, overwrites=_overwrites(guild, purpose, roles), reason="Vouch /setup auto"
            )
        except discord.Forbidden:
            report.failed.append((f"#{name}", MANAGE_CHANNELS))
            continue
        await services.config.set_channel(guild.id, purpose, channel.id)
        report.channels.append(channel.mention)

    if newcomer is not None:
        welcome_id = (await services.config.get(guild.id)).channels.get(GATE_CHANNEL)
        report.hidden, refused = await _hide_from_newcomers(guild, newcomer, welcome_id)
        report.failed.extend((f"#{name}", MANAGE_ROLES) for name in refused)
    return report


def _overwrites(
    guild: discord.Guild, purpose: str, roles: dict[str, discord.Role | None]
) -> Overwrites:
    hidden = discord.PermissionOverwrite(view_channel=False)
    overwrites: Overwrites = {}
    if purpose in PRIVATE_CHANNELS:
        overwrites[guild.default_role] = hidden
        for allowed in PRIVATE_CHANNELS[purpose]:
            if (role := roles.get(allowed)) is not None:
                overwrites[role] = discord.PermissionOverwrite(view_channel=True)
        overwrites[guild.me] = discord.PermissionOverwrite(view_channel=True, send_messages=True)
    elif purpose == "announcements":
        overwrites[guild.default_role] = discord.PermissionOverwrite(send_messages=False)
        overwrites[guild.me] = discord.PermissionOverwrite(send_messages=True)
    if purpose != GATE_CHANNEL and (newcomer := roles.get("newcomer")) is not None:
        overwrites[newcomer] = hidden
    return overwrites


async def _hide_from_newcomers(
    guild: discord.Guild, newcomer: discord.Role, welcome_id: int | None
) -> tuple[int, list[str]]:
    """Deny View Channel to the newcomer role on every other channel that doesn't already."""
    hidden = 0
    refused: list[str] = []
    for channel in guild.channels:
        if channel.id == welcome_id:
            continue
        # A category's overwrites do not reach its channels on Discord's side ("synced" is only
        # how the client shows them), so every channel gets its own.
        if channel.overwrites_for(newcomer).view_channel is False:
            continue
        try:
            await channel.set_permissions(
                newcomer, view_channel=False, reason="Vouch: newcomers see only the welcome channel"
            )
        except discord.Forbidden:
            refused.append(channel.name)
            continue
        hidden += 1
    return hidden, refused
