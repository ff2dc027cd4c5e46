"""The circles' private threads on Discord: where they go, what the bot needs there, finding,
reopening, filling and emptying them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final, Literal

import discord

from bot.i18n import Text
from bot.services.guild_config import GuildConfig

log = logging.getLogger(__name__)

#: What the bot needs in the parent channel: see it, make private threads, talk and add
#: people in them, and manage them (add to a non-invitable thread, remove, archive, delete).
REQUIRED: tuple[tuple[str, str], ...] = (
    ("view_channel", "permission.view_channel"),
    ("create_private_threads", "permission.create_private_threads"),
    ("send_messages_in_threads", "permission.send_messages_in_threads"),
    ("manage_threads", "permission.manage_threads"),
)
#: Where threads go when /circles apply is given no channel: members read both.
DEFAULT_PURPOSES = ("introductions", "welcome")
ARCHIVE_MINUTES: Final[Literal[10080]] = 10080  # a week: the longest Discord allows


def missing_permissions(channel: discord.TextChannel, *, create: bool = True) -> tuple[Text, ...]:
    """The permissions the bot lacks in `channel` for the circles' threads (`create`: making
    them too, else only adding and removing people)."""
    have = channel.permissions_for(channel.guild.me)
    return tuple(
        Text(key)
        for attr, key in REQUIRED
        if not getattr(have, attr) and (create or attr != "create_private_threads")
    )


def missing_in(thread: discord.Thread) -> tuple[Text, ...]:
    """What the bot lacks to add people to a circle's thread (checked before asking Discord,
    which would answer 403; those are never retried)."""
    parent = thread.parent
    if not isinstance(parent, discord.TextChannel):
        return ()
    return missing_permissions(parent, create=False)


def all_permissions() -> tuple[Text, ...]:
    """Every permission the threads need (when Discord refused without saying which)."""
    return tuple(Text(key) for _, key in REQUIRED[1:])


def default_channel(guild: discord.Guild, config: GuildConfig) -> discord.TextChannel | None:
    """The introductions channel, else the welcome channel."""
    for purpose in DEFAULT_PURPOSES:
        channel = guild.get_channel(config.channels.get(purpose, 0))
        if isinstance(channel, discord.TextChannel):
            return channel
    return None


def members_can_read(channel: discord.TextChannel, config: GuildConfig) -> bool:
    """Whether the member role (or everyone, when none is set) can see the channel: a private
    thread's members need access to its parent."""
    guild = channel.guild
    role = guild.get_role(config.roles.get("member", 0)) or guild.default_role
    return channel.permissions_for(role).view_channel


async def find_thread(guild: discord.Guild, thread_id: int | None) -> discord.Thread | None:
    """The thread (archived ones are fetched), or None when it is gone."""
    if not thread_id:
        return None
    found = guild.get_channel_or_thread(thread_id)
    if isinstance(found, discord.Thread):
        return found
    try:
        fetched = await guild.fetch_channel(thread_id)
    except (discord.NotFound, discord.Forbidden):
        return None
    return fetched if isinstance(fetched, discord.Thread) else None


async def reopen(thread: discord.Thread) -> discord.Thread:
    """Unarchive a thread (idle threads archive themselves after a week)."""
    if thread.archived:
        return await thread.edit(archived=False)
    return thread


async def add_people(thread: discord.Thread, user_ids: Iterable[int]) -> int:
    """Add the people who are in the server; returns how many. Forbidden propagates."""
    added = 0
    for user_id in dict.fromkeys(user_ids):
        if thread.guild.get_member(user_id) is None:
            continue  # left the server meanwhile: nothing to add
        try:
            await thread.add_user(discord.Object(user_id))
        except discord.NotFound:
            continue
        added += 1
    return added


async def remove_people(thread: discord.Thread, user_ids: Iterable[int]) -> None:
    """Take people out of a thread (those already out are skipped). Forbidden propagates."""
    for user_id in dict.fromkeys(user_ids):
        try:
            await thread.remove_user(discord.Object(user_id))
        except discord.NotFound:
            continue


async def say(thread: discord.Thread, text: str) -> None:
    """Post in a thread, pinging nobody; a refusal is logged, never fatal."""
    try:
        await thread.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as error:
        log.warning("thread %s: could not post (%s)", thread.id, error.status)
