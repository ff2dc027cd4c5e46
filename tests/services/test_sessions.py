"""Founder sessions: checks, drafts, reminders, RSVPs with a waitlist, lifecycle and attendance,
on real SQLite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services.clock import iso
from bot.services.jobs import JobQueue
from bot.services.privacy import PrivacyRegistry
from bot.services.sessions.models import Session, SessionKind
from bot.services.sessions.schedule import (
    REMINDER_JOB,
    Counts,
    Draft,
    SessionService,
    SessionSettings,
)
from tests.conftest import FakeClock

G = 1
OTHER_G = 2
HOST = 10
ANA, BEN, CAM, DEV, EVE, FAY = 21, 22, 23, 24, 25, 26
STAGE, LOUNGE = 500, 501


@pytest.fixture
def jobs(db: Database, clock: FakeClock) -> JobQueue:
    return JobQueue(db, clock)


@pytest.fixture
def sessions(db: Database, jobs: JobQueue, clock: FakeClock) -> SessionService:
    return SessionService(db, jobs, clock)


def draft(
    sessions: SessionService,
    clock: FakeClock,
    *,
    hours: float = 48,
    minutes: int = 60,
    capacity: int | None = None,
    channel_id: int | None = STAGE,
    title: str = "AMA",
) -> Draft:
    return sessions.check(
        title=title,
        starts_at=clock.now + timedelta(hours=hours),
        minutes=minutes,
        channel_id=channel_id,
        capacity=capacity,
    )


async def new(
    sessions: SessionService,
    clock: FakeClock,
    *,
    guild_id: int = G,
    kind: SessionKind = "ama",
    **kwargs: Any,
) -> Session:
    return await sessions.create(guild_id, HOST, draft(sessions, clock, **kwargs), kind=kind)


async def started(sessions: SessionService, clock: FakeClock, **kwargs: Any) -> Session:
    session = await new(sessions, clock, **kwargs)
    return (await sessions.start(session.guild_id, session.id)).session


async def count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def reminder_jobs(jobs: JobQueue) -> list[tuple[str, datetime]]:
    return [(job.key, job.due_at) for job in await jobs.pending(REMINDER_JOB)]


# -- check -------------------------------------------------------------------------------------
def test_check_tidies_the_typed_in_values(sessions: SessionService, clock: FakeClock) -> None:
    when = clock.now + timedelta(days=1)
    checked = sessions.check(
        title="  Ask  me\n anything ",
        starts_at=when,
        minutes=90,
        channel_id=None,
        location="  Café   Central ",
        description="  Bring questions.\n ",
        capacity=25,
    )
    assert checked == Draft(
        "Ask me anything", when, 90, None, "Café Central", "Bring questions.", 25
    )
    assert checked.ends_at == when + timedelta(minutes=90)
    blank = sessions.check(title="AMA", starts_at=when, minutes=60, location=" ", description=" ")
    assert (blank.location, blank.description, blank.capacity) == (None, None, None)


def test_check_accepts_the_limits(sessions: SessionService, clock: FakeClock) -> None:
    when = clock.now + timedelta(seconds=1)
    for minutes in (15, 240):
        assert sessions.check(title="x" * 100, starts_at=when, minutes=minutes).minutes == minutes
    for capacity in (1, 10_000):
        checked = sessions.check(title="AMA", starts_at=when, minutes=60, capacity=capacity)
        assert checked.capacity == capacity
    edge = sessions.check(
        title="AMA", starts_at=when, minutes=60, description="d" * 1000, location="l" * 100
    )
    assert (len(edge.description or ""), len(edge.location or "")) == (1000, 100)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"title": ""}, "session.title.invalid"),
        ({"title": " \n\t "}, "session.title.invalid"),
        ({"title": "x" * 101}, "session.title.invalid"),
        ({"minutes": 14}, "session.duration.invalid"),
        ({"minutes": 241}, "session.duration.invalid"),
        ({"minutes": 0}, "session.duration.invalid"),
        ({"in_minutes": 0}, "session.when.past"),
        ({"in_minutes": -5}, "session.when.past"),
        ({"description": "d" * 1001}, "session.description.too_long"),
        ({"location": "l" * 101}, "session.location.too_long"),
        ({"capacity": 0}, "session.capacity.invalid"),
        ({"capacity": -3}, "session.capacity.invalid"),
        ({"capacity": 10_001}, "session.capacity.invalid"),
        # the first thing wrong is named
        ({"title": "", "minutes": 14, "in_minutes": -5}, "session.title.invalid"),
        ({"minutes": 14, "in_minutes": -5, "capacity": 0}, "session.duration.invalid"),
    ],
)
def test_check_refuses_with_the_right_key(
    sessions: SessionService, clock: FakeClock, changes: dict[str, Any], key: str
) -> None:
    values: dict[str, Any] = {"title": "AMA", "minutes": 60, "in_minutes": 60} | changes
    values["starts_at"] = clock.now + timedelta(minutes=values.pop("in_minutes"))
    with pytest.raises(DomainError) as caught:
        sessions.check(**values)
    assert caught.value.key == key


def test_check_refusals_carry_the_limits(sessions: SessionService, clock: FakeClock) -> None:
    when = clock.now + timedelta(hours=1)
    with pytest.raises(DomainError) as title:
        sessions.check(title="", starts_at=when, minutes=60)
    assert title.value.params == {"max": 100}
    with pytest.raises(DomainError) as duration:
        sessions.check(title="AMA", starts_at=when, minutes=300)
    assert duration.value.params == {"min": 15, "max": 4}


# -- overlaps ----------------------------------------------------------------------------------
async def test_overlaps_lists_open_sessions_of_the_guild_that_share_time(
    sessions: SessionService, clock: FakeClock
) -> None:
    first = await new(sessions, clock, hours=48)  # 48:00-49:00
    second = await new(sessions, clock, hours=50)  # 50:00-51:00
    await new(sessions, clock, guild_id=OTHER_G, hours=48)
    base = clock.now

    def at(hours: float) -> datetime:
        return base + timedelta(hours=hours)

    assert [s.id for s in await sessions.overlaps(G, at(48.5), at(49.5))] == [first.id]
    assert [s.id for s in await sessions.overlaps(G, at(47), at(52))] == [first.id, second.id]
    assert await sessions.overlaps(G, at(49), at(50)) == []  # touching ends do not overlap
    assert await sessions.overlaps(G, at(46), at(48)) == []
    await sessions.start(G, first.id)
    assert [s.id for s in await sessions.overlaps(G, at(48), at(49))] == [first.id]  # running
    await sessions.end(G, first.id)
    await sessions.cancel(G, second.id)
    assert await sessions.overlaps(G, at(47), at(52)) == []


# -- drafts ------------------------------------------------------------------------------------
async def test_a_draft_is_taken_once_by_its_author(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    typed = sessions.check(
        title="AMA",
        starts_at=clock.now + timedelta(days=2),
        minutes=45,
        location="Online",
        description="About us",
        capacity=3,
    )
    draft_id = await sessions.save_draft(G, ANA, typed)
    for guild, user in ((G, BEN), (OTHER_G, ANA)):
        with pytest.raises(DomainError) as other:
            await sessions.take_draft(guild, user, draft_id)
        assert other.value.key == "session.draft.expired"
    taken = await sessions.take_draft(G, ANA, draft_id)
    assert taken == typed
    assert taken.starts_at.utcoffset() == timedelta(0)
    with pytest.raises(DomainError) as again:
        await sessions.take_draft(G, ANA, draft_id)
    assert again.value.key == "session.draft.expired"
    assert await count(db, "session_draft") == 0


async def test_a_draft_expires_after_an_hour(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    kept = await sessions.save_draft(G, ANA, draft(sessions, clock))
    old = await sessions.save_draft(G, BEN, draft(sessions, clock))
    clock.advance(minutes=59)
    assert (await sessions.take_draft(G, ANA, kept)).title == "AMA"
    clock.advance(minutes=2)
    with pytest.raises(DomainError) as expired:
        await sessions.take_draft(G, BEN, old)
    assert expired.value.key == "session.draft.expired"
    await sessions.save_draft(G, CAM, draft(sessions, clock))  # saving sweeps the stale ones
    assert await count(db, "session_draft") == 1


async def test_a_draft_whose_start_has_passed_is_refused(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    draft_id = await sessions.save_draft(G, ANA, draft(sessions, clock, hours=0.5))
    clock.advance(minutes=31)
    with pytest.raises(DomainError) as past:
        await sessions.take_draft(G, ANA, draft_id)
    assert past.value.key == "session.when.past"
    assert await count(db, "session_draft") == 0


# -- create and reminders ----------------------------------------------------------------------
async def test_create_stores_the_session_and_arms_both_reminders(
    sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    session = await new(sessions, clock, hours=48, minutes=90, capacity=5)
    start = clock.now + timedelta(hours=48)
    assert (session.guild_id, session.kind, session.host_id, session.title) == (
        G,
        "ama",
        HOST,
        "AMA",
    )
    assert (session.starts_at, session.ends_at, session.minutes) == (
        start,
        start + timedelta(minutes=90),
        90,
    )
    assert (session.status, session.capacity, session.channel_id) == ("scheduled", 5, STAGE)
    assert session.is_open
    assert session.started_at is session.ended_at is None
    pending = await jobs.pending(REMINDER_JOB)
    assert [(j.key, j.due_at) for j in pending] == [
        (f"{session.id}:1440", start - timedelta(minutes=1440)),
        (f"{session.id}:15", start - timedelta(minutes=15)),
    ]
    assert [dict(j.payload) for j in pending] == [
        {"session_id": session.id, "minutes": 1440},
        {"session_id": session.id, "minutes": 15},
    ]
    assert {j.guild_id for j in pending} == {G}
    assert await sessions.get(G, session.id) == session


async def test_create_skips_reminders_already_past(
    sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    soon = await new(sessions, clock, hours=2)
    assert [key for key, _ in await reminder_jobs(jobs)] == [f"{soon.id}:15"]
    very_soon = await new(sessions, clock, hours=0.25)  # exactly 15 min: due now, skipped
    assert [key for key, _ in await reminder_jobs(jobs)] == [f"{soon.id}:15"]
    assert very_soon.status == "scheduled"


async def test_set_reminders_is_checked_and_used_by_later_sessions(
    sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    assert await sessions.settings(G) == SessionSettings()
    for bad in ([60, 30, 15, 5], [4], [7 * 1440 + 1], [0], [-15]):
        with pytest.raises(DomainError) as caught:
            await sessions.set_reminders(G, bad)
        assert caught.value.key == "session.reminders.invalid"
        assert caught.value.params == {"count": 3, "min": 5, "max": 7}
    assert await sessions.settings(G) == SessionSettings()  # refusals change nothing
    settings = await sessions.set_reminders(G, [5, 60, 60, 7 * 1440])
    assert settings.reminder_minutes == (7 * 1440, 60, 5)
    assert (await sessions.settings(OTHER_G)).reminder_minutes == (1440, 15)
    session = await new(sessions, clock, hours=3)
    start = session.starts_at
    assert await reminder_jobs(jobs) == [
        (f"{session.id}:60", start - timedelta(minutes=60)),
        (f"{session.id}:5", start - timedelta(minutes=5)),
    ]
    assert (await sessions.set_reminders(G, [])).reminder_minutes == ()  # off
    await new(sessions, clock, hours=48)
    assert len(await reminder_jobs(jobs)) == 2  # the new one armed none


# -- RSVPs -------------------------------------------------------------------------------------
async def test_rsvp_toggles_and_is_idempotent(sessions: SessionService, clock: FakeClock) -> None:
    session = await new(sessions, clock)
    on = await sessions.rsvp(G, session.id, ANA, via="button")
    assert (on.state, on.changed, on.place, on.promoted) == ("going", True, None, ())
    assert on.counts == Counts(1, 0)
    assert on.session == session
    twice = await sessions.rsvp(G, session.id, ANA, via="event", want=True)
    assert (twice.state, twice.changed, twice.counts) == ("going", False, Counts(1, 0))
    off = await sessions.rsvp(G, session.id, ANA, via="button")
    assert (off.state, off.changed, off.counts) == (None, True, Counts(0, 0))
    gone = await sessions.rsvp(G, session.id, ANA, via="event", want=False)
    assert (gone.state, gone.changed) == (None, False)
    back = await sessions.rsvp(G, session.id, ANA, via="event", want=True)
    assert (back.state, back.changed) == ("going", True)
    assert await sessions.rsvps(session.id) == [ANA]
    rows = (await sessions.export_member(G, ANA))["rsvps"]
    assert isinstance(rows, list)
    assert [(r["state"], r["via"]) for r in rows] == [("going", "event")]


async def test_rsvp_to_an_unknown_or_foreign_session_is_refused(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock)
    for guild, session_id in ((OTHER_G, session.id), (G, session.id + 99)):
        with pytest.raises(DomainError) as caught:
            await sessions.rsvp(guild, session_id, ANA, via="button")
        assert caught.value.key == "session.unknown"


async def test_past_capacity_members_wait_in_line_and_move_up(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock, capacity=2)
    for user in (ANA, BEN):
        assert (await sessions.rsvp(G, session.id, user, via="button")).state == "going"
    cam = await sessions.rsvp(G, session.id, CAM, via="button")
    dev = await sessions.rsvp(G, session.id, DEV, via="event")
    assert (cam.state, cam.place, cam.changed) == ("waitlist", 1, True)
    assert (dev.state, dev.place, dev.counts) == ("waitlist", 2, Counts(2, 2))
    again = await sessions.rsvp(G, session.id, DEV, via="button", want=True)
    assert (again.state, again.place, again.changed) == ("waitlist", 2, False)
    left = await sessions.rsvp(G, session.id, ANA, via="button")
    assert (left.state, left.promoted, left.counts) == (None, (CAM,), Counts(2, 1))
    assert await sessions.rsvps(session.id) == [BEN, CAM]
    assert await sessions.rsvps(session.id, "waitlist") == [DEV]
    dev_now = await sessions.rsvp(G, session.id, DEV, via="button", want=True)
    assert (dev_now.state, dev_now.place) == ("waitlist", 1)
    assert await sessions.counts(session.id) == Counts(2, 1)


async def test_leaving_the_waitlist_promotes_nobody(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock, capacity=1)
    for user in (ANA, BEN, CAM):
        await sessions.rsvp(G, session.id, user, via="button")
    left = await sessions.rsvp(G, session.id, BEN, via="button", want=False)
    assert (left.state, left.changed, left.promoted) == (None, True, ())
    assert left.counts == Counts(1, 1)
    assert await sessions.rsvps(session.id) == [ANA]
    cam = await sessions.rsvp(G, session.id, CAM, via="button", want=True)
    assert (cam.state, cam.place) == ("waitlist", 1)


async def test_a_closed_session_refuses_rsvps_but_not_no_ops(
    sessions: SessionService, clock: FakeClock
) -> None:
    cancelled = await new(sessions, clock)
    await sessions.rsvp(G, cancelled.id, ANA, via="button")
    await sessions.cancel(G, cancelled.id)
    for user, want in ((BEN, True), (BEN, None), (ANA, False), (ANA, None)):
        with pytest.raises(DomainError) as caught:
            await sessions.rsvp(G, cancelled.id, user, via="button", want=want)
        assert caught.value.key == "session.rsvp.closed"
    stay = await sessions.rsvp(G, cancelled.id, ANA, via="event", want=True)
    assert (stay.state, stay.changed) == ("going", False)
    nothing = await sessions.rsvp(G, cancelled.id, BEN, via="event", want=False)
    assert (nothing.state, nothing.changed, nothing.counts) == (None, False, Counts(1, 0))
    done = await started(sessions, clock, hours=50)
    await sessions.end(G, done.id)
    with pytest.raises(DomainError, match=r"^session\.rsvp\.closed$"):
        await sessions.rsvp(G, done.id, ANA, via="button", want=True)
    assert (await sessions.rsvp(G, done.id, ANA, via="event", want=False)).changed is False


async def test_a_running_session_still_takes_rsvps(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await started(sessions, clock)
    assert (await sessions.rsvp(G, session.id, ANA, via="button")).state == "going"


async def test_concurrent_rsvps_never_overfill_a_session(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock, capacity=5)
    users = list(range(100, 120))
    results = await asyncio.gather(
        *(sessions.rsvp(G, session.id, user, via="button") for user in users)
    )
    assert all(r.changed for r in results)
    going = [r for r in results if r.state == "going"]
    waiting = [r for r in results if r.state == "waitlist"]
    assert (len(going), len(waiting)) == (5, 15)
    assert sorted(r.place for r in waiting if r.place is not None) == list(range(1, 16))
    assert all(r.place is None for r in going)
    assert await sessions.counts(session.id) == Counts(5, 15)
    line = await sessions.rsvps(session.id, "waitlist")
    by_place = sorted(waiting, key=lambda r: r.place or 0)
    assert len(line) == 15 and len(set(line)) == 15
    assert len(by_place) == len(line)
    # concurrent leaves free seats for exactly as many as left
    leaving = (await sessions.rsvps(session.id))[:3]
    left = await asyncio.gather(
        *(sessions.rsvp(G, session.id, user, via="button", want=False) for user in leaving)
    )
    promoted = [user for result in left for user in result.promoted]
    assert promoted == line[:3]
    assert await sessions.counts(session.id) == Counts(5, 12)


# -- lifecycle ---------------------------------------------------------------------------------
async def test_start_end_and_their_idempotence(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock)
    with pytest.raises(DomainError) as early:
        await sessions.end(G, session.id)
    assert early.value.key == "session.status.not_started"
    clock.advance(hours=47)
    began = await sessions.start(G, session.id)
    assert (began.changed, began.previous, began.session.status) == (True, "scheduled", "active")
    assert began.session.started_at == clock.now
    assert await sessions.active() == [began.session]
    clock.advance(minutes=5)
    repeat = await sessions.start(G, session.id)
    assert (repeat.changed, repeat.previous) == (False, "active")
    assert repeat.session.started_at == began.session.started_at
    with pytest.raises(DomainError) as running:
        await sessions.cancel(G, session.id)
    assert running.value.key == "session.status.running"
    clock.advance(minutes=50)
    over = await sessions.end(G, session.id)
    assert (over.changed, over.previous, over.session.status) == (True, "active", "completed")
    assert over.session.ended_at == clock.now
    assert not over.session.is_open
    assert (await sessions.end(G, session.id)).changed is False
    for move in (sessions.start, sessions.cancel):
        with pytest.raises(DomainError) as after:
            await move(G, session.id)
        assert after.value.key == "session.status.over"
    assert await sessions.active() == []
    with pytest.raises(DomainError, match=r"^session\.unknown$"):
        await sessions.start(OTHER_G, session.id)


async def test_cancel_drops_only_its_own_reminders(
    sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    made = [await new(sessions, clock, hours=48 + i) for i in range(11)]
    first, eleventh = made[0], made[10]
    assert (first.id, eleventh.id) == (1, 11)  # "1:%" must not match "11:15"
    result = await sessions.cancel(G, first.id)
    assert (result.changed, result.previous, result.session.status) == (
        True,
        "scheduled",
        "cancelled",
    )
    assert result.session.ended_at == clock.now
    keys = [key for key, _ in await reminder_jobs(jobs)]
    assert len(keys) == 20
    assert not any(key.startswith("1:") for key in keys)
    assert f"{eleventh.id}:15" in keys
    assert (await sessions.cancel(G, first.id)).changed is False
    for move in (sessions.start, sessions.end):
        with pytest.raises(DomainError) as after:
            await move(G, first.id)
        assert after.value.key == "session.status.over"


async def test_racing_transitions_change_once(sessions: SessionService, clock: FakeClock) -> None:
    a, b = await new(sessions, clock), await new(sessions, clock, hours=50)
    cancels = await asyncio.gather(sessions.cancel(G, a.id), sessions.cancel(G, a.id))
    assert sorted(t.changed for t in cancels) == [False, True]
    starts = await asyncio.gather(sessions.start(G, b.id), sessions.start(G, b.id))
    assert sorted(t.changed for t in starts) == [False, True]
    ends = await asyncio.gather(sessions.end(G, b.id), sessions.end(G, b.id))
    assert sorted(t.changed for t in ends) == [False, True]


async def test_follow_event_mirrors_discord(sessions: SessionService, clock: FakeClock) -> None:
    assert await sessions.follow_event(999, "active") is None  # not a session's event
    runs = await new(sessions, clock)
    await sessions.set_event(runs.id, 7001)
    assert (await sessions.by_event(7001)) == await sessions.get(G, runs.id)
    assert await sessions.by_event(7002) is None
    assert await sessions.follow_event(7001, "scheduled") is None  # same status
    active = await sessions.follow_event(7001, "active")
    assert active is not None
    assert (active.changed, active.previous, active.session.status) == (True, "scheduled", "active")
    assert await sessions.follow_event(7001, "active") is None
    assert await sessions.follow_event(7001, "bogus") is None
    done = await sessions.follow_event(7001, "completed")
    assert done is not None and (done.previous, done.session.status) == ("active", "completed")
    assert await sessions.follow_event(7001, "cancelled") is None  # over: does not apply
    assert await sessions.follow_event(7001, "active") is None
    assert (await sessions.get(G, runs.id)).status == "completed"


async def test_follow_event_ends_a_session_that_never_started(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock)
    await sessions.set_event(session.id, 7001)
    done = await sessions.follow_event(7001, "completed")
    assert done is not None
    assert (done.changed, done.previous, done.session.status) == (True, "scheduled", "completed")
    assert done.session.started_at == done.session.ended_at == clock.now


async def test_follow_event_cancel_cancels_or_ends(
    sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    waiting = await new(sessions, clock)
    running = await started(sessions, clock, hours=50)
    await sessions.set_event(waiting.id, 7001)
    await sessions.set_event(running.id, 7002)
    cancelled = await sessions.follow_event(7001, "cancelled")
    assert cancelled is not None
    assert (cancelled.previous, cancelled.session.status) == ("scheduled", "cancelled")
    assert all(not key.startswith(f"{waiting.id}:") for key, _ in await reminder_jobs(jobs))
    ended = await sessions.follow_event(7002, "cancelled")
    assert ended is not None
    assert (ended.previous, ended.session.status) == ("active", "completed")
    assert await sessions.follow_event(7001, "cancelled") is None
    assert await sessions.follow_event(7001, "active") is None


async def test_set_post_links_the_announcement(sessions: SessionService, clock: FakeClock) -> None:
    session = await new(sessions, clock)
    clock.advance(minutes=1)
    await sessions.set_post(session.id, 300, 301, 302)
    linked = await sessions.get(G, session.id)
    assert (linked.post_channel_id, linked.post_message_id, linked.questions_channel_id) == (
        300,
        301,
        302,
    )


# -- reminders ---------------------------------------------------------------------------------
async def test_reminders_are_claimed_once_for_going_members(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await new(sessions, clock, capacity=3)
    await sessions.rsvp(G, session.id, ANA, via="button")
    await sessions.rsvp(G, session.id, EVE, via="button")
    await sessions.rsvp(G, session.id, EVE, via="button")  # and gone again
    for user in (BEN, CAM, DEV):  # DEV waits
        await sessions.rsvp(G, session.id, user, via="event")
    clock.advance(hours=24)
    batch = await sessions.claim_reminders(session.id, 1440)
    assert batch is not None
    assert (batch.session.id, batch.minutes, batch.user_ids) == (session.id, 1440, (ANA, BEN, CAM))
    again = await sessions.claim_reminders(session.id, 1440)
    assert again is not None and again.user_ids == ()
    await sessions.reminder_outcomes(session.id, 1440, {ANA: "dm", BEN: "channel", CAM: "failed"})
    assert await sessions.reminders_sent(session.id) == {
        (1440, ANA): "dm",
        (1440, BEN): "channel",
        (1440, CAM): "failed",
    }
    await sessions.rsvp(G, session.id, BEN, via="button")  # DEV moves up, not yet reminded
    late = await sessions.claim_reminders(session.id, 1440)
    assert late is not None and late.user_ids == (DEV,)
    assert (await sessions.reminders_sent(session.id))[(1440, DEV)] == "claimed"
    clock.advance(minutes=1440 - 15)
    other = await sessions.claim_reminders(session.id, 15)
    assert other is not None and other.user_ids == (ANA, CAM, DEV)
    await sessions.reminder_outcomes(session.id, 15, {ANA: "off"})
    assert (await sessions.reminders_sent(session.id))[(15, ANA)] == "off"
    clock.advance(minutes=15)  # the start: too late to remind
    assert await sessions.claim_reminders(session.id, 15) is None
    assert await sessions.claim_reminders(session.id + 99, 15) is None


async def test_no_reminders_for_a_session_running_or_cancelled(
    sessions: SessionService, clock: FakeClock
) -> None:
    running, dropped = await new(sessions, clock), await new(sessions, clock, hours=50)
    for session in (running, dropped):
        await sessions.rsvp(G, session.id, ANA, via="button")
    await sessions.start(G, running.id)  # started early, before the reminder
    await sessions.cancel(G, dropped.id)
    assert await sessions.claim_reminders(running.id, 15) is None
    assert await sessions.claim_reminders(dropped.id, 1440) is None
    assert await sessions.reminders_sent(running.id) == {}


# -- attendance --------------------------------------------------------------------------------
async def test_attendance_counts_time_in_the_session_channel(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await started(sessions, clock)
    await sessions.voice_moved(G, ANA, None, STAGE)
    await sessions.voice_moved(G, BEN, None, STAGE)
    clock.advance(minutes=10)
    await sessions.voice_moved(G, ANA, STAGE, LOUNGE)  # moved away
    assert await sessions.attendance(session.id) == {ANA: 10, BEN: 10}
    clock.advance(minutes=5)
    await sessions.voice_moved(G, ANA, LOUNGE, STAGE)  # and back
    await sessions.voice_moved(G, ANA, None, STAGE)  # a repeated join keeps the open span
    clock.advance(minutes=3)
    assert await sessions.attendance(session.id) == {ANA: 13, BEN: 18}
    await sessions.voice_moved(G, BEN, STAGE, None)
    await sessions.voice_moved(G, BEN, STAGE, None)  # a repeated leave adds nothing
    clock.advance(minutes=30)
    assert await sessions.attendance(session.id) == {ANA: 43, BEN: 18}
    await sessions.end(G, session.id)  # closes the open spans
    clock.advance(minutes=30)
    assert await sessions.attendance(session.id) == {ANA: 43, BEN: 18}
    await sessions.voice_moved(G, CAM, None, STAGE)  # after the end: not counted
    assert CAM not in await sessions.attendance(session.id)


async def test_short_spans_add_up_in_seconds(sessions: SessionService, clock: FakeClock) -> None:
    session = await started(sessions, clock)
    for _ in range(2):
        await sessions.voice_moved(G, ANA, None, STAGE)
        clock.advance(seconds=45)
        await sessions.voice_moved(G, ANA, STAGE, None)
    assert await sessions.attendance(session.id) == {ANA: 1}


async def test_only_running_sessions_in_that_channel_count(
    sessions: SessionService, clock: FakeClock
) -> None:
    stage = await started(sessions, clock)
    lounge = await started(sessions, clock, hours=50, channel_id=LOUNGE)
    upcoming = await new(sessions, clock, hours=60, channel_id=STAGE)
    foreign = await started(sessions, clock, guild_id=OTHER_G, channel_id=STAGE)
    await sessions.voice_moved(G, ANA, None, STAGE)
    clock.advance(minutes=20)
    await sessions.voice_moved(G, ANA, STAGE, LOUNGE)  # from one session into the other
    clock.advance(minutes=7)
    await sessions.voice_moved(G, ANA, LOUNGE, None)
    clock.advance(minutes=7)
    assert await sessions.attendance(stage.id) == {ANA: 20}
    assert await sessions.attendance(lounge.id) == {ANA: 7}
    assert await sessions.attendance(upcoming.id) == {}
    assert await sessions.attendance(foreign.id) == {}


async def test_reconcile_keeps_present_spans_and_closes_the_absent(
    sessions: SessionService, clock: FakeClock
) -> None:
    session = await started(sessions, clock)
    await sessions.voice_moved(G, ANA, None, STAGE)
    await sessions.voice_moved(G, BEN, None, STAGE)
    clock.advance(minutes=10)  # the bot was down; BEN left meanwhile, CAM came
    await sessions.reconcile_attendance(session, {ANA, CAM})
    clock.advance(minutes=5)
    assert await sessions.attendance(session.id) == {ANA: 15, BEN: 10, CAM: 5}
    await sessions.reconcile_attendance(session, {ANA, CAM})  # again: nothing changes
    clock.advance(minutes=5)
    assert await sessions.attendance(session.id) == {ANA: 20, BEN: 10, CAM: 10}
    await sessions.reconcile_attendance(session, set())
    clock.advance(minutes=5)
    assert await sessions.attendance(session.id) == {ANA: 20, BEN: 10, CAM: 10}


async def test_reconcile_ignores_a_session_without_a_channel(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    external = await started(sessions, clock, channel_id=None)
    await sessions.reconcile_attendance(external, {ANA})
    assert await sessions.attendance(external.id) == {}
    assert await count(db, "session_attendance") == 0


# -- reading -----------------------------------------------------------------------------------
async def test_mark_recap_claims_once(sessions: SessionService, clock: FakeClock) -> None:
    a, b = await new(sessions, clock), await new(sessions, clock)
    assert await sessions.mark_recap(a.id) is True
    assert await sessions.mark_recap(a.id) is False
    assert await sessions.mark_recap(b.id) is True


async def test_upcoming_lists_open_sessions_with_counts(
    sessions: SessionService, clock: FakeClock
) -> None:
    later = await new(sessions, clock, hours=72, capacity=1)
    sooner = await new(sessions, clock, hours=24)
    done = await started(sessions, clock, hours=30)
    await sessions.end(G, done.id)
    dropped = await new(sessions, clock, hours=40)
    await sessions.cancel(G, dropped.id)
    running = await started(sessions, clock, hours=50)
    await new(sessions, clock, guild_id=OTHER_G)
    for user in (ANA, BEN, CAM):
        await sessions.rsvp(G, later.id, user, via="button")
    await sessions.rsvp(G, sooner.id, ANA, via="event")
    listed = await sessions.upcoming(G)
    assert [(s.id, c) for s, c in listed] == [
        (sooner.id, Counts(1, 0)),
        (running.id, Counts(0, 0)),
        (later.id, Counts(1, 2)),
    ]
    assert [s.id for s, _ in await sessions.upcoming(G, limit=1)] == [sooner.id]
    assert await sessions.upcoming(3) == []


async def test_current_prefers_the_running_session_then_the_next(
    sessions: SessionService, clock: FakeClock
) -> None:
    with pytest.raises(DomainError, match=r"^session\.none$"):
        await sessions.current(G)
    office = await new(sessions, clock, hours=1, kind="office_hours")
    with pytest.raises(DomainError, match=r"^session\.none$"):
        await sessions.current(G)
    later = await new(sessions, clock, hours=72)
    sooner = await new(sessions, clock, hours=24)
    assert (await sessions.current(G)).id == sooner.id
    assert (await sessions.current(G, kind=None)).id == office.id
    assert (await sessions.current(G, kind="office_hours")).id == office.id
    await sessions.start(G, later.id)
    assert (await sessions.current(G)).id == later.id
    await sessions.end(G, later.id)
    await sessions.cancel(G, sooner.id)
    with pytest.raises(DomainError, match=r"^session\.none$"):
        await sessions.current(G)
    with pytest.raises(DomainError, match=r"^session\.none$"):
        await sessions.current(OTHER_G, kind=None)


async def test_remove_drops_the_session_and_everything_of_it(
    db: Database, sessions: SessionService, jobs: JobQueue, clock: FakeClock
) -> None:
    session = await new(sessions, clock)
    kept = await new(sessions, clock, hours=50)
    await sessions.rsvp(G, session.id, ANA, via="button")
    await sessions.remove(OTHER_G, session.id)  # not that guild's: nothing happens
    assert (await sessions.get(G, session.id)).id == session.id
    assert len(await reminder_jobs(jobs)) == 4
    await sessions.remove(G, session.id)
    with pytest.raises(DomainError, match=r"^session\.unknown$"):
        await sessions.get(G, session.id)
    assert [key for key, _ in await reminder_jobs(jobs)] == [f"{kept.id}:1440", f"{kept.id}:15"]
    assert await count(db, "session_rsvp") == 0


# -- privacy -----------------------------------------------------------------------------------
async def test_export_and_forget_a_member(
    db: Database, sessions: SessionService, clock: FakeClock
) -> None:
    first = await new(sessions, clock, hours=2, title="First")
    second = await new(sessions, clock, hours=3, title="Second")
    foreign = await new(sessions, clock, guild_id=OTHER_G)
    then = iso(clock.now)
    for session in (first, second):
        await sessions.rsvp(G, session.id, ANA, via="button")
        await sessions.rsvp(G, session.id, BEN, via="button")
    await sessions.rsvp(OTHER_G, foreign.id, ANA, via="event")
    await sessions.save_draft(G, ANA, draft(sessions, clock))
    await sessions.save_draft(OTHER_G, ANA, draft(sessions, clock))
    await sessions.claim_reminders(first.id, 15)
    await sessions.reminder_outcomes(first.id, 15, {ANA: "dm"})
    await sessions.start(G, first.id)
    await sessions.voice_moved(G, ANA, None, STAGE)
    clock.advance(minutes=12)
    await sessions.end(G, first.id)

    exported = await sessions.export_member(G, ANA)
    assert exported["rsvps"] == [
        {
            "id": first.id,
            "title": "First",
            "starts_at": first.starts_at.isoformat(),
            "state": "going",
            "via": "button",
            "created_at": then,
        },
        {
            "id": second.id,
            "title": "Second",
            "starts_at": second.starts_at.isoformat(),
            "state": "going",
            "via": "button",
            "created_at": then,
        },
    ]
    assert exported["reminders"] == [
        {"session": first.id, "minutes": 15, "outcome": "dm", "sent_at": then}
    ]
    assert exported["attendance_minutes"] == [
        {"session": first.id, "title": "First", "minutes": 12}
    ]

    registry = PrivacyRegistry(db, clock)
    registry.register(sessions)
    report = await registry.forget(G, ANA)
    assert report.deleted == {"sessions": 2 + 1 + 1 + 1}  # RSVPs, reminder, attendance, draft
    assert await sessions.export_member(G, ANA) == {}  # nothing left to export
    assert await sessions.rsvps(first.id) == [BEN]
    assert await sessions.rsvps(foreign.id) == [ANA]  # the other guild keeps its data
    assert await count(db, "session_draft") == 1
    assert (await sessions.reminders_sent(first.id)) == {(15, BEN): "claimed"}
