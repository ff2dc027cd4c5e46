"""When a session starts: ISO, or a phrase in English, French, Portuguese or Danish.

The answer is shown back as a Discord timestamp, so it must be exact: what we cannot read with
confidence is refused, never guessed. The common shapes (a weekday, today or tomorrow, a duration,
an ISO date, each with a time of day) are resolved here; `dateparser` only reads the calendar dates
we do not (`3 décembre`, `december 3rd`, `3/12`), once the time of day is rewritten as `HH:MM`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import DomainError
from bot.i18n import normalize_locale

#: Longest input we try to read; real phrases are far shorter.
MAX_LENGTH = 100

_DATEPARSER_LANGUAGE = {"en-US": "en", "fr": "fr", "pt-BR": "pt", "da": "da"}
_DATE_ORDER = {"en": "MDY", "fr": "DMY", "pt": "DMY", "da": "DMY"}

_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "monday mon lundi segunda segunda-feira mandag",
        "tuesday tue tues mardi terça terca terça-feira terca-feira tirsdag",
        "wednesday wed mercredi quarta quarta-feira onsdag",
        "thursday thu thur thurs jeudi quinta quinta-feira torsdag",
        "friday fri vendredi sexta sexta-feira fredag",
        "saturday sat samedi sábado sabado lørdag lordag",
        "sunday sun dimanche domingo søndag sondag",
    )
):
    _WEEKDAYS.update(dict.fromkeys(_names.split(), _index))

_DAYS_FROM_TODAY: dict[str, int] = {
    **dict.fromkeys(("today", "aujourd'hui", "aujourdhui", "hoje", "i dag", "idag"), 0),
    **dict.fromkeys(("tomorrow", "demain", "amanhã", "amanha", "i morgen", "imorgen"), 1),
    **dict.fromkeys(
        (
            "day after tomorrow",
            "the day after tomorrow",
            "après-demain",
            "après demain",
            "apres-demain",
            "apres demain",
            "depois de amanhã",
            "depois de amanha",
            "i overmorgen",
            "overmorgen",
        ),
        2,
    ),
}

_NEXT_BEFORE = r"next|prochain|prochaine|próxima|proxima|próximo|proximo|næste|naeste"
_NEXT_AFTER = r"prochain|prochaine|que vem"
_WEEKDAY_NAMES = "|".join(sorted(map(re.escape, _WEEKDAYS), key=len, reverse=True))
_WEEKDAY_PHRASE = re.compile(
    rf"(?:(?P<before>{_NEXT_BEFORE})\s+)?(?P<day>{_WEEKDAY_NAMES})(?:\s+(?P<after>{_NEXT_AFTER}))?"
)
#: Words that only introduce a day ("on friday", "le vendredi", "på fredag", "na sexta").
_DAY_FILLER = re.compile(r"^(?:on|le|på|na|no)\s+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_DURATION = re.compile(
    r"(?:in|dans|em|om)\s+(?P<count>\d{1,4}|an?|one|une?|uma?|en|et)\s*"
    r"(?:(?P<minutes>minutes?|mins?|minutos?|minutter|minut)"
    r"|(?P<hours>hours?|hrs?|h|heures?|horas?|timer|time))"
)

# A time of day, with the word that introduces it ("à 18h", "às 18h", "at 6pm", "kl. 18.30").
_LEAD = r"(?:(?:at|à|às|as|ao|kl\.?|klokken)\s+)?(?<![\w/.:+-])"
_TIME_OF_DAY = re.compile(
    "|".join(
        (
            # 6pm, 6 pm, 6.30pm, 6:30 p.m.
            _LEAD + r"(?P<h12>\d{1,2})(?:[:.](?P<m12>\d{2}))?\s?(?P<ampm>[ap])\.?m\.?(?!\w)",
            # kl 18, kl. 18.30, klokken 18:30
            r"(?<!\w)(?:kl\.?|klokken)\s?(?P<hkl>\d{1,2})(?:[:.](?P<mkl>\d{2}))?(?![\w:.])",
            # 18h, 18h30, 18 h, 18 h 30, 18h30min
            _LEAD + r"(?P<hh>\d{1,2})\s?h(?:\s?(?P<mh>\d{2}))?(?:\s?min)?(?!\w)",
            # à 18 heures, às 18 horas (only after the preposition: "2 heures" is a duration)
            r"(?<!\w)(?:à|às|as)\s+(?P<hw>\d{1,2})\s(?:heures?|horas?)(?:\s(?P<mw>\d{2}))?(?!\w)",
            # 18:00, 18:00:00
            _LEAD + r"(?P<hc>\d{1,2}):(?P<mc>\d{2})(?::(?P<sc>\d{2}))?(?![\w:])",
            # at 6.30, à 18.30 (but not a bare 18.12, which could be a date)
            r"(?<!\w)(?:at|à|às|as)\s+(?P<hd>\d{1,2})\.(?P<md>\d{2})(?![\w.])",
            r"(?<!\w)(?:(?:at|à|ao)\s+)?(?P<noon>noon|midday|midi|meio-dia|meio dia)(?!\w)",
        )
    )
)

# Explicit zones, at the end: "Europe/Lisbon", "UTC", "+02:00", "UTC+2", "18:00Z", "CET".
_OFFSET = re.compile(
    r"(?:(?<=\d:\d\d)|(?<=\s))(?:utc|gmt)?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$",
    re.IGNORECASE,
)
_ZULU = re.compile(r"(?<=\d)z$", re.IGNORECASE)
_TRAILING_WORD = re.compile(r"\s(?P<word>\S+)$")
_ZONE_PATH = re.compile(r"[A-Za-z][\w+-]*(?:/[\w+-]+)+")
_ZONE_ABBREVIATION = re.compile(r"[A-Z]{2,4}T")


@dataclass(frozen=True)
class _Clock:
    """A wall-clock time of day, as written."""

    hour: int
    minute: int
    second: int = 0

    def on(self, day: date, zone: tzinfo) -> datetime:
        """This time on a day, in a zone (fold=0: the first of a repeated hour, and a time
        skipped by a DST change lands as far past the change as it was written past it)."""
        local = datetime.combine(day, time(self.hour, self.minute, self.second), tzinfo=zone)
        return local.astimezone(UTC)


def parse_when(text: str, *, locale: str, tz: str, now: datetime) -> datetime:
    """When a session starts, read in the guild's zone `tz` unless the text names one; aware, UTC.

    Refuses (DomainError) text it cannot read with confidence, a day without a time of day, an
    unknown zone, a moment before `now` (which must be aware), and one more than a year after it.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    cleaned = " ".join(unicodedata.normalize("NFC", text).replace("’", "'").split())
    if not cleaned or len(cleaned) > MAX_LENGTH:
        raise DomainError("session.when.unparseable", text=cleaned[:60])
    rest, explicit_zone = _split_zone(cleaned)
    zone = explicit_zone or ZoneInfo(tz)
    moment = _read(rest.lower(), cleaned, zone, locale, now)
    if moment < now:
        raise DomainError("session.when.past")
    if moment > _one_year_after(now):
        raise DomainError("session.when.too_far")
    return moment


def _read(phrase: str, original: str, zone: tzinfo, locale: str, now: datetime) -> datetime:
    unparseable = DomainError("session.when.unparseable", text=original[:60])
    phrase = re.sub(r"(\d{4}-\d{2}-\d{2})t(?=\d)", r"\1 ", phrase)  # ISO's T separator
    if duration := _DURATION.fullmatch(phrase):
        return now.astimezone(UTC) + _duration(duration)
    clock, rest = _extract_clock(phrase, unparseable)
    today = now.astimezone(zone).date()
    rest = rest.strip(" ,")
    day_phrase = _DAY_FILLER.sub("", rest)
    if not rest:
        if clock is None:
            raise unparseable
        return _next_occurrence(clock, today, 1, zone, now)
    if (offset := _DAYS_FROM_TODAY.get(day_phrase)) is not None:
        return _require(clock).on(today + timedelta(days=offset), zone)
    if weekday := _WEEKDAY_PHRASE.fullmatch(day_phrase):
        target = _WEEKDAYS[weekday["day"]]
        ahead = (target - today.weekday()) % 7
        if weekday["before"] or weekday["after"]:
            return _require(clock).on(today + timedelta(days=ahead or 7), zone)
        return _next_occurrence(_require(clock), today + timedelta(days=ahead), 7, zone, now)
    if _ISO_DATE.fullmatch(rest):
        try:
            day = date.fromisoformat(rest)
        except ValueError:
            raise unparseable from None
        return _require(clock).on(day, zone)
    if not re.search(r"\d", rest):  # "december", "next week": no day to read
        raise unparseable
    return _calendar_date(rest, clock, zone, locale, now, unparseable)


def _require(clock: _Clock | None) -> _Clock:
    if clock is None:
        raise DomainError("session.when.no_time")
    return clock


def _next_occurrence(
    clock: _Clock, day: date, step_days: int, zone: tzinfo, now: datetime
) -> datetime:
    """The time on `day`, or `step_days` later when that moment has already passed."""
    moment = clock.on(day, zone)
    return moment if moment >= now else clock.on(day + timedelta(days=step_days), zone)


def _duration(match: re.Match[str]) -> timedelta:
    count = match["count"]
    amount = int(count) if count.isdigit() else 1
    return timedelta(minutes=amount) if match["minutes"] else timedelta(hours=amount)


def _extract_clock(phrase: str, unparseable: DomainError) -> tuple[_Clock | None, str]:
    """The one time of day in the phrase (None if there is none), and the phrase without it."""
    matches = list(_TIME_OF_DAY.finditer(phrase))
    if not matches:
        return None, phrase
    if len(matches) > 1:
        raise unparseable
    found = matches[0]
    groups = {name: value for name, value in found.groupdict().items() if value is not None}
    rest = " ".join((phrase[: found.start()] + " " + phrase[found.end() :]).split())
    if "noon" in groups:
        return _Clock(12, 0), rest
    if "h12" in groups:
        hour, minute = int(groups["h12"]), int(groups.get("m12", 0))
        if not 1 <= hour <= 12:
            raise unparseable
        hour = hour % 12 + (12 if groups["ampm"] == "p" else 0)
        return _checked(hour, minute, 0, unparseable), rest
    for h, m in (("hkl", "mkl"), ("hh", "mh"), ("hw", "mw"), ("hc", "mc"), ("hd", "md")):
        if h in groups:
            second = int(groups.get("sc", 0))
            return _checked(int(groups[h]), int(groups.get(m, 0)), second, unparseable), rest
    raise unparseable  # pragma: no cover - every alternative names its hour


def _checked(hour: int, minute: int, second: int, unparseable: DomainError) -> _Clock:
    if hour > 23 or minute > 59 or second > 59:
        raise unparseable
    return _Clock(hour, minute, second)


def _split_zone(text: str) -> tuple[str, tzinfo | None]:
    """The text without a trailing explicit zone, and that zone."""
    if offset := _OFFSET.search(text):
        hours, minutes = int(offset["hours"]), int(offset["minutes"] or 0)
        if hours > 14 or minutes > 59:
            raise DomainError("session.when.unknown_zone", zone=offset.group().strip()[:32])
        delta = timedelta(hours=hours, minutes=minutes)
        return text[: offset.start()].rstrip(), timezone(-delta if offset["sign"] == "-" else delta)
    if zulu := _ZULU.search(text):
        return text[: zulu.start()], UTC
    word = _TRAILING_WORD.search(text)
    if word is None:
        return text, None
    name = word["word"]
    if name.lower() in {"utc", "gmt"}:
        return text[: word.start()], UTC
    if _ZONE_PATH.fullmatch(name) or (_ZONE_ABBREVIATION.fullmatch(name) and name != "NEXT"):
        canonical = _zone_names().get(name.lower() if "/" in name else name)
        if canonical is None:
            raise DomainError("session.when.unknown_zone", zone=name[:64])
        return text[: word.start()], ZoneInfo(canonical)
    return text, None


@cache
def _zone_names() -> dict[str, str]:
    """IANA names by lower-cased name, plus the upper-case abbreviations that are names (CET)."""
    names = available_timezones()
    return {name.lower(): name for name in names} | {name: name for name in names if name.isupper()}


def _calendar_date(
    rest: str,
    clock: _Clock | None,
    zone: tzinfo,
    locale: str,
    now: datetime,
    unparseable: DomainError,
) -> datetime:
    """A calendar date read by dateparser ("3 décembre", "dec 3rd", "3/12"), at the time given."""
    language = _DATEPARSER_LANGUAGE.get(normalize_locale(locale) or "en-US", "en")
    base = now.astimezone(zone).replace(tzinfo=None)
    written = f"{rest} {clock.hour:02d}:{clock.minute:02d}" if clock else rest
    future = _dateparser(written, language, base, zone, "future")
    # Without both a day and a month ("the 12th", "friday 3"), dateparser fills in the rest from
    # today: a guess, so refused.
    if future is None or not {"day", "month"} <= future.parts:
        raise unparseable
    if clock is None:
        raise DomainError("session.when.no_time") if future.period == "day" else unparseable
    day = future.moment.date()
    if (future.moment.hour, future.moment.minute, future.period) != (
        clock.hour,
        clock.minute,
        "time",
    ):
        raise unparseable
    named = [_WEEKDAYS[word] for word in re.findall(r"[\w-]+", rest) if word in _WEEKDAYS]
    if any(weekday != day.weekday() for weekday in named):  # "friday 3 december": a Thursday
        raise unparseable
    # dateparser moves a day-and-month that is today to next year; today is what was written.
    current = _dateparser(written, language, base, zone, "current_period")
    if current is not None and current.moment.date() == base.date():
        day = current.moment.date()
    return clock.on(day, zone)


@dataclass(frozen=True)
class _Reading:
    """What dateparser read: a naive wall time, its precision, and the parts the text gave."""

    moment: datetime
    period: str
    parts: frozenset[str]


def _dateparser(
    text: str, language: str, base: datetime, zone: tzinfo, prefer: str
) -> _Reading | None:
    """dateparser's reading of `text`, or None."""
    from dateparser.date import (  # type: ignore[import-untyped]  # ~8 MiB: load on first use
        DateDataParser,
    )

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": base,
        "TIMEZONE": getattr(zone, "key", "UTC"),  # only `base`'s zone: the text names none
        "DATE_ORDER": _DATE_ORDER[language],
        # Wall time, localized by us: dateparser gives a skipped DST time the old offset.
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RETURN_TIME_AS_PERIOD": True,
    }
    languages = [language] if language == "en" else [language, "en"]
    data = DateDataParser(languages=languages, settings=settings).get_date_data(text)
    if data.date_obj is None:
        return None
    parts = frozenset(str(part) for part in data.parts)  # DateData.parts: dateparser 1.5
    return _Reading(data.date_obj.replace(tzinfo=None), str(data.period), parts)


def _one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


_LENGTH = re.compile(
    r"(?:(?P<hours>\d{1,2}(?:[.,]\d{1,2})?)\s*(?:h|hrs?|hours?|heures?|horas?|timer|time|t)\s*"
    r"(?:(?P<rest>\d{1,2})\s*(?:m|mins?|minutes?|minutos?|minutter)?)?"
    r"|(?P<minutes>\d{1,3})\s*(?:m|mins?|minutes?|minutos?|minutter)?)"
)


def parse_duration(text: str) -> int:
    """A length in minutes from "90", "90 min", "1h30", "1.5h", "2 heures", "1 time"; refuses
    anything else with DomainError("session.duration.unreadable")."""
    match = _LENGTH.fullmatch(" ".join(text.lower().split()))
    if match is None:
        raise DomainError("session.duration.unreadable", value=text[:32])
    if match["minutes"] is not None:
        return int(match["minutes"])
    hours = float(match["hours"].replace(",", "."))
    return round(hours * 60) + int(match["rest"] or 0)


_DAYS = re.compile(r"(?P<days>\d{1,2})\s*(?:d|days?|jours?|j|dias?|dage?)")
_NONE = frozenset({"off", "none", "aucun", "non", "nenhum", "não", "ingen", "fra"})


def parse_offsets(text: str) -> list[int]:
    """Reminder offsets in minutes from "24h, 15m", "1d; 2h", "90" (commas or semicolons
    between them), or an empty list for "off"; refuses the rest (session.duration.unreadable)."""
    cleaned = " ".join(text.lower().split())
    if cleaned in _NONE:
        return []
    offsets: list[int] = []
    for piece in re.split(r"[,;]", cleaned):
        piece = piece.strip()
        if days := _DAYS.fullmatch(piece):
            offsets.append(int(days["days"]) * 1440)
        else:
            offsets.append(parse_duration(piece))
    return offsets
