"""Engagement signals: per member and day, counts of what they did, never what they wrote.

Every feature reports here, inside the transaction that records the thing itself (a nested
`db.transaction()` joins the caller's), so a count lands with its record or not at all:

- ``message``: messages per channel (the cog counts them in memory from metadata only, see
  `MessageTally`; messages in threads count under the thread's parent channel);
- ``rsvp_kept`` and ``attendance_minutes``: when a session's attendance is closed at its end;
- ``introduction_stayed``: credited to the sponsor on the day the newcomer has been a member for
  30 days (the daily upkeep recomputes it from the member records, so it is never counted twice);
- ``feedback_item`` (to the author) and ``feedback_upvote`` (to the item's author; an un-vote
  takes it back, never below zero);
- ``vote``: once per poll or survey per voter (changing a vote is not a new signal; anonymous
  polls count participation, never the choice).

A row exists only while its count is above zero, so "any row" means "active that day". Days are
UTC (YYYY-MM-DD). Rows older than the guild's `retention_days` are deleted by the daily upkeep.

Reading: the suggestion score, the leaders' duty lists and the community health metrics use the
helpers below or the `engagement_daily` table directly. Windows are `since` (inclusive) to
`until` (exclusive, default: tomorrow, so today counts). The (guild_id, day, count) index holds
every column, so a question about a period reads that period's entries only.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal, cast

from bot.db import Database, Transaction
from bot.services.clock import Clock, iso, utcnow
from bot.services.leaders.settings import LeaderSettingsService

SignalKind = Literal[
    "message",
    "rsvp_kept",
    "attendance_minutes",
    "introduction_stayed",
    "feedback_item",
    "feedback_upvote",
    "vote",
]
SIGNAL_KINDS: tuple[SignalKind, ...] = (
    "message",
    "rsvp_kept",
    "attendance_minutes",
    "introduction_stayed",
    "feedback_item",
    "feedback_upvote",
    "vote",
)
#: How long a newcomer must stay a member for the introduction to count.
STAYED = timedelta(days=30)
#: The durable job that prunes old rows and credits introductions that stayed, once a day.
UPKEEP_JOB = "signals.upkeep"
UPKEEP_KEY = "daily"
UPKEEP_AT = time(0, 15)  # UTC
_SWEPT_KEY = "signals.introductions_from:{guild_id}"

_UPSERT = (
    "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id, day, kind, channel_id) "
    "DO UPDATE SET count = count + excluded.count"
)
# The same, only for people whose current stint is an admitted member's (not someone in the
# gate, not someone who left, not a founder without a member record).
_UPSERT_MEMBER = (
    "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM member_stint s "
    "WHERE s.guild_id = ?1 AND s.user_id = ?2 AND s.status = 'member') "
    "ON CONFLICT (guild_id, user_id, day, kind, channel_id) "
    "DO UPDATE SET count = count + excluded.count"
)
_KEY = "guild_id = ? AND user_id = ? AND day = ? AND kind = ? AND channel_id = ?"


def day_of(moment: datetime) -> date:
    """The UTC day a moment falls on (how signals are bucketed)."""
    return moment.astimezone(UTC).date()


def next_upkeep(now: datetime) -> datetime:
    """When the daily upkeep runs next: the coming 00:15 UTC."""
    today = datetime.combine(day_of(now), UPKEEP_AT, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


@dataclass(frozen=True)
class Signal:
    """One count to add: `count` of `kind` by a member on a day (`channel_id`: messages only)."""

    guild_id: int
    user_id: int
    kind: SignalKind
    day: date
    count: int = 1
    channel_id: int = 0


@dataclass(frozen=True)
class DailyCount:
    """A stored row: a member's count of one kind on one day (and channel, for messages)."""

    day: date
    kind: SignalKind
    channel_id: int
    count: int


@dataclass(frozen=True)
class MemberActivity:
    """What a member did in a window, summed."""

    user_id: int
    #: Sum of the counts per kind (kinds with nothing are absent).
    totals: Mapping[SignalKind, int] = field(default_factory=lambda: MappingProxyType({}))
    #: Days with any signal.
    active_days: int = 0
    #: 7-day periods with any signal, counted back from the window's end (the last 7 days are
    #: one period, the 7 before another, ...), so "weeks active out of the last 8" is this over
    #: a 56-day window.
    active_weeks: int = 0
    first_day: date | None = None
    last_day: date | None = None

    @property
    def kinds(self) -> frozenset[SignalKind]:
        """The kinds of participation seen."""
        return frozenset(self.totals)

    @property
    def breadth(self) -> int:
        """How many kinds of participation."""
        return len(self.totals)


@dataclass(frozen=True)
class Upkeep:
    """What the daily upkeep did for a guild."""

    guild_id: int
    pruned: int
    introductions: int


class EngagementSignals:
    """The one place every feature reports participation to (daily counts, never content)."""

    name = "engagement"

    def __init__(
        self,
        db: Database,
        clock: Clock = utcnow,
        settings: LeaderSettingsService | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings or LeaderSettingsService(db, clock)

    def today(self) -> date:
        """Today's UTC day on the service's clock."""
        return day_of(self._clock())

    # -- reporting -----------------------------------------------------------------------------
    async def record(
        self,
        guild_id: int,
        user_id: int,
        kind: SignalKind,
        amount: int = 1,
        *,
        channel_id: int = 0,
        at: datetime | None = None,
    ) -> None:
        """Add `amount` to the member's count of `kind` for the day of `at` (default: now).

        Joins the caller's transaction when there is one."""
        if amount <= 0:
            return
        day = day_of(at or self._clock())
        async with self._db.transaction() as tx:
            await tx.execute(
                _UPSERT, (guild_id, user_id, day.isoformat(), kind, channel_id, amount)
            )

    async def record_many(self, signals: Iterable[Signal], *, members_only: bool = False) -> int:
        """Add many counts with one executemany (the message buffer's flush). With
        `members_only`, counts of people who are not admitted members now are dropped.
        Returns how many counts were submitted."""
        rows = [
            (s.guild_id, s.user_id, s.day.isoformat(), s.kind, s.channel_id, s.count)
            for s in signals
            if s.count > 0
        ]
        if rows:
            async with self._db.transaction() as tx:
                await tx.executemany(_UPSERT_MEMBER if members_only else _UPSERT, rows)
        return len(rows)

    async def retract(
        self,
        guild_id: int,
        user_id: int,
        kind: SignalKind,
        amount: int = 1,
        *,
        at: datetime,
        channel_id: int = 0,
    ) -> None:
        """Take back `amount` from the count of the day of `at` (the day it was credited);
        never below zero, and a row that reaches zero goes."""
        if amount <= 0:
            return
        key = (guild_id, user_id, day_of(at).isoformat(), kind, channel_id)
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE engagement_daily SET count = max(0, count - ?) WHERE {_KEY}",
                (amount, *key),
            )
            await tx.execute(f"DELETE FROM engagement_daily WHERE {_KEY} AND count = 0", key)

    async def record_once(
        self, guild_id: int, user_id: int, kind: SignalKind, ref: str, *, at: datetime | None = None
    ) -> bool:
        """Count `kind` once per (member, `ref`), e.g. ref "poll:12": True when counted now,
        False when it was already."""
        moment = at or self._clock()
        async with self._db.transaction() as tx:
            if not await _mark(tx, guild_id, ref, user_id, day_of(moment)):
                return False
            await self.record(guild_id, user_id, kind, at=moment)
        return True

    async def clear_once(self, guild_id: int, ref: str) -> None:
        """Forget who was counted for `ref` (a poll that closed takes no more votes)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM engagement_credit WHERE guild_id = ? AND ref = ?", (guild_id, ref)
            )

    async def credit_session(
        self, guild_id: int, session_id: int, minutes: Mapping[int, int], kept: Collection[int]
    ) -> bool:
        """A session's attendance closed: each member's whole minutes present, and an RSVP
        kept for each member in `kept` (RSVP'd going and attended). Once per session (False
        when it was credited already)."""
        now = self._clock()
        async with self._db.transaction() as tx:
            if not await _mark(tx, guild_id, f"session:{session_id}", 0, day_of(now)):
                return False
            day = day_of(now)
            await self.record_many(
                [
                    Signal(guild_id, user, "attendance_minutes", day, count)
                    for user, count in minutes.items()
                ]
                + [Signal(guild_id, user, "rsvp_kept", day) for user in kept]
            )
        return True

    # -- upkeep --------------------------------------------------------------------------------
    async def upkeep(self) -> list[Upkeep]:
        """The daily job: for every guild with signals or sponsored members, delete rows past
        the retention window and credit introductions that stayed."""
        rows = await self._db.fetch_all(
            # A loose index scan: one probe per guild instead of reading every row.
            "WITH RECURSIVE g(id) AS (SELECT min(guild_id) FROM engagement_daily UNION ALL "
            "SELECT (SELECT min(guild_id) FROM engagement_daily WHERE guild_id > g.id) FROM g "
            "WHERE g.id IS NOT NULL) SELECT id FROM g WHERE id IS NOT NULL "
            "UNION SELECT DISTINCT guild_id FROM member_stint WHERE sponsor_id IS NOT NULL"
        )
        done = []
        for row in rows:
            guild_id = int(row[0])
            pruned = await self.prune(guild_id)
            done.append(Upkeep(guild_id, pruned, await self.sweep_introductions(guild_id)))
        return done

    async def cutoff(self, guild_id: int) -> date:
        """The oldest day kept: the last `retention_days` days, today included."""
        settings = await self._settings.get(guild_id)
        return self.today() - timedelta(days=settings.retention_days - 1)

    async def prune(self, guild_id: int) -> int:
        """Delete the guild's rows older than its retention window; how many went."""
        cutoff = (await self.cutoff(guild_id)).isoformat()
        async with self._db.transaction() as tx:
            pruned = await tx.execute_rowcount(
                "DELETE FROM engagement_daily WHERE guild_id = ? AND day < ?", (guild_id, cutoff)
            )
            # A poll's credits stay while it is open (up to a year), so a vote withdrawn and
            # given again much later still counts once; its close clears them.
            await tx.execute(
                "DELETE FROM engagement_credit WHERE guild_id = ? AND day < ? "
                "AND ref NOT LIKE 'poll:%'",
                (guild_id, cutoff),
            )
        return pruned

    async def sweep_introductions(self, guild_id: int) -> int:
        """Credit each sponsor with the introductions whose newcomer was admitted and was still a
        member 30 days later, on that 30th day. The days from the last sweep (or the start of the
        retention window) to today are recomputed from the member records and replaced, so a
        repeated sweep, a restart or a missed day never counts one twice. Returns how many
        introductions were newly credited."""
        now = self._clock()
        today = day_of(now)
        start = await self.cutoff(guild_id)
        key = _SWEPT_KEY.format(guild_id=guild_id)
        async with self._db.transaction() as tx:
            row = await tx.fetch_one("SELECT value FROM bot_meta WHERE key = ?", (key,))
            if row is not None:
                start = max(start, date.fromisoformat(str(row["value"])))
            window = (start.isoformat(), today.isoformat())
            before = await tx.fetch_one(
                "SELECT coalesce(sum(count), 0) FROM engagement_daily WHERE guild_id = ? "
                "AND day BETWEEN ? AND ? AND kind = 'introduction_stayed'",
                (guild_id, *window),
            )
            await tx.execute(
                "DELETE FROM engagement_daily WHERE guild_id = ? AND day BETWEEN ? AND ? "
                "AND kind = 'introduction_stayed'",
                (guild_id, *window),
            )
            stayed = await tx.fetch_all(
                "SELECT sponsor_id, date(admitted_at, '+30 days') AS day, count(*) AS n "
                "FROM member_stint WHERE guild_id = ? AND sponsor_id IS NOT NULL "
                "AND admitted_at IS NOT NULL AND date(admitted_at, '+30 days') BETWEEN ? AND ? "
                "AND julianday(admitted_at) + 30 <= julianday(?) AND (status = 'member' OR "
                "(left_at IS NOT NULL AND julianday(left_at) >= julianday(admitted_at) + 30)) "
                "GROUP BY sponsor_id, day",
                (guild_id, *window, iso(now)),
            )
            await tx.executemany(
                "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
                "VALUES (?, ?, ?, 'introduction_stayed', 0, ?) "
                "ON CONFLICT (guild_id, user_id, day, kind, channel_id) "
                "DO UPDATE SET count = excluded.count",
                [(guild_id, r["sponsor_id"], r["day"], r["n"]) for r in stayed],
            )
            # Today may not be over: the next sweep recomputes it (and the days after).
            await tx.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, today.isoformat()),
            )
        credited = sum(int(r["n"]) for r in stayed) - (int(before[0]) if before else 0)
        return max(0, credited)

    # -- reading -------------------------------------------------------------------------------
    def _window(self, since: date, until: date | None) -> tuple[str, str]:
        end = until or self.today() + timedelta(days=1)
        return since.isoformat(), end.isoformat()

    async def activity(
        self,
        guild_id: int,
        since: date,
        until: date | None = None,
        *,
        user_ids: Collection[int] | None = None,
    ) -> dict[int, MemberActivity]:
        """Per member active in [since, until): totals per kind, active days, active 7-day
        periods counted back from `until`, first and last active day. Two queries; pass
        `user_ids` to look at a few members only."""
        start, end = self._window(since, until)
        only, params = _only(user_ids)
        summary = await self._db.fetch_all(
            "SELECT user_id, count(DISTINCT day) AS days, "
            "count(DISTINCT CAST((julianday(?) - julianday(day) - 1) / 7 AS INTEGER)) AS weeks, "
            "min(day) AS first, max(day) AS last FROM engagement_daily "
            f"WHERE guild_id = ? AND day >= ? AND day < ?{only} GROUP BY user_id",
            (end, guild_id, start, end, *params),
        )
        totals = await self.totals(guild_id, since, until, user_ids=user_ids)
        return {
            int(r["user_id"]): MemberActivity(
                user_id=int(r["user_id"]),
                totals=MappingProxyType(totals.get(int(r["user_id"]), {})),
                active_days=int(r["days"]),
                active_weeks=int(r["weeks"]),
                first_day=date.fromisoformat(r["first"]),
                last_day=date.fromisoformat(r["last"]),
            )
            for r in summary
        }

    async def totals(
        self,
        guild_id: int,
        since: date,
        until: date | None = None,
        *,
        kinds: Collection[SignalKind] | None = None,
        user_ids: Collection[int] | None = None,
    ) -> dict[int, dict[SignalKind, int]]:
        """Member -> kind -> sum of counts in [since, until) (optionally some kinds only)."""
        start, end = self._window(since, until)
        only, params = _only(user_ids)
        which, kind_params = _kinds(kinds)
        rows = await self._db.fetch_all(
            "SELECT user_id, kind, sum(count) AS n FROM engagement_daily "
            f"WHERE guild_id = ? AND day >= ? AND day < ?{which}{only} GROUP BY user_id, kind",
            (guild_id, start, end, *kind_params, *params),
        )
        found: dict[int, dict[SignalKind, int]] = {}
        for r in rows:
            found.setdefault(int(r["user_id"]), {})[cast(SignalKind, r["kind"])] = int(r["n"])
        return found

    async def active_days(
        self, guild_id: int, since: date, until: date | None = None
    ) -> dict[int, int]:
        """Member -> days with any signal in [since, until)."""
        start, end = self._window(since, until)
        rows = await self._db.fetch_all(
            "SELECT user_id, count(DISTINCT day) FROM engagement_daily "
            "WHERE guild_id = ? AND day >= ? AND day < ? GROUP BY user_id",
            (guild_id, start, end),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def active_weeks(
        self, guild_id: int, weeks: int = 8, *, until: date | None = None
    ) -> dict[int, int]:
        """Member -> how many of the last `weeks` 7-day periods (ending the day before `until`,
        default today) had any signal."""
        end = until or self.today() + timedelta(days=1)
        since = end - timedelta(days=7 * weeks)
        rows = await self._db.fetch_all(
            "SELECT user_id, "
            "count(DISTINCT CAST((julianday(?) - julianday(day) - 1) / 7 AS INTEGER)) "
            "FROM engagement_daily WHERE guild_id = ? AND day >= ? AND day < ? GROUP BY user_id",
            (end.isoformat(), guild_id, since.isoformat(), end.isoformat()),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def kinds(
        self, guild_id: int, since: date, until: date | None = None
    ) -> dict[int, frozenset[SignalKind]]:
        """Member -> the kinds of participation seen in [since, until) (breadth)."""
        start, end = self._window(since, until)
        rows = await self._db.fetch_all(
            "SELECT DISTINCT user_id, kind FROM engagement_daily "
            "WHERE guild_id = ? AND day >= ? AND day < ?",
            (guild_id, start, end),
        )
        found: dict[int, set[SignalKind]] = {}
        for r in rows:
            found.setdefault(int(r[0]), set()).add(cast(SignalKind, r[1]))
        return {user: frozenset(kinds) for user, kinds in found.items()}

    async def last_active(
        self, guild_id: int, user_ids: Collection[int] | None = None
    ) -> dict[int, date]:
        """Member -> their last day with any signal (within retention). With `user_ids`, one
        index probe per member; without, one pass over the guild's rows."""
        if user_ids is not None:
            rows = await self._db.fetch_all(
                "SELECT j.value AS user_id, (SELECT max(e.day) FROM engagement_daily e "
                "WHERE e.guild_id = ? AND e.user_id = j.value) AS last FROM json_each(?) j",
                (guild_id, json.dumps(sorted(set(user_ids)))),
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT user_id, max(day) AS last FROM engagement_daily WHERE guild_id = ? "
                "GROUP BY user_id",
                (guild_id,),
            )
        return {int(r["user_id"]): date.fromisoformat(r["last"]) for r in rows if r["last"]}

    async def active_members(
        self,
        guild_id: int,
        since: date,
        until: date | None = None,
        *,
        kinds: Collection[SignalKind] | None = None,
        min_kinds: int = 1,
    ) -> set[int]:
        """Members with any signal in [since, until) (of `kinds`, when given); with
        `min_kinds`=2, those active in two kinds of participation or more."""
        start, end = self._window(since, until)
        which, kind_params = _kinds(kinds)
        rows = await self._db.fetch_all(
            "SELECT user_id FROM engagement_daily "
            f"WHERE guild_id = ? AND day >= ? AND day < ?{which} "
            "GROUP BY user_id HAVING count(DISTINCT kind) >= ?",
            (guild_id, start, end, *kind_params, min_kinds),
        )
        return {int(r[0]) for r in rows}

    async def channel_messages(
        self, guild_id: int, since: date, until: date | None = None
    ) -> dict[int, int]:
        """Channel -> messages counted in [since, until) (threads under their parent)."""
        start, end = self._window(since, until)
        rows = await self._db.fetch_all(
            "SELECT channel_id, sum(count) FROM engagement_daily WHERE guild_id = ? "
            "AND day >= ? AND day < ? AND kind = 'message' GROUP BY channel_id",
            (guild_id, start, end),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def member_days(
        self, guild_id: int, user_id: int, since: date | None = None
    ) -> list[DailyCount]:
        """One member's rows, oldest first (an explanation, or their privacy export)."""
        rows = await self._db.fetch_all(
            "SELECT day, kind, channel_id, count FROM engagement_daily "
            "WHERE guild_id = ? AND user_id = ? AND day >= ? ORDER BY day, kind, channel_id",
            (guild_id, user_id, (since or date.min).isoformat()),
        )
        return [
            DailyCount(
                date.fromisoformat(r["day"]),
                cast(SignalKind, r["kind"]),
                int(r["channel_id"]),
                int(r["count"]),
            )
            for r in rows
        ]

    # -- leader suggestions opt-out ------------------------------------------------------------
    async def optout(self, guild_id: int, user_id: int) -> bool:
        """The member asks not to be suggested as a leader; False when they already had."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    "INSERT INTO leader_optout (guild_id, user_id, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (guild_id, user_id) DO NOTHING",
                    (guild_id, user_id, iso(self._clock())),
                )
                > 0
            )

    async def optin(self, guild_id: int, user_id: int) -> bool:
        """The member may be suggested again; False when they had not opted out."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    "DELETE FROM leader_optout WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )
                > 0
            )

    async def is_opted_out(self, guild_id: int, user_id: int) -> bool:
        """Whether the member turned leader suggestions off for themself."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM leader_optout WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return row is not None

    async def opted_out(self, guild_id: int) -> set[int]:
        """Everyone in the guild who turned leader suggestions off."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM leader_optout WHERE guild_id = ?", (guild_id,)
        )
        return {int(r[0]) for r in rows}

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """The member's daily counts, what was credited once, and their leader opt-out."""
        found: dict[str, object] = {}
        daily = await self.member_days(guild_id, user_id)
        if daily:
            found["daily_counts"] = [
                {
                    "day": row.day.isoformat(),
                    "kind": row.kind,
                    "channel_id": str(row.channel_id) if row.channel_id else None,
                    "count": row.count,
                }
                for row in daily
            ]
        credits = await self._db.fetch_all(
            "SELECT ref, day FROM engagement_credit WHERE guild_id = ? AND user_id = ? "
            "ORDER BY day, ref",
            (guild_id, user_id),
        )
        if credits:
            found["counted_once"] = [dict(r) for r in credits]
        optout = await self._db.fetch_one(
            "SELECT created_at FROM leader_optout WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if optout is not None:
            found["leader_suggestions_off_since"] = optout["created_at"]
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the member's counts, credits and opt-out in this guild."""
        deleted = 0
        for table in ("engagement_daily", "engagement_credit", "leader_optout"):
            deleted += await tx.execute_rowcount(
                f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return deleted


class MessageTally:
    """Message counts held in memory until the next flush, so a busy server costs one write
    (one executemany) per interval rather than one per message.

    Only metadata is ever seen here: the author, the channel and the moment. The caller flushes
    every ~15 s and on shutdown; a crash loses at most the counts of one interval. A flush that
    fails keeps its counts for the next one.
    """

    def __init__(self, signals: EngagementSignals, clock: Clock = utcnow) -> None:
        self._signals = signals
        self._clock = clock
        self._counts: dict[tuple[int, int, int, date], int] = {}

    def add(self, guild_id: int, user_id: int, channel_id: int, at: datetime | None = None) -> None:
        """Count one message (bucketed on the day of `at`, default now)."""
        key = (guild_id, user_id, channel_id, day_of(at or self._clock()))
        self._counts[key] = self._counts.get(key, 0) + 1

    def discard(self, guild_id: int, user_id: int) -> None:
        """Drop a member's pending counts (their data was just forgotten)."""
        for key in [k for k in self._counts if k[0] == guild_id and k[1] == user_id]:
            del self._counts[key]

    @property
    def pending(self) -> int:
        """Messages counted and not yet written."""
        return sum(self._counts.values())

    async def flush(self) -> int:
        """Write the pending counts (admitted members only); returns how many rows were
        submitted."""
        if not self._counts:
            return 0
        batch, self._counts = self._counts, {}
        try:
            return await self._signals.record_many(
                (
                    Signal(guild, user, "message", day, count, channel)
                    for (guild, user, channel, day), count in batch.items()
                ),
                members_only=True,
            )
        except BaseException:
            for key, count in batch.items():  # keep them for the next attempt
                self._counts[key] = self._counts.get(key, 0) + count
            raise


async def _mark(tx: Transaction, guild_id: int, ref: str, user_id: int, day: date) -> bool:
    """Insert a once-only credit; False when it was there already."""
    return (
        await tx.execute_rowcount(
            "INSERT INTO engagement_credit (guild_id, ref, user_id, day) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, ref, user_id) DO NOTHING",
            (guild_id, ref, user_id, day.isoformat()),
        )
        > 0
    )


def _only(user_ids: Collection[int] | None) -> tuple[str, tuple[str, ...]]:
    if user_ids is None:
        return "", ()
    return " AND user_id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(user_ids)),)


def _kinds(kinds: Collection[SignalKind] | None) -> tuple[str, tuple[str, ...]]:
    if kinds is None:
        return "", ()
    return f" AND kind IN ({','.join('?' * len(kinds))})", tuple(kinds)
