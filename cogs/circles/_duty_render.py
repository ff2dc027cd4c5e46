"""What the leaders' weekly lists, check-in replies, coverage and review posts look like."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import discord_timestamp, format_number, t
from bot.services.leaders.duties import (
    GATE_DAYS,
    NEW_DAYS,
    QUIET_DAYS,
    CircleCoverage,
    DutyList,
    ReviewFlag,
)

SHOWN = 15  # people named per section; the rest are counted


def people(user_ids: Sequence[int], locale: object) -> str:
    """Mentions of the first few people, then "and N more"."""
    named = ", ".join(f"<@{user_id}>" for user_id in user_ids[:SHOWN])
    if len(user_ids) <= SHOWN:
        return named
    return named + " " + t("duties.more", locale, count=len(user_ids) - SHOWN)


def percent(coverage: CircleCoverage, locale: object) -> str:
    """The share checked in, as a whole percentage written the locale's way."""
    return format_number(round(coverage.share * 100), locale)


def duty_body(duty: DutyList, locale: object) -> str:
    """One circle's list: who is new, who went quiet, who is stuck in the gate; its coverage."""
    lines = []
    if duty.new_members:
        lines.append(
            t(
                "duties.new",
                locale,
                count=len(duty.new_members),
                days=NEW_DAYS,
                members=people(duty.new_members, locale),
            )
        )
    if duty.quiet_members:
        lines.append(
            t(
                "duties.quiet",
                locale,
                count=len(duty.quiet_members),
                days=QUIET_DAYS,
                members=people(duty.quiet_members, locale),
            )
        )
    if duty.stuck_newcomers:
        lines.append(
            t(
                "duties.stuck",
                locale,
                count=len(duty.stuck_newcomers),
                days=GATE_DAYS,
                members=people(duty.stuck_newcomers, locale),
            )
        )
    if not lines:
        lines.append(t("duties.nothing", locale))
    coverage = duty.coverage
    lines.append(
        t(
            "duties.coverage",
            locale,
            checked=coverage.checked_in,
            total=coverage.members,
            days=coverage.days,
        )
    )
    lines.append(t("duties.how", locale))
    return "\n".join(lines)


def coverage_text(circles: Sequence[CircleCoverage], locale: object) -> str:
    """The founders' view: each circle's leader, check-in coverage and last check-in."""
    if not circles:
        return t("coverage.none", locale)
    lines = [t("coverage.title", locale, days=circles[0].days, count=len(circles))]
    for coverage in circles:
        lines.append(
            t(
                "coverage.line",
                locale,
                circle=coverage.name,
                leader=f"<@{coverage.leader_id}>"
                if coverage.leader_id
                else t("coverage.no_leader", locale),
                checked=coverage.checked_in,
                total=coverage.members,
                percent=percent(coverage, locale),
                last=discord_timestamp(coverage.last_checkin_at, "R")
                if coverage.last_checkin_at
                else t("coverage.never", locale),
            )
        )
    members = sum(c.members for c in circles)
    checked = sum(c.checked_in for c in circles)
    lines.append(t("coverage.total", locale, checked=checked, total=members))
    return "\n".join(lines)


def review_text(flags: Sequence[ReviewFlag], locale: object) -> str:
    """The founders' review post: leaders with no activity and no check-ins for the period."""
    lines = [t("review.title", locale, weeks=flags[0].weeks, count=len(flags))]
    for flag in flags:
        lines.append(
            t(
                "review.line",
                locale,
                leader=f"<@{flag.leader_id}>",
                since=discord_timestamp(flag.since, "D"),
                circles=", ".join(flag.circles) if flag.circles else t("review.no_circle", locale),
            )
        )
    lines.append(t("review.footer", locale))
    return "\n".join(lines)


def fit(text: str, limit: int = 2000) -> str:
    """Cut a message to Discord's limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
