"""Participation, NPS, direct sales and leaders: what members do, read from each feature's tables.

Participation. A week is 7 UTC days; a period has `days // 7` weeks (at least one), the last
ending on the period's last day. A member is active in a week when `engagement_daily` holds any
positive count for them in it, and they were a member at the week's end. Only what the member
did counts: credit received for others' acts (upvotes on their feedback, an introduction that
stayed) does not make anyone active. The kinds of participation, for breadth, group the signals
so that one act never counts as two kinds: conversation (message), events (rsvp_kept,
attendance_minutes), feedback (feedback_item) and votes (vote). Weeks that end before the
first recorded signal are left out (no data, not zero); with no signal ever recorded the section
is not enabled.

NPS: answers (0-10 buttons of `nps` questions) given in the period, by `voted_at`; a member who
answered several questions counts once per question. Sales: referred orders placed in the
period, paid now (own orders with one's code never count), per currency; refunded ones counted
apart. Top referrers: by paid orders, current members only, only those who opted in to being
named (`/referral showcase`: off by default). Leaders: active at the period's end;
coverage uses the circles as they are now (circle membership has no history) and check-ins in
the 30 days before the end, as `/circles coverage` does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.services.clock import iso
from bot.services.feedback.surveys import DETRACTOR_MAX, PROMOTER_MIN
from bot.services.health.members import members_at
from bot.services.health.models import (
    CurrencySales,
    Leadership,
    Nps,
    NpsScore,
    Participation,
    Sales,
    TopReferrer,
)
from bot.services.leaders.models import LeaderSettings

TOP_REFERRERS = 5
COVERAGE_DAYS = 30

KIND_GROUP = (
    "CASE e.kind WHEN 'message' THEN 1 WHEN 'rsvp_kept' THEN 2 WHEN 'attendance_minutes' THEN 2 "
    "WHEN 'feedback_item' THEN 3 ELSE 4 END"
)
#: Credit a member receives for what others did (upvotes on their feedback, a newcomer they
#: introduced staying 30 days): not something the member did that week.
CREDITED = "('feedback_upvote', 'introduction_stayed')"


async def first_signal_day(db: Database, guild_id: int) -> date | None:
    """The first day with a recorded engagement signal (None: never)."""
    row = await db.fetch_one(
        "SELECT min(day) FROM engagement_daily WHERE guild_id = ?", (guild_id,)
    )
    return date.fromisoformat(row[0]) if row and row[0] else None


def last_day(end: datetime) -> date:
    """The last UTC day a period ending (exclusive) at `end` touches."""
    return (end - timedelta(microseconds=1)).date()


async def participation(
    db: Database, guild_id: int, start: datetime, end: datetime
) -> Participation:
    """Weekly active members and breadth, summed over the period's weeks."""
    first = await first_signal_day(db, guild_id)
    if first is None:
        return Participation(enabled=False)
    weeks = max(1, (end - start).days // 7)
    ends = [end - timedelta(days=7 * k) for k in range(weeks)]
    windows = [
        (index, last_day(at) - timedelta(days=6), last_day(at), at)
        for index, at in enumerate(ends)
        if last_day(at) >= first
    ]
    if not windows:
        return Participation(enabled=True)
    active = await _active(db, guild_id, windows)
    members = await members_at(db, guild_id, [at for _, _, _, at in windows])
    return Participation(
        enabled=True,
        weeks=len(windows),
        active=sum(count for count, _ in active.values()),
        broad=sum(broad for _, broad in active.values()),
        member_weeks=sum(members),
    )


async def _active(
    db: Database, guild_id: int, windows: list[tuple[int, date, date, datetime]]
) -> dict[int, tuple[int, int]]:
    """Per window: (active members, members active in 2+ kinds), members at its end only."""
    values = ", ".join("(?, ?, ?, ?)" for _ in windows)
    params: list[Any] = [
        v
        for index, first, last, at in windows
        for v in (index, first.isoformat(), last.isoformat(), iso(at))
    ]
    rows = await db.fetch_all(
        f"WITH w(idx, first_day, last_day, at) AS (VALUES {values}), "
        f"act AS (SELECT w.idx AS idx, w.at AS at, e.user_id AS user_id, "
        f"count(DISTINCT {KIND_GROUP}) AS kinds FROM w JOIN engagement_daily e "
        "ON e.guild_id = ? AND e.day >= w.first_day AND e.day <= w.last_day AND e.count > 0 "
        f"AND e.kind NOT IN {CREDITED} GROUP BY w.idx, e.user_id) "
        "SELECT idx, count(*) AS active, coalesce(sum(kinds >= 2), 0) AS broad FROM act "
        "WHERE EXISTS (SELECT 1 FROM member_stint s WHERE s.guild_id = ? "
        "AND s.user_id = act.user_id AND s.admitted_at IS NOT NULL AND s.admitted_at < act.at "
        "AND (s.left_at IS NULL OR s.left_at >= act.at)) GROUP BY idx",
        (*params, guild_id, guild_id),
    )
    return {int(row["idx"]): (int(row["active"]), int(row["broad"])) for row in rows}


async def nps_enabled(db: Database, guild_id: int, before: datetime | None = None) -> bool:
    """Whether the guild ever asked an NPS question (before `before`, when given)."""
    row = await db.fetch_one(
        "SELECT 1 FROM poll WHERE guild_id = ? AND kind = 'nps' AND created_at < ? LIMIT 1",
        (guild_id, iso(before) if before else "9999"),
    )
    return row is not None


async def nps(db: Database, guild_id: int, start: datetime, end: datetime) -> Nps:
    """NPS answers given in [start, end), overall and per product (most answers first)."""
    if not await nps_enabled(db, guild_id, end):
        return Nps(enabled=False)
    rows = await db.fetch_all(
        "SELECT coalesce(p.product, '') AS product, v.position, count(*) AS n "
        "FROM poll_vote v JOIN poll p ON p.id = v.poll_id WHERE p.guild_id = ? "
        "AND p.kind = 'nps' AND v.voted_at >= ? AND v.voted_at < ? GROUP BY 1, 2",
        (guild_id, iso(start), iso(end)),
    )
    products: dict[str, NpsScore] = {}
    for row in rows:
        position, n = int(row["position"]), int(row["n"])
        if not 0 <= position <= 10:
            continue
        score = _category(position, n)
        products[row["product"]] = products.get(row["product"], NpsScore()) + score
    overall = sum(products.values(), NpsScore())
    named = sorted(
        ((name, score) for name, score in products.items() if name),
        key=lambda pair: (-pair[1].n, pair[0].casefold()),
    )
    return Nps(enabled=True, overall=overall, by_product=tuple(named))


def _category(position: int, n: int) -> NpsScore:
    if position >= PROMOTER_MIN:
        return NpsScore(promoters=n)
    if position <= DETRACTOR_MAX:
        return NpsScore(detractors=n)
    return NpsScore(passives=n)


async def sales_enabled(db: Database, guild_id: int, before: datetime | None = None) -> bool:
    """Whether the referral program was in use (before `before`): a store code made, or an
    order placed (by its order date: a late import still fills the days it happened)."""
    cutoff = iso(before) if before else "9999"
    row = await db.fetch_one(
        "SELECT EXISTS (SELECT 1 FROM referral_code WHERE guild_id = ? AND created_at < ?) "
        "OR EXISTS (SELECT 1 FROM referral_order WHERE guild_id = ? AND ordered_at < ?)",
        (guild_id, cutoff, guild_id, cutoff),
    )
    return bool(row and row[0])


async def sales(
    db: Database, guild_id: int, start: datetime, end: datetime, *, top: int = TOP_REFERRERS
) -> Sales:
    """Referred paid orders placed in [start, end) per currency, refunds, and top referrers."""
    if not await sales_enabled(db, guild_id, end):
        return Sales(enabled=False)
    span = (guild_id, iso(start), iso(end))
    rows = await db.fetch_all(
        "SELECT currency, count(*) AS n, sum(amount_minor) AS amount FROM referral_order "
        "WHERE guild_id = ? AND ordered_at >= ? AND ordered_at < ? AND status = 'paid' "
        "AND self_referral = 0 GROUP BY currency ORDER BY currency",
        span,
    )
    refunded = await db.fetch_one(
        "SELECT count(*) FROM referral_order WHERE guild_id = ? AND ordered_at >= ? "
        "AND ordered_at < ? AND status = 'refunded' AND self_referral = 0",
        span,
    )
    ranked = await db.fetch_all(
        "SELECT o.referrer_id, count(*) AS n FROM referral_order o "
        "JOIN referral_member m ON m.guild_id = o.guild_id AND m.user_id = o.referrer_id "
        "WHERE o.guild_id = ? AND o.ordered_at >= ? AND o.ordered_at < ? AND o.status = 'paid' "
        "AND o.self_referral = 0 AND m.showcase = 1 "
        "AND coalesce((SELECT s.status FROM member_stint s WHERE s.guild_id = o.guild_id "
        "AND s.user_id = o.referrer_id ORDER BY s.id DESC LIMIT 1), 'member') = 'member' "
        "GROUP BY o.referrer_id ORDER BY n DESC, o.referrer_id LIMIT ?",
        (*span, top),
    )
    return Sales(
        enabled=True,
        by_currency=tuple(
            CurrencySales(row["currency"], int(row["n"]), int(row["amount"])) for row in rows
        ),
        refunded=int(refunded[0]) if refunded else 0,
        top_referrers=tuple(TopReferrer(int(r["referrer_id"]), int(r["n"])) for r in ranked),
    )


async def leaders_enabled(db: Database, guild_id: int, before: datetime | None = None) -> bool:
    """Whether the leaders feature is in use: set up, or a leader or circle ever made."""
    cutoff = iso(before) if before else "9999"
    row = await db.fetch_one(
        "SELECT EXISTS (SELECT 1 FROM leader_settings WHERE guild_id = ? AND updated_at < ?) "
        "OR EXISTS (SELECT 1 FROM leader WHERE guild_id = ? AND since < ?) "
        "OR EXISTS (SELECT 1 FROM circle WHERE guild_id = ? AND created_at < ?)",
        (guild_id, cutoff, guild_id, cutoff, guild_id, cutoff),
    )
    return bool(row and row[0])


# The people of open circles now (leaders apart), whose latest stint is `member` or who have
# none (as the leaders' duty lists count them).
_CIRCLE_PEOPLE = (
    "SELECT m.user_id, m.circle_id FROM circle_member m JOIN circle c ON c.id = m.circle_id "
    "WHERE m.guild_id = :guild AND c.closed_at IS NULL AND m.user_id IS NOT c.leader_id "
    "AND coalesce((SELECT s.status FROM member_stint s WHERE s.guild_id = m.guild_id "
    "AND s.user_id = m.user_id ORDER BY s.id DESC LIMIT 1), 'member') = 'member'"
)


async def leadership(db: Database, guild_id: int, end: datetime, members: int) -> Leadership:
    """Leaders active at `end`, members per leader, and the circles' check-in coverage."""
    if not await leaders_enabled(db, guild_id, end):
        return Leadership(enabled=False, members=members)
    settings = await db.fetch_one(
        "SELECT members_per_leader, alert_at FROM leader_settings WHERE guild_id = ?",
        (guild_id,),
    )
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM leader WHERE guild_id = :guild AND since < :end "
        "AND (ended_at IS NULL OR ended_at >= :end)) AS leaders, "
        f"(SELECT count(*) FROM ({_CIRCLE_PEOPLE})) AS people, "
        f"(SELECT count(DISTINCT k.member_id) FROM ({_CIRCLE_PEOPLE}) p "
        "JOIN circle_checkin k ON k.guild_id = :guild AND k.member_id = p.user_id "
        "AND k.circle_id = p.circle_id AND k.at >= :since AND k.at < :end) AS checked",
        {"guild": guild_id, "end": iso(end), "since": iso(end - timedelta(days=COVERAGE_DAYS))},
    )
    assert row is not None
    defaults = LeaderSettings(guild_id)
    return Leadership(
        enabled=True,
        leaders=int(row["leaders"]),
        members=members,
        members_per_leader_goal=(
            int(settings["members_per_leader"]) if settings else defaults.members_per_leader
        ),
        alert_at=int(settings["alert_at"]) if settings else defaults.alert_at,
        circle_members=int(row["people"]),
        checked_in=int(row["checked"]),
    )
