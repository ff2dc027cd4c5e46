"""Leader duties: each circle's weekly list, check-ins, the founders' coverage view, and the
review that flags leaders who went quiet (never removes anyone).

Who a circle's list names, precisely (all times from the injectable clock, days in UTC):

- **in the circle**: its `circle_member` rows, minus its leader, whose latest membership stint is
  `member` (or who have no stint at all: a guild that admits people without the gate). People
  who left, were refused, or are back in the gate are not counted;
- **new**: in the circle, admitted (`admitted_at` of the current stint) within the last 14 days,
  except members recorded as already there when Vouch was set up (`source = 'existing'`);
- **quiet**: in the circle, known for at least 21 days (since `admitted_at`, or since they joined
  the circle when they have no stint), with no `engagement_daily` count dated on or after the
  UTC day 21 days ago;
- **stuck in the gate**: a `pending` stint that started more than a day ago and whose sponsor is
  in the circle or leads it (newcomers without a sponsor are the moderators' to handle).

Coverage of a circle: how many of the people in it had a check-in recorded in that circle within
the last 30 days. The review: every week, each active leader who has been one for the whole
review period (`review_weeks`), has no engagement count and recorded no check-in in it, and was
not flagged within it, is flagged once (`leader.reviewed_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.jobs import JobQueue
from bot.services.leaders.settings import LeaderSettingsService

WEEK_JOB = "leaders.duties.week"  # one per guild: the weekly lists and the review
LIST_JOB = "leaders.duties.list"  # one per leader and week: their list, sent once
NEW_DAYS = 14
QUIET_DAYS = 21
GATE_DAYS = 1
COVERAGE_DAYS = 30
#: The weekly lists go out on Mondays at 09:00 in the guild's time zone.
LIST_WEEKDAY, LIST_TIME = 0, time(9, 0)

# The people of a circle (`c` is the circle): latest stint `member`, or no stint at all.
_IN_CIRCLE = (
    "SELECT m.user_id, m.added_at, s.source, s.admitted_at FROM circle_member m "
    "LEFT JOIN member_stint s ON s.id = (SELECT max(id) FROM member_stint x "
    "WHERE x.guild_id = m.guild_id AND x.user_id = m.user_id) "
    "WHERE m.circle_id = ? AND m.user_id IS NOT ? "
    "AND coalesce(s.status, 'member') = 'member' ORDER BY m.added_at, m.user_id"
)


@dataclass(frozen=True)
class CircleCoverage:
    """How many people of a circle had a check-in in the last `days` days."""

    circle_id: int
    name: str
    leader_id: int | None
    members: int
    checked_in: int
    last_checkin_at: datetime | None
    days: int = COVERAGE_DAYS

    @property
    def share(self) -> float:
        """checked_in / members (0 for an empty circle)."""
        return self.checked_in / self.members if self.members else 0.0


@dataclass(frozen=True)
class DutyList:
    """One circle's weekly list for its leader."""

    guild_id: int
    leader_id: int
    circle_id: int
    circle_name: str
    channel_id: int | None
    new_members: tuple[int, ...]
    quiet_members: tuple[int, ...]
    stuck_newcomers: tuple[int, ...]
    coverage: CircleCoverage

    @property
    def is_empty(self) -> bool:
        """Nobody needs the leader this week."""
        return not (self.new_members or self.quiet_members or self.stuck_newcomers)


@dataclass(frozen=True)
class Checkin:
    """A leader reached out to a member of their circle."""

    id: int
    guild_id: int
    circle_id: int
    circle_name: str
    leader_id: int
    member_id: int
    at: datetime
    coverage: CircleCoverage


@dataclass(frozen=True)
class ReviewFlag:
    """A leader with no activity and no check-ins for a whole review period."""

    guild_id: int
    leader_id: int  # their user id
    record_id: int  # the `leader` row
    since: datetime
    weeks: int
    circles: tuple[str, ...]
    previous_review: datetime | None


def next_list_time(after: datetime, timezone: str) -> datetime:
    """The first Monday 09:00 in `timezone` strictly after `after` (aware, UTC)."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(LIST_WEEKDAY - local.weekday()) % 7)
    while True:
        moment = datetime.combine(day, LIST_TIME, tzinfo=zone).astimezone(UTC)
        if moment > after:
            return moment
        day += timedelta(days=7)


class LeaderDuties:
    """Weekly lists, check-ins, coverage and reviews of a guild's leaders."""

    name = "circle_checkins"

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        settings: LeaderSettingsService,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._jobs = jobs
        self._settings = settings
        self._clock = clock

    # -- who leads what ------------------------------------------------------------------------
    async def is_leader(self, guild_id: int, user_id: int) -> bool:
        """Whether the person is an active leader of the guild."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM leader WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (guild_id, user_id),
        )
        return row is not None

    async def _led_circles(self, guild_id: int, leader_id: int) -> list[Any]:
        return await self._db.fetch_all(
            "SELECT id, name, channel_id, leader_id FROM circle "
            "WHERE guild_id = ? AND leader_id = ? AND closed_at IS NULL ORDER BY id",
            (guild_id, leader_id),
        )

    # -- the weekly lists ----------------------------------------------------------------------
    async def duty_lists(self, guild_id: int, leader_id: int | None = None) -> list[DutyList]:
        """The lists of every circle led by an active leader (or by `leader_id` only)."""
        rows = await self._db.fetch_all(
            "SELECT c.id, c.name, c.channel_id, c.leader_id FROM circle c "
            "JOIN leader l ON l.guild_id = c.guild_id AND l.user_id = c.leader_id "
            "AND l.status = 'active' WHERE c.guild_id = ? AND c.closed_at IS NULL "
            "AND (? IS NULL OR c.leader_id = ?) ORDER BY c.leader_id, c.id",
            (guild_id, leader_id, leader_id),
        )
        return [await self._duty_list(guild_id, row) for row in rows]

    async def _duty_list(self, guild_id: int, circle: Any) -> DutyList:
        now = self._clock()
        people = await self._db.fetch_all(_IN_CIRCLE, (circle["id"], circle["leader_id"]))
        new: list[int] = []
        quiet: list[int] = []
        quiet_since = (now - timedelta(days=QUIET_DAYS)).date().isoformat()
        for person in people:
            admitted = _when(person["admitted_at"])
            known_since = admitted or _when(person["added_at"]) or now
            if (
                admitted is not None
                and person["source"] != "existing"
                and admitted > now - timedelta(days=NEW_DAYS)
            ):
                new.append(int(person["user_id"]))
            elif known_since <= now - timedelta(days=QUIET_DAYS):
                active = await self._db.fetch_one(
                    "SELECT 1 FROM engagement_daily WHERE guild_id = ? AND user_id = ? "
                    "AND day >= ? AND count > 0 LIMIT 1",
                    (guild_id, person["user_id"], quiet_since),
                )
                if active is None:
                    quiet.append(int(person["user_id"]))
        stuck = await self._db.fetch_all(
            "SELECT s.user_id FROM member_stint s WHERE s.guild_id = ? AND s.status = 'pending' "
            "AND s.joined_at < ? AND s.sponsor_id IS NOT NULL AND (s.sponsor_id = ? OR EXISTS "
            "(SELECT 1 FROM circle_member m WHERE m.circle_id = ? AND m.user_id = s.sponsor_id)) "
            "ORDER BY s.joined_at, s.id",
            (guild_id, iso(now - timedelta(days=GATE_DAYS)), circle["leader_id"], circle["id"]),
        )
        return DutyList(
            guild_id=guild_id,
            leader_id=int(circle["leader_id"]),
            circle_id=int(circle["id"]),
            circle_name=circle["name"],
            channel_id=circle["channel_id"],
            new_members=tuple(new),
            quiet_members=tuple(quiet),
            stuck_newcomers=tuple(int(row["user_id"]) for row in stuck),
            coverage=await self._coverage_of(circle, _ids(people), COVERAGE_DAYS),
        )

    # -- check-ins -----------------------------------------------------------------------------
    async def checkin(
        self, guild_id: int, leader_id: int, member_id: int, *, member_is_bot: bool = False
    ) -> Checkin:
        """Record that a leader reached out to a member of a circle they lead. Refused: not a
        leader, a bot, themself, someone not in (one of) their circle(s)."""
        if not await self.is_leader(guild_id, leader_id):
            raise DomainError("circle.leaders_only")
        if member_is_bot:
            raise DomainError("circle.checkin.bot")
        if member_id == leader_id:
            raise DomainError("circle.checkin.self")
        now = self._clock()
        async with self._db.transaction() as tx:
            circle = await tx.fetch_one(
                "SELECT c.id, c.name, c.leader_id, c.channel_id FROM circle c "
                "JOIN circle_member m ON m.circle_id = c.id AND m.user_id = ? "
                "WHERE c.guild_id = ? AND c.leader_id = ? AND c.closed_at IS NULL",
                (member_id, guild_id, leader_id),
            )
            if circle is None:
                raise DomainError("circle.checkin.not_in_circle", member=f"<@{member_id}>")
            checkin_id = await tx.execute(
                "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, circle["id"], leader_id, member_id, iso(now)),
            )
            people = _ids(await tx.fetch_all(_IN_CIRCLE, (circle["id"], leader_id)))
            coverage = await self._coverage_of(circle, people, COVERAGE_DAYS, tx)
        return Checkin(
            id=checkin_id,
            guild_id=guild_id,
            circle_id=int(circle["id"]),
            circle_name=circle["name"],
            leader_id=leader_id,
            member_id=member_id,
            at=now,
            coverage=coverage,
        )

    # -- coverage ------------------------------------------------------------------------------
    async def coverage(self, guild_id: int, days: int = COVERAGE_DAYS) -> list[CircleCoverage]:
        """Every open circle's check-in coverage over the last `days` days, by name."""
        circles = await self._db.fetch_all(
            "SELECT id, name, leader_id, channel_id FROM circle "
            "WHERE guild_id = ? AND closed_at IS NULL ORDER BY name COLLATE NOCASE, id",
            (guild_id,),
        )
        found = []
        for circle in circles:
            people = _ids(await self._db.fetch_all(_IN_CIRCLE, (circle["id"], circle["leader_id"])))
            found.append(await self._coverage_of(circle, people, days))
        return found

    async def last_checkins(self, guild_id: int) -> dict[int, datetime]:
        """Leader (user id) -> their latest recorded check-in (for /leaders list)."""
        rows = await self._db.fetch_all(
            "SELECT leader_id, max(at) AS last FROM circle_checkin WHERE guild_id = ? "
            "GROUP BY leader_id",
            (guild_id,),
        )
        return {int(row["leader_id"]): datetime.fromisoformat(row["last"]) for row in rows}

    async def _coverage_of(
        self, circle: Any, people: frozenset[int], days: int, tx: Transaction | None = None
    ) -> CircleCoverage:
        """Only the circle's people count: a check-in with someone who left or moved since
        is not coverage of this circle now."""
        source: Database | Transaction = tx or self._db
        since = iso(self._clock() - timedelta(days=days))
        rows = await source.fetch_all(
            "SELECT DISTINCT member_id FROM circle_checkin WHERE circle_id = ? AND at >= ?",
            (circle["id"], since),
        )
        last = await source.fetch_one(
            "SELECT max(at) FROM circle_checkin WHERE circle_id = ?", (circle["id"],)
        )
        return CircleCoverage(
            circle_id=int(circle["id"]),
            name=circle["name"],
            leader_id=circle["leader_id"],
            members=len(people),
            checked_in=len(people & {int(row["member_id"]) for row in rows}),
            last_checkin_at=_when(last[0]) if last else None,
            days=days,
        )

    # -- the weekly job ------------------------------------------------------------------------
    async def arm(self, guild_id: int, timezone: str) -> datetime:
        """Make sure the guild's weekly job exists (at startup); returns when it is due. An
        existing job is left where it is, so a restart never moves or repeats a week."""
        for job in await self._jobs.pending(WEEK_JOB):
            if job.key == str(guild_id):
                return job.due_at
        due = next_list_time(self._clock(), timezone)
        await self._jobs.schedule(WEEK_JOB, str(guild_id), due, guild_id=guild_id)
        return due

    async def start_week(self, guild_id: int, timezone: str) -> list[int]:
        """The weekly job fired: next week's is armed and one list job per active leader with a
        circle is queued, in one transaction (each list then goes out at most once). Returns
        those leaders."""
        now = self._clock()
        week = now.date().isoformat()
        async with self._db.transaction() as tx:
            await self._jobs.schedule(
                WEEK_JOB, str(guild_id), next_list_time(now, timezone), guild_id=guild_id
            )
            rows = await tx.fetch_all(
                "SELECT DISTINCT c.leader_id FROM circle c JOIN leader l "
                "ON l.guild_id = c.guild_id AND l.user_id = c.leader_id AND l.status = 'active' "
                "WHERE c.guild_id = ? AND c.closed_at IS NULL ORDER BY c.leader_id",
                (guild_id,),
            )
            leaders = [int(row["leader_id"]) for row in rows]
            for leader_id in leaders:
                await self._jobs.schedule(
                    LIST_JOB,
                    f"{guild_id}:{leader_id}:{week}",
                    now,
                    guild_id=guild_id,
                    payload={"leader_id": leader_id},
                )
        return leaders

    # -- the review ----------------------------------------------------------------------------
    async def review(self, guild_id: int) -> list[ReviewFlag]:
        """Flag (and mark, so once per period) each active leader who led for the whole review
        period with no engagement and no check-in in it. Nothing else changes."""
        weeks = (await self._settings.get(guild_id)).review_weeks
        now = self._clock()
        start = now - timedelta(weeks=weeks)
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT l.id, l.user_id, l.since, l.reviewed_at FROM leader l "
                "WHERE l.guild_id = ? AND l.status = 'active' AND l.since <= ? "
                "AND (l.reviewed_at IS NULL OR l.reviewed_at <= ?) "
                "AND NOT EXISTS (SELECT 1 FROM engagement_daily e WHERE e.guild_id = l.guild_id "
                " AND e.user_id = l.user_id AND e.day >= ? AND e.count > 0) "
                "AND NOT EXISTS (SELECT 1 FROM circle_checkin k WHERE k.guild_id = l.guild_id "
                " AND k.leader_id = l.user_id AND k.at >= ?) ORDER BY l.since, l.id",
                (guild_id, iso(start), iso(start), start.date().isoformat(), iso(start)),
            )
            flags = []
            for row in rows:
                circles = await tx.fetch_all(
                    "SELECT name FROM circle WHERE guild_id = ? AND leader_id = ? "
                    "AND closed_at IS NULL ORDER BY id",
                    (guild_id, row["user_id"]),
                )
                flags.append(
                    ReviewFlag(
                        guild_id=guild_id,
                        leader_id=int(row["user_id"]),
                        record_id=int(row["id"]),
                        since=datetime.fromisoformat(row["since"]),
                        weeks=weeks,
                        circles=tuple(circle["name"] for circle in circles),
                        previous_review=_when(row["reviewed_at"]),
                    )
                )
            await tx.executemany(
                "UPDATE leader SET reviewed_at = ? WHERE id = ?",
                [(iso(now), flag.record_id) for flag in flags],
            )
        return flags

    async def unflag(self, flags: list[ReviewFlag]) -> None:
        """The flags could not be posted anywhere: put the reviews back, so next week's run
        tries again (a review is never silently lost)."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE leader SET reviewed_at = ? WHERE id = ?",
                [
                    (iso(flag.previous_review) if flag.previous_review else None, flag.record_id)
                    for flag in flags
                ],
            )

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Check-ins with the member, and those they recorded as a leader."""
        rows = await self._db.fetch_all(
            "SELECT k.at, k.leader_id, k.member_id, c.name AS circle FROM circle_checkin k "
            "LEFT JOIN circle c ON c.id = k.circle_id "
            "WHERE k.guild_id = ? AND (k.member_id = ? OR k.leader_id = ?) ORDER BY k.at, k.id",
            (guild_id, user_id, user_id),
        )
        received = [
            {"at": r["at"], "by": str(r["leader_id"]), "circle": r["circle"]}
            for r in rows
            if r["member_id"] == user_id
        ]
        made = [
            {"at": r["at"], "with": str(r["member_id"]), "circle": r["circle"]}
            for r in rows
            if r["leader_id"] == user_id
        ]
        sections = {"checkins_received": received, "checkins_made": made}
        return {name: items for name, items in sections.items() if items}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Delete the check-ins that name the member (as the member or as the leader)."""
        return await tx.execute_rowcount(
            "DELETE FROM circle_checkin WHERE guild_id = ? AND (member_id = ? OR leader_id = ?)",
            (guild_id, user_id, user_id),
        )


def _ids(rows: list[Any]) -> frozenset[int]:
    return frozenset(int(row["user_id"]) for row in rows)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
