"""What feedback looks like in Discord: the item's embed, the top list, the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import discord

from bot.i18n import Text, t
from bot.services.feedback.board import FeedbackItem, Status

STATUS_COLOURS: dict[str, int] = {
    "new": 0x5865F2,
    "under_review": 0xFEE75C,
    "planned": 0xEB8C34,
    "in_progress": 0x3BA55C,
    "shipped": 0x57F287,
    "declined": 0x99AAB5,
}
MESSAGE_MAX = 2000
# Spreadsheet apps run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def status_text(status: Status) -> Text:
    """The status as a message key, rendered in the reader's language."""
    return Text(f"feedback.state.{status}")


def post_url(guild_id: int, item: FeedbackItem) -> str:
    """The link to the item's post (or to the channel when it was not posted)."""
    if item.channel_id is None or item.message_id is None:
        return ""
    return f"https://discord.com/channels/{guild_id}/{item.channel_id}/{item.message_id}"


def item_embed(item: FeedbackItem, locale: object) -> discord.Embed:
    """The post: title and details, product, status and its latest note, upvotes, who asked.
    (Embeds never ping, whatever mention strings the text holds.)"""
    embed = discord.Embed(
        title=f"#{item.id} · {item.title}"[:256],
        description=item.details or None,
        colour=STATUS_COLOURS.get(item.status, 0x5865F2),
        timestamp=item.created_at,
    )
    embed.add_field(name=t("feedback.post.product", locale), value=item.product, inline=True)
    embed.add_field(
        name=t("feedback.post.status", locale),
        value=t(f"feedback.state.{item.status}", locale),
        inline=True,
    )
    embed.add_field(name=t("feedback.post.votes", locale), value=str(item.votes), inline=True)
    embed.add_field(name=t("feedback.post.author", locale), value=f"<@{item.author_id}>")
    if item.note:
        embed.add_field(name=t("feedback.post.note", locale), value=item.note, inline=False)
    return embed


def clean(text: str) -> str:
    """User text inside our own message: no markdown tricks, no mention syntax."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def top_text(guild_id: int, items: Sequence[FeedbackItem], locale: object) -> str:
    """The ranked list, cut to one message."""
    if not items:
        return t("feedback.top.empty", locale)
    lines = [t("feedback.top.title", locale, count=len(items))]
    for rank, item in enumerate(items, start=1):
        title = clean(item.title)
        url = post_url(guild_id, item)
        line = t(
            "feedback.top.line",
            locale,
            rank=rank,
            votes=item.votes,
            id=item.id,
            title=f"[{title}](<{url}>)" if url else title,
            product=clean(item.product),
            status=status_text(item.status),
        )
        if sum(len(x) + 1 for x in lines) + len(line) > MESSAGE_MAX:
            break
        lines.append(line)
    return "\n".join(lines)


CSV_HEADER = (
    "id",
    "created_at",
    "updated_at",
    "product",
    "title",
    "details",
    "status",
    "upvotes",
    "author_id",
    "latest_note",
    "post_url",
)


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def export_csv(guild_id: int, items: Sequence[FeedbackItem]) -> bytes:
    """UTF-8 CSV (with a BOM, so spreadsheet apps read accents right), one row per item."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in items:
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    item.id,
                    item.created_at.isoformat(),
                    item.updated_at.isoformat(),
                    item.product,
                    item.title,
                    item.details,
                    item.status,
                    item.votes,
                    item.author_id,
                    item.note,
                    post_url(guild_id, item),
                )
            ]
        )
    return out.getvalue().encode("utf-8-sig")
