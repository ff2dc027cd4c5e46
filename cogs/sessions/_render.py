"""What session posts and replies look like."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.i18n import discord_timestamp, format_when, t
from bot.services.sessions.models import Session
from bot.services.sessions.office_hours import Slot
from bot.services.sessions.questions import Question
from bot.services.sessions.schedule import Counts

COLOURS = {
    "scheduled": discord.Colour.blurple(),
    "active": discord.Colour.green(),
    "completed": discord.Colour.dark_grey(),
    "cancelled": discord.Colour.red(),
}
QUESTIONS_SHOWN = 15


def when_text(session: Session) -> str:
    """<full date> (<relative>), in each reader's own time zone."""
    return (
        f"{discord_timestamp(session.starts_at, 'F')} ({discord_timestamp(session.starts_at, 'R')})"
    )


def where_text(session: Session, locale: object) -> str:
    """The stage or voice channel, else the external location."""
    if session.channel_id:
        return f"<#{session.channel_id}>"
    return session.location or t("session.post.where_online", locale)


def going_text(counts: Counts, capacity: int | None, locale: object) -> str:
    """ "12 going" / "12 of 20 going, 3 waiting"."""
    if capacity is None:
        return t("session.post.going", locale, count=counts.going)
    return t(
        "session.post.going_capacity",
        locale,
        count=counts.going,
        capacity=capacity,
        waiting=counts.waitlist,
    )


def announcement(session: Session, counts: Counts, locale: object) -> discord.Embed:
    """The announcement of a session, with its live RSVP count and status."""
    embed = discord.Embed(
        title=session.title,
        description=session.description or None,
        colour=COLOURS[session.status],
        url=f"https://discord.com/events/{session.guild_id}/{session.event_id}"
        if session.event_id
        else None,
    )
    embed.add_field(name=t("session.post.when", locale), value=when_text(session), inline=False)
    embed.add_field(
        name=t("session.post.duration", locale),
        value=t("session.minutes", locale, count=session.minutes),
    )
    embed.add_field(name=t("session.post.where", locale), value=where_text(session, locale))
    embed.add_field(name=t("session.post.host", locale), value=f"<@{session.host_id}>")
    embed.add_field(
        name=t("session.post.rsvps", locale),
        value=going_text(counts, session.capacity, locale),
        inline=False,
    )
    embed.set_footer(text=t(f"session.status.{session.status}", locale))
    return embed


def office_embed(
    session: Session, slots: list[Slot], draw_at: datetime | None, locale: object
) -> discord.Embed:
    """The office-hours announcement: when, how many slots of how long, and how they are given."""
    free = sum(1 for slot in slots if slot.is_free)
    minutes = int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60) if slots else 0
    embed = discord.Embed(
        title=session.title,
        description=t("session.office.post", locale, count=len(slots), minutes=minutes),
        colour=discord.Colour.gold() if session.is_open else COLOURS[session.status],
    )
    embed.add_field(name=t("session.post.when", locale), value=when_text(session), inline=False)
    embed.add_field(name=t("session.post.where", locale), value=where_text(session, locale))
    embed.add_field(
        name=t("session.office.free", locale),
        value=t("session.office.free_count", locale, free=free, total=len(slots)),
    )
    how = (
        t("session.office.by_draw", locale, when=discord_timestamp(draw_at, "R"))
        if draw_at
        else t("session.office.first_come", locale)
    )
    embed.add_field(name=t("session.office.how", locale), value=how, inline=False)
    embed.set_footer(text=t(f"session.status.{session.status}", locale))
    return embed


def understood(session: Session, typed: str, tz: str, locale: object) -> str:
    """The reply to /session schedule: exactly how the time was read."""
    return t(
        "session.scheduled",
        locale,
        title=session.title,
        typed=typed[:100],
        when=when_text(session),
        local=format_when(session.starts_at, locale, tz),
        zone=tz,
        minutes=session.minutes,
    )


def question_line(question: Question, rank: int, locale: object) -> str:
    """ "1. (5 ▲) text — asked by @a, @b"."""
    authors = ", ".join(f"<@{user_id}>" for user_id in question.author_ids)
    return t(
        "session.questions.line",
        locale,
        rank=rank,
        votes=question.votes,
        text=question.text,
        authors=authors,
        id=question.id,
    )


def question_post(question: Question, locale: object) -> str:
    """A question as listed under the announcement, with its vote count."""
    return t(
        "session.question.post",
        locale,
        text=question.text,
        author=f"<@{question.author_ids[0]}>",
        votes=question.votes,
    )


def queue_text(session: Session, questions: list[Question], locale: object) -> str:
    """The ranked queue for the host."""
    if not questions:
        return t("session.questions.empty", locale, title=session.title)
    lines = [t("session.questions.title", locale, title=session.title, count=len(questions))]
    for rank, question in enumerate(questions[:QUESTIONS_SHOWN], start=1):
        lines.append(question_line(question, rank, locale))
    if len(questions) > QUESTIONS_SHOWN:
        lines.append(t("session.questions.more", locale, count=len(questions) - QUESTIONS_SHOWN))
    return fit("\n".join(lines))


def fit(text: str, limit: int = 2000) -> str:
    """Cut a message to Discord's limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
