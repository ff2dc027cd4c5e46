"""Engagement signals on real SQLite: every kind as the features report it (sessions, feedback,
polls, the introduction sweep, the message buffer), retention, the read helpers, the leader
opt-out, and the privacy export and forget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.signals import (
    UPKEEP_AT,
    DailyCount,
    MessageTally,
    Signal,
    SignalKind,
    Upkeep,
    next_upkeep,
)
from tests.conftest import FakeClock

G, OTHER_G = 1, 2
HOST, ANA, BEN, CAM, DEV = 10, 21, 22, 23, 24
STAGE, GENERAL, LOUNGE = 500, 600, 601
TODAY = date(2026, 11, 2)  # the FakeClock's day (12:00 UTC)


async def rows(db: Database, guild_id: int = G) -> set[tuple[int, str, str, int, int]]:
    """(user, day, kind, channel, count) of every stored row."""
    found = await db.fetch_all(
        "SELECT user_id, day, kind, channel_id, count FROM engagement_daily WHERE guild_id = ?",
        (guild_id,),
    )
    return {(r[0], r[1], r[2], r[3], r[4]) for r in found}


async def count_of(services: Services, user: int, kind: SignalKind, guild_id: int = G) -> int:
    totals = await services.signals.totals(guild_id, date(2000, 1, 1), user_ids=[user])
    return totals.get(user, {}).get(kind, 0)


async def add_stint(
    db: Database,
    user: int,
    *,
    admitted: datetime | None,
    sponsor: int | None = None,
    status: str = "member",
    left: datetime | None = None,
    guild_id: int = G,
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, joined_at, "
            "admitted_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                user,
                status,
                "introduction" if sponsor else "existing",
                sponsor,
                iso(admitted or datetime(2026, 1, 1, tzinfo=UTC)),
                iso(admitted) if admitted else None,
                iso(left) if left else None,
            ),
        )


# -- recording -----------------------------------------------------------------------------------
async def test_record_adds_per_day_kind_and_channel(services: Services, clock: FakeClock) -> None:
    signals = services.signals
    await signals.record(G, ANA, "message", channel_id=GENERAL)
    await signals.record(G, ANA, "message", 2, channel_id=GENERAL)
    await signals.record(G, ANA, "message", channel_id=LOUNGE)
    await signals.record(G, ANA, "vote")
    await signals.record(G, ANA, "vote", 0)  # nothing to add: no row, no change
    await signals.record(G, ANA, "vote", -3)
    await signals.record(G, ANA, "vote", at=datetime(2026, 11, 1, 23, 59, tzinfo=UTC))
    # A moment in another zone is bucketed on its UTC day.
    late = datetime(2026, 11, 2, 0, 30, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    await signals.record(G, BEN, "feedback_item", at=late)
    await signals.record(OTHER_G, ANA, "vote")
    assert await rows(services.db) == {
        (ANA, "2026-11-02", "message", GENERAL, 3),
        (ANA, "2026-11-02", "message", LOUNGE, 1),
        (ANA, "2026-11-02", "vote", 0, 1),
        (ANA, "2026-11-01", "vote", 0, 1),
        (BEN, "2026-11-02", "feedback_item", 0, 1),
    }
    assert await rows(services.db, OTHER_G) == {(ANA, "2026-11-02", "vote", 0, 1)}


async def test_record_joins_the_callers_transaction(services: Services) -> None:
    async def failing_record() -> None:
        async with services.db.transaction():
            await services.signals.record(G, ANA, "vote")
            raise RuntimeError("the record failed")

    with pytest.raises(RuntimeError):
        await failing_record()
    assert await rows(services.db) == set()  # the count went with the record


async def test_record_many_and_members_only(services: Services) -> None:
    db = services.db
    await add_stint(db, ANA, admitted=datetime(2026, 1, 1, tzinfo=UTC))
    await add_stint(db, BEN, admitted=None, status="pending")  # in the gate
    await add_stint(db, CAM, admitted=datetime(2026, 1, 1, tzinfo=UTC), status="left")
    batch = [Signal(G, user, "message", TODAY, 2, GENERAL) for user in (ANA, BEN, CAM, DEV)] + [
        Signal(G, ANA, "message", TODAY, 0, LOUNGE)
    ]
    assert await services.signals.record_many(batch, members_only=True) == 4
    assert await rows(db) == {(ANA, "2026-11-02", "message", GENERAL, 2)}
    await services.signals.record_many(batch)  # no filter: everyone
    assert await count_of(services, DEV, "message") == 2
    assert await count_of(services, ANA, "message") == 4
    assert await services.signals.record_many([]) == 0


async def test_retract_never_goes_below_zero_and_leaves_no_empty_row(
    services: Services, clock: FakeClock
) -> None:
    signals = services.signals
    yesterday = clock.now - timedelta(days=1)
    await signals.record(G, ANA, "feedback_upvote", 2, at=yesterday)
    await signals.record(G, ANA, "feedback_upvote")
    await signals.retract(G, ANA, "feedback_upvote", at=yesterday)
    assert await rows(services.db) == {
        (ANA, "2026-11-01", "feedback_upvote", 0, 1),
        (ANA, "2026-11-02", "feedback_upvote", 0, 1),
    }
    await signals.retract(G, ANA, "feedback_upvote", 5, at=yesterday)
    await signals.retract(G, ANA, "feedback_upvote", at=yesterday)  # nothing left there
    await signals.retract(G, ANA, "feedback_upvote", 0, at=clock.now)
    assert await rows(services.db) == {(ANA, "2026-11-02", "feedback_upvote", 0, 1)}
    await signals.retract(G, BEN, "vote", at=clock.now)  # never counted: nothing happens
    assert await rows(services.db) == {(ANA, "2026-11-02", "feedback_upvote", 0, 1)}


async def test_record_once_counts_a_reference_once(services: Services, clock: FakeClock) -> None:
    signals = services.signals
    assert await signals.record_once(G, ANA, "vote", "poll:1")
    clock.advance(days=1)
    assert not await signals.record_once(G, ANA, "vote", "poll:1")
    assert await signals.record_once(G, BEN, "vote", "poll:1")
    assert await signals.record_once(OTHER_G, ANA, "vote", "poll:1")
    await signals.clear_once(G, "poll:1")
    assert await signals.record_once(G, ANA, "vote", "poll:1")  # cleared: counts again
    assert await rows(services.db) == {
        (ANA, "2026-11-02", "vote", 0, 1),
        (BEN, "2026-11-03", "vote", 0, 1),
        (ANA, "2026-11-03", "vote", 0, 1),
    }


# -- reports from the features -----------------------------------------------------------------
async def test_session_attendance_and_rsvps_kept(services: Services, clock: FakeClock) -> None:
    sessions = services.sessions
    draft = sessions.check(
        title="AMA", starts_at=clock.now + timedelta(hours=1), minutes=60, channel_id=STAGE
    )
    session = await sessions.create(G, HOST, draft)
    for user in (ANA, BEN, CAM):
        await sessions.rsvp(G, session.id, user, via="button")
    await sessions.rsvp(G, session.id, CAM, via="button", want=False)  # changed their mind
    clock.advance(hours=1)
    await sessions.start(G, session.id)
    await sessions.voice_moved(G, ANA, None, STAGE)  # RSVP'd, stays 45 minutes
    await sessions.voice_moved(G, CAM, None, STAGE)  # no RSVP any more, stays 30 minutes
    await sessions.voice_moved(G, DEV, None, STAGE)  # never RSVP'd, 30 seconds: not counted
    clock.advance(seconds=30)
    await sessions.voice_moved(G, DEV, STAGE, None)
    clock.advance(minutes=29, seconds=30)
    await sessions.voice_moved(G, CAM, STAGE, None)
    assert await rows(services.db) == set()  # nothing until the attendance closes
    clock.advance(minutes=15)
    await sessions.end(G, session.id)  # BEN RSVP'd going and never came
    assert await rows(services.db) == {
        (ANA, "2026-11-02", "attendance_minutes", 0, 45),
        (ANA, "2026-11-02", "rsvp_kept", 0, 1),
        (CAM, "2026-11-02", "attendance_minutes", 0, 30),
    }
    assert not (await sessions.end(G, session.id)).changed
    await sessions.close_attendance(session.id)  # closed again: credited once only
    assert await count_of(services, ANA, "attendance_minutes") == 45


async def test_a_session_nobody_attended_credits_nothing(
    services: Services, clock: FakeClock
) -> None:
    draft = services.sessions.check(
        title="AMA", starts_at=clock.now + timedelta(hours=1), minutes=60, channel_id=None
    )
    session = await services.sessions.create(G, HOST, draft)
    await services.sessions.rsvp(G, session.id, ANA, via="event")
    await services.sessions.start(G, session.id)
    await services.sessions.end(G, session.id)
    assert await rows(services.db) == set()


async def test_feedback_items_and_upvotes_received(services: Services, clock: FakeClock) -> None:
    board = services.board
    item = await board.submit(G, ANA, "Boots", "Wider fit", "Please")
    other = await board.submit(G, BEN, "Boots", "Laces", "")
    assert await count_of(services, ANA, "feedback_item") == 1
    await board.upvote(G, item.id, BEN)
    await board.upvote(G, item.id, CAM)
    await board.upvote(G, other.id, ANA)
    assert await count_of(services, ANA, "feedback_upvote") == 2
    assert await count_of(services, BEN, "feedback_upvote") == 1
    assert await count_of(services, CAM, "feedback_upvote") == 0  # the voter gets nothing

    clock.advance(days=1)  # un-voting takes it back from the day it was given
    _, added = await board.upvote(G, item.id, BEN)
    assert not added
    await board.upvote(G, item.id, CAM)
    assert await count_of(services, ANA, "feedback_upvote") == 0
    assert (ANA, "2026-11-02", "feedback_upvote") not in {r[:3] for r in await rows(services.db)}
    await board.upvote(G, item.id, CAM)  # again, today
    assert await services.signals.member_days(G, ANA) == [
        DailyCount(TODAY, "feedback_item", 0, 1),
        DailyCount(TODAY + timedelta(days=1), "feedback_upvote", 0, 1),
    ]

    await board.withdraw(G, other.id)  # an item that could not be posted: its count goes
    assert await count_of(services, BEN, "feedback_item") == 0
    await board.withdraw(G, other.id)  # already gone: nothing more
    assert await count_of(services, BEN, "feedback_upvote") == 1


async def test_poll_and_survey_votes_count_once_per_poll(
    services: Services, clock: FakeClock
) -> None:
    polls = services.polls
    poll = await polls.create_poll(G, HOST, question="Q", options="A;B;C")
    await polls.vote(G, poll.id, ANA, 0, [])
    await polls.vote(G, poll.id, ANA, 2, [])  # a changed vote
    await polls.vote(G, poll.id, ANA, 2, [])  # withdrawn...
    clock.advance(days=1)
    await polls.vote(G, poll.id, ANA, 1, [])  # ...and given again the next day
    assert await count_of(services, ANA, "vote") == 1
    multi = await polls.create_poll(G, HOST, question="Q", options="A;B;C", multi=True)
    await polls.vote(G, multi.id, ANA, 0, [])
    await polls.vote(G, multi.id, ANA, 1, [])
    rating = await polls.create_rating(G, HOST, product="Boots", question="How are they?")
    await polls.vote(G, rating.id, ANA, 4, [])
    await polls.vote(G, rating.id, ANA, 3, [])
    assert await count_of(services, ANA, "vote") == 3

    anonymous = await polls.create_poll(G, HOST, question="Q", options="A;B", anonymous=True)
    await polls.vote(G, anonymous.id, BEN, 1, [])
    await polls.vote(G, anonymous.id, BEN, 0, [])
    assert await count_of(services, BEN, "vote") == 1
    stored = await services.db.fetch_all("SELECT * FROM engagement_daily WHERE user_id = ?", (BEN,))
    assert [dict(r)["channel_id"] for r in stored] == [0]  # participation, never the choice
    await polls.close(G, anonymous.id)
    credits = await services.db.fetch_all(
        "SELECT ref FROM engagement_credit WHERE ref = ?", (f"poll:{anonymous.id}",)
    )
    assert credits == []  # once closed, who voted in it is not kept
    assert await count_of(services, BEN, "vote") == 1

    refused = await polls.create_poll(G, HOST, question="Q", options="A;B", role_id=77)
    with pytest.raises(DomainError) as caught:
        await polls.vote(G, refused.id, CAM, 0, [])
    assert caught.value.key == "poll.vote.role"
    assert await count_of(services, CAM, "vote") == 0  # a refused vote counts nothing
    await polls.vote(G, refused.id, CAM, 0, [77])
    await polls.remove(G, refused.id)
    assert await count_of(services, CAM, "vote") == 1
    assert not await services.db.fetch_all(
        "SELECT 1 FROM engagement_credit WHERE ref = ?", (f"poll:{refused.id}",)
    )


# -- introductions that stayed ---------------------------------------------------------------------
async def test_introductions_that_stayed_are_credited_once(
    services: Services, clock: FakeClock, db: Database
) -> None:
    start = clock.now
    await add_stint(db, BEN, admitted=start, sponsor=ANA)  # stays
    await add_stint(db, CAM, admitted=start + timedelta(hours=1), sponsor=ANA)  # stays
    await add_stint(
        db, DEV, admitted=start, sponsor=ANA, status="left", left=start + timedelta(days=29)
    )
    await add_stint(
        db, 25, admitted=start, sponsor=HOST, status="left", left=start + timedelta(days=31)
    )  # left after 30 days: it counted
    await add_stint(db, 26, admitted=start, sponsor=None)  # nobody vouched
    await add_stint(db, 27, admitted=None, sponsor=ANA, status="pending")  # never admitted
    await add_stint(db, 28, admitted=start, sponsor=ANA, guild_id=OTHER_G)

    signals = services.signals
    assert await signals.sweep_introductions(G) == 0
    clock.advance(days=30)  # BEN's 30 days are up at 12:00, CAM's not yet
    assert await signals.sweep_introductions(G) == 2
    assert await count_of(services, ANA, "introduction_stayed") == 1
    assert await count_of(services, HOST, "introduction_stayed") == 1
    assert await signals.sweep_introductions(G) == 0  # again: nothing new, never more
    assert await count_of(services, ANA, "introduction_stayed") == 1

    clock.advance(hours=1)
    assert await signals.sweep_introductions(G) == 1  # CAM's turn
    fresh = Services.build(db, clock)  # a restart: nothing new
    assert await fresh.signals.sweep_introductions(G) == 0
    anniversary = (start + timedelta(days=30)).date().isoformat()
    assert (ANA, anniversary, "introduction_stayed", 0, 2) in await rows(db)
    assert await count_of(services, ANA, "introduction_stayed") == 2

    clock.advance(days=10)  # the sweep moves on: earlier days are left as they were
    assert await fresh.signals.sweep_introductions(G) == 0
    assert await count_of(services, ANA, "introduction_stayed") == 2
    assert await count_of(services, 28, "introduction_stayed", OTHER_G) == 0
    assert await fresh.signals.sweep_introductions(OTHER_G) == 1  # first sweep: a backfill
    assert await count_of(services, ANA, "introduction_stayed", OTHER_G) == 1


async def test_the_first_sweep_backfills_the_retention_window_only(
    services: Services, clock: FakeClock, db: Database
) -> None:
    await add_stint(db, BEN, admitted=clock.now - timedelta(days=100), sponsor=ANA)
    await add_stint(db, CAM, admitted=clock.now - timedelta(days=300), sponsor=ANA)
    assert await services.signals.sweep_introductions(G) == 1
    [(user, day, *_)] = list(await rows(db))
    assert (user, day) == (ANA, (clock.now - timedelta(days=70)).date().isoformat())


async def test_a_missed_sweep_catches_up(
    services: Services, clock: FakeClock, db: Database
) -> None:
    assert await services.signals.sweep_introductions(G) == 0  # the last sweep: today
    await add_stint(db, BEN, admitted=clock.now - timedelta(days=25), sponsor=ANA)
    clock.advance(days=12)  # the bot was down: BEN's 30th day passed meanwhile
    assert await services.signals.sweep_introductions(G) == 1


# -- retention and the daily upkeep ----------------------------------------------------------------
async def test_prune_keeps_the_retention_window(services: Services, clock: FakeClock) -> None:
    signals = services.signals
    for days in (0, 179, 180, 400):
        await signals.record(G, ANA, "vote", at=clock.now - timedelta(days=days))
        await signals.record(OTHER_G, ANA, "vote", at=clock.now - timedelta(days=days))
    await signals.record_once(G, ANA, "vote", "poll:9", at=clock.now - timedelta(days=200))
    async with services.db.transaction() as tx:  # a finished session's old credit
        await tx.execute(
            "INSERT INTO engagement_credit VALUES (?, 'session:3', 0, '2026-01-01')", (G,)
        )
    assert await signals.cutoff(G) == TODAY - timedelta(days=179)
    assert await signals.prune(G) == 3  # 180 and 400 days back, and the poll vote's day
    assert {r[1] for r in await rows(services.db)} == {"2026-11-02", "2026-05-07"}
    refs = await services.db.fetch_all("SELECT ref FROM engagement_credit WHERE guild_id = ?", (G,))
    assert [r[0] for r in refs] == ["poll:9"]  # an open poll's credits stay until it closes

    await services.leader_settings.update(OTHER_G, retention_days=30)
    upkeep = {u.guild_id: u for u in await signals.upkeep()}
    assert upkeep[OTHER_G].pruned == 3
    assert upkeep[G].pruned == 0
    assert {r[1] for r in await rows(services.db, OTHER_G)} == {"2026-11-02"}


async def test_upkeep_covers_guilds_with_sponsored_members(
    services: Services, clock: FakeClock, db: Database
) -> None:
    await add_stint(db, BEN, admitted=clock.now - timedelta(days=31), sponsor=ANA, guild_id=7)
    assert await services.signals.upkeep() == [Upkeep(7, 0, 1)]
    assert await services.signals.upkeep() == [Upkeep(7, 0, 0)]  # once only


def test_next_upkeep_is_the_coming_quarter_past_midnight() -> None:
    assert UPKEEP_AT.hour == 0
    morning = datetime(2026, 11, 2, 0, 5, tzinfo=UTC)
    assert next_upkeep(morning) == datetime(2026, 11, 2, 0, 15, tzinfo=UTC)
    assert next_upkeep(datetime(2026, 11, 2, 0, 15, tzinfo=UTC)) == datetime(
        2026, 11, 3, 0, 15, tzinfo=UTC
    )
    assert next_upkeep(datetime(2026, 12, 31, 18, 0, tzinfo=UTC)) == datetime(
        2027, 1, 1, 0, 15, tzinfo=UTC
    )


# -- reading ---------------------------------------------------------------------------------------
async def history(services: Services, clock: FakeClock) -> None:
    """ANA: messages on days 0, 1, 8, 20 back, a vote 20 back, attendance 50 back;
    BEN: an upvote today; CAM: messages 70 days back only."""
    signals = services.signals

    def back(days: int) -> datetime:
        return clock.now - timedelta(days=days)

    for days in (0, 1, 8, 20):
        await signals.record(G, ANA, "message", 2, channel_id=GENERAL, at=back(days))
    await signals.record(G, ANA, "message", channel_id=LOUNGE, at=back(0))
    await signals.record(G, ANA, "vote", at=back(20))
    await signals.record(G, ANA, "attendance_minutes", 40, at=back(50))
    await signals.record(G, BEN, "feedback_upvote", at=back(0))
    await signals.record(G, CAM, "message", channel_id=GENERAL, at=back(70))
    await signals.record(OTHER_G, ANA, "vote", at=back(0))


async def test_read_helpers(services: Services, clock: FakeClock) -> None:
    await history(services, clock)
    signals = services.signals
    eight_weeks = TODAY - timedelta(days=55)

    activity = await signals.activity(G, eight_weeks)
    assert set(activity) == {ANA, BEN}
    ana = activity[ANA]
    assert dict(ana.totals) == {"message": 9, "vote": 1, "attendance_minutes": 40}
    assert (ana.active_days, ana.active_weeks, ana.breadth) == (5, 4, 3)
    assert ana.kinds == {"message", "vote", "attendance_minutes"}
    assert (ana.first_day, ana.last_day) == (TODAY - timedelta(days=50), TODAY)
    assert activity[BEN].active_weeks == 1
    only = await signals.activity(G, eight_weeks, user_ids=[BEN, DEV])
    assert set(only) == {BEN}

    assert await signals.active_weeks(G) == {ANA: 4, BEN: 1}
    assert await signals.active_weeks(G, 11) == {ANA: 4, BEN: 1, CAM: 1}
    assert await signals.active_weeks(G, 1, until=TODAY) == {ANA: 1}  # up to yesterday
    assert await signals.active_days(G, TODAY - timedelta(days=7)) == {ANA: 2, BEN: 1}
    assert await signals.kinds(G, TODAY - timedelta(days=30)) == {
        ANA: frozenset({"message", "vote"}),
        BEN: frozenset({"feedback_upvote"}),
    }
    assert await signals.totals(G, eight_weeks, kinds=["vote", "feedback_upvote"]) == {
        ANA: {"vote": 1},
        BEN: {"feedback_upvote": 1},
    }
    assert await signals.totals(G, eight_weeks, kinds=[]) == {}
    assert await signals.last_active(G) == {
        ANA: TODAY,
        BEN: TODAY,
        CAM: TODAY - timedelta(days=70),
    }
    assert await signals.last_active(G, [CAM, DEV]) == {CAM: TODAY - timedelta(days=70)}
    assert await signals.last_active(G, []) == {}
    week = TODAY - timedelta(days=6)
    assert await signals.active_members(G, week) == {ANA, BEN}
    assert await signals.active_members(G, week, kinds=["feedback_upvote"]) == {BEN}
    assert await signals.active_members(G, eight_weeks, min_kinds=2) == {ANA}
    assert await signals.active_members(G, week, until=TODAY) == {ANA}
    assert await signals.channel_messages(G, week) == {GENERAL: 4, LOUNGE: 1}
    assert await signals.member_days(G, CAM) == [
        DailyCount(TODAY - timedelta(days=70), "message", GENERAL, 1)
    ]
    assert await signals.member_days(G, ANA, TODAY) == [
        DailyCount(TODAY, "message", GENERAL, 2),
        DailyCount(TODAY, "message", LOUNGE, 1),
    ]


# -- opt-out and privacy ---------------------------------------------------------------------------
async def test_optout_is_idempotent(services: Services) -> None:
    signals = services.signals
    assert not await signals.is_opted_out(G, ANA)
    assert await signals.optout(G, ANA)
    assert not await signals.optout(G, ANA)
    assert await signals.optout(G, BEN)
    assert await signals.optout(OTHER_G, CAM)
    assert await signals.is_opted_out(G, ANA)
    assert await signals.opted_out(G) == {ANA, BEN}
    assert await signals.optin(G, ANA)
    assert not await signals.optin(G, ANA)
    assert await signals.opted_out(G) == {BEN}
    assert await signals.opted_out(OTHER_G) == {CAM}


async def test_privacy_export_and_forget(services: Services, clock: FakeClock) -> None:
    await history(services, clock)
    await services.signals.optout(G, ANA)
    poll = await services.polls.create_poll(G, HOST, question="Q", options="A;B")
    await services.polls.vote(G, poll.id, ANA, 0, [])
    document = await services.privacy.export(G, ANA)
    section = document["data"]["engagement"]  # type: ignore[index]
    assert section["leader_suggestions_off_since"] == iso(clock.now)
    assert section["counted_once"] == [{"ref": f"poll:{poll.id}", "day": "2026-11-02"}]
    daily = section["daily_counts"]
    assert daily[0] == {
        "day": "2026-09-13",
        "kind": "attendance_minutes",
        "channel_id": None,
        "count": 40,
    }
    assert {"day": "2026-11-02", "kind": "message", "channel_id": str(LOUNGE), "count": 1} in daily
    assert len(daily) == 8
    assert (await services.privacy.export(G, DEV))["data"]["engagement"] == {}  # type: ignore[index]

    report = await services.privacy.forget(G, ANA)
    assert report.deleted["engagement"] == 10  # 8 rows, 1 credit, 1 opt-out
    assert await services.signals.member_days(G, ANA) == []
    assert not await services.signals.is_opted_out(G, ANA)
    assert await services.signals.member_days(OTHER_G, ANA) != []  # another server's data
    assert await services.signals.member_days(G, BEN) != []


# -- the message buffer ----------------------------------------------------------------------------
async def test_the_message_tally_writes_once_per_flush(
    services: Services, clock: FakeClock, db: Database
) -> None:
    for user in (ANA, BEN):
        await add_stint(db, user, admitted=datetime(2026, 1, 1, tzinfo=UTC))
    tally = MessageTally(services.signals, clock)
    assert await tally.flush() == 0
    for _ in range(3):
        tally.add(G, ANA, GENERAL)
    tally.add(G, ANA, LOUNGE)
    tally.add(G, BEN, GENERAL, at=clock.now - timedelta(days=1))
    tally.add(G, CAM, GENERAL)  # no member record: dropped at the flush
    tally.add(G, DEV, GENERAL)
    tally.discard(G, DEV)  # forgotten before the flush
    assert tally.pending == 6
    assert await tally.flush() == 4
    assert tally.pending == 0
    tally.add(G, ANA, GENERAL)
    await tally.flush()
    assert await rows(db) == {
        (ANA, "2026-11-02", "message", GENERAL, 4),
        (ANA, "2026-11-02", "message", LOUNGE, 1),
        (BEN, "2026-11-01", "message", GENERAL, 1),
    }


async def test_a_failed_flush_keeps_its_counts(
    services: Services, clock: FakeClock, db: Database
) -> None:
    await add_stint(db, ANA, admitted=datetime(2026, 1, 1, tzinfo=UTC))
    tally = MessageTally(services.signals, clock)
    tally.add(G, ANA, GENERAL)
    async with db.exclusive() as conn:  # the table is briefly unusable
        await conn.execute("ALTER TABLE engagement_daily RENAME TO engagement_daily_away")
    with pytest.raises(Exception, match="engagement_daily"):
        await tally.flush()
    tally.add(G, ANA, GENERAL)
    assert tally.pending == 2
    async with db.exclusive() as conn:
        await conn.execute("ALTER TABLE engagement_daily_away RENAME TO engagement_daily")
    await tally.flush()
    assert await rows(db) == {(ANA, "2026-11-02", "message", GENERAL, 2)}
