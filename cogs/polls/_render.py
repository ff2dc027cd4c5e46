"""What polls, ratings and NPS surveys look like: the post with its live count, and results."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.i18n import discord_timestamp, format_number, t
from bot.services.feedback.polls import Poll
from bot.services.feedback.surveys import Score, SurveyReport, score_of

BAR_WIDTH = 10
COLOURS = {"poll": discord.Colour.blurple(), "rating": discord.Colour.gold()}
NPS_COLOUR = discord.Colour.teal()
CLOSED_COLOUR = discord.Colour.dark_grey()


def percent(count: int, total: int) -> int:
    """A share of the votes, as a whole percentage."""
    return round(100 * count / total) if total else 0


def bar(count: int, total: int) -> str:
    """A text bar for the live count (the chart comes at close)."""
    filled = round(BAR_WIDTH * count / total) if total else 0
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def jump_url(poll: Poll) -> str:
    """The link to the poll's message."""
    return f"https://discord.com/channels/{poll.guild_id}/{poll.channel_id}/{poll.message_id}"


def heading(poll: Poll, locale: object) -> str:
    """ "📊 Poll #3", "⭐ Rating #4 · Boots", "📈 Survey #5"."""
    if poll.product:
        return t(f"poll.post.heading_product.{poll.kind}", locale, id=poll.id, product=poll.product)
    return t(f"poll.post.heading.{poll.kind}", locale, id=poll.id)


def shows_counts(poll: Poll) -> bool:
    """Live counts: on polls unless hidden; surveys show only how many answered until close."""
    return not poll.is_open or (poll.kind == "poll" and not poll.hide_results)


def option_lines(poll: Poll, counts: Sequence[int], locale: object) -> list[str]:
    """One line per option, with its count, share and a bar when counts are shown."""
    total = sum(counts)
    if not shows_counts(poll):
        return [t("poll.post.option", locale, label=label) for label in poll.options]
    return [
        t(
            "poll.post.option_count",
            locale,
            label=label,
            bar=bar(count, total),
            count=count,
            percent=percent(count, total),
        )
        for label, count in zip(poll.options, counts, strict=True)
    ]


def how_key(poll: Poll) -> str:
    """How one votes, as a catalog key."""
    if poll.kind != "poll":
        return f"poll.post.how.{poll.kind}"
    mode = "multi" if poll.multi else "single"
    return f"poll.post.how.{mode}_anonymous" if poll.anonymous else f"poll.post.how.{mode}"


def poll_embed(poll: Poll, counts: Sequence[int], locale: object) -> discord.Embed:
    """The posted poll: question, options (with live counts unless hidden), rules, deadline."""
    colour = COLOURS.get(poll.kind, NPS_COLOUR) if poll.is_open else CLOSED_COLOUR
    lines = [f"**{poll.question}**", ""]
    if poll.kind == "poll":
        lines += option_lines(poll, counts, locale)
    elif not poll.is_open:
        lines.append(score_text(score_of(poll.kind, counts), locale))
    embed = discord.Embed(title=heading(poll, locale), description="\n".join(lines), colour=colour)
    embed.add_field(name=t("poll.post.how", locale), value=t(how_key(poll), locale))
    total = sum(counts)
    if not shows_counts(poll) and poll.kind == "poll":
        embed.add_field(name=t("poll.post.votes", locale), value=t("poll.post.hidden", locale))
    else:
        embed.add_field(name=t("poll.post.votes", locale), value=str(total))
    if poll.role_id is not None:
        embed.add_field(name=t("poll.post.who", locale), value=f"<@&{poll.role_id}>")
    if not poll.is_open and poll.closed_at is not None:
        closing = t("poll.post.closed_at", locale, when=discord_timestamp(poll.closed_at, "f"))
        embed.add_field(name=t("poll.post.status", locale), value=closing, inline=False)
    elif poll.closes_at is not None:
        closing = t("poll.post.closes_at", locale, when=discord_timestamp(poll.closes_at, "R"))
        embed.add_field(name=t("poll.post.status", locale), value=closing, inline=False)
    return embed


def number(value: float, locale: object) -> str:
    """One decimal, the locale's way."""
    return format_number(round(value, 1), locale)


def signed(value: int) -> str:
    """An NPS with its sign (+32, 0, -10)."""
    return f"+{value}" if value > 0 else str(value)


def score_text(score: Score, locale: object) -> str:
    """The average and (NPS) the score with promoters, passives and detractors."""
    if not score.n or score.average is None:
        return t("survey.score.none", locale)
    if score.nps is None:
        return t("survey.score.rating", locale, average=number(score.average, locale), n=score.n)
    return t(
        "survey.score.nps",
        locale,
        nps=signed(score.nps),
        n=score.n,
        promoters=round(score.promoters),
        passives=round(score.passives),
        detractors=round(score.detractors),
        average=number(score.average, locale),
    )


def results_text(poll: Poll, counts: Sequence[int], locale: object) -> str:
    """Results of a poll (options with counts and percentages) or a survey (its score)."""
    lines = [t("poll.results.title", locale, heading=heading(poll, locale), question=poll.question)]
    if poll.kind == "poll":
        total = sum(counts)
        for label, count in zip(poll.options, counts, strict=True):
            lines.append(
                t(
                    "poll.results.line",
                    locale,
                    label=label,
                    count=count,
                    percent=percent(count, total),
                )
            )
        lines.append(t("poll.results.total", locale, count=total))
    else:
        lines.append(score_text(score_of(poll.kind, counts), locale))
    if poll.is_open:
        lines.append(t("poll.results.still_open", locale))
    return fit("\n".join(lines))


def chart_subtitle(poll: Poll, counts: Sequence[int], locale: object) -> str | None:
    """Under a survey's chart: its NPS or average, and how many answered."""
    if poll.kind == "poll":
        return None
    return chart_caption(score_of(poll.kind, counts), locale)


def chart_caption(score: Score, locale: object) -> str | None:
    """ "NPS +32 · n = 25" / "Average 4.2 · n = 12"."""
    if not score.n or score.average is None:
        return None
    if score.nps is not None:
        return t("survey.chart.nps", locale, nps=signed(score.nps), n=score.n)
    return t("survey.chart.rating", locale, average=number(score.average, locale), n=score.n)


def report_text(report: SurveyReport, locale: object) -> str:
    """/survey results: NPS overall, per month and per product; ratings per product."""
    scope = report.product or t("survey.results.all_products", locale)
    lines = [t("survey.results.title", locale, scope=scope)]
    if not report.nps.n and not report.rating.n:
        lines.append(t("survey.results.empty", locale))
        return "\n".join(lines)
    if report.nps.n:
        lines += ["", t("survey.results.nps", locale), score_text(report.nps, locale)]
        if report.nps_by_month:
            lines.append(t("survey.results.by_month", locale))
            lines += [
                t(
                    "survey.results.month_line",
                    locale,
                    month=month,
                    nps=signed(score.nps or 0),
                    n=score.n,
                )
                for month, score in report.nps_by_month
            ]
        if report.product is None and report.nps_by_product:
            lines.append(t("survey.results.by_product", locale))
            lines += [
                t(
                    "survey.results.product_line",
                    locale,
                    product=name or t("survey.results.no_product", locale),
                    score=signed(score.nps or 0),
                    n=score.n,
                )
                for name, score in report.nps_by_product
            ]
    if report.rating.n:
        lines += ["", t("survey.results.ratings", locale), score_text(report.rating, locale)]
        if report.product is None:
            lines += [
                t(
                    "survey.results.product_line",
                    locale,
                    product=name,
                    score=number(score.average or 0, locale),
                    n=score.n,
                )
                for name, score in report.rating_by_product
            ]
    return fit("\n".join(lines))


def fit(text: str, limit: int = 2000) -> str:
    """Cut a message to Discord's limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
