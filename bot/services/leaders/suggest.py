"""Leader suggestions: an explainable score per member, and the scale alert.

The score itself is `bot.services.leaders.score` (pure functions of a member's counts); here
the counts are gathered, for every member at once: breadth and consistency from one pass over
the last 8 weeks of engagement signals; introductions still here from the member records;
session attendance from the founder sessions (AMAs open to all, ended, in the last 8 weeks;
present a minute or more); upvotes others gave the member's feedback items within the signals'
retention window (`retention_days`); tenure from the current stint.

Not suggested: bots, leaders already, members who opted out (/leaders optout), who declined a
nomination in the last 90 days, who are flagged by referral integrity (`ReferralInsight.
flagged_members`), and who have been members for less than 30 days. Tenure counts from the
admission of the member's current stint; for members Vouch found already there at setup
(source "existing") from when Discord says they joined, when the cog knows it.

The scale alert: with at least `alert_at` members and fewer leaders than members ÷
`members_per_leader` (needed = that, rounded up), the founders are told once; again only when
the gap grows. The gap reported is claimed in the transaction that decides to post, so
concurrent admissions post once; when the gap shrinks the smaller gap is remembered, so that
growing again is told.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from bot.db import Database
from bot.services.clock import Clock, iso, utcnow
from bot.services.leaders.score import (
    COUNT_DEFAULT,
    COUNT_MAX,
    COUNT_MIN,
    OWN_KINDS,
    WAYS,
    WINDOW_WEEKS,
    Exclusions,
    MemberFacts,
    Reason,
    Suggestion,
    Suggestions,
    check_count,
    parts_of,
    score_member,
    score_of,
)
from bot.services.leaders.settings import LeaderSettingsService
from bot.services.leaders.signals import day_of
from bot.services.referrals.codes import ReferralCodes
from bot.services.referrals.insight import ReferralInsight

__all__ = [
    "COUNT_DEFAULT",
    "COUNT_MAX",
    "COUNT_MIN",
    "Exclusions",
    "LeaderSuggestions",
    "Reason",
    "Staffing",
    "Suggestion",
    "Suggestions",
    "check_count",
]

NEW_MEMBER_DAYS = 30
DECLINE_DAYS = 90


@dataclass(frozen=True)
class Staffing:
    """Members and leaders now, and how many leaders the team size asks for."""

    members: int
    leaders: int
    members_per_leader: int
    alert_at: int
    #: The gap the previous scale alert told (set on a claimed alert, so it can be given back).
    reported_gap: int = 0

    @property
    def needed(self) -> int:
        """Leaders needed: members ÷ members per leader, rounded up."""
        return math.ceil(self.members / self.members_per_leader)

    @property
    def gap(self) -> int:
        """Leaders missing (0 when staffed, or while the community is under `alert_at`)."""
        if self.members < self.alert_at:
            return 0
        return max(0, self.needed - self.leaders)


class LeaderSuggestions:
    """Ranks members for the founders, and decides when the community outgrew its leaders."""

    def __init__(
        self,
        db: Database,
        settings: LeaderSettingsService,
        referral_codes: ReferralCodes,
        referral_insight: ReferralInsight,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._settings = settings
        self._codes = referral_codes
        self._insight = referral_insight
        self._clock = clock

    # -- suggestions ---------------------------------------------------------------------------
    async def suggest(
        self,
        guild_id: int,
        count: int = COUNT_DEFAULT,
        *,
        bots: Collection[int] = (),
        joined: Mapping[int, datetime] | None = None,
    ) -> Suggestions:
        """The `count` best-scored eligible members (1 to 25). `bots`: ids Discord says are
        bots; `joined`: when Discord says members joined (used for those recorded at setup)."""
        check_count(count)
        return await self.ranking(guild_id, bots=bots, joined=joined, keep=count)

    async def ranking(
        self,
        guild_id: int,
        *,
        bots: Collection[int] = (),
        joined: Mapping[int, datetime] | None = None,
        keep: int | None = None,
    ) -> Suggestions:
        """Every eligible member (or the first `keep`), best first."""
        now = self._clock()
        settings = await self._settings.get(guild_id)
        weights = settings.weights
        candidates, excluded = await self._eligible(guild_id, now, set(bots), joined or {})
        facts = await self._facts(guild_id, now, candidates, settings.retention_days)
        held = await self._sessions_held(guild_id, now)
        # Everyone is scored; only those kept get their reasons worked out.
        order = sorted(
            facts.values(),
            key=lambda f: (-score_of(parts_of(f, held), weights, held), f.user_id),
        )
        return Suggestions(
            guild_id=guild_id,
            top=tuple(score_member(f, weights, held) for f in order[:keep]),
            eligible=len(order),
            excluded=excluded,
            sessions_held=held,
            weights=MappingProxyType(dict(settings.weights)),
        )

    async def _eligible(
        self,
        guild_id: int,
        now: datetime,
        bots: set[int],
        joined: Mapping[int, datetime],
    ) -> tuple[dict[int, int], Exclusions]:
        """Member -> days as a member, for those who may be suggested; and who was left out."""
        members = await self._db.fetch_all(
            "SELECT user_id, source, admitted_at, joined_at FROM member_stint "
            "WHERE guild_id = ? AND status = 'member'",
            (guild_id,),
        )
        leaders = await self._ids(
            "SELECT user_id FROM leader WHERE guild_id = ? AND status = 'active'", guild_id
        )
        opted_out = await self._ids(
            "SELECT user_id FROM leader_optout WHERE guild_id = ?", guild_id
        )
        declined = await self._ids(
            "SELECT user_id FROM leader_nomination WHERE guild_id = ? AND status = 'declined' "
            "AND decided_at >= ?",
            guild_id,
            iso(now - timedelta(days=DECLINE_DAYS)),
        )
        referral_settings = await self._codes.settings(guild_id)
        flagged = await self._insight.flagged_members(guild_id, referral_settings)
        left_out = dict.fromkeys(("bots", "leaders", "opted_out", "declined", "flagged"), 0)
        left_out["new_members"] = 0
        tenure: dict[int, int] = {}
        for row in members:
            user = int(row["user_id"])
            reason = next(
                (
                    name
                    for name, ids in (
                        ("bots", bots),
                        ("leaders", leaders),
                        ("opted_out", opted_out),
                        ("declined", declined),
                        ("flagged", flagged),
                    )
                    if user in ids
                ),
                None,
            )
            since = datetime.fromisoformat(row["admitted_at"] or row["joined_at"])
            if row["source"] == "existing" and user in joined:
                since = min(since, joined[user])
            days = (now - since).days
            if reason is None and days < NEW_MEMBER_DAYS:
                reason = "new_members"
            if reason is not None:
                left_out[reason] += 1
            else:
                tenure[user] = days
        return tenure, Exclusions(**left_out)

    async def _ids(self, sql: str, *params: object) -> set[int]:
        return {int(row[0]) for row in await self._db.fetch_all(sql, params)}

    async def _facts(
        self, guild_id: int, now: datetime, tenure: Mapping[int, int], retention_days: int
    ) -> dict[int, MemberFacts]:
        """The counts of every candidate: one pass over the window's signals, and three small
        aggregates over the session, member and feedback records."""
        end = day_of(now) + timedelta(days=1)
        bounds = [(end - timedelta(days=7 * (week + 1))).isoformat() for week in range(8)]
        # The week a day falls in (0: the last 7 days), by comparing ISO days (no date math
        # per row); `?1`..`?8` are the weeks' first days, newest first.
        week_of = "CASE " + " ".join(f"WHEN day >= ?{n + 1} THEN {n}" for n in range(8)) + " END"
        own = ", ".join(f"'{kind}'" for kind in OWN_KINDS)
        way_columns = ", ".join(
            f"max(kind IN ({', '.join(repr(k) for k in kinds)})) AS {way}"
            for way, kinds in WAYS.items()
        )
        # The primary key streams rows member by member; deduplicating (member, day, kind)
        # first (channels fold away) leaves a tenth of the rows for the expressions.
        activity = await self._db.fetch_all(
            "WITH d AS (SELECT DISTINCT user_id, day, kind FROM engagement_daily "
            "WHERE guild_id = ?9 AND day >= ?8 AND day < ?10) "
            f"SELECT user_id, count(DISTINCT CASE WHEN kind IN ({own}) THEN {week_of} END) "
            f"AS weeks, {way_columns} FROM d GROUP BY user_id",
            (*bounds, guild_id, end.isoformat()),
        )
        attended = await self._counts(
            "SELECT a.user_id, count(*) FROM session_attendance a "
            "JOIN founder_session s ON s.id = a.session_id "
            f"WHERE {_HELD} AND a.seconds >= 60 GROUP BY a.user_id",
            guild_id,
            iso(now - timedelta(weeks=WINDOW_WEEKS)),
        )
        introductions = await self._counts(
            "SELECT sponsor_id, count(*) FROM member_stint WHERE guild_id = ? "
            "AND sponsor_id IS NOT NULL AND status = 'member' AND admitted_at <= ? "
            "GROUP BY sponsor_id",
            guild_id,
            iso(now - timedelta(days=NEW_MEMBER_DAYS)),
        )
        upvotes = await self._counts(
            "SELECT i.author_id, count(*) FROM feedback_vote v "
            "JOIN feedback_item i ON i.id = v.item_id WHERE i.guild_id = ? "
            "AND v.created_at >= ? AND v.user_id != i.author_id GROUP BY i.author_id",
            guild_id,
            iso(now - timedelta(days=retention_days)),
        )
        seen = {int(row["user_id"]): row for row in activity}
        facts = {}
        for user, days in tenure.items():
            row = seen.get(user)
            facts[user] = MemberFacts(
                user,
                ways=frozenset(way for way in WAYS if row is not None and row[way]),
                active_weeks=int(row["weeks"]) if row is not None else 0,
                introductions=introductions.get(user, 0),
                attended=attended.get(user, 0),
                upvotes=upvotes.get(user, 0),
                tenure_days=days,
            )
        return facts

    async def _counts(self, sql: str, *params: object) -> dict[int, int]:
        return {int(row[0]): int(row[1]) for row in await self._db.fetch_all(sql, params)}

    async def _sessions_held(self, guild_id: int, now: datetime) -> int:
        row = await self._db.fetch_one(
            f"SELECT count(*) FROM founder_session s WHERE {_HELD}",
            (guild_id, iso(now - timedelta(weeks=WINDOW_WEEKS))),
        )
        return int(row[0]) if row else 0

    # -- the scale alert -----------------------------------------------------------------------
    async def staffing(self, guild_id: int) -> Staffing:
        """Members and active leaders now, with the guild's team size and alert size."""
        settings = await self._settings.get(guild_id)
        row = await self._db.fetch_one(
            "SELECT (SELECT count(*) FROM member_stint WHERE guild_id = ?1 AND status = 'member'), "
            "(SELECT count(*) FROM leader WHERE guild_id = ?1 AND status = 'active')",
            (guild_id,),
        )
        assert row is not None
        return Staffing(
            members=int(row[0]),
            leaders=int(row[1]),
            members_per_leader=settings.members_per_leader,
            alert_at=settings.alert_at,
        )

    async def claim_alert(self, guild_id: int) -> Staffing | None:
        """The staffing to post when the gap grew past the one last reported (claimed now, so
        it is posted once); None when there is nothing new to say. A smaller gap is remembered
        quietly, so that growing again is told."""
        async with self._db.transaction() as tx:
            staffing = await self.staffing(guild_id)
            reported = (await self._settings.get(guild_id)).alerted_gap
            if staffing.gap == reported:
                return None
            await self._settings.set_alerted_gap(tx, guild_id, staffing.gap)
            return replace(staffing, reported_gap=reported) if staffing.gap > reported else None

    async def release_alert(self, guild_id: int, claimed: Staffing) -> None:
        """The claimed alert could not be posted: give the claim back, so that the next check
        tells it (unless another check has moved the gap on since)."""
        async with self._db.transaction() as tx:
            if (await self._settings.get(guild_id)).alerted_gap == claimed.gap:
                await self._settings.set_alerted_gap(tx, guild_id, claimed.reported_gap)


# Founder sessions held in the window: ended AMAs open to all (office hours are one-to-one and
# syncs for leaders only). Parameters: the guild, the window's start.
_HELD = (
    "s.guild_id = ? AND s.kind = 'ama' AND s.audience = 'all' AND s.status = 'completed' "
    "AND s.starts_at >= ?"
)
