"""The leader suggestion score, as pure functions of a member's counts (no database): the
parts, the score and the reasons. README, "Leader suggestions", explains it to the founders;
`bot.services.leaders.suggest` gathers the counts and applies the exclusions.

Six parts, each from 0 to 1: breadth (ways of taking part in the last 8 weeks, out of 5),
consistency (active 7-day periods of the last 8), introductions (still here, 3 for the whole
part), attendance (founder sessions attended out of those held in the last 8 weeks; left out of
the score when none was held), feedback (upvotes received, 10 for the whole part) and tenure
(days as a member, a year for the whole part).

    score = 100 × Σ weight × part / Σ weight

Ties go to the lower user id; the reasons are the (up to) three parts that add the most.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.errors import DomainError
from bot.services.leaders.models import WEIGHT_NAMES
from bot.services.leaders.signals import SignalKind

WINDOW_WEEKS = 8
INTRODUCTIONS_FULL = 3
UPVOTES_FULL = 10
TENURE_FULL_DAYS = 365
COUNT_MIN, COUNT_MAX, COUNT_DEFAULT = 1, 25, 5
MAX_REASONS = 3
#: Ways of taking part (breadth), in the order they are listed.
WAYS: Mapping[str, tuple[SignalKind, ...]] = MappingProxyType(
    {
        "messages": ("message",),
        "sessions": ("attendance_minutes", "rsvp_kept"),
        "introductions": ("introduction_stayed",),
        "feedback": ("feedback_item", "feedback_upvote"),
        "polls": ("vote",),
    }
)
#: What a member does themself (consistency): not what others' actions credit them with.
OWN_KINDS: tuple[SignalKind, ...] = (
    "message",
    "attendance_minutes",
    "rsvp_kept",
    "feedback_item",
    "vote",
)


@dataclass(frozen=True)
class Reason:
    """Why a part counts, with its real numbers (the cog puts them in words).

    `count` is: breadth, the ways (`ways` names them) out of `out_of`; consistency, active
    weeks out of `out_of`; introductions, those still here; attendance, sessions attended out
    of `out_of` held; feedback, upvotes received; tenure, days as a member."""

    part: str
    count: int
    out_of: int = 0
    ways: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """A member worth asking, with the score's parts (0 to 1 each) and the reasons."""

    user_id: int
    score: float  # 0 to 100
    parts: Mapping[str, float]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Exclusions:
    """How many members were left out, and why (each member counted once, in this order)."""

    bots: int = 0
    leaders: int = 0
    opted_out: int = 0
    declined: int = 0
    flagged: int = 0
    new_members: int = 0


@dataclass(frozen=True)
class Suggestions:
    """The best `count` suggestions among the eligible members."""

    guild_id: int
    top: tuple[Suggestion, ...]
    eligible: int
    excluded: Exclusions
    sessions_held: int
    weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberFacts:
    """The counts a member's score is made of."""

    user_id: int
    ways: frozenset[str] = frozenset()
    active_weeks: int = 0
    introductions: int = 0
    attended: int = 0
    upvotes: int = 0
    tenure_days: int = 0


def check_count(count: int) -> None:
    """Refuse asking for fewer than 1 or more than 25 suggestions."""
    if not COUNT_MIN <= count <= COUNT_MAX:
        raise DomainError("leaders.suggest.count_invalid", low=COUNT_MIN, high=COUNT_MAX)


def parts_of(facts: MemberFacts, sessions_held: int) -> dict[str, float]:
    """Each part of a member's score, from 0 to 1 (see the module docstring)."""
    return {
        "breadth": len(facts.ways) / len(WAYS),
        "consistency": facts.active_weeks / WINDOW_WEEKS,
        "introductions": min(facts.introductions, INTRODUCTIONS_FULL) / INTRODUCTIONS_FULL,
        "attendance": facts.attended / sessions_held if sessions_held else 0.0,
        "feedback": min(facts.upvotes, UPVOTES_FULL) / UPVOTES_FULL,
        "tenure": min(facts.tenure_days, TENURE_FULL_DAYS) / TENURE_FULL_DAYS,
    }


def counted_parts(sessions_held: int) -> tuple[str, ...]:
    """The parts in the score: attendance only when a session was held."""
    return tuple(name for name in WEIGHT_NAMES if name != "attendance" or sessions_held)


def score_of(parts: Mapping[str, float], weights: Mapping[str, float], sessions_held: int) -> float:
    """100 × Σ weight × part / Σ weight over the counted parts (rounded to 6 decimals, so
    equal scores tie exactly and go to the lower id)."""
    counted = counted_parts(sessions_held)
    total = sum(weights[name] for name in counted)
    earned = sum(weights[name] * parts[name] for name in counted)
    return round(100 * earned / total, 6) if total else 0.0


def score_member(
    facts: MemberFacts, weights: Mapping[str, float], sessions_held: int
) -> Suggestion:
    """The score of one member, its parts and its reasons: the (up to) three parts that add
    the most, ties in README order."""
    parts = parts_of(facts, sessions_held)
    strongest = sorted(
        (n for n in counted_parts(sessions_held) if weights[n] > 0 and parts[n] > 0),
        key=lambda name: (-weights[name] * parts[name], WEIGHT_NAMES.index(name)),
    )
    reasons = tuple(_reason(name, facts, sessions_held) for name in strongest[:MAX_REASONS])
    score = score_of(parts, weights, sessions_held)
    return Suggestion(facts.user_id, score, MappingProxyType(parts), reasons)


def _reason(part: str, facts: MemberFacts, sessions_held: int) -> Reason:
    if part == "breadth":
        ways = tuple(way for way in WAYS if way in facts.ways)
        return Reason(part, len(ways), len(WAYS), ways)
    if part == "consistency":
        return Reason(part, facts.active_weeks, WINDOW_WEEKS)
    if part == "introductions":
        return Reason(part, facts.introductions)
    if part == "attendance":
        return Reason(part, facts.attended, sessions_held)
    if part == "feedback":
        return Reason(part, facts.upvotes)
    return Reason(part, facts.tenure_days)
