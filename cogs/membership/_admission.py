"""After the gate: the introduction post, then admission (automatic or by a moderator)."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.i18n import t
from bot.services.membership.members import Ended
from bot.services.membership.models import Stint
from cogs.membership._kit import MembershipKit

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = ("gate.question.1", "gate.question.2", "gate.question.3")


async def questions(kit: MembershipKit, guild_id: int, locale: object) -> list[str]:
    """The gate's three questions: the guild's own, or the localized defaults."""
    settings = await kit.services.membership.get(guild_id)
    return [
        custom or t(default, locale)
        for custom, default in zip(settings.questions, DEFAULT_QUESTIONS, strict=True)
    ]


async def post_introduction(kit: MembershipKit, guild: discord.Guild, stint: Stint) -> None:
    """Post "<sponsor> introduces <newcomer>" with both stories; it pings only those two."""
    config = await kit.services.config.get(guild.id)
    channel = guild.get_channel(config.channels.get("introductions", 0))
    if not isinstance(channel, discord.TextChannel):
        return
    locale = await kit.bot.guild_locale(guild)
    newcomer = f"<@{stint.user_id}>"
    pinged = [discord.Object(stint.user_id)]
    embed = discord.Embed()
    if stint.sponsor_id is not None:
        content = t(
            "gate.post.sponsored", locale, sponsor=f"<@{stint.sponsor_id}>", newcomer=newcomer
        )
        pinged.append(discord.Object(stint.sponsor_id))
        intro = await kit.services.introductions.get(stint.introduction_id or 0)
        if intro is not None:
            embed.description = t("gate.post.sponsor_words", locale, why=intro.why)
    else:
        content = t("gate.post.unsponsored", locale, newcomer=newcomer)
    for question, answer in zip(
        await questions(kit, guild.id, locale), stint.answers or (), strict=False
    ):
        embed.add_field(name=question, value=answer, inline=False)
    await channel.send(content, embed=embed, allowed_mentions=discord.AllowedMentions(users=pinged))


async def admit(
    kit: MembershipKit,
    guild: discord.Guild,
    user_id: int,
    moderator_id: int | None = None,
    *,
    stint_id: int | None = None,
) -> Stint:
    """Make the person a member: roles, a public welcome that thanks the sponsor, a log line.

    The record comes first; a welcome Discord refuses is logged, never undoes the admission.
    """
    stint = await kit.services.members.admit(guild.id, user_id, stint_id=stint_id)
    member = guild.get_member(user_id)
    if member is not None:
        await kit.set_roles(member, add="member", remove="newcomer")
    config = await kit.services.config.get(guild.id)
    channel = guild.get_channel(
        config.channels.get("introductions") or config.channels.get("welcome") or 0
    )
    if isinstance(channel, discord.TextChannel):
        locale = await kit.bot.guild_locale(guild)
        sponsor = guild.get_member(stint.sponsor_id or 0)
        key = "gate.welcome.sponsored" if sponsor else "gate.welcome.unsponsored"
        sponsor_name = sponsor.display_name if sponsor else ""
        try:
            await channel.send(
                t(key, locale, newcomer=f"<@{user_id}>", sponsor=sponsor_name),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(user_id)]),
            )
        except discord.HTTPException as error:
            log.warning("guild %s: could not post a welcome (%s)", guild.id, error.status)
    by = f"<@{moderator_id}>" if moderator_id else "auto"
    await kit.log(guild, "membership.log.admitted", user=f"<@{user_id}>", by=by)
    # Other features follow admissions (circles, the leaders' scale alert) without membership
    # knowing them: `on_member_admitted(guild, user_id, sponsor_id)`.
    kit.bot.dispatch("member_admitted", guild, user_id, stint.sponsor_id)
    return stint


async def deny(
    kit: MembershipKit,
    guild: discord.Guild,
    user_id: int,
    moderator_id: int,
    reason: str,
    *,
    stint_id: int | None = None,
) -> Ended:
    """Refuse the person kindly, in their language, and remove them; the seat goes on."""
    ended = await kit.services.members.refuse(guild.id, user_id, "denied", stint_id=stint_id)
    await kit.dm(guild, user_id, "gate.denied.dm")
    await kit.remove(guild, user_id, reason=f"Vouch: denied by a moderator: {reason[:300]}")
    await kit.log(
        guild,
        "membership.log.denied",
        user=f"<@{user_id}>",
        by=f"<@{moderator_id}>",
        reason=reason,
    )
    await kit.deliver_promoted(guild, ended.promoted)
    return ended


async def post_approval_card(
    kit: MembershipKit, guild: discord.Guild, stint: Stint, view: Any
) -> None:
    """The moderators' card in the log channel, with Approve and Deny."""
    config = await kit.services.config.get(guild.id)
    channel = guild.get_channel(config.channels.get("log", 0))
    if not isinstance(channel, discord.TextChannel):
        return
    locale = await kit.bot.guild_locale(guild)
    sponsor = f"<@{stint.sponsor_id}>" if stint.sponsor_id else t("gate.card.no_sponsor", locale)
    embed = discord.Embed(
        title=t("gate.card.title", locale),
        description=t(
            "gate.card.body",
            locale,
            user=f"<@{stint.user_id}>",
            sponsor=sponsor,
            source=t(
                "source.maybe_introduction" if stint.maybe_introduced else f"source.{stint.source}",
                locale,
            ),
        ),
    )
    for question, answer in zip(
        await questions(kit, guild.id, locale), stint.answers or (), strict=False
    ):
        embed.add_field(name=question, value=answer, inline=False)
    message = await channel.send(embed=embed, view=view)
    await kit.services.members.set_approval_message(stint.id, message.id)
