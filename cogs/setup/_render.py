"""How `/setup show` presents a guild's configuration."""

from __future__ import annotations

import discord

from bot.i18n import LOCALE_NAMES, resolve_locale, t
from bot.services.guild_config import CHANNEL_PURPOSES, ROLE_PURPOSES, GuildConfig


def config_embed(guild: discord.Guild, config: GuildConfig, locale: object) -> discord.Embed:
    """One embed with language, time zone, channels and roles; stale entries show as not set."""
    not_set = t("setup.show.not_set", locale)
    language = LOCALE_NAMES[resolve_locale(config.locale, guild.preferred_locale)]
    if config.locale is None:
        language = t("setup.show.language_default", locale, language=language)
    channels = []
    for purpose in CHANNEL_PURPOSES:
        channel = guild.get_channel(config.channels.get(purpose, 0))
        shown = channel.mention if channel is not None else not_set
        channels.append(f"**{t(f'purpose.{purpose}', locale)}**: {shown}")
    roles = []
    for purpose in ROLE_PURPOSES:
        role = guild.get_role(config.roles.get(purpose, 0))
        shown = role.mention if role is not None else not_set
        roles.append(f"**{t(f'purpose.{purpose}', locale)}**: {shown}")
    embed = discord.Embed(title=t("setup.show.title", locale, guild=guild.name))
    embed.add_field(name=t("setup.show.language", locale), value=language, inline=True)
    embed.add_field(name=t("setup.show.timezone", locale), value=config.timezone, inline=True)
    embed.add_field(name=t("setup.show.channels", locale), value="\n".join(channels), inline=False)
    embed.add_field(name=t("setup.show.roles", locale), value="\n".join(roles), inline=False)
    return embed
