"""Community health: growth, invitations, churn, participation, NPS, direct sales and leaders
for any period against the one before it, plain-word alerts, daily snapshots, chart series and
the CSV export. No discord import: ids and dates in, dataclasses out.

The weekly digest and the founders' report call `HealthService.weekly(guild_id, end)`: the 7
days ending at `end` (default now) against the 7 before, with the alerts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.db import Database
from bot.services.clock import Clock, utcnow
from bot.services.health import activity, members
from bot.services.health.models import (
    PERIOD_DAYS,
    SOURCES,
    Alert,
    DailySnapshot,
    HealthReport,
    HistoryPoint,
    NpsScore,
    Period,
    PeriodFigures,
)
from bot.services.health.snapshots import SNAPSHOT_JOB, Snapshots
from bot.services.jobs import JobQueue

__all__ = ["SNAPSHOT_JOB", "HealthService"]

#: NPS on the charts: the answers of the 28 days up to each point (one day's are too few).
NPS_WINDOW_DAYS = 28
#: Alerts: churn at least doubled with at least this many leaving; NPS down by more than this.
CHURN_MIN_LEFT = 2
NPS_DROP = 10


class HealthService:
    """The health figures of a guild."""

    def __init__(self, db: Database, jobs: JobQueue, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock
        self.snapshots = Snapshots(db, jobs, clock)

    # -- reports -------------------------------------------------------------------------------
    async def report(self, guild_id: int, start: datetime, end: datetime) -> HealthReport:
        """[start, end) against the period of the same length just before it, with alerts."""
        if end <= start:
            raise ValueError("a period must end after it starts")
        current = await self.figures(guild_id, start, end)
        previous = await self.figures(guild_id, start - (end - start), start)
        return HealthReport(guild_id, current, previous, alerts(current, previous))

    async def period_report(
        self, guild_id: int, period: Period, end: datetime | None = None
    ) -> HealthReport:
        """The last week (7 days), month (30) or quarter (91) up to `end` (default now)."""
        end = end or self._clock()
        return await self.report(guild_id, end - timedelta(days=PERIOD_DAYS[period]), end)

    async def weekly(self, guild_id: int, end: datetime | None = None) -> HealthReport:
        """The week's numbers and alerts, for the weekly digest and the founders' report."""
        return await self.period_report(guild_id, "week", end)

    async def figures(self, guild_id: int, start: datetime, end: datetime) -> PeriodFigures:
        """Every figure of one period."""
        db = self._db
        growth, churn = await members.stint_figures(db, guild_id, start, end)
        return PeriodFigures(
            start=start,
            end=end,
            growth=growth,
            invitations=await members.invitations(db, guild_id, start, end),
            churn=churn,
            participation=await activity.participation(db, guild_id, start, end),
            nps=await activity.nps(db, guild_id, start, end),
            sales=await activity.sales(db, guild_id, start, end),
            leaders=await activity.leadership(db, guild_id, end, growth.members_end),
            gate=await members.gate(db, guild_id, end),
        )

    # -- history -------------------------------------------------------------------------------
    async def chart_points(
        self, guild_id: int, period: Period, now: datetime | None = None
    ) -> list[HistoryPoint]:
        """The charts' points over the period and the one before it, from the snapshots (up to
        yesterday): daily for a week or a month, weekly for a quarter."""
        now = now or self._clock()
        last = now.astimezone(UTC).date() - timedelta(days=1)
        span = 2 * PERIOD_DAYS[period]
        first = last - timedelta(days=span - 1)
        days = {
            snap.day: snap
            for snap in await self.snapshots.history(
                guild_id, first - timedelta(days=NPS_WINDOW_DAYS - 1), last
            )
        }
        step = 7 if period == "quarter" else 1
        ends = [last - timedelta(days=k) for k in range(0, span, step)]
        return [_point(days, end, step) for end in reversed(ends) if end in days]

    async def export(self, guild_id: int) -> tuple[list[str], list[dict[str, object]]]:
        """Every stored day as CSV rows (header names are stable English column names; empty
        cells: no data). Revenue has two columns per currency, in major units."""
        snaps = await self.snapshots.history(guild_id)
        return export_rows(snaps)


def alerts(current: PeriodFigures, previous: PeriodFigures) -> tuple[Alert, ...]:
    """Plain-word alarms: churn doubled, NPS down by more than 10, too few leaders past the
    alert size, newcomers waiting in the gate for more than a day."""
    found: list[Alert] = []
    rate, before = current.churn.rate.value, previous.churn.rate.value
    if rate is not None and before and rate >= 2 * before and current.churn.left >= CHURN_MIN_LEFT:
        found.append(
            Alert(
                "churn_doubled",
                {
                    "left": current.churn.left,
                    "members": current.churn.members_start,
                    "rate": rate,
                    "previous_rate": before,
                },
            )
        )
    score, earlier = current.nps.overall.score, previous.nps.overall.score
    if score is not None and earlier is not None and earlier - score > NPS_DROP:
        found.append(
            Alert(
                "nps_dropped",
                {"score": score, "previous": earlier, "answers": current.nps.overall.n},
            )
        )
    if current.leaders.short:
        leaders = current.leaders
        found.append(
            Alert(
                "leaders_needed",
                {
                    "members": leaders.members,
                    "leaders": leaders.leaders,
                    "needed": leaders.needed,
                    "per_leader": leaders.members_per_leader_goal,
                },
            )
        )
    gate = current.gate
    if gate.waiting_long and gate.longest_wait is not None:
        found.append(
            Alert(
                "gate_stalled",
                {
                    "waiting": gate.waiting_long,
                    "moderator": gate.waiting_moderator,
                    "hours": gate.longest_wait.total_seconds() / 3600,
                },
            )
        )
    return tuple(found)


def _point(days: dict[date, DailySnapshot], end: date, step: int) -> HistoryPoint:
    """The point of the `step` days ending on `end` (a day: step 1)."""
    snap = days[end]
    bucket = [days[d] for d in (end - timedelta(days=k) for k in range(step)) if d in days]
    nps = NpsScore()
    for offset in range(NPS_WINDOW_DAYS):
        day = days.get(end - timedelta(days=offset))
        if day is not None and day.nps is not None:
            nps += day.nps
    return HistoryPoint(
        day=end,
        members=snap.members,
        joined=sum(s.admitted + s.recorded for s in bucket),
        left=sum(s.left for s in bucket),
        active=snap.active_7d,
        nps=nps.score,
        nps_answers=nps.n,
    )


def export_rows(snaps: list[DailySnapshot]) -> tuple[list[str], list[dict[str, object]]]:
    """The CSV's header and rows: one row per stored day, oldest first."""
    from babel.numbers import get_currency_precision  # lazily: the bot's RSS budget

    currencies = sorted({sale.currency for snap in snaps for sale in snap.sales})
    header = [
        "day",
        "members",
        "pending",
        "admitted",
        "recorded",
        "left",
        "left_early",
        *(f"admitted_{source}" for source in SOURCES),
        "introductions_issued",
        "active_7d",
        "active_share_7d",
        "broad_7d",
        "nps_answers",
        "nps_promoters",
        "nps_passives",
        "nps_detractors",
        "orders_paid",
        "orders_refunded",
        *(f"{kind}_{cur}" for cur in currencies for kind in ("orders", "revenue")),
        "leaders",
        "circle_members",
        "checked_in_30d",
    ]
    rows: list[dict[str, object]] = []
    for snap in snaps:
        nps = snap.nps
        row: dict[str, object] = {
            "day": snap.day.isoformat(),
            "members": snap.members,
            "pending": snap.pending,
            "admitted": snap.admitted,
            "recorded": snap.recorded,
            "left": snap.left,
            "left_early": snap.left_early,
            **{f"admitted_{s}": snap.admitted_by_source.get(s, 0) for s in SOURCES},
            "introductions_issued": snap.introductions_issued,
            "active_7d": _cell(snap.active_7d),
            "active_share_7d": (
                f"{snap.active_7d / snap.members:.4f}"
                if snap.active_7d is not None and snap.members
                else ""
            ),
            "broad_7d": _cell(snap.broad_7d),
            "nps_answers": nps.n if nps else "",
            "nps_promoters": nps.promoters if nps else "",
            "nps_passives": nps.passives if nps else "",
            "nps_detractors": nps.detractors if nps else "",
            "orders_paid": _cell(snap.orders_paid),
            "orders_refunded": _cell(snap.orders_refunded),
            "leaders": _cell(snap.leaders),
            "circle_members": _cell(snap.circle_members),
            "checked_in_30d": _cell(snap.checked_in_30d),
        }
        sold = {sale.currency: sale for sale in snap.sales}
        for cur in currencies:
            digits = int(get_currency_precision(cur))
            sale = sold.get(cur)
            if snap.orders_paid is None:
                row[f"orders_{cur}"] = row[f"revenue_{cur}"] = ""
            else:
                minor = sale.amount_minor if sale else 0
                row[f"orders_{cur}"] = sale.orders if sale else 0
                row[f"revenue_{cur}"] = major_units(minor, digits)
        rows.append(row)
    return header, rows


def major_units(minor: int, digits: int) -> str:
    """An amount in minor units written in major units, exactly ("1234.50"), no float."""
    if digits <= 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}"


def _cell(value: int | None) -> object:
    return "" if value is None else value
