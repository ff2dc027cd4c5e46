"""Reading when a session starts: ISO and phrases in our four languages, without Discord."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import DomainError
from bot.services.sessions.when import parse_when

ROOT = Path(__file__).resolve().parents[2]
PARIS = "Europe/Paris"
#: Saturday 28 November 2026, 10:00 in Paris (09:00 UTC).
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(PARIS))
FRIDAY_18 = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
FRIDAY_1830 = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
TOMORROW_9 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
IN_2_HOURS = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


def when(text: str, locale: str = "en-US", tz: str = PARIS, now: datetime = NOW) -> datetime:
    return parse_when(text, locale=locale, tz=tz, now=now)


def refused(text: str, locale: str = "en-US", tz: str = PARIS, now: datetime = NOW) -> DomainError:
    with pytest.raises(DomainError) as caught:
        when(text, locale, tz, now)
    return caught.value


PHRASES = [
    # ISO, read in the guild's zone unless it carries an offset or a zone
    ("en-US", "2026-12-03 18:00", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("fr", "2026-12-03T18:00", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("pt-BR", "2026-12-03 18:00:30", datetime(2026, 12, 3, 17, 0, 30, tzinfo=UTC)),
    ("da", "2026-12-03 18:00+02:00", datetime(2026, 12, 3, 16, 0, tzinfo=UTC)),
    ("en-US", "2026-12-03T18:00Z", datetime(2026, 12, 3, 18, 0, tzinfo=UTC)),
    ("en-US", "2026-12-03T18:00-0300", datetime(2026, 12, 3, 21, 0, tzinfo=UTC)),
    # a weekday, with and without "next"
    ("en-US", "next friday 6pm", FRIDAY_18),
    ("en-US", "friday 6 pm", FRIDAY_18),
    ("en-US", "Friday 6:30 p.m.", FRIDAY_1830),
    ("en-US", "on friday at 18:00", FRIDAY_18),
    ("en-US", "fri 6.30pm", FRIDAY_1830),
    ("en-US", "friday noon", datetime(2026, 12, 4, 11, 0, tzinfo=UTC)),
    ("fr", "vendredi 18h", FRIDAY_18),
    ("fr", "vendredi prochain à 18h30", FRIDAY_1830),
    ("fr", "Vendredi 18 h 30", FRIDAY_1830),
    ("fr", "prochain vendredi à 18 heures", FRIDAY_18),
    ("fr", "vendredi midi", datetime(2026, 12, 4, 11, 0, tzinfo=UTC)),
    ("pt-BR", "sexta 18h", FRIDAY_18),
    ("pt-BR", "sexta-feira às 18h30", FRIDAY_1830),
    ("pt-BR", "próxima sexta 18h", FRIDAY_18),
    ("pt-BR", "na sexta as 18:30", FRIDAY_1830),
    ("pt-BR", "sexta que vem às 18 horas", FRIDAY_18),
    ("da", "fredag kl 18", FRIDAY_18),
    ("da", "fredag kl. 18.30", FRIDAY_1830),
    ("da", "næste fredag kl 18", FRIDAY_18),
    ("da", "på fredag klokken 18:30", FRIDAY_1830),
    # today, tomorrow, the day after
    ("en-US", "today 6pm", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("fr", "aujourd'hui 18h", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("fr", "aujourd’hui à 18h", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("pt-BR", "hoje 18h", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("da", "i dag kl 18", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("en-US", "tomorrow 9am", TOMORROW_9),
    ("fr", "demain 9h", TOMORROW_9),
    ("pt-BR", "amanhã 9h", TOMORROW_9),
    ("da", "i morgen kl 9", TOMORROW_9),
    ("en-US", "day after tomorrow 10am", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ("fr", "après-demain 10h", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ("pt-BR", "depois de amanhã 10h", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ("da", "i overmorgen kl 10", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    # durations, counted from now
    ("en-US", "in 2 hours", IN_2_HOURS),
    ("fr", "dans 2 heures", IN_2_HOURS),
    ("pt-BR", "em 2 horas", IN_2_HOURS),
    ("da", "om 2 timer", IN_2_HOURS),
    ("en-US", "in 90 minutes", datetime(2026, 11, 28, 10, 30, tzinfo=UTC)),
    ("da", "om en time", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
    # a time alone: today if still ahead, else tomorrow
    ("fr", "18h", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)),
    ("fr", "9h", TOMORROW_9),
    # calendar dates, read by dateparser in the locale's language and date order
    ("en-US", "december 3rd 6pm", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("en-US", "3/12 18:00", datetime(2027, 3, 12, 17, 0, tzinfo=UTC)),
    ("fr", "le 3 décembre à 18h", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("fr", "3/12 18h", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("fr", "3 janvier 18h", datetime(2027, 1, 3, 17, 0, tzinfo=UTC)),
    ("pt-BR", "3 de dezembro às 18h", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("da", "3. december kl 18", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ("fr", "28 novembre 11h", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
    ("en-US", "in 3 days 6pm", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
    ("en-US", "in 2 weeks 6pm", datetime(2026, 12, 12, 17, 0, tzinfo=UTC)),
    ("en-US", "friday december 4 6pm", FRIDAY_18),
    ("fr", "3 décembre 18h +00:00", datetime(2026, 12, 3, 18, 0, tzinfo=UTC)),
    ("pt-BR", "3 de dezembro às 18h America/Sao_Paulo", datetime(2026, 12, 3, 21, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("locale", "text", "expected"), PHRASES)
def test_phrases(locale: str, text: str, expected: datetime) -> None:
    result = when(text, locale)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00 Europe/Lisbon", datetime(2026, 11, 28, 18, 0, tzinfo=UTC)),
        ("fredag kl 18 Europe/Copenhagen", FRIDAY_18),
        ("friday 6pm America/Sao_Paulo", datetime(2026, 12, 4, 21, 0, tzinfo=UTC)),
        ("friday 6pm america/sao_paulo", datetime(2026, 12, 4, 21, 0, tzinfo=UTC)),
        ("friday 6pm UTC", datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        ("friday 6pm gmt", datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        ("friday 18:00 +02:00", datetime(2026, 12, 4, 16, 0, tzinfo=UTC)),
        ("friday 18:00 UTC-3", datetime(2026, 12, 4, 21, 0, tzinfo=UTC)),
        ("friday 18:00 CET", FRIDAY_18),
        ("2026-12-03 18:00 Asia/Tokyo", datetime(2026, 12, 3, 9, 0, tzinfo=UTC)),
    ],
)
def test_an_explicit_zone_wins_over_the_guild_zone(text: str, expected: datetime) -> None:
    assert when(text, tz="America/New_York") == expected


def test_relative_days_are_counted_in_the_explicit_zone() -> None:
    # 23:30 Saturday in Paris is already Sunday in Tokyo: "tomorrow" there is Monday.
    late = datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo(PARIS))
    assert when("tomorrow 9am Asia/Tokyo", now=late) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert when("tomorrow 9am", now=late) == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_the_guild_zone_applies_without_an_explicit_one() -> None:
    assert when("fredag kl 18", "da", tz="America/Sao_Paulo") == datetime(
        2026, 12, 4, 21, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("saturday 11am", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),  # still ahead: today
        ("samedi 9h", datetime(2026, 12, 5, 8, 0, tzinfo=UTC)),  # passed: next week
        ("saturday 10:00", datetime(2026, 11, 28, 9, 0, tzinfo=UTC)),  # this very minute
        ("next saturday 11am", datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),  # "next": not today
        ("lørdag kl 11", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
        ("sábado 9h", datetime(2026, 12, 5, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_weekday_equal_to_today(text: str, expected: datetime) -> None:
    assert when(text) == expected


def test_dst_gap_moves_forward_and_repeated_hour_takes_the_first() -> None:
    # Paris skips 02:00-03:00 on Sunday 28 March 2027 and repeats it on Sunday 31 October 2027.
    spring = datetime(2027, 3, 27, 10, 0, tzinfo=ZoneInfo(PARIS))
    autumn = datetime(2027, 10, 30, 10, 0, tzinfo=ZoneInfo(PARIS))
    skipped = when("next sunday 2:30", now=spring)
    assert skipped == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(ZoneInfo(PARIS)).strftime("%H:%M %Z") == "03:30 CEST"
    repeated = when("dimanche prochain 2h30", "fr", now=autumn)
    assert repeated == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert repeated.astimezone(ZoneInfo(PARIS)).strftime("%H:%M %Z") == "02:30 CEST"
    assert when("2027-03-28 02:30", now=spring) == skipped


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en-US", "friday"),
        ("en-US", "next friday"),
        ("fr", "vendredi"),
        ("fr", "demain"),
        ("pt-BR", "próxima sexta"),
        ("da", "i morgen"),
        ("en-US", "2026-12-03"),
        ("fr", "3 décembre"),
    ],
)
def test_a_day_without_a_time_is_refused(locale: str, text: str) -> None:
    error = refused(text, locale)
    assert (error.key, error.params) == ("session.when.no_time", {})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        ",",
        "blah",
        "soon",
        "décembre 18h",  # a month without a day
        "next week 6pm",  # a week without a day
        "friday at 6",  # 6 in the morning or the evening?
        "friday 13pm",
        "friday 25:00",
        "friday 18:61",
        "2026-02-30 18:00",
        "friday 6pm 7pm",
        "demain dans 2 heures",
        "friday 6pm tomorrow 7pm",
        # dateparser would fill in the missing month (or day) from today: refused, not guessed
        "the 12th 6pm",
        "le 12 à 18h",
        "friday 3 6pm",
        "2026 6pm",
        "12/2026 6pm",
        "friday december 3 6pm",  # 3 December 2026 is a Thursday
        "x" * 101,
    ],
)
def test_unreadable_text_is_refused(text: str) -> None:
    error = refused(text)
    assert error.key == "session.when.unparseable"
    assert error.params == {"text": " ".join(text.split())[:60]}


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        when("tomorrow 9am", now=datetime(2026, 11, 28, 10, 0))


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("18:00 Mars/Olympus", "Mars/Olympus"),
        ("fredag kl 18 Europe/Kobenhavn", "Europe/Kobenhavn"),
        ("friday 6pm PST", "PST"),
        ("friday 18:00 +15:00", "+15:00"),
    ],
)
def test_unknown_zones_are_refused(text: str, zone: str) -> None:
    error = refused(text)
    assert (error.key, error.params) == ("session.when.unknown_zone", {"zone": zone})


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en-US", "2026-11-28 09:59"),
        ("en-US", "today 9am"),
        ("fr", "aujourd'hui 9h"),
        ("fr", "28 novembre 9h"),  # today's date, not the same day next year
        ("en-US", "3 days ago 6pm"),
        ("da", "2026-11-28 10:00+02:00"),
    ],
)
def test_times_in_the_past_are_refused(locale: str, text: str) -> None:
    error = refused(text, locale)
    assert (error.key, error.params) == ("session.when.past", {})


@pytest.mark.parametrize("text", ["2027-11-28 10:01", "2028-01-01 18:00", "in 9999 hours"])
def test_more_than_a_year_ahead_is_refused(text: str) -> None:
    error = refused(text)
    assert (error.key, error.params) == ("session.when.too_far", {})


def test_exactly_a_year_ahead_is_accepted() -> None:
    assert when("2027-11-28 10:00") == datetime(2027, 11, 28, 9, 0, tzinfo=UTC)


def test_a_year_after_29_february_ends_on_28_february() -> None:
    leap_day = datetime(2028, 2, 29, 10, 0, tzinfo=UTC)
    assert when("2029-02-28 10:00 UTC", now=leap_day) == datetime(2029, 2, 28, 10, 0, tzinfo=UTC)
    assert refused("2029-02-28 10:01 UTC", now=leap_day).key == "session.when.too_far"


def test_any_locale_form_is_accepted() -> None:
    assert when("vendredi 18h", "en-GB") == FRIDAY_18
    assert when("fredag kl 18", "ja") == FRIDAY_18


def test_importing_the_parser_does_not_load_dateparser() -> None:
    code = (
        "import sys, bot.services.sessions.when\n"
        "assert 'dateparser' not in sys.modules, 'dateparser imported at startup'\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
