"""The dashboard's figures with their change: revenue per currency in its own money, a currency
that sold nothing this period still shown with its fall, and nothing to compare says nothing."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import cast

from bot.i18n import t
from bot.services.health.models import CurrencySales, HistoryPoint, PeriodFigures, Sales
from cogs.health._charts import _active_label, _nps_label
from cogs.health._render import _tidy
from cogs.health._sections import _sales, change, money_change

EN = "en-US"


def figures(sales: Sales) -> PeriodFigures:
    """Only the sales section is read by `_sales`."""
    return cast(PeriodFigures, SimpleNamespace(sales=sales))


def test_money_change_is_in_the_currency_and_never_across() -> None:
    now = CurrencySales("EUR", 3, 9_500)
    assert money_change(now, CurrencySales("EUR", 1, 4_200), EN) == "▲ €53.00"
    assert money_change(CurrencySales("EUR", 1, 4_200), now, EN) == "▼ €53.00"
    assert money_change(now, now, EN) == "="
    assert money_change(now, None, EN) == "▲ €95.00"  # nothing sold in it before
    assert money_change(CurrencySales("DKK", 0, 0), None, EN) == ""


def test_a_currency_gone_this_period_shows_its_fall() -> None:
    before = Sales(True, (CurrencySales("DKK", 2, 12_200), CurrencySales("EUR", 1, 4_200)))
    now = Sales(True, (CurrencySales("EUR", 3, 9_500),))
    lines = _tidy(_sales(figures(now), figures(before), EN)).splitlines()
    assert lines[:2] == [
        "€95.00 ▲ €53.00 · paid orders: 3 ▲ 2",
        "DKK0.00 ▼ DKK122.00 · paid orders: 0 ▼ 2",
    ]
    assert lines[2] == t("health.sales.refunded", EN, count="0")


def test_no_previous_figure_means_no_arrow() -> None:
    assert change(5, None, EN) == "" and change(None, 3, EN) == ""
    assert change(0.25, 0.2, EN, points=True) == "▲ 5 pts"
    assert change(3, 3, EN) == "="


def test_chart_lines_are_named_with_the_counts_behind_them() -> None:
    points = [
        HistoryPoint(date(2026, 10, 31), 22, 1, 0, 5, 20.0, nps_answers=10),
        HistoryPoint(date(2026, 11, 1), 23, 1, 1, 5, 12.5, nps_answers=8),
    ]
    assert _active_label(points, "fr") == t(
        "health.chart.active_latest", "fr", active="5", members="23"
    )
    assert _nps_label(points, "da") == t("health.chart.nps_latest", "da", answers="8")
    bare = [HistoryPoint(date(2026, 11, 1), 23, 0, 0, None, None)]
    assert _active_label(bare, "en-US") == t("health.chart.active", "en-US")
    assert _nps_label(bare, "en-US") == t("health.chart.nps", "en-US")
