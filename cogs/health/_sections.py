"""The dashboard's sections, one function per section: each figure with its change against the
previous period (▲/▼) and counts beside percentages; and the formatting of those figures."""

from __future__ import annotations

import math
from collections.abc import Callable

import discord

from bot.i18n import babel_locale, format_money, format_number, t
from bot.services.health.models import (
    SOURCES,
    CurrencySales,
    NpsScore,
    PeriodFigures,
    Ratio,
)

TOP_PRODUCTS = 5


def percent(value: float, locale: object) -> str:
    """A share written the locale's way, to one decimal when it has one ("21,1 %")."""
    from babel.numbers import format_percent

    return format_percent(round(value, 3), locale=babel_locale(locale), decimal_quantization=False)


def share(ratio: Ratio, locale: object) -> str:
    """ "21.1 % (4 of 19)": the share with its counts; "no data" without a base."""
    if ratio.value is None:
        return t("health.no_data_short", locale)
    return t(
        "health.share",
        locale,
        percent=percent(ratio.value, locale),
        part=format_number(ratio.part, locale),
        whole=format_number(ratio.whole, locale),
    )


def whole(value: float) -> int:
    """Rounded half away from zero (12.5 -> 13, as people round; Python's round gives 12)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def signed(value: float, locale: object) -> str:
    """An NPS score: "+13", "-20", "0"."""
    rounded = whole(value)
    return ("+" if rounded > 0 else "") + format_number(rounded, locale)


def change(now: float | None, before: float | None, locale: object, *, points: bool = False) -> str:
    """The change against the previous period: "▲ 4", "▼ 2.5 pts", "=", or "" when either
    side has no data. Shares (points=True) change in percentage points."""
    if now is None or before is None:
        return ""
    diff = round((now - before) * (100 if points else 1), 1)
    if diff == 0:
        return "="
    arrow = "▲" if diff > 0 else "▼"
    value = format_number(abs(diff), locale)
    if points:
        return t("health.delta.points", locale, arrow=arrow, value=value)
    return f"{arrow} {value}"


def _growth(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    g, p = now.growth, before.growth
    known = p.has_data  # before anyone was a member (before Vouch), counts compare to nothing
    return "\n".join(
        (
            t(
                "health.growth.members",
                locale,
                members=format_number(g.members_end, locale),
                change=change(g.members_end, g.members_start if known else None, locale),
            ),
            t(
                "health.growth.moves",
                locale,
                admitted=format_number(g.admitted, locale),
                admitted_change=change(g.admitted, p.admitted if known else None, locale),
                recorded=format_number(g.recorded, locale),
                recorded_change=change(g.recorded, p.recorded if known else None, locale),
                left=format_number(g.left, locale),
                left_change=change(g.left, p.left if known else None, locale),
            ),
            t(
                "health.growth.net",
                locale,
                share=share(g.net_growth, locale),
                change=change(g.net_growth.value, p.net_growth.value, locale, points=True),
            ),
        )
    )


def _invitations(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    i, p = now.invitations, before.invitations
    known = before.growth.has_data
    lines = [
        t(
            "health.invitations.source",
            locale,
            source=t(f"health.source.{source}", locale),
            value=share(i.share(source), locale) if i.admitted else format_number(0, locale),
            change=change(
                i.by_source.get(source, 0), p.by_source.get(source, 0) if known else None, locale
            ),
        )
        for source in SOURCES
    ]
    lines.append(
        t(
            "health.invitations.funnel",
            locale,
            issued=format_number(i.introductions_issued, locale),
            share=share(i.conversion, locale),
            change=change(i.conversion.value, p.conversion.value, locale, points=True),
        )
    )
    lines.append(
        t(
            "health.invitations.stayed",
            locale,
            share=share(i.retention, locale),
            change=change(i.retention.value, p.retention.value, locale, points=True),
        )
    )
    return "\n".join(lines)


def _churn(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    c, p = now.churn, before.churn
    return "\n".join(
        (
            t(
                "health.churn.rate",
                locale,
                share=share(c.rate, locale),
                change=change(c.rate.value, p.rate.value, locale, points=True),
            ),
            t(
                "health.churn.early",
                locale,
                share=share(c.early, locale),
                change=change(c.early.value, p.early.value, locale, points=True),
            ),
        )
    )


def _participation(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    a, p = now.participation, before.participation
    if not a.enabled:
        return t("health.not_enabled", locale)
    if not a.weeks:
        return t("health.no_data", locale)
    lines = [
        t(
            "health.participation.active",
            locale,
            share=share(a.rate, locale),
            change=change(a.rate.value, p.rate.value, locale, points=True),
        ),
        t(
            "health.participation.breadth",
            locale,
            share=share(a.breadth, locale),
            change=change(a.breadth.value, p.breadth.value, locale, points=True),
        ),
    ]
    if a.weeks > 1:
        lines.append(
            t(
                "health.participation.weeks",
                locale,
                weeks=a.weeks,
                active=format_number(round(a.average_active or 0, 1), locale),
                members=format_number(round(a.average_members or 0, 1), locale),
            )
        )
    return "\n".join(lines)


def _score(score: NpsScore, locale: object) -> tuple[str, str]:
    value = signed(score.score, locale) if score.score is not None else "—"
    margin = (
        t("health.nps.margin", locale, margin=format_number(whole(score.margin), locale))
        if score.margin is not None
        else ""
    )
    return value, margin


def _nps(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    n, p = now.nps, before.nps
    if not n.enabled:
        return t("health.not_enabled", locale)
    if not n.overall.n:
        return t("health.no_data", locale)
    score, margin = _score(n.overall, locale)
    lines = [
        t(
            "health.nps.overall",
            locale,
            score=score,
            margin=margin,
            answers=format_number(n.overall.n, locale),
            change=change(
                whole(n.overall.score) if n.overall.score is not None else None,
                whole(p.overall.score) if p.overall.score is not None else None,
                locale,
            ),
        )
    ]
    earlier = dict(p.by_product)
    for product, product_score in n.by_product[:TOP_PRODUCTS]:
        value, product_margin = _score(product_score, locale)
        previous = earlier.get(product)
        lines.append(
            t(
                "health.nps.product",
                locale,
                product=discord.utils.escape_markdown(product),
                score=value,
                margin=product_margin,
                answers=format_number(product_score.n, locale),
                change=change(
                    whole(product_score.score) if product_score.score is not None else None,
                    whole(previous.score) if previous and previous.score is not None else None,
                    locale,
                ),
            )
        )
    return "\n".join(lines)


def _sales(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    s, p = now.sales, before.sales
    if not s.enabled:
        return t("health.not_enabled", locale)
    earlier = {sales.currency: sales for sales in p.by_currency}
    # A currency sold in last period and not in this one shows as 0 with its fall.
    current = {sales.currency for sales in s.by_currency}
    gone = [CurrencySales(currency, 0, 0) for currency in earlier if currency not in current]
    lines = [
        t(
            "health.sales.currency",
            locale,
            orders=format_number(sales.orders, locale),
            amount=format_money(sales.amount_minor, sales.currency, locale),
            amount_change=money_change(
                sales, earlier.get(sales.currency) if p.enabled else None, locale
            ),
            change=change(
                sales.orders,
                _orders(earlier.get(sales.currency)) if p.enabled else None,
                locale,
            ),
        )
        for sales in (*s.by_currency, *gone)
    ] or [t("health.sales.none", locale)]
    lines.append(t("health.sales.refunded", locale, count=format_number(s.refunded, locale)))
    if s.top_referrers:
        names = ", ".join(
            f"<@{r.user_id}> ({format_number(r.orders, locale)})" for r in s.top_referrers
        )
        lines.append(t("health.sales.top", locale, names=names))
    return "\n".join(lines)


def _orders(sales: CurrencySales | None) -> int:
    return sales.orders if sales is not None else 0


def money_change(now: CurrencySales, before: CurrencySales | None, locale: object) -> str:
    """The revenue's change in its own currency ("▲ €12.50"); "" when nothing to compare."""
    if before is None and now.amount_minor == 0:
        return ""
    diff = now.amount_minor - (before.amount_minor if before else 0)
    if diff == 0:
        return "="
    arrow = "▲" if diff > 0 else "▼"
    return f"{arrow} {format_money(abs(diff), now.currency, locale)}"


def _leaders(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    ld, p = now.leaders, before.leaders
    if not ld.enabled:
        return t("health.not_enabled", locale)
    per_leader = ld.members_per_leader
    count = (
        t(
            "health.leaders.count",
            locale,
            leaders=format_number(ld.leaders, locale),
            change=change(ld.leaders, p.leaders if p.enabled else None, locale),
            per_leader=format_number(round(per_leader, 1), locale),
            per_leader_change=change(
                round(per_leader, 1),
                round(p.members_per_leader, 1)
                if p.enabled and p.members_per_leader is not None
                else None,
                locale,
            ),
            goal=format_number(ld.members_per_leader_goal, locale),
        )
        if per_leader is not None
        else t(
            "health.leaders.count_none",
            locale,
            change=change(ld.leaders, p.leaders if p.enabled else None, locale),
            members=format_number(ld.members, locale),
        )
    )
    coverage = t(
        "health.leaders.coverage",
        locale,
        share=share(ld.coverage, locale),
        change=change(
            ld.coverage.value, p.coverage.value if p.enabled else None, locale, points=True
        ),
    )
    return f"{count}\n{coverage}"


def _gate(now: PeriodFigures, before: PeriodFigures, locale: object) -> str:
    g = now.gate
    return t(
        "health.gate.line",
        locale,
        pending=format_number(g.pending, locale),
        change=change(g.pending, before.gate.pending, locale),
        waiting=format_number(g.waiting_long, locale),
        moderator=format_number(g.waiting_moderator, locale),
    )


Section = Callable[[PeriodFigures, PeriodFigures, object], str]
#: The embed's fields in order: a title key and the section that renders it.
SECTIONS: tuple[tuple[str, Section], ...] = (
    ("health.growth.title", _growth),
    ("health.invitations.title", _invitations),
    ("health.churn.title", _churn),
    ("health.participation.title", _participation),
    ("health.nps.title", _nps),
    ("health.sales.title", _sales),
    ("health.leaders.title", _leaders),
    ("health.gate.title", _gate),
)
#: Sections with data of their own: shown even when no member was ever recorded.
OWN_DATA: tuple[Section, ...] = (_participation, _nps, _sales, _leaders, _gate)
