"""Scores of 1-5 ratings and 0-10 NPS surveys: averages, distributions, NPS, per product and month.

NPS = % promoters (9-10) minus % detractors (0-6), over everyone who answered, from -100 to 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.db import Database

#: The values a kind of survey asks for, in button order.
SCALES: dict[str, tuple[int, ...]] = {"rating": (1, 2, 3, 4, 5), "nps": tuple(range(11))}
PROMOTER_MIN, DETRACTOR_MAX = 9, 6


@dataclass(frozen=True)
class Score:
    """The answers to ratings or NPS questions: how many gave each value."""

    kind: str
    values: tuple[int, ...]
    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        """How many answered."""
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        """The mean value (None without answers)."""
        if not self.n:
            return None
        return sum(v * c for v, c in zip(self.values, self.counts, strict=True)) / self.n

    def _share(self, low: int, high: int) -> float:
        picked = sum(c for v, c in zip(self.values, self.counts, strict=True) if low <= v <= high)
        return 100 * picked / self.n if self.n else 0.0

    @property
    def promoters(self) -> float:
        """% of answers 9-10."""
        return self._share(PROMOTER_MIN, 10)

    @property
    def passives(self) -> float:
        """% of answers 7-8."""
        return self._share(DETRACTOR_MAX + 1, PROMOTER_MIN - 1)

    @property
    def detractors(self) -> float:
        """% of answers 0-6."""
        return self._share(0, DETRACTOR_MAX)

    @property
    def nps(self) -> int | None:
        """The Net Promoter Score, rounded (NPS questions with answers only)."""
        if self.kind != "nps" or not self.n:
            return None
        return round(self.promoters - self.detractors)


def score_of(kind: str, counts: Sequence[int]) -> Score:
    """A Score from the counts per button position."""
    return Score(kind, SCALES[kind], tuple(counts))


@dataclass(frozen=True)
class SurveyReport:
    """All answers of a guild's ratings and NPS surveys (optionally of one product)."""

    product: str | None
    nps: Score
    rating: Score
    #: (YYYY-MM, NPS score of that month's answers), oldest first.
    nps_by_month: tuple[tuple[str, Score], ...]
    #: (product, NPS score), most answers first; "" is "no product".
    nps_by_product: tuple[tuple[str, Score], ...]
    rating_by_product: tuple[tuple[str, Score], ...]


async def survey_report(db: Database, guild_id: int, product: str | None) -> SurveyReport:
    """Every answer of the guild's surveys, grouped by month and by product."""
    rows = await db.fetch_all(
        "SELECT p.kind, coalesce(p.product, '') AS product, substr(v.voted_at, 1, 7) AS month, "
        "v.position, count(*) AS n FROM poll_vote v JOIN poll p ON p.id = v.poll_id "
        "WHERE p.guild_id = ? AND p.kind IN ('rating', 'nps') "
        "AND (? IS NULL OR lower(p.product) = lower(?)) "
        "GROUP BY p.kind, product, month, v.position",
        (guild_id, product, product),
    )
    totals: dict[str, list[int]] = {kind: [0] * len(SCALES[kind]) for kind in SCALES}
    months: dict[str, list[int]] = {}
    products: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        kind, position, n = row["kind"], int(row["position"]), int(row["n"])
        size = len(SCALES[kind])
        if not 0 <= position < size:
            continue
        totals[kind][position] += n
        products.setdefault((kind, row["product"]), [0] * size)[position] += n
        if kind == "nps" and row["month"]:
            months.setdefault(row["month"], [0] * size)[position] += n

    def by_product(kind: str) -> tuple[tuple[str, Score], ...]:
        found = [(name, score_of(kind, c)) for (k, name), c in products.items() if k == kind]
        return tuple(sorted(found, key=lambda pair: (-pair[1].n, pair[0].casefold())))

    return SurveyReport(
        product=product,
        nps=score_of("nps", totals["nps"]),
        rating=score_of("rating", totals["rating"]),
        nps_by_month=tuple((month, score_of("nps", months[month])) for month in sorted(months)),
        nps_by_product=by_product("nps"),
        rating_by_product=by_product("rating"),
    )
