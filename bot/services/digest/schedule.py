"""When the weekly digest goes out: weeks of the guild's calendar, their slots, and the plan.

A week is the ISO week of the digest's scheduled date in the guild's time zone, written
'2026-W45'. The digest day is 0 (Monday) to 6 (Sunday), the way ISO weeks run, so each week has
exactly one slot (its day at its hour, local time) and each slot one week whatever the time zone.
The run ledger is keyed by week: a week's digest goes out at most once, and a change of day,
hour or time zone moves the slot of a week without ever giving a week two slots.

Pure functions: no database, no clock of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: A slot missed by more than this (the bot was offline) is skipped, never sent late.
GRACE = timedelta(days=1)
#: After a change of schedule or time zone, the latest slot is still owed if its week has had no
#: digest: a slot is never more than a week (and a DST hour) in the past.
CHANGE_CATCH_UP = timedelta(days=8)
_WEEK = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{2})")


@dataclass(frozen=True)
class Slot:
    """A week and the moment (UTC) its digest is due."""

    week: str
    at: datetime


@dataclass(frozen=True)
class Plan:
    """What to arm: the week's digest, due at `due`, skipped if not out by `deadline`."""

    week: str
    due: datetime
    deadline: datetime


def week_key(day: date) -> str:
    """The ISO week of a date: '2026-W45'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday of a week key (ValueError for anything that isn't one)."""
    match = _WEEK.fullmatch(week)
    if match is None:
        raise ValueError(f"not a week: {week!r}")
    return date.fromisocalendar(int(match["year"]), int(match["week"]), 1)


def shift_week(week: str, weeks: int) -> str:
    """The week `weeks` later (or earlier, when negative)."""
    return week_key(week_monday(week) + timedelta(weeks=weeks))


def week_of(moment: datetime, timezone: str) -> str:
    """The week a moment falls in, on the guild's local calendar."""
    return week_key(moment.astimezone(ZoneInfo(timezone)).date())


def slot_in(week: str, day: int, hour: int, timezone: str) -> Slot:
    """The week's slot: its `day` (0 Monday) at `hour`, local time. A local time skipped by a
    DST change lands just after it; a repeated one is the first of the two."""
    local = datetime.combine(
        week_monday(week) + timedelta(days=day), time(hour), tzinfo=ZoneInfo(timezone)
    )
    return Slot(week, local.astimezone(UTC))


def latest_slot(now: datetime, day: int, hour: int, timezone: str) -> Slot:
    """The last slot at or before `now`."""
    week = week_of(now, timezone)
    slot = slot_in(week, day, hour, timezone)
    return slot if slot.at <= now else slot_in(shift_week(week, -1), day, hour, timezone)


def next_slot(now: datetime, day: int, hour: int, timezone: str) -> Slot:
    """The first slot strictly after `now`."""
    week = week_of(now, timezone)
    slot = slot_in(week, day, hour, timezone)
    return slot if slot.at > now else slot_in(shift_week(week, 1), day, hour, timezone)


def plan(
    now: datetime,
    day: int,
    hour: int,
    timezone: str,
    done_through: str | None,
    *,
    catch_up: timedelta = GRACE,
) -> Plan:
    """The next digest to arm, given that every week up to `done_through` is settled (sent,
    skipped, or before the schedule began).

    The latest slot is due now when its week is not settled and it passed less than `catch_up`
    ago: GRACE after downtime (older slots are skipped), CHANGE_CATCH_UP after a change of
    schedule or time zone (so a change never skips the week it happens in). Otherwise the first
    later slot of a week not settled.
    """
    latest = latest_slot(now, day, hour, timezone)
    if (done_through is None or latest.week > done_through) and now - latest.at <= catch_up:
        return Plan(latest.week, now, now + GRACE)
    slot = next_slot(now, day, hour, timezone)
    while done_through is not None and slot.week <= done_through:
        slot = slot_in(shift_week(slot.week, 1), day, hour, timezone)
    return Plan(slot.week, slot.at, slot.at + GRACE)


def missed_weeks(first: str, now: datetime, day: int, hour: int, timezone: str) -> list[str]:
    """The weeks from `first` whose slot passed more than GRACE before `now` (downtime)."""
    missed: list[str] = []
    week = first
    while now - slot_in(week, day, hour, timezone).at > GRACE:
        missed.append(week)
        week = shift_week(week, 1)
    return missed
