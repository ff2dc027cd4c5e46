"""Discord side effects of the feedback board: the post (a forum thread, or a message with its
thread), its updates, and telling people when their item moves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import discord

from bot.checks import CheckRefused, has_role, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.board import FeedbackItem, StatusUpdate
from cogs.feedback._buttons import item_view
from cogs.feedback._render import item_embed, post_url, status_text

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[60, 1440, 4320, 10080] = 10080  # a week


@dataclass
class Told:
    """Who heard of a status change, and how."""

    dm: list[int] = field(default_factory=list)
    thread: list[int] = field(default_factory=list)
    off: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def guild_member(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member]:
    """The guild and the invoking member (feedback exists in guilds only)."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise DomainError("errors.guild_only")
    return interaction.guild, interaction.user


class FeedbackKit:
    """What the feedback cog does on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def require_member(self, interaction: discord.Interaction[VouchBot]) -> discord.Guild:
        """Members of the community (not newcomers still at the gate) and moderators."""
        guild, member = guild_member(interaction)
        config = await self.services.config.get(guild.id)
        if not (
            "member" not in config.roles
            or has_role(member, config, "member")
            or is_moderator(member, config)
        ):
            raise DomainError("feedback.members_only")
        return guild

    async def require_moderator(self, interaction: discord.Interaction[VouchBot]) -> discord.Guild:
        """Moderators and founders only, checked at run time (admins may open the command)."""
        guild, member = guild_member(interaction)
        config = await self.services.config.get(guild.id)
        if not is_moderator(member, config):
            raise CheckRefused(DomainError("feedback.moderators_only"))
        return guild

    async def board_channel(
        self, guild: discord.Guild
    ) -> discord.ForumChannel | discord.TextChannel:
        """The feedback channel: a forum (one post per item) or a text channel."""
        config = await self.services.config.get(guild.id)
        channel = guild.get_channel(config.channels.get("feedback", 0))
        if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
            raise DomainError("feedback.no_channel")
        return channel

    # -- the post ------------------------------------------------------------------------------
    async def post(
        self,
        guild: discord.Guild,
        channel: discord.ForumChannel | discord.TextChannel,
        item: FeedbackItem,
    ) -> FeedbackItem:
        """Show a new item on the board. If Discord refuses, the item is withdrawn (nothing
        half-made) and the reason goes to the member."""
        locale = await self.bot.guild_locale(guild)
        embed, view = item_embed(item, locale), item_view(item, locale)
        name = item.title[:100]
        try:
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=name,
                    embed=embed,
                    view=view,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
                thread_id = created.thread.id
                return await self.services.board.set_post(
                    item.id, thread_id, created.message.id, thread_id
                )
            message = await channel.send(embed=embed, view=view)
        except discord.HTTPException as error:
            await self.services.board.withdraw(guild.id, item.id)
            log.warning("feedback %s: could not be posted (%s)", item.id, error.status)
            raise DomainError("feedback.cannot_post", channel=channel.mention) from None
        thread: int | None = None
        try:
            started = await message.create_thread(
                name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            thread = started.id
        except discord.HTTPException as error:  # the post stands; people discuss elsewhere
            log.info("feedback %s: no discussion thread (%s)", item.id, error.status)
        return await self.services.board.set_post(item.id, channel.id, message.id, thread)

    async def refresh(self, guild: discord.Guild, item: FeedbackItem) -> None:
        """Show the item's current status, note and upvotes on its post."""
        if item.channel_id is None or item.message_id is None:
            return
        locale = await self.bot.guild_locale(guild)
        place = self.bot.get_partial_messageable(item.channel_id, guild_id=guild.id)
        try:
            await place.get_partial_message(item.message_id).edit(
                embed=item_embed(item, locale), view=item_view(item, locale)
            )
        except discord.HTTPException as error:
            log.warning("feedback %s: could not update its post (%s)", item.id, error.status)

    # -- closing the loop ----------------------------------------------------------------------
    async def tell(self, guild: discord.Guild, update: StatusUpdate) -> Told:
        """The submitter and the upvoters hear of the change by DM in their language, if they
        want feedback updates; those whose DMs are closed get one mention in the item's thread
        (or channel)."""
        item = update.item
        users = list(update.audience)
        wanting = await self.services.preferences.wanting(users, "feedback")
        told, closed = Told(), []
        key = "feedback.status_dm_note" if item.note else "feedback.status_dm"
        params: dict[str, object] = {
            "title": item.title,
            "status": status_text(item.status),
            "url": post_url(guild.id, item),
        }
        if item.note:
            params["note"] = item.note
        for user_id in users:
            if user_id not in wanting:
                told.off.append(user_id)
            elif await self.bot.dm(guild, user_id, key, **params):
                told.dm.append(user_id)
            else:
                closed.append(user_id)
        if closed:
            posted = await self._mention(guild, item, closed)
            (told.thread if posted else told.failed).extend(closed)
        return told

    async def _mention(
        self, guild: discord.Guild, item: FeedbackItem, user_ids: Sequence[int]
    ) -> bool:
        place_id = item.thread_id or item.channel_id
        if place_id is None:
            return False
        place = self.bot.get_partial_messageable(place_id, guild_id=guild.id)
        locale = await self.bot.guild_locale(guild)
        key = "feedback.status_post_note" if item.note else "feedback.status_post"
        text = t(
            key, locale, title=item.title, status=status_text(item.status), note=item.note or ""
        )
        return await self.bot.mention_post(place, user_ids, text)
