"""The dashboard's two charts, drawn off the event loop by bot.charts: members over time with
joins and leaves, and participation with NPS. Labels in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Sequence

import discord

from bot.charts import render_timeseries
from bot.i18n import babel_locale, format_number, t
from bot.services.health.models import HistoryPoint


def _day(point: HistoryPoint, locale: object) -> str:
    from babel.dates import format_date

    return format_date(point.day, format="medium", locale=babel_locale(locale))


def _active_label(points: Sequence[HistoryPoint], locale: str) -> str:
    """The participation line's name, with the counts behind its latest share ("5 of 23"): a
    small community reads counts better than percentages."""
    latest = next((p for p in reversed(points) if p.active is not None), None)
    if latest is None or latest.active is None:
        return t("health.chart.active", locale)
    return t(
        "health.chart.active_latest",
        locale,
        active=format_number(latest.active, locale),
        members=format_number(latest.members, locale),
    )


def _nps_label(points: Sequence[HistoryPoint], locale: str) -> str:
    """The NPS line's name, with the number of answers behind its latest score."""
    latest = next((p for p in reversed(points) if p.nps is not None), None)
    if latest is None:
        return t("health.chart.nps", locale)
    return t("health.chart.nps_latest", locale, answers=format_number(latest.nps_answers, locale))


async def health_charts(
    points: Sequence[HistoryPoint], weekly: bool, locale: str
) -> list[discord.File]:
    """Two PNG attachments (in this order: members, participation and NPS)."""
    if points:
        key = "health.chart.weekly" if weekly else "health.chart.daily"
        subtitle = t(key, locale, day=_day(points[-1], locale))
    else:
        subtitle = t("health.chart.empty", locale)
    members = await render_timeseries(
        t("health.chart.members.title", locale),
        {t("health.chart.members", locale): [(p.day, float(p.members)) for p in points]},
        locale,
        bars={
            t("health.chart.joined", locale): [(p.day, p.joined) for p in points],
            t("health.chart.left", locale): [(p.day, p.left) for p in points],
        },
        subtitle=subtitle,
    )
    activity = await render_timeseries(
        t("health.chart.activity.title", locale),
        {
            _active_label(points, locale): [
                (p.day, round(100 * p.active_share, 1))
                for p in points
                if p.active_share is not None
            ],
            _nps_label(points, locale): [
                (p.day, round(p.nps, 1)) for p in points if p.nps is not None
            ],
        },
        locale,
        y_label=t("health.chart.axis", locale),
        subtitle=subtitle if points else t("health.chart.empty", locale),
    )
    return [
        discord.File(io.BytesIO(members), filename="health-members.png"),
        discord.File(io.BytesIO(activity), filename="health-participation-nps.png"),
    ]
