"""Who brings members and sales: per-member stats, the leaderboard and the export.

Joins count when a member sponsored them (an introduction or their personal link). A join is
flagged, and never counts as kept, when the account was younger than the guild's threshold, when
the person had been here before, or when they left within the early-leave window. Revenue is
kept per currency: currencies are never summed together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.services.clock import Clock, iso, utcnow
from bot.services.referrals.codes import ReferralSettings

DISCORD_EPOCH_MS = 1_420_070_400_000
Period = Literal["month", "quarter", "all"]
LEADERBOARD_SIZE = 10


def account_created(user_id: int) -> datetime:
    """When a Discord account was made, read from its snowflake id."""
    return datetime.fromtimestamp(((user_id >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass
class JoinStats:
    """The joins a member brought."""

    brought: int = 0
    admitted: int = 0
    still_here: int = 0
    kept: int = 0
    left_early: int = 0
    young_accounts: int = 0
    rejoins: int = 0


@dataclass
class OrderStats:
    """The orders credited to a member's code."""

    paid: int = 0
    refunded: int = 0
    cancelled: int = 0
    own_orders: int = 0  # the member's own purchases with their code: never credited
    revenue: dict[str, int] = field(default_factory=dict)  # currency -> minor units, paid only


@dataclass(frozen=True)
class MemberStats:
    """A member's referral record (or the whole community's, with user_id None)."""

    user_id: int | None
    joins: JoinStats
    orders: OrderStats


@dataclass(frozen=True)
class Rank:
    """One line of the leaderboard."""

    user_id: int
    paid_orders: int
    kept_joins: int


def period_start(period: Period, now: datetime, tz: str) -> datetime | None:
    """The start of the current month or quarter in the guild's time zone (None: all time)."""
    if period == "all":
        return None
    local = now.astimezone(ZoneInfo(tz))
    month = local.month if period == "month" else 3 * ((local.month - 1) // 3) + 1
    start = local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC)


class ReferralInsight:
    """Read-only figures over stints, orders and settings."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def stats(
        self, guild_id: int, settings: ReferralSettings, user_id: int | None = None
    ) -> MemberStats:
        """One member's figures, or the community's when user_id is None."""
        joins: dict[int, JoinStats] = defaultdict(JoinStats)
        for sponsor, stint in await self._sponsored(guild_id, user_id):
            _count_join(joins[sponsor], stint, settings)
        orders = await self._orders(guild_id, user_id)
        total_joins = JoinStats()
        for stats in joins.values():
            for name in vars(total_joins):
                setattr(total_joins, name, getattr(total_joins, name) + getattr(stats, name))
        total_orders = OrderStats()
        for member_orders in orders.values():
            _add_orders(total_orders, member_orders)
        return MemberStats(user_id, total_joins, total_orders)

    async def leaderboard(
        self, guild_id: int, settings: ReferralSettings, period: Period, tz: str
    ) -> list[Rank]:
        """Members ranked by credited paid orders in the period; ties go to more kept joins."""
        now = self._clock()
        start = period_start(period, now, tz)
        rows = await self._db.fetch_all(
            "SELECT referrer_id, count(*) AS paid FROM referral_order WHERE guild_id = ? "
            "AND status = 'paid' AND self_referral = 0 AND ordered_at >= ? GROUP BY referrer_id",
            (guild_id, iso(start) if start else ""),
        )
        kept: dict[int, JoinStats] = defaultdict(JoinStats)
        for sponsor, stint in await self._sponsored(guild_id, None, since=start):
            _count_join(kept[sponsor], stint, settings)
        ranks = [
            Rank(int(row["referrer_id"]), int(row["paid"]), kept[int(row["referrer_id"])].kept)
            for row in rows
        ]
        ranks.sort(key=lambda rank: (-rank.paid_orders, -rank.kept_joins, rank.user_id))
        return ranks[:LEADERBOARD_SIZE]

    async def export(
        self, guild_id: int, settings: ReferralSettings
    ) -> tuple[list[str], list[dict[str, object]]]:
        """One row per member who has a code, brought someone, or has orders: the CSV export.
        Revenue has one column per currency."""
        joins: dict[int, JoinStats] = defaultdict(JoinStats)
        for sponsor, stint in await self._sponsored(guild_id, None):
            _count_join(joins[sponsor], stint, settings)
        orders = await self._orders(guild_id, None)
        codes = {
            int(code["user_id"]): code["code"]
            for code in await self._db.fetch_all(
                "SELECT user_id, code FROM referral_code WHERE guild_id = ?", (guild_id,)
            )
        }
        currencies = sorted({cur for stats in orders.values() for cur in stats.revenue})
        from babel.numbers import get_currency_precision  # lazily: the bot's RSS budget

        header = [
            "member_id",
            "code",
            *(f"joins_{name}" for name in vars(JoinStats())),
            "orders_paid",
            "orders_refunded",
            "orders_cancelled",
            "own_orders_excluded",
            *(f"revenue_{cur}" for cur in currencies),
        ]
        rows: list[dict[str, object]] = []
        for user_id in sorted(set(joins) | set(orders) | set(codes)):
            j, o = joins.get(user_id, JoinStats()), orders.get(user_id, OrderStats())
            row: dict[str, object] = {"member_id": str(user_id), "code": codes.get(user_id, "")}
            row.update({f"joins_{name}": value for name, value in vars(j).items()})
            row.update(
                orders_paid=o.paid,
                orders_refunded=o.refunded,
                orders_cancelled=o.cancelled,
                own_orders_excluded=o.own_orders,
            )
            for cur in currencies:
                digits = int(get_currency_precision(cur))
                minor = o.revenue.get(cur, 0)
                row[f"revenue_{cur}"] = f"{minor / 10**digits:.{digits}f}"
            rows.append(row)
        return header, rows

    async def flagged_members(self, guild_id: int, settings: ReferralSettings) -> set[int]:
        """The people the referral integrity flags point at, with the rule `/referrals stats`
        shows ("flagged: new accounts, rejoins"): everyone who brought a join flagged as a new
        account or a rejoin, and everyone who joined through a sponsor on an account younger
        than the threshold. A quick leave alone flags nobody: people leave for ordinary
        reasons. All time, like the stats."""
        flagged: set[int] = set()
        for sponsor, stint in await self._sponsored(guild_id, None):
            join = JoinStats()
            _count_join(join, stint, settings)
            if join.young_accounts or join.rejoins:
                flagged.add(sponsor)
            if join.young_accounts:
                flagged.add(int(stint["user_id"]))
        return flagged

    async def _sponsored(
        self, guild_id: int, user_id: int | None, since: datetime | None = None
    ) -> list[tuple[int, Any]]:
        rows = await self._db.fetch_all(
            "SELECT sponsor_id, user_id, status, rejoin, joined_at, admitted_at, left_at "
            "FROM member_stint WHERE guild_id = ? AND sponsor_id IS NOT NULL "
            "AND source IN ('introduction', 'referral') AND (? IS NULL OR sponsor_id = ?) "
            "AND joined_at >= ?",
            (guild_id, user_id, user_id, iso(since) if since else ""),
        )
        return [(int(row["sponsor_id"]), row) for row in rows]

    async def _orders(self, guild_id: int, user_id: int | None) -> dict[int, OrderStats]:
        rows = await self._db.fetch_all(
            "SELECT referrer_id, status, self_referral, currency, count(*) AS n, "
            "sum(amount_minor) AS amount FROM referral_order WHERE guild_id = ? "
            "AND (? IS NULL OR referrer_id = ?) "
            "GROUP BY referrer_id, status, self_referral, currency",
            (guild_id, user_id, user_id),
        )
        stats: dict[int, OrderStats] = defaultdict(OrderStats)
        for row in rows:
            member = stats[int(row["referrer_id"])]
            if row["self_referral"]:
                member.own_orders += row["n"]
            elif row["status"] == "paid":
                member.paid += row["n"]
                member.revenue[row["currency"]] = (
                    member.revenue.get(row["currency"], 0) + row["amount"]
                )
            elif row["status"] == "refunded":
                member.refunded += row["n"]
            else:
                member.cancelled += row["n"]
        return stats


def _count_join(stats: JoinStats, row: Any, settings: ReferralSettings) -> None:
    """Add one sponsored join, with its integrity flags."""
    joined = datetime.fromisoformat(row["joined_at"])
    young = joined - account_created(int(row["user_id"])) < timedelta(
        days=settings.young_account_days
    )
    left_early = row["left_at"] is not None and datetime.fromisoformat(
        row["left_at"]
    ) - joined < timedelta(days=settings.early_leave_days)
    stats.brought += 1
    stats.admitted += row["admitted_at"] is not None
    stats.still_here += row["status"] == "member"
    stats.young_accounts += young
    stats.rejoins += bool(row["rejoin"])
    stats.left_early += left_early
    stats.kept += row["status"] == "member" and not young and not row["rejoin"]


def _add_orders(total: OrderStats, more: OrderStats) -> None:
    total.paid += more.paid
    total.refunded += more.refunded
    total.cancelled += more.cancelled
    total.own_orders += more.own_orders
    for currency, amount in more.revenue.items():
        total.revenue[currency] = total.revenue.get(currency, 0) + amount
