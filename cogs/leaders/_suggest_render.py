"""Suggestions and the scale alert in words: each reason is one catalog phrase with its real
counts, numbers written the reader's way (Babel), phrases joined as the language lists them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.i18n import babel_locale, format_number, t
from bot.services.leaders.models import WEIGHT_NAMES
from bot.services.leaders.suggest import Reason, Staffing, Suggestion, Suggestions

MONTH_DAYS = 30
YEAR_DAYS = 365


def word_list(items: Sequence[str], locale: object) -> str:
    """ "a, b and c" the way the language writes a list."""
    if len(items) < 2:
        return "".join(items)
    from babel.lists import format_list  # only when needed: the bot's RSS budget

    return format_list(list(items), locale=babel_locale(locale))


def reason_text(reason: Reason, locale: object) -> str:
    """One reason in plain words: "active 7 of the last 8 weeks"."""
    count, out_of = format_number(reason.count, locale), format_number(reason.out_of, locale)
    part = reason.part
    if part == "breadth":
        ways = word_list([t(f"leaders.way.{way}", locale) for way in reason.ways], locale)
        return t("leaders.reason.breadth", locale, count=count, total=out_of, ways=ways)
    if part == "consistency":
        return t("leaders.reason.consistency", locale, count=count, total=out_of)
    if part == "attendance":
        if reason.out_of == 1:
            return t("leaders.reason.attendance_one", locale)
        return t("leaders.reason.attendance", locale, count=count, total=out_of)
    if part in ("introductions", "feedback"):
        if reason.count == 1:
            return t(f"leaders.reason.{part}_one", locale)
        return t(f"leaders.reason.{part}", locale, count=count)
    return tenure_text(reason.count, locale)


def tenure_text(days: int, locale: object) -> str:
    """ "member for 45 days", "for 8 months", "for over a year", "for over 2 years"."""
    if days < 2 * MONTH_DAYS:
        return t("leaders.reason.tenure_days", locale, count=format_number(days, locale))
    if days < YEAR_DAYS:
        months = format_number(days // MONTH_DAYS, locale)
        return t("leaders.reason.tenure_months", locale, count=months)
    if days < 2 * YEAR_DAYS:
        return t("leaders.reason.tenure_year", locale)
    return t("leaders.reason.tenure_years", locale, count=format_number(days // YEAR_DAYS, locale))


def suggestion_line(rank: int, suggestion: Suggestion, locale: object) -> str:
    """ "**1.** @member · 72/100: active 7 of the last 8 weeks, ... and ..." """
    score = format_number(round(suggestion.score), locale)
    member = f"<@{suggestion.user_id}>"
    if not suggestion.reasons:
        return t("leaders.suggest.line_plain", locale, rank=rank, member=member, score=score)
    reasons = word_list([reason_text(r, locale) for r in suggestion.reasons], locale)
    return t("leaders.suggest.line", locale, rank=rank, member=member, score=score, why=reasons)


def suggestion_lines(found: Suggestions, locale: object) -> list[str]:
    """`/leaders suggest`: a heading, one line per suggestion, who was left out and the
    weights."""
    lines = []
    if found.top:
        lines.append(
            t(
                "leaders.suggest.heading",
                locale,
                count=format_number(len(found.top), locale),
                eligible=format_number(found.eligible, locale),
            )
        )
        lines += [suggestion_line(n, s, locale) for n, s in enumerate(found.top, start=1)]
    else:
        lines.append(t("leaders.suggest.none", locale))
    ex = found.excluded
    lines.append(
        t(
            "leaders.suggest.excluded",
            locale,
            **{
                name: format_number(getattr(ex, name), locale)
                for name in ("leaders", "opted_out", "declined", "flagged", "new_members", "bots")
            },
        )
    )
    if not found.sessions_held:
        lines.append(t("leaders.suggest.no_sessions", locale))
    lines.append(t("leaders.suggest.weights", locale, weights=weights_text(found.weights, locale)))
    return lines


def weights_text(weights: Mapping[str, float], locale: object) -> str:
    """ "breadth 2, consistency 3, ..." (the names `/setup leaders weights:` takes)."""
    return ", ".join(f"{name} {format_number(weights[name], locale)}" for name in WEIGHT_NAMES)


def alert_text(staffing: Staffing, found: Suggestions, locale: object) -> str:
    """The scale alert for the founders: the figures, then the top suggestions."""
    lines = [
        t(
            "leaders.scale.alert",
            locale,
            members=format_number(staffing.members, locale),
            leaders=format_number(staffing.leaders, locale),
            per_leader=format_number(staffing.members_per_leader, locale),
            needed=format_number(staffing.needed, locale),
            gap=format_number(staffing.gap, locale),
        )
    ]
    if found.top:
        lines.append(t("leaders.scale.suggestions", locale))
        lines += [suggestion_line(n, s, locale) for n, s in enumerate(found.top, start=1)]
    else:
        lines.append(t("leaders.scale.no_suggestions", locale))
    return "\n".join(lines)
