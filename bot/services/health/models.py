"""Community health figures as plain values. A figure that cannot be computed is None ("no
data"), never a zero made up by dividing by nothing; a section whose feature is unused says so
(`enabled` False) instead of showing zeros."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

Period = Literal["week", "month", "quarter"]
#: Periods are rolling: the last 7, 30 or 91 days, compared with the same length before.
PERIOD_DAYS: Mapping[Period, int] = {"week": 7, "month": 30, "quarter": 91}

#: Where admitted members came from. `existing` (members recorded without the gate: at setup, or
#: given the member role by hand) is not an invitation source: Growth counts it as `recorded`.
SOURCES: tuple[str, ...] = ("introduction", "referral", "invite", "vanity", "unknown")

AlertKind = Literal["churn_doubled", "nps_dropped", "leaders_needed", "gate_stalled"]


@dataclass(frozen=True)
class Ratio:
    """A count over its base; `value` is None when the base is zero (no data, not 0 %)."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        """part / whole, or None without a base."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Growth:
    """Members at the period's start and end, and what moved in between."""

    members_start: int
    members_end: int
    admitted: int  # through the gate
    recorded: int  # recorded without the gate (source 'existing')
    left: int

    @property
    def net(self) -> int:
        """Members gained (negative: lost)."""
        return self.members_end - self.members_start

    @property
    def net_growth(self) -> Ratio:
        """Net change over the members at the start."""
        return Ratio(self.net, self.members_start)

    @property
    def has_data(self) -> bool:
        """Anyone was a member at some point of the period."""
        return bool(self.members_start or self.members_end or self.admitted or self.recorded)


@dataclass(frozen=True)
class Invitations:
    """Admissions by source and the introductions' funnel."""

    by_source: Mapping[str, int]
    introductions_issued: int  # written in the period (not cancelled)
    introductions_admitted: int  # ... whose newcomer was admitted by the period's end
    reached_30_days: int  # introduced members whose 30th day fell in the period
    stayed_30_days: int  # ... still members on it

    @property
    def admitted(self) -> int:
        """Members admitted through the gate in the period."""
        return sum(self.by_source.values())

    def share(self, source: str) -> Ratio:
        """One source's part of the admissions."""
        return Ratio(self.by_source.get(source, 0), self.admitted)

    @property
    def conversion(self) -> Ratio:
        """Introductions that led to an admission."""
        return Ratio(self.introductions_admitted, self.introductions_issued)

    @property
    def retention(self) -> Ratio:
        """Introduced members still here after 30 days."""
        return Ratio(self.stayed_30_days, self.reached_30_days)


@dataclass(frozen=True)
class Churn:
    """Members who left, over the members at the start; early: within 30 days of admission."""

    members_start: int
    left: int
    left_early: int

    @property
    def rate(self) -> Ratio:
        """Left in the period ÷ members at its start."""
        return Ratio(self.left, self.members_start)

    @property
    def early(self) -> Ratio:
        """The share of those who left that had been members under 30 days."""
        return Ratio(self.left_early, self.left)


@dataclass(frozen=True)
class Participation:
    """Weekly active members over members, summed over the period's weeks."""

    enabled: bool
    weeks: int = 0  # weeks with recorded signals
    active: int = 0  # members active in a week, summed over the weeks
    broad: int = 0  # ... active in 2 or more kinds of participation
    member_weeks: int = 0  # members at each week's end, summed

    @property
    def rate(self) -> Ratio:
        """Weekly active members ÷ members."""
        return Ratio(self.active, self.member_weeks)

    @property
    def breadth(self) -> Ratio:
        """Members active in 2 or more kinds ÷ members."""
        return Ratio(self.broad, self.member_weeks)

    @property
    def average_active(self) -> float | None:
        """Active members in an average week."""
        return self.active / self.weeks if self.weeks else None

    @property
    def average_members(self) -> float | None:
        """Members in an average week."""
        return self.member_weeks / self.weeks if self.weeks else None


@dataclass(frozen=True)
class NpsScore:
    """NPS answers by category, the score (-100 to 100) and its 95 % margin of error."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        """How many answered."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors (None without answers)."""
        if not self.n:
            return None
        return 100 * (self.promoters - self.detractors) / self.n

    @property
    def margin(self) -> float | None:
        """Half the 95 % confidence interval, in NPS points: 1.96 x sqrt(Var / n), where
        Var = p + d - (p - d)^2 for the promoter and detractor shares p and d (the variance of
        a +1/0/-1 answer). None under 2 answers."""
        if self.n < 2:
            return None
        p, d = self.promoters / self.n, self.detractors / self.n
        return 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / self.n)

    def __add__(self, other: NpsScore) -> NpsScore:
        return NpsScore(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )


@dataclass(frozen=True)
class Nps:
    """NPS answers given in the period, overall and per product."""

    enabled: bool
    overall: NpsScore = field(default_factory=NpsScore)
    by_product: tuple[tuple[str, NpsScore], ...] = ()


@dataclass(frozen=True)
class CurrencySales:
    """Referred paid orders in one currency."""

    currency: str
    orders: int
    amount_minor: int


@dataclass(frozen=True)
class TopReferrer:
    """A member whose code brought paid orders, who did not opt out of being shown."""

    user_id: int
    orders: int


@dataclass(frozen=True)
class Sales:
    """Referred orders placed in the period (still paid), per currency; never summed across."""

    enabled: bool
    by_currency: tuple[CurrencySales, ...] = ()
    refunded: int = 0
    top_referrers: tuple[TopReferrer, ...] = ()

    @property
    def paid_orders(self) -> int:
        """Paid orders in every currency (a count, so it may be summed)."""
        return sum(sales.orders for sales in self.by_currency)


@dataclass(frozen=True)
class Leadership:
    """Leaders at the period's end, members per leader, and circle check-in coverage."""

    enabled: bool
    leaders: int = 0
    members: int = 0
    members_per_leader_goal: int = 15
    alert_at: int = 30
    circle_members: int = 0
    checked_in: int = 0  # circle members with a check-in in the 30 days before the end

    @property
    def members_per_leader(self) -> float | None:
        """Members ÷ leaders (None without leaders)."""
        return self.members / self.leaders if self.leaders else None

    @property
    def needed(self) -> int:
        """Leaders the community should have: one per `members_per_leader_goal` members."""
        return math.ceil(self.members / self.members_per_leader_goal)

    @property
    def short(self) -> bool:
        """Past the alert size with fewer leaders than needed."""
        return self.enabled and self.members >= self.alert_at and self.leaders < self.needed

    @property
    def coverage(self) -> Ratio:
        """Circle members checked in within 30 days ÷ circle members."""
        return Ratio(self.checked_in, self.circle_members)


@dataclass(frozen=True)
class Gate:
    """Newcomers in the gate at the period's end."""

    pending: int
    waiting_long: int  # for more than a day
    waiting_moderator: int  # answers submitted more than a day ago, still undecided
    longest_wait: timedelta | None


@dataclass(frozen=True)
class PeriodFigures:
    """Every health figure of one period [start, end)."""

    start: datetime
    end: datetime
    growth: Growth
    invitations: Invitations
    churn: Churn
    participation: Participation
    nps: Nps
    sales: Sales
    leaders: Leadership
    gate: Gate


@dataclass(frozen=True)
class Alert:
    """Something alarming, with the numbers its message shows."""

    kind: AlertKind
    values: Mapping[str, float]


@dataclass(frozen=True)
class HealthReport:
    """A period's figures, the previous period's (same length), and the alerts."""

    guild_id: int
    current: PeriodFigures
    previous: PeriodFigures
    alerts: tuple[Alert, ...]

    @property
    def is_empty(self) -> bool:
        """Nobody was ever a member in either period: every section has no data."""
        return not (self.current.growth.has_data or self.previous.growth.has_data)


@dataclass(frozen=True)
class DailySnapshot:
    """One stored day of aggregates (None: the feature was not in use that day)."""

    day: date
    members: int
    pending: int
    admitted: int
    recorded: int
    left: int
    left_early: int
    admitted_by_source: Mapping[str, int]
    introductions_issued: int
    active_7d: int | None
    broad_7d: int | None
    nps: NpsScore | None
    orders_paid: int | None
    orders_refunded: int | None
    sales: tuple[CurrencySales, ...]
    leaders: int | None
    circle_members: int | None
    checked_in_30d: int | None


@dataclass(frozen=True)
class HistoryPoint:
    """One point of the charts: a day, or a week ending that day."""

    day: date
    members: int
    joined: int  # admitted + recorded
    left: int
    active: int | None  # members active in the 7 days to that day (None: no data)
    nps: float | None  # answers of the 28 days to that day
    nps_answers: int = 0  # the answers behind `nps`

    @property
    def active_share(self) -> float | None:
        """0..1: `active` of the members that day."""
        return self.active / self.members if self.active is not None and self.members else None
