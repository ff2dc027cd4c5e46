"""How referral figures read in a reply: within one message, in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.i18n import format_money, t
from bot.services.referrals.insight import MemberStats, Rank
from bot.services.referrals.orders import ImportReport, RowProblem
from bot.services.referrals.rewards import Award

REPLY_LIMIT = 1_900


def fit(lines: Sequence[str], locale: object, *, hidden: int = 0) -> str:
    """Join lines into one message; lines that don't fit are counted in a "… and N more" line."""
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        more = t("list.more", locale, count=len(lines) - index + hidden)
        if size + len(line) + 1 + len(more) + 1 > REPLY_LIMIT:
            return "\n".join([*kept, more])
        kept.append(line)
        size += len(line) + 1
    if hidden:
        kept.append(t("list.more", locale, count=hidden))
    return "\n".join(kept)


def render_problems(
    summary: str, problems: Sequence[RowProblem], total: int, locale: object
) -> str:
    """A summary line, then the rejected lines with their numbers."""
    lines = [summary]
    lines += ["- " + t(p.key, locale, line=p.line, value=p.value) for p in problems]
    return fit(lines, locale, hidden=total - len(problems))


def render_report(report: ImportReport, locale: object) -> str:
    """The import summary and the first rejected lines, within one message."""
    summary = t(
        "referral.import.summary",
        locale,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )
    return render_problems(summary, report.problems, report.rejected, locale)


def revenue(amounts: dict[str, int], locale: object) -> str:
    """Revenue per currency, never summed across currencies."""
    if not amounts:
        return t("referral.stats.no_revenue", locale)
    return " · ".join(format_money(minor, cur, locale) for cur, minor in sorted(amounts.items()))


def render_stats(stats: MemberStats, who: str, locale: object) -> str:
    """A member's joins, orders and revenue."""
    j, o = stats.joins, stats.orders
    return "\n".join(
        [
            t("referral.stats.title", locale, who=who),
            t(
                "referral.stats.joins",
                locale,
                brought=j.brought,
                admitted=j.admitted,
                still_here=j.still_here,
                kept=j.kept,
                left_early=j.left_early,
            ),
            t("referral.stats.flags", locale, young=j.young_accounts, rejoins=j.rejoins),
            t(
                "referral.stats.orders",
                locale,
                paid=o.paid,
                refunded=o.refunded,
                cancelled=o.cancelled,
                own=o.own_orders,
            ),
            t("referral.stats.revenue", locale, revenue=revenue(o.revenue, locale)),
        ]
    )


def render_leaderboard(ranks: Sequence[Rank], period_label: str, locale: object) -> str:
    """The top members of a period."""
    if not ranks:
        return t("referral.leaderboard.empty", locale, period=period_label)
    lines = [t("referral.leaderboard.title", locale, period=period_label)]
    for place, rank in enumerate(ranks, start=1):
        lines.append(
            t(
                "referral.leaderboard.line",
                locale,
                place=place,
                member=f"<@{rank.user_id}>",
                orders=rank.paid_orders,
                kept=rank.kept_joins,
            )
        )
    return fit(lines, locale)


def render_attention(awards: Sequence[Award], available: int, locale: object) -> str:
    """The pool, and the awards moderators should act on."""
    lines = [t("referral.rewards.pool", locale, available=available)]
    for award in awards:
        if award.status == "held":
            key = "referral.rewards.held"
        elif award.status == "undeliverable":
            key = "referral.rewards.undeliverable"
        elif award.code_owed:
            key = "referral.rewards.owed"
        else:
            key = "referral.rewards.below"
        lines.append(
            "- "
            + t(
                key,
                locale,
                member=f"<@{award.user_id}>",
                orders=award.orders,
                code=award.code or "-",
            )
        )
    if not awards:
        lines.append(t("referral.rewards.nothing", locale))
    return fit(lines, locale)


def csv_bytes(header: Sequence[str], rows: Sequence[dict[str, object]]) -> bytes:
    """A UTF-8 CSV (with a BOM, so spreadsheet apps read accents right)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
