"""Founder-leader syncs on real SQLite: recurrence (weeks, months, DST), the leaders-only
session (RSVP and reminders), rolling over once from every path, and stopping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.syncs import ROLL_GRACE, ROLL_JOB, Every, next_occurrence, occurrence
from bot.services.sessions.schedule import REMINDER_JOB
from tests.conftest import FakeClock

G = 1
FOUNDER, LEA, LEO, MEMBER = 10, 100, 101, 300
PARIS = "Europe/Paris"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def add_leader(db: Database, user: int, *, status: str = "active") -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, ?, ?)",
            (G, user, status, "2026-01-01T00:00:00+00:00"),
        )


@pytest.mark.parametrize(
    ("anchor", "every", "zone", "expected"),
    [
        # Weekly in Paris across the end of summer time (25 October 2026): 18:00 stays 18:00.
        (
            datetime(2026, 10, 19, 18, 0),
            "week",
            PARIS,
            [utc(2026, 10, 19, 16, 0), utc(2026, 10, 26, 17, 0), utc(2026, 11, 2, 17, 0)],
        ),
        # Every two weeks in New York across its change (1 November 2026).
        (
            datetime(2026, 10, 22, 9, 30),
            "2weeks",
            "America/New_York",
            [utc(2026, 10, 22, 13, 30), utc(2026, 11, 5, 14, 30), utc(2026, 11, 19, 14, 30)],
        ),
        # Monthly on the 31st: the month's last day when it is shorter, the 31st again after,
        # and summer time from 28 March 2027.
        (
            datetime(2027, 1, 31, 18, 0),
            "month",
            PARIS,
            [
                utc(2027, 1, 31, 17, 0),
                utc(2027, 2, 28, 17, 0),
                utc(2027, 3, 31, 16, 0),
                utc(2027, 4, 30, 16, 0),
            ],
        ),
        # Monthly across a year's end.
        (
            datetime(2026, 11, 15, 10, 0),
            "month",
            "UTC",
            [utc(2026, 11, 15, 10, 0), utc(2026, 12, 15, 10, 0), utc(2027, 1, 15, 10, 0)],
        ),
        # 02:30 does not exist on 28 March 2027 in Paris: it lands an hour later, as read.
        (
            datetime(2027, 3, 21, 2, 30),
            "week",
            PARIS,
            [utc(2027, 3, 21, 1, 30), utc(2027, 3, 28, 1, 30), utc(2027, 4, 4, 0, 30)],
        ),
    ],
)
def test_occurrences_keep_the_wall_clock_time(
    anchor: datetime, every: Every, zone: str, expected: list[datetime]
) -> None:
    assert [occurrence(anchor, every, i, zone) for i in range(len(expected))] == expected
    # The next one strictly after each occurrence (and after any moment in between).
    for before, after in pairwise(expected):
        assert next_occurrence(anchor, every, zone, before) == after
        assert next_occurrence(anchor, every, zone, before + timedelta(hours=1)) == after
    assert next_occurrence(anchor, every, zone, expected[0] - timedelta(days=400)) == expected[0]


def test_next_occurrence_far_ahead_skips_the_missed_ones() -> None:
    anchor = datetime(2026, 1, 31, 18, 0)
    assert next_occurrence(anchor, "month", PARIS, utc(2028, 2, 29, 17, 1)) == utc(
        2028, 3, 31, 16, 0
    )
    assert next_occurrence(anchor, "2weeks", "UTC", utc(2026, 12, 31)) == utc(2027, 1, 2, 18, 0)


async def schedule(services: Services, clock: FakeClock, every: str = "week", **extra: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "starts_at": clock.now + timedelta(days=2),
        "every": every,
        "timezone": PARIS,
        "title": "Founder-leader sync",
        "minutes": 60,
    }
    options.update(extra)
    return await services.leader_syncs.schedule(G, FOUNDER, **options)  # type: ignore[arg-type]


async def test_schedule_makes_a_leaders_only_session_and_refuses_bad_input(
    services: Services, db: Database, clock: FakeClock
) -> None:
    bad = [
        ({"every": "daily"}, "leaders.sync.every_invalid"),
        ({"starts_at": clock.now - timedelta(hours=1)}, "session.when.past"),
        ({"minutes": 5}, "session.duration.invalid"),
    ]
    for extra, key in bad:
        with pytest.raises(DomainError) as refused:
            await schedule(services, clock, **extra)
        assert refused.value.key == key
    assert await services.leader_syncs.get(G) is None
    assert await services.sessions.upcoming(G) == []

    sync, session = await schedule(services, clock, "2weeks", channel_id=700)
    assert (session.audience, session.status, session.host_id, session.minutes) == (
        "leaders",
        "scheduled",
        FOUNDER,
        60,
    )
    assert (session.channel_id, session.starts_at) == (700, clock.now + timedelta(days=2))
    assert (sync.every, sync.timezone, sync.session_id, sync.channel_id) == (
        "2weeks",
        PARIS,
        session.id,
        700,
    )
    assert sync.anchor_local == datetime(2026, 11, 4, 13, 0)  # 12:00 UTC is 13:00 in Paris
    [roll] = await services.jobs.pending(ROLL_JOB)
    assert (roll.key, roll.due_at) == (str(G), session.ends_at + ROLL_GRACE)
    assert len(await services.jobs.pending(REMINDER_JOB)) == 2  # the sessions feature's own

    with pytest.raises(DomainError) as twice:
        await schedule(services, clock)
    assert twice.value.key == "leaders.sync.exists"
    assert len(await services.sessions.upcoming(G)) == 1


async def test_only_current_leaders_rsvp_and_are_reminded(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await add_leader(db, LEA)
    await add_leader(db, LEO)
    await add_leader(db, 102, status="stepped_down")
    _, session = await schedule(services, clock)
    sessions = services.sessions
    for user in (MEMBER, FOUNDER, 102):
        with pytest.raises(DomainError) as refused:
            await sessions.rsvp(G, session.id, user, via="button")
        assert refused.value.key == "session.leaders_only"
    assert (await sessions.rsvp(G, session.id, LEA, via="button")).state == "going"
    assert (await sessions.rsvp(G, session.id, LEO, via="event")).state == "going"
    # LEO steps down: no reminder for him, and he can still withdraw.
    async with db.transaction() as tx:
        await tx.execute("UPDATE leader SET status = 'stepped_down' WHERE user_id = ?", (LEO,))
    clock.now = session.starts_at - timedelta(days=1)
    batch = await sessions.claim_reminders(session.id, 1440)
    assert batch is not None and batch.user_ids == (LEA,)
    assert (await sessions.rsvp(G, session.id, LEO, via="button", want=False)).state is None
    assert await sessions.rsvps(session.id) == [LEA]

    # Sessions for everyone are not affected.
    public = await sessions.create(
        G,
        FOUNDER,
        sessions.check(title="AMA", starts_at=clock.now + timedelta(days=3), minutes=60),
    )
    assert public.audience == "all"
    assert (await sessions.rsvp(G, public.id, MEMBER, via="button")).state == "going"


async def test_the_next_sync_is_made_once_when_one_ends_or_is_cancelled(
    services: Services, db: Database, clock: FakeClock
) -> None:
    syncs, sessions = services.leader_syncs, services.sessions
    _, first = await schedule(services, clock)
    assert await syncs.roll(G, title="Sync") is None  # still to come: nothing to do
    clock.now = first.starts_at
    await sessions.start(G, first.id)
    assert await syncs.roll(G, title="Sync") is None  # running
    clock.now = first.ends_at
    await sessions.end(G, first.id)
    second = await syncs.roll(G, title="Sync", description="Leaders only")
    assert second is not None
    assert (second.starts_at, second.audience, second.title, second.description) == (
        first.starts_at + timedelta(weeks=1),
        "leaders",
        "Sync",
        "Leaders only",
    )
    assert (second.minutes, second.host_id) == (60, FOUNDER)
    assert await syncs.roll(G, title="Sync") is None  # every path may call it: once
    # A restart (new services on the same file) changes nothing.
    assert await Services.build(db, clock).leader_syncs.roll(G, title="Sync") is None
    sync = await syncs.get(G)
    assert sync is not None and (sync.session_id, sync.next_starts_at) == (
        second.id,
        second.starts_at,
    )
    [roll] = await services.jobs.pending(ROLL_JOB)
    assert roll.due_at == second.ends_at + ROLL_GRACE

    # Cancelled days ahead: the next is the occurrence after the cancelled one.
    await sessions.cancel(G, second.id)
    third = await Services.build(db, clock).leader_syncs.roll(G, title="Sync")
    assert third is not None and third.starts_at == first.starts_at + timedelta(weeks=2)

    # Nobody ended it: rolled over by the job, ROLL_GRACE after its planned end.
    clock.now = third.ends_at + ROLL_GRACE - timedelta(seconds=1)
    assert await syncs.roll(G, title="Sync") is None
    clock.now = third.ends_at + ROLL_GRACE
    fourth = await syncs.roll(G, title="Sync")
    assert fourth is not None and fourth.starts_at == first.starts_at + timedelta(weeks=3)

    # The bot was down for five weeks: the next one still to come, none in the past.
    await sessions.cancel(G, fourth.id)
    clock.now = fourth.starts_at + timedelta(weeks=5, hours=1)
    fifth = await syncs.roll(G, title="Sync")
    assert fifth is not None and fifth.starts_at == first.starts_at + timedelta(weeks=9)


async def test_a_session_whose_event_failed_is_made_again_at_the_same_time(
    services: Services, db: Database, clock: FakeClock
) -> None:
    _, first = await schedule(services, clock, "month")
    clock.now = first.starts_at
    await services.sessions.cancel(G, first.id)
    second = await services.leader_syncs.roll(G, title="Sync")
    assert second is not None
    await services.sessions.remove(G, second.id)  # Discord refused its event
    sync = await services.leader_syncs.get(G)
    assert sync is not None and sync.session_id is None
    again = await services.leader_syncs.roll(G, title="Sync")
    assert again is not None and again.starts_at == second.starts_at == utc(2026, 12, 4, 12, 0)


async def test_stop_ends_the_recurrence(services: Services, db: Database, clock: FakeClock) -> None:
    syncs = services.leader_syncs
    with pytest.raises(DomainError) as none:
        await syncs.stop(G)
    assert none.value.key == "leaders.sync.none"
    _, session = await schedule(services, clock)
    upcoming = await syncs.stop(G)
    assert upcoming is not None and upcoming.id == session.id  # the caller cancels it
    assert await syncs.get(G) is None and await services.jobs.pending(ROLL_JOB) == []
    assert await syncs.roll(G, title="Sync") is None
    assert await syncs.guilds() == []

    # A running one goes on; a new sync can be scheduled.
    _, running = await schedule(services, clock)
    assert await syncs.guilds() == [G]
    clock.now = running.starts_at
    await services.sessions.start(G, running.id)
    assert await syncs.stop(G) is None
    row = await db.fetch_one("SELECT count(*) FROM leader_sync")
    assert row is not None and row[0] == 0
    assert iso(clock.now) == iso(running.starts_at)
