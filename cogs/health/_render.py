"""What the health dashboard looks like: one embed (the alerts in plain words, then one field per
section from `_sections`), and the CSV export.

Also usable by the weekly digest's founders' report: `alert_lines` and `health_embed` take a
`HealthReport` and a locale and touch nothing else.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import discord

from bot.i18n import discord_timestamp, format_number, t
from bot.services.health.models import Alert, HealthReport
from cogs.health._sections import OWN_DATA, SECTIONS, percent, signed, whole

COLOUR = 0x5865F2
ALERT_COLOUR = 0xF0B232
FIELD_MAX = 1024


def alert_lines(alerts: Sequence[Alert], locale: object) -> list[str]:
    """Each alert as one plain-word line."""
    lines = []
    for alert in alerts:
        v = alert.values
        if alert.kind == "churn_doubled":
            params = {
                "left": format_number(v["left"], locale),
                "members": format_number(v["members"], locale),
                "rate": percent(v["rate"], locale),
                "previous": percent(v["previous_rate"], locale),
            }
        elif alert.kind == "nps_dropped":
            params = {
                "previous": signed(v["previous"], locale),
                "score": signed(v["score"], locale),
                "answers": format_number(v["answers"], locale),
            }
        elif alert.kind == "leaders_needed":
            params = {k: format_number(v[k], locale) for k in v}
        else:
            params = {
                "waiting": format_number(v["waiting"], locale),
                "moderator": format_number(v["moderator"], locale),
                "hours": format_number(whole(v["hours"]), locale),
            }
        lines.append(t(f"health.alert.{alert.kind}", locale, **params))
    return lines


def health_embed(report: HealthReport, period_key: str, locale: object) -> discord.Embed:
    """The dashboard: the alerts, then one field per section."""
    now, before = report.current, report.previous
    days = (now.end - now.start).days
    lines = [
        t(
            "health.description",
            locale,
            start=discord_timestamp(now.start, "d"),
            end=discord_timestamp(now.end, "d"),
            days=days,
        ),
        "",
        *(alert_lines(report.alerts, locale) or [t("health.alerts.none", locale)]),
    ]
    embed = discord.Embed(
        title=t("health.title", locale, period=t(f"health.period.{period_key}", locale)),
        description="\n".join(lines)[:4096],
        colour=ALERT_COLOUR if report.alerts else COLOUR,
    )
    members_known = now.growth.has_data or before.growth.has_data
    for title, render in SECTIONS:
        # Growth, invitations and churn divide by members: none in either period is no data.
        value = render(now, before, locale) if members_known or render in OWN_DATA else ""
        embed.add_field(
            name=t(title, locale),
            value=_fit(_tidy(value) or t("health.no_data", locale)),
            inline=False,
        )
    embed.set_footer(text=t("health.footer", locale))
    return embed


def _tidy(text: str) -> str:
    """Lines without the gaps an empty change leaves (ASCII spaces only: Babel's no-break
    spaces in "21,1 %" stay)."""
    return "\n".join(re.sub(" {2,}", " ", line).rstrip() for line in text.splitlines())


def _fit(text: str) -> str:
    return text if len(text) <= FIELD_MAX else text[: FIELD_MAX - 1] + "…"


def csv_bytes(header: Sequence[str], rows: Sequence[dict[str, object]]) -> bytes:
    """UTF-8 CSV with a header row (and a BOM, as every Vouch export, so spreadsheet apps read
    it as UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
