"""Leader duties on real SQLite: the weekly lists (exact people), check-ins and their refusals,
coverage, the review (once per period, durable), the weekly job, and privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.duties import (
    LIST_JOB,
    WEEK_JOB,
    CircleCoverage,
    DutyList,
    next_list_time,
)
from tests.conftest import FakeClock

G, OTHER_G = 1, 2
LEA, LEO, EX = 100, 101, 102  # leaders (LEO leads circle B; EX stepped down)


async def add_leader(
    db: Database, user: int, since: datetime, *, status: str = "active", guild: int = G
) -> int:
    async with db.transaction() as tx:
        return await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, ?, ?)",
            (guild, user, status, iso(since)),
        )


async def add_circle(
    db: Database,
    name: str,
    leader: int | None,
    *,
    channel: int | None = None,
    closed: bool = False,
    guild: int = G,
) -> int:
    async with db.transaction() as tx:
        return await tx.execute(
            "INSERT INTO circle (guild_id, name, leader_id, channel_id, created_at, closed_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild, name, leader, channel, "2026-01-01T00:00:00+00:00", "x" if closed else None),
        )


async def join_circle(
    db: Database, circle: int, user: int, added: datetime, *, guild: int = G
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
            "VALUES (?, ?, ?, ?)",
            (guild, user, circle, iso(added)),
        )


async def add_stint(
    db: Database,
    user: int,
    *,
    status: str = "member",
    source: str = "introduction",
    joined: datetime,
    admitted: datetime | None = None,
    sponsor: int | None = None,
    guild: int = G,
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, "
            "joined_at, admitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                guild,
                user,
                status,
                source,
                sponsor,
                iso(joined),
                iso(admitted) if admitted else None,
            ),
        )


async def add_signal(
    db: Database, user: int, day: datetime, *, count: int = 1, kind: str = "message"
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO engagement_daily (guild_id, user_id, day, kind, count) "
            "VALUES (?, ?, ?, ?, ?)",
            (G, user, day.date().isoformat(), kind, count),
        )


async def add_checkin(
    db: Database, circle: int | None, leader: int, member: int, at: datetime
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (G, circle, leader, member, iso(at)),
        )


async def member(
    db: Database, circle: int, user: int, now: datetime, *, days: float = 60, sponsor: int = 0
) -> None:
    """A member of the circle, admitted `days` ago through an introduction."""
    admitted = now - timedelta(days=days)
    await add_stint(db, user, joined=admitted, admitted=admitted, sponsor=sponsor or None)
    await join_circle(db, circle, user, admitted)


def ago(clock: FakeClock, **delta: float) -> datetime:
    return clock.now - timedelta(**delta)


async def test_weekly_lists_name_exactly_the_right_people(
    services: Services, db: Database, clock: FakeClock
) -> None:
    now = clock.now
    await add_leader(db, LEA, ago(clock, days=90))
    await add_leader(db, LEO, ago(clock, days=90))
    await add_leader(db, EX, ago(clock, days=90), status="stepped_down")
    a = await add_circle(db, "Atelier", LEA, channel=900)
    b = await add_circle(db, "Bottes", LEO)
    await add_circle(db, "Ex's circle", EX)  # its leader stepped down: no list
    await add_circle(db, "Open", None)  # no leader: no list
    await add_circle(db, "Closed", LEA, closed=True)  # closed: no list
    await join_circle(db, a, LEA, ago(clock, days=90))  # the leader is never on their list

    # New: admitted less than 14 days ago (not the members found at setup).
    await member(db, a, 1, now, days=3)
    await member(db, a, 2, now, days=13.9)
    await member(db, a, 3, now, days=14)  # exactly 14 days: no longer new, not yet quiet
    await add_stint(
        db, 4, source="existing", joined=ago(clock, days=3), admitted=ago(clock, days=3)
    )
    await join_circle(db, a, 4, ago(clock, days=3))
    # Quiet: known for 21+ days, nothing counted since the UTC day 21 days ago.
    await member(db, a, 10, now)
    await add_signal(db, 10, ago(clock, days=22))
    await member(db, a, 11, now)
    await add_signal(db, 11, ago(clock, days=20))  # active
    await member(db, a, 12, now)
    await add_signal(db, 12, ago(clock, days=21))  # the boundary day counts as active
    await member(db, a, 13, now)
    await add_signal(db, 13, ago(clock, days=2), count=0)  # a zero count is no activity
    await join_circle(db, a, 14, ago(clock, days=30))  # no stint at all: known since joining
    await join_circle(db, a, 15, ago(clock, days=5))  # no stint, too recent to be quiet
    await member(db, a, 16, now, days=20)  # 20 days a member, silent: not 21 days yet
    # Not in the circle any more (left), or back in the gate: on no list.
    await member(db, a, 17, now)
    async with db.transaction() as tx:
        await tx.execute("UPDATE member_stint SET status = 'left' WHERE user_id = 17")
    # Stuck in the gate: pending for more than a day, sponsored by the circle or its leader.
    await add_stint(db, 30, status="pending", joined=ago(clock, days=2), sponsor=11)
    await add_stint(db, 31, status="pending", joined=ago(clock, hours=12), sponsor=11)
    await add_stint(db, 32, status="pending", joined=ago(clock, days=3), sponsor=LEA)
    await add_stint(db, 33, status="pending", joined=ago(clock, days=3))  # no sponsor
    await member(db, b, 40, now, days=60)
    await add_signal(db, 40, ago(clock, days=1))
    await add_stint(db, 34, status="pending", joined=ago(clock, days=3), sponsor=40)
    await add_stint(db, 35, status="pending", joined=ago(clock, days=3), sponsor=11, guild=OTHER_G)

    lists = await services.leader_duties.duty_lists(G)
    assert [(d.leader_id, d.circle_name) for d in lists] == [(LEA, "Atelier"), (LEO, "Bottes")]
    atelier, bottes = lists
    assert atelier == DutyList(
        guild_id=G,
        leader_id=LEA,
        circle_id=a,
        circle_name="Atelier",
        channel_id=900,
        new_members=(2, 1),  # longest in the circle first
        quiet_members=(10, 13, 14),
        stuck_newcomers=(32, 30),
        coverage=CircleCoverage(a, "Atelier", LEA, 11, 0, None),
    )
    assert (bottes.new_members, bottes.quiet_members, bottes.stuck_newcomers) == ((), (), (34,))
    assert not atelier.is_empty
    assert await services.leader_duties.duty_lists(G, LEO) == [bottes]
    assert await services.leader_duties.duty_lists(G, EX) == []
    assert await services.leader_duties.duty_lists(OTHER_G) == []

    # 12 days later, with nobody active since: the list follows the clock.
    clock.advance(days=12)
    later = (await services.leader_duties.duty_lists(G, LEA))[0]
    assert later.new_members == ()
    assert later.quiet_members == (10, 11, 12, 13, 14, 16, 3, 2)
    assert later.stuck_newcomers == (32, 30, 31)


async def test_checkin_refusals_change_nothing(
    services: Services, db: Database, clock: FakeClock
) -> None:
    duties = services.leader_duties
    await add_leader(db, LEA, ago(clock, days=90))
    await add_leader(db, LEO, ago(clock, days=90))
    await add_leader(db, EX, ago(clock, days=90), status="stepped_down")
    a = await add_circle(db, "Atelier", LEA)
    b = await add_circle(db, "Bottes", LEO)
    e = await add_circle(db, "Ex", EX)
    await member(db, a, 1, clock.now)
    await member(db, b, 2, clock.now)
    await member(db, e, 3, clock.now)

    cases = [
        ((1, LEA), {}, "circle.leaders_only"),  # an ordinary member
        ((EX, 3), {}, "circle.leaders_only"),  # a leader who stepped down
        ((LEA, 999), {"member_is_bot": True}, "circle.checkin.bot"),
        ((LEA, LEA), {}, "circle.checkin.self"),
        ((LEA, 2), {}, "circle.checkin.not_in_circle"),  # another leader's circle
        ((LEA, 77), {}, "circle.checkin.not_in_circle"),  # in no circle
    ]
    for (leader, who), flags, key in cases:
        with pytest.raises(DomainError) as refused:
            await duties.checkin(G, leader, who, **flags)
        assert refused.value.key == key, (leader, who)
    assert (await db.fetch_one("SELECT count(*) FROM circle_checkin"))[0] == 0  # type: ignore[index]
    with pytest.raises(DomainError) as other_guild:
        await duties.checkin(OTHER_G, LEA, 1)
    assert other_guild.value.key == "circle.leaders_only"

    done = await duties.checkin(G, LEA, 1)
    assert (done.circle_id, done.circle_name, done.leader_id, done.member_id, done.at) == (
        a,
        "Atelier",
        LEA,
        1,
        clock.now,
    )
    assert (done.coverage.checked_in, done.coverage.members) == (1, 1)
    assert await duties.last_checkins(G) == {LEA: clock.now}


async def test_coverage_counts_people_in_the_circle_within_the_window(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await add_leader(db, LEA, ago(clock, days=90))
    await add_leader(db, LEO, ago(clock, days=90))
    a = await add_circle(db, "atelier", LEA)
    b = await add_circle(db, "Bottes", LEO)
    await add_circle(db, "Empty", None)
    for user in (1, 2, 3, 4):
        await member(db, a, user, clock.now)
    await member(db, b, 5, clock.now)
    await add_checkin(db, a, LEA, 1, ago(clock, days=1))
    await add_checkin(db, a, LEA, 1, ago(clock, hours=1))  # twice: counted once
    await add_checkin(db, a, LEA, 2, ago(clock, days=29))
    await add_checkin(db, a, LEA, 3, ago(clock, days=31))  # before the window
    await add_checkin(db, a, LEA, 5, ago(clock, days=2))  # moved to Bottes since
    await add_checkin(db, b, LEO, 5, ago(clock, days=40))

    coverage = await services.leader_duties.coverage(G)
    assert coverage == [
        CircleCoverage(a, "atelier", LEA, 4, 2, ago(clock, hours=1)),
        CircleCoverage(b, "Bottes", LEO, 1, 0, ago(clock, days=40)),
        CircleCoverage(coverage[2].circle_id, "Empty", None, 0, 0, None),
    ]
    assert coverage[0].share == 0.5 and coverage[2].share == 0.0
    wider = await services.leader_duties.coverage(G, days=45)
    assert [(c.checked_in, c.members, c.days) for c in wider] == [
        (3, 4, 45),
        (1, 1, 45),
        (0, 0, 45),
    ]
    assert await services.leader_duties.last_checkins(G) == {
        LEA: ago(clock, hours=1),
        LEO: ago(clock, days=40),
    }


async def test_review_flags_quiet_leaders_once_per_period(
    services: Services, db: Database, clock: FakeClock
) -> None:
    idle = 201
    busy, checker, fresh, before, gone = 202, 203, 204, 205, 206
    for user in (idle, busy, checker, before):
        await add_leader(db, user, ago(clock, days=60))
    await add_leader(db, fresh, ago(clock, days=20))  # not a leader for the whole period
    await add_leader(db, gone, ago(clock, days=60), status="removed")
    await add_circle(db, "Idle's", idle)
    await add_circle(db, "Idle's second", idle)
    await add_signal(db, busy, ago(clock, days=10), kind="vote")
    await add_checkin(db, None, checker, 1, ago(clock, days=5))
    await add_signal(db, before, ago(clock, days=29))  # before the 4-week period

    duties = services.leader_duties
    flags = await duties.review(G)
    assert [(f.leader_id, f.weeks, f.circles) for f in flags] == [
        (idle, 4, ("Idle's", "Idle's second")),
        (before, 4, ()),
    ]
    assert flags[0].since == ago(clock, days=60) and flags[0].previous_review is None
    assert await duties.review(G) == []  # once per period
    # A restart (a new set of services on the same file) remembers it.
    assert await Services.build(db, clock).leader_duties.review(G) == []
    # Weekly runs: each leader is flagged when a whole period went by without anything.
    clock.advance(weeks=1)
    assert await duties.review(G) == []
    clock.advance(weeks=1)
    assert [f.leader_id for f in await duties.review(G)] == [fresh]  # a leader 4 weeks now
    await add_checkin(db, None, checker, 2, clock.now)
    clock.advance(weeks=1)
    assert [f.leader_id for f in await duties.review(G)] == [busy]  # last vote 31 days ago
    clock.advance(weeks=1)  # a whole new period without anything: flagged again
    await add_signal(db, before, ago(clock, days=3))
    again = await duties.review(G)
    assert [f.leader_id for f in again] == [idle]
    assert again[0].previous_review == ago(clock, weeks=4)

    # Posting failed everywhere: the flag is put back and the next run tries again.
    await duties.unflag(again)
    row = await db.fetch_one("SELECT reviewed_at FROM leader WHERE user_id = ?", (idle,))
    assert row is not None and row[0] == iso(ago(clock, weeks=4))
    assert [f.leader_id for f in await duties.review(G)] == [idle]

    # The period is a setting.
    await services.leader_settings.update(G, review_weeks=1)
    clock.advance(weeks=1, seconds=1)
    assert [(f.leader_id, f.weeks) for f in await duties.review(G)] == [
        (idle, 1),
        (busy, 1),
        (checker, 1),
        (before, 1),
        (fresh, 1),
    ]
    status = await db.fetch_all("SELECT user_id, status FROM leader ORDER BY user_id")
    assert all(row["status"] in ("active", "removed") for row in status)  # nobody removed


def test_lists_go_out_on_mondays_at_nine_in_the_guild_zone() -> None:
    monday_noon = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert next_list_time(monday_noon, "Europe/Paris") == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    sunday = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
    assert next_list_time(sunday, "Europe/Paris") == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    at_nine = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # strictly after: next week
    assert next_list_time(at_nine, "Europe/Paris") == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    # Summer time in Paris from 29 March 2026: 09:00 is 07:00 UTC.
    assert next_list_time(datetime(2026, 3, 27, tzinfo=UTC), "Europe/Paris") == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )
    # Across the date line: Monday 09:00 in Auckland is Sunday 20:00 UTC.
    assert next_list_time(sunday, "Pacific/Auckland") == datetime(2026, 11, 8, 20, 0, tzinfo=UTC)


async def test_the_weekly_job_is_armed_once_and_queues_one_list_per_leader(
    services: Services, db: Database, clock: FakeClock
) -> None:
    duties, jobs = services.leader_duties, services.jobs
    due = await duties.arm(G, "Europe/Paris")
    assert due == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    clock.advance(days=3)
    assert await duties.arm(G, "America/New_York") == due  # an armed job is never moved
    assert [(j.key, j.due_at) for j in await jobs.pending(WEEK_JOB)] == [(str(G), due)]

    await add_leader(db, LEA, ago(clock, days=90))
    await add_leader(db, LEO, ago(clock, days=90))
    await add_leader(db, EX, ago(clock, days=90), status="stepped_down")
    await add_circle(db, "Atelier", LEA)
    await add_circle(db, "Atelier 2", LEA)
    await add_circle(db, "Ex", EX)
    await add_leader(db, 103, ago(clock, days=90))  # a leader without a circle: no list
    clock.now = due
    assert await duties.start_week(G, "Europe/Paris") == [LEA]
    await add_circle(db, "Bottes", LEO)
    assert [(j.key, j.due_at) for j in await jobs.pending(WEEK_JOB)] == [
        (str(G), datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    ]
    [listed] = await jobs.pending(LIST_JOB)
    assert (listed.key, listed.due_at, dict(listed.payload)) == (
        f"{G}:{LEA}:2026-11-09",
        due,
        {"leader_id": LEA},
    )


async def test_privacy_exports_and_forgets_checkins(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await add_leader(db, LEA, ago(clock, days=90))
    a = await add_circle(db, "Atelier", LEA)
    await member(db, a, 1, clock.now)
    await member(db, a, 2, clock.now)
    await services.leader_duties.checkin(G, LEA, 1)
    await services.leader_duties.checkin(G, LEA, 2)
    exported = await services.privacy.export(G, 1)
    assert exported["data"]["circle_checkins"] == {  # type: ignore[index]
        "checkins_received": [{"at": iso(clock.now), "by": str(LEA), "circle": "Atelier"}]
    }
    assert (await services.privacy.export(G, LEA))["data"]["circle_checkins"] == {  # type: ignore[index]
        "checkins_made": [
            {"at": iso(clock.now), "with": "1", "circle": "Atelier"},
            {"at": iso(clock.now), "with": "2", "circle": "Atelier"},
        ]
    }
    report = await services.privacy.forget(G, 1)
    assert report.deleted["circle_checkins"] == 1
    rows = await db.fetch_all("SELECT member_id FROM circle_checkin")
    assert [row[0] for row in rows] == [2]
