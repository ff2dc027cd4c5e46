"""What the weekly digest looks like, in one language: a heading line, one embed per section,
one embed per closed poll with its chart, split into messages that fit Discord's limits.

Limits: an embed's description holds up to 4,096 characters and a message's embeds 6,000 in all,
at most 10 of them, with up to 10 files. Each section's lines fill embeds of up to SECTION_MAX
characters (a long welcome list continues in a second embed, up to SECTION_EMBEDS, then "…and N
more"); the embeds then fill messages in order, a new message whenever the next embed would
pass 6,000 characters or 10 embeds. Only the first message has text: the heading, and the
spotlighted member's mention (the one ping of the digest, allowed explicitly).

Names are display names (escaped: a name never formats or mentions); embeds never ping anyone.
A week with nothing to tell is one kind line instead of an empty shell.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.i18n import babel_locale, discord_timestamp, format_number, t
from bot.services.digest.models import ClosedPoll, DigestContent, Moved, Upcoming
from bot.services.feedback.surveys import score_of
from cogs.polls._render import heading, percent, score_text

SECTION_MAX = 3800
SECTION_EMBEDS = 5
MORE_ROOM = 100
MESSAGE_EMBEDS = 10
MESSAGE_CHARS = 6000
COLOUR = 0x5865F2
SPOTLIGHT_COLOUR = 0xF0B232
QUIET_COLOUR = 0x57F287

NameOf = Callable[[int], str]


@dataclass
class Page:
    """One message of the digest: its text (first message only), embeds and chart files."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Characters of its embeds, as Discord counts them against 6,000."""
        return sum(len(embed) for embed in self.embeds)

    def files(self) -> list[discord.File]:
        """Fresh files for one send (discord.py closes a file once sent)."""
        return [discord.File(io.BytesIO(png), filename=name) for name, png in self.charts.items()]


def chart_name(poll_id: int) -> str:
    """The attachment name of a poll's chart."""
    return f"digest-poll-{poll_id}.png"


def local_date(moment: datetime, timezone: str, locale: object) -> str:
    """ "9 November 2026" in the guild's time zone, the locale's way."""
    from babel.dates import format_date

    local = moment.astimezone(ZoneInfo(timezone)).date()
    return format_date(local, format="long", locale=babel_locale(locale))


def day_name(day: int, locale: object) -> str:
    """Monday (0) to Sunday (6) in the locale."""
    from babel.dates import get_day_names

    return str(get_day_names("wide", locale=babel_locale(locale))[day])


def render_digest(
    content: DigestContent,
    *,
    guild_name: str,
    timezone: str,
    locale: str,
    name_of: NameOf,
    charts: Mapping[int, bytes],
    ping_spotlight: bool,
) -> list[Page]:
    """The digest's messages in `locale`. `name_of` gives a member's (escaped) name; `charts`
    the PNG of each closed poll (missing: the poll is shown without one)."""
    guild = discord.utils.escape_markdown(guild_name)
    date = local_date(content.until, timezone, locale)
    if content.is_empty:
        return [Page(t("digest.quiet", locale, guild=guild, date=date))]
    text = t("digest.heading", locale, guild=guild, date=date)
    if content.spotlight is not None and ping_spotlight:
        member = f"<@{content.spotlight.member_id}>"
        text += "\n" + t("digest.spotlight.ping", locale, member=member)
    sections: list[tuple[discord.Embed, dict[str, bytes]]] = []
    sections += _listed(
        t("digest.section.welcome", locale),
        [_welcome(w.user_id, w.sponsor_id, name_of, locale) for w in content.welcomed],
        locale,
    )
    if content.spotlight is not None:
        spotlight = discord.Embed(
            title=t("digest.section.spotlight", locale),
            description=f"<@{content.spotlight.member_id}>\n\n{content.spotlight.text}",
            colour=SPOTLIGHT_COLOUR,
        )
        sections.append((spotlight, {}))
    sections += _listed(
        t("digest.section.sessions", locale),
        [_session(s, content.guild_id, locale) for s in content.sessions],
        locale,
    )
    sections += _listed(
        t("digest.section.feedback", locale),
        [_moved(m, content.guild_id, locale) for m in content.moved],
        locale,
    )
    for closed in content.polls:
        sections.append(_poll(closed, charts.get(closed.poll.id), locale))
    if content.polls_more:
        more = discord.Embed(
            description=t("digest.polls.more", locale, count=content.polls_more), colour=COLOUR
        )
        sections.append((more, {}))
    sections += _listed(
        t("digest.section.referrers", locale),
        [
            t(
                "digest.referrer.line",
                locale,
                rank=rank,
                member=name_of(r.user_id),
                orders=format_number(r.paid_orders, locale),
            )
            for rank, r in enumerate(content.referrers, start=1)
        ],
        locale,
    )
    sections[-1][0].set_footer(text=t("digest.footer", locale))
    return pack(text, sections)


def pack(text: str, sections: Sequence[tuple[discord.Embed, dict[str, bytes]]]) -> list[Page]:
    """Embeds into messages: at most 10 embeds and 6,000 embed characters each."""
    pages = [Page(text)]
    for embed, charts in sections:
        page = pages[-1]
        if page.embeds and (
            len(page.embeds) >= MESSAGE_EMBEDS or page.size + len(embed) > MESSAGE_CHARS
        ):
            page = Page()
            pages.append(page)
        page.embeds.append(embed)
        page.charts.update(charts)
    return pages


def _listed(
    title: str, lines: Sequence[str], locale: object
) -> list[tuple[discord.Embed, dict[str, bytes]]]:
    """A section's lines in as many embeds as they need (up to SECTION_EMBEDS, the last one
    ending with "…and N more" when even they are not enough)."""
    if not lines:
        return []
    room = SECTION_MAX - MORE_ROOM  # every embed keeps room for the "…and N more" line
    chunks: list[list[str]] = [[]]
    used = 0
    for index, line in enumerate(lines):
        line = line[:room]
        if used + len(line) + 1 > room:
            if len(chunks) == SECTION_EMBEDS:
                chunks[-1].append(t("digest.more", locale, count=len(lines) - index))
                break
            chunks.append([])
            used = 0
        chunks[-1].append(line)
        used += len(line) + 1
    return [
        (
            discord.Embed(
                title=title if n == 0 else None, description="\n".join(chunk), colour=COLOUR
            ),
            {},
        )
        for n, chunk in enumerate(chunks)
    ]


def _welcome(user_id: int, sponsor_id: int | None, name_of: NameOf, locale: object) -> str:
    if sponsor_id is None:
        return t("digest.welcome.line", locale, member=name_of(user_id))
    return t(
        "digest.welcome.sponsored", locale, member=name_of(user_id), sponsor=name_of(sponsor_id)
    )


def _session(session: Upcoming, guild_id: int, locale: object) -> str:
    params = {
        "title": discord.utils.escape_markdown(session.title),
        "when": discord_timestamp(session.starts_at, "F"),
        "relative": discord_timestamp(session.starts_at, "R"),
    }
    if session.post_channel_id and session.post_message_id:
        url = jump_url(guild_id, session.post_channel_id, session.post_message_id)
        return t("digest.session.line_link", locale, url=url, **params)
    return t("digest.session.line", locale, **params)


def jump_url(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """A link to a message (or, without one, to a channel or thread)."""
    url = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return f"{url}/{message_id}" if message_id else url


def _moved(item: Moved, guild_id: int, locale: object) -> str:
    params = {
        "status": t(f"feedback.state.{item.status}", locale),
        "product": discord.utils.escape_markdown(item.product),
        "title": discord.utils.escape_markdown(item.title),
        "votes": format_number(item.votes, locale),
    }
    if item.thread_id:  # a forum post: its thread
        url = jump_url(guild_id, item.thread_id)
    elif item.channel_id and item.message_id:
        url = jump_url(guild_id, item.channel_id, item.message_id)
    else:
        return t("digest.feedback.line", locale, **params)
    return t("digest.feedback.line_link", locale, url=url, **params)


def _poll(
    closed: ClosedPoll, png: bytes | None, locale: object
) -> tuple[discord.Embed, dict[str, bytes]]:
    poll, counts = closed.poll, closed.counts
    lines = [f"**{discord.utils.escape_markdown(poll.question)}**"]
    if poll.kind == "poll":
        total = sum(counts)
        lines += [
            t(
                "poll.results.line",
                locale,
                label=label,
                count=count,
                percent=percent(count, total),
            )
            for label, count in zip(poll.options, counts, strict=True)
        ]
        lines.append(t("poll.results.total", locale, count=total))
    else:
        lines.append(score_text(score_of(poll.kind, counts), locale))
    embed = discord.Embed(
        title=t("digest.section.poll", locale, heading=heading(poll, locale)),
        description="\n".join(lines)[:SECTION_MAX],
        colour=COLOUR,
    )
    if png is None:
        return embed, {}
    name = chart_name(poll.id)
    embed.set_image(url=f"attachment://{name}")
    return embed, {name: png}
