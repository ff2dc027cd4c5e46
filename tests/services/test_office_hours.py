"""Office hours on real SQLite: opening, the fair draw, first come, the line, reminders, privacy."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services.jobs import JobQueue
from bot.services.sessions.office_hours import (
    DRAW_JOB,
    REMINDER_JOB,
    CancelResult,
    InLine,
    OfficeHours,
    OfficeHoursSettings,
)
from tests.conftest import FakeClock

G, OTHER_GUILD = 1, 2
HOST = 100
ANA, BO, CY, DEE, EVE = 201, 202, 203, 204, 205


@pytest.fixture
def jobs(db: Database, clock: FakeClock) -> JobQueue:
    return JobQueue(db, clock)


@pytest.fixture
def office(db: Database, jobs: JobQueue, clock: FakeClock) -> OfficeHours:
    return OfficeHours(db, jobs, clock)


async def open_round(
    office: OfficeHours,
    clock: FakeClock,
    *,
    in_hours: float = 72,
    slots: int = 3,
    guild_id: int = G,
) -> int:
    session, _, _ = await office.open(
        guild_id,
        HOST,
        "Office hours",
        clock.now + timedelta(hours=in_hours),
        slots,
        20,
        channel_id=900,
        location=None,
    )
    return session.id


async def count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def job_keys(jobs: JobQueue, kind: str) -> dict[str, datetime]:
    return {job.key: job.due_at for job in await jobs.pending(kind)}


# -- opening --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("slots", "minutes", "in_hours", "key", "params"),
    [
        (0, 20, 5, "session.office.slots", {"min": 1, "max": 12}),
        (13, 20, 5, "session.office.slots", {"min": 1, "max": 12}),
        (3, 9, 5, "session.office.slot_minutes", {"min": 10, "max": 60}),
        (3, 61, 5, "session.office.slot_minutes", {"min": 10, "max": 60}),
        (3, 20, 0, "session.when.past", {}),
        (3, 20, -1, "session.when.past", {}),
    ],
)
async def test_open_refuses_bad_rounds_and_stores_nothing(
    office: OfficeHours,
    db: Database,
    jobs: JobQueue,
    clock: FakeClock,
    slots: int,
    minutes: int,
    in_hours: int,
    key: str,
    params: dict[str, int],
) -> None:
    with pytest.raises(DomainError) as caught:
        await office.open(
            G, HOST, "OH", clock.now + timedelta(hours=in_hours), slots, minutes,
            channel_id=None, location="Zoom",
        )  # fmt: skip
    assert (caught.value.key, caught.value.params) == (key, params)
    assert await count(db, "founder_session") == 0
    assert await count(db, "office_hours_slot") == 0
    assert await jobs.pending() == []


async def test_open_creates_the_round_its_slots_and_the_draw_job(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    starts = clock.now + timedelta(days=3)
    session, slots, draw_at = await office.open(
        G, HOST, "Ask me anything, 1:1", starts, 4, 15, channel_id=None, location="Zoom"
    )
    assert (session.kind, session.status, session.host_id) == ("office_hours", "scheduled", HOST)
    assert (session.starts_at, session.ends_at) == (starts, starts + timedelta(minutes=60))
    assert session.location == "Zoom" and session.channel_id is None
    assert [(s.slot, s.starts_at, s.ends_at, s.user_id) for s in slots] == [
        (n, starts + timedelta(minutes=15 * n), starts + timedelta(minutes=15 * (n + 1)), None)
        for n in range(4)
    ]
    assert draw_at == clock.now + timedelta(minutes=1440)  # the default request window
    assert await job_keys(jobs, DRAW_JOB) == {str(session.id): draw_at}
    assert await office.slots(G, session.id) == slots


@pytest.mark.parametrize(
    ("in_minutes", "window", "draw_after"),
    [
        (3 * 1440, 1440, 1440),  # the window closes first
        (120, 1440, 90),  # 30 minutes before the first slot
        (20, 1440, 5),  # never sooner than 5 minutes from now
        (3 * 1440, 0, 5),
        (3 * 1440, 60, 60),
    ],
)
async def test_the_draw_is_at_the_window_end_but_before_the_start(
    office: OfficeHours, clock: FakeClock, in_minutes: int, window: int, draw_after: int
) -> None:
    await office.set_settings(G, request_window_min=window)
    _, _, draw_at = await office.open(
        G, HOST, "OH", clock.now + timedelta(minutes=in_minutes), 2, 10,
        channel_id=1, location=None,
    )  # fmt: skip
    assert draw_at == clock.now + timedelta(minutes=draw_after)


async def test_first_come_rounds_have_no_draw(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    _, _, draw_at = await office.open(
        G, HOST, "OH", clock.now + timedelta(days=1), 2, 30, channel_id=1, location=None
    )
    assert draw_at is None
    assert await jobs.pending() == []


# -- settings -------------------------------------------------------------------------------------
async def test_settings_default_then_change_only_what_is_given(
    office: OfficeHours, db: Database
) -> None:
    assert await office.settings(G) == OfficeHoursSettings("draw", 1440)
    assert await office.set_settings(G, mode="first_come") == OfficeHoursSettings(
        "first_come", 1440
    )
    async with db.transaction() as tx:  # another feature's column
        await tx.execute("UPDATE session_settings SET reminder_minutes = '[60]' WHERE guild_id = 1")
    assert await office.set_settings(G, request_window_min=90) == OfficeHoursSettings(
        "first_come", 90
    )
    row = await db.fetch_one("SELECT reminder_minutes FROM session_settings WHERE guild_id = 1")
    assert row is not None and row[0] == "[60]"
    assert await office.settings(OTHER_GUILD) == OfficeHoursSettings()


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"mode": "lottery"}, "session.office.mode"),
        ({"request_window_min": -1}, "session.office.window"),
        ({"request_window_min": 20161}, "session.office.window"),
    ],
)
async def test_bad_settings_are_refused(
    office: OfficeHours, db: Database, changes: dict[str, object], key: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await office.set_settings(G, **changes)  # type: ignore[arg-type]
    assert caught.value.key == key
    assert await count(db, "session_settings") == 0


# -- requests -------------------------------------------------------------------------------------
async def test_requests_before_the_draw_wait_for_it(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    session_id = await open_round(office, clock)
    result = await office.request(G, session_id, ANA)
    assert (result.state, result.booked, result.slot, result.place) == ("draw", False, None, None)
    assert result.draw_at == clock.now + timedelta(days=1)
    assert await office.booking(G, session_id, ANA) is None
    assert await office.line(G, session_id) == []
    assert await jobs.pending(REMINDER_JOB) == []


async def test_refused_requests_change_nothing(
    office: OfficeHours, db: Database, clock: FakeClock
) -> None:
    session_id = await open_round(office, clock)
    await office.request(G, session_id, ANA)

    async def refused(guild_id: int, session: int, user_id: int) -> DomainError:
        with pytest.raises(DomainError) as caught:
            await office.request(guild_id, session, user_id)
        return caught.value

    assert (await refused(G, session_id, ANA)).key == "session.office.already"
    assert (await refused(G, session_id, HOST)).key == "session.office.host"
    assert (await refused(OTHER_GUILD, session_id, BO)).key == "session.unknown"
    assert (await refused(G, 999, BO)).key == "session.unknown"
    async with db.transaction() as tx:
        ama = await tx.execute(
            "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
            "created_at, updated_at) VALUES (1, 'ama', 'AMA', 100, 'x', 'x', 'x', 'x')"
        )
    assert (await refused(G, ama, BO)).key == "session.unknown"
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE founder_session SET status = 'cancelled' WHERE id = ?", (session_id,)
        )
    assert (await refused(G, session_id, BO)).key == "session.office.closed"
    rows = await db.fetch_all("SELECT user_id, state FROM office_hours_request")
    assert [tuple(row) for row in rows] == [(ANA, "waiting")]


async def test_first_come_books_in_order_then_lines_up(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=2)
    first = await office.request(G, session_id, ANA)
    second = await office.request(G, session_id, BO)
    third = await office.request(G, session_id, CY)
    fourth = await office.request(G, session_id, DEE)
    assert first.booked and first.slot is not None and first.slot.slot == 0
    assert second.slot is not None and (second.slot.slot, second.slot.user_id) == (1, BO)
    assert (third.state, third.place, fourth.state, fourth.place) == ("line", 1, "line", 2)
    assert await office.line(G, session_id) == [CY, DEE]
    assert await office.booking(G, session_id, BO) == second.slot
    starts = first.slot.starts_at
    assert await job_keys(jobs, REMINDER_JOB) == {
        f"{session_id}:0": starts - timedelta(minutes=15),
        f"{session_id}:1": starts + timedelta(minutes=5),  # 20-minute slots
    }


async def test_a_reminder_due_in_the_past_is_due_now(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, in_hours=0.1, slots=1)  # starts in 6 minutes
    await office.request(G, session_id, ANA)
    assert await job_keys(jobs, REMINDER_JOB) == {f"{session_id}:0": clock.now}


async def test_concurrent_requests_never_share_a_slot(
    office: OfficeHours, db: Database, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=3)
    members = list(range(1000, 1020))
    results = await asyncio.gather(*(office.request(G, session_id, m) for m in members))
    booked = [r for r in results if r.booked]
    assert len(booked) == 3
    assert sorted(r.slot.slot for r in booked if r.slot) == [0, 1, 2]
    assert len({r.user_id for r in booked}) == 3
    assert sorted(r.place for r in results if r.place) == list(range(1, 18))
    assert len(await office.line(G, session_id)) == 17
    # The same member pressing many times at once gets one request.
    twice = await asyncio.gather(
        *(office.request(G, session_id, 5000) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, DomainError) and r.key == "session.office.already" for r in twice) == 4
    rows = await db.fetch_all(
        "SELECT user_id, count(*) FROM office_hours_slot WHERE user_id IS NOT NULL GROUP BY user_id"
    )
    assert len(rows) == 3 and all(row[1] == 1 for row in rows)


# -- the draw -------------------------------------------------------------------------------------
async def history(office: OfficeHours, db: Database, clock: FakeClock) -> None:
    """Earlier rounds: BO had a 1:1 three days ago, CY two days ago; EVE only in another guild,
    DEE only in a round that was cancelled."""
    await office.set_settings(G, mode="first_come")
    await office.set_settings(OTHER_GUILD, mode="first_come")
    first = await open_round(office, clock, in_hours=1, slots=1)
    await office.request(G, first, BO)
    abroad = await open_round(office, clock, in_hours=2, slots=1, guild_id=OTHER_GUILD)
    await office.request(OTHER_GUILD, abroad, EVE)
    called_off = await open_round(office, clock, in_hours=3, slots=1)
    await office.request(G, called_off, DEE)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE founder_session SET status = 'cancelled' WHERE id = ?", (called_off,)
        )
    second = await open_round(office, clock, in_hours=24, slots=1)
    await office.request(G, second, CY)
    clock.advance(days=2)
    await office.set_settings(G, mode="draw")


async def test_the_draw_puts_newcomers_first_then_the_longest_waiting(
    office: OfficeHours, db: Database, jobs: JobQueue, clock: FakeClock
) -> None:
    await history(office, db, clock)
    session_id = await open_round(office, clock, slots=3)
    for member in (CY, BO, ANA, DEE, EVE):
        await office.request(G, session_id, member)
    result = await office.draw(G, session_id, seed=7)
    assert {slot.user_id for slot in result.booked} == {ANA, DEE, EVE}
    assert [slot.slot for slot in result.booked] == [0, 1, 2]
    assert result.line == (InLine(BO, 1), InLine(CY, 2))
    assert await office.line(G, session_id) == [BO, CY]
    assert await job_keys(jobs, DRAW_JOB) == {}
    reminders = await job_keys(jobs, REMINDER_JOB)
    assert {key: due for key, due in reminders.items() if key.startswith(f"{session_id}:")} == {
        f"{session_id}:{slot.slot}": slot.starts_at - timedelta(minutes=15)
        for slot in result.booked
    }


async def test_the_draw_is_reproducible_from_its_seed(
    office: OfficeHours, clock: FakeClock
) -> None:
    members = list(range(300, 310))

    async def drawn(seed: int | None) -> tuple[int | None, ...]:
        # Rounds at the same time do not count as each other's history.
        session_id = await open_round(office, clock, slots=10)
        for member in members:
            await office.request(G, session_id, member)
        result = await office.draw(G, session_id, seed)
        return tuple(slot.user_id for slot in result.booked)

    first = await drawn(42)
    assert await drawn(42) == first
    assert sorted(u for u in first if u) == members
    orders = {await drawn(seed) for seed in range(5)}
    assert len(orders) > 1  # the seed does shuffle


async def test_without_a_seed_the_draw_is_seeded_with_the_session(
    office: OfficeHours, clock: FakeClock
) -> None:
    rounds = [await open_round(office, clock, slots=6) for _ in range(2)]
    for session_id in rounds:
        for member in range(400, 406):
            await office.request(G, session_id, member)
    unseeded = await office.draw(G, rounds[0])
    replay = await office.draw(G, rounds[1], seed=rounds[0])
    assert [s.user_id for s in replay.booked] == [s.user_id for s in unseeded.booked]


async def test_a_second_draw_changes_nothing(
    office: OfficeHours, db: Database, jobs: JobQueue, clock: FakeClock
) -> None:
    session_id = await open_round(office, clock, slots=1)
    for member in (ANA, BO, CY):
        await office.request(G, session_id, member)
    first = await office.draw(G, session_id, seed=1)
    reminders = await jobs.pending()
    requests = [tuple(r) for r in await db.fetch_all("SELECT * FROM office_hours_request")]
    assert await office.draw(G, session_id, seed=99) == first
    assert await jobs.pending() == reminders
    assert [tuple(r) for r in await db.fetch_all("SELECT * FROM office_hours_request")] == requests
    assert len(first.booked) == 1 and len(first.line) == 2


async def test_the_draw_refuses_an_unknown_round(office: OfficeHours, clock: FakeClock) -> None:
    session_id = await open_round(office, clock)
    with pytest.raises(DomainError) as caught:
        await office.draw(OTHER_GUILD, session_id)
    assert caught.value.key == "session.unknown"


async def test_after_the_draw_requests_book_or_join_the_line(
    office: OfficeHours, clock: FakeClock
) -> None:
    session_id = await open_round(office, clock, slots=2)
    await office.request(G, session_id, ANA)
    await office.draw(G, session_id)
    late = await office.request(G, session_id, BO)
    assert late.booked and late.slot is not None and late.slot.slot == 1
    later = await office.request(G, session_id, CY)
    assert (later.state, later.place) == ("line", 1)


async def test_a_request_while_the_draw_job_runs_waits_for_the_draw(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    session_id = await open_round(office, clock, slots=1)
    await office.request(G, session_id, ANA)
    clock.advance(days=1)
    assert [job.key for job in await jobs.claim_due([DRAW_JOB])] == [str(session_id)]
    meanwhile = await office.request(G, session_id, BO)  # must not jump ahead of ANA
    assert (meanwhile.state, meanwhile.draw_at) == ("draw", None)
    result = await office.draw(G, session_id)
    assert len(result.booked) == 1 and len(result.line) == 1


# -- cancelling -----------------------------------------------------------------------------------
async def test_a_cancelled_slot_goes_to_the_next_in_line(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=2)
    for member in (ANA, BO, CY, DEE):
        await office.request(G, session_id, member)
    result = await office.cancel(G, session_id, ANA)
    assert result.freed is not None and (result.freed.slot, result.freed.user_id) == (0, ANA)
    assert result.promoted is not None and result.promoted_user_id == CY
    assert result.promoted.slot == 0
    assert await office.booking(G, session_id, CY) == result.promoted
    assert await office.booking(G, session_id, ANA) is None
    assert await office.line(G, session_id) == [DEE]
    assert f"{session_id}:0" in await job_keys(jobs, REMINDER_JOB)


async def test_a_cancelled_slot_nobody_waits_for_is_free_again(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=2)
    await office.request(G, session_id, ANA)
    result = await office.cancel(G, session_id, ANA)
    assert result.promoted is None and result.freed is not None
    assert await job_keys(jobs, REMINDER_JOB) == {}
    assert all(slot.is_free for slot in await office.slots(G, session_id))
    again = await office.request(G, session_id, ANA)  # changed their mind: may ask again
    assert again.slot is not None and again.slot.slot == 0


async def test_a_waiting_member_withdraws_and_others_move_up(
    office: OfficeHours, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=1)
    for member in (ANA, BO, CY):
        await office.request(G, session_id, member)
    before = await office.slots(G, session_id)
    assert await office.cancel(G, session_id, BO) == CancelResult(session_id, BO, None, None)
    assert await office.slots(G, session_id) == before
    assert await office.line(G, session_id) == [CY]
    late = await office.request(G, session_id, DEE)
    assert late.place == 2


async def test_cancel_without_a_request_is_refused(office: OfficeHours, clock: FakeClock) -> None:
    session_id = await open_round(office, clock)
    await office.request(G, session_id, ANA)
    await office.cancel(G, session_id, ANA)
    for member in (ANA, BO):
        with pytest.raises(DomainError) as caught:
            await office.cancel(G, session_id, member)
        assert caught.value.key == "session.office.not_requested"


async def test_a_slot_freed_after_it_started_goes_to_nobody(
    office: OfficeHours, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, in_hours=1, slots=1)
    await office.request(G, session_id, ANA)
    await office.request(G, session_id, BO)
    clock.advance(hours=1, minutes=5)
    result = await office.cancel(G, session_id, ANA)
    assert result.promoted is None
    assert await office.line(G, session_id) == [BO]


# -- reminders ------------------------------------------------------------------------------------
async def test_the_reminder_target_is_the_slot_while_held_and_not_started(
    office: OfficeHours, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, in_hours=1, slots=2)
    booked = await office.request(G, session_id, ANA)
    assert await office.reminder_target(session_id, 0) == booked.slot
    assert await office.reminder_target(session_id, 1) is None  # free
    clock.advance(hours=1)
    assert await office.reminder_target(session_id, 0) is None  # started


async def test_rearm_restores_owed_draws_but_never_a_reminder_that_ran(
    office: OfficeHours, jobs: JobQueue, clock: FakeClock
) -> None:
    drawn = await open_round(office, clock, slots=1)
    owed = await open_round(office, clock, slots=1)
    for session_id in (drawn, owed):
        await office.request(G, session_id, ANA)
    await office.draw(G, drawn)
    for job in await jobs.pending():
        await jobs.cancel(job.kind, job.key)
    assert await office.rearm() == 1
    assert await job_keys(jobs, DRAW_JOB) == {str(owed): clock.now}
    assert await job_keys(jobs, REMINDER_JOB) == {}  # its job ran (or was claimed): not again


# -- privacy --------------------------------------------------------------------------------------
async def test_export_and_forget_a_member(
    office: OfficeHours, db: Database, jobs: JobQueue, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    session_id = await open_round(office, clock, slots=1)
    await office.request(G, session_id, ANA)
    await office.request(G, session_id, BO)
    exported = await office.export_member(G, ANA)
    assert [r["state"] for r in exported["requests"]] == ["booked"]  # type: ignore[attr-defined]
    assert [s["slot"] for s in exported["slots"]] == [0]  # type: ignore[attr-defined]
    assert await office.export_member(OTHER_GUILD, ANA) == {}
    async with db.transaction() as tx:
        assert await office.forget_member(tx, G, ANA) == 2
    assert await office.export_member(G, ANA) == {}
    slot = await office.booking(G, session_id, BO)  # the freed future slot went on
    assert slot is not None and slot.slot == 0
    assert f"{session_id}:0" in await job_keys(jobs, REMINDER_JOB)


async def test_participants_are_the_slot_holders_then_those_waiting(
    office: OfficeHours, clock: FakeClock
) -> None:
    await office.set_settings(G, mode="first_come")
    sid = await open_round(office, clock, slots=1)
    for user in (ANA, BO, CY, DEE):
        await office.request(G, sid, user)
    await office.cancel(G, sid, DEE)  # withdrawn: no longer concerned
    assert await office.participants(G, sid) == [ANA, BO, CY]
    empty = await open_round(office, clock, slots=1, in_hours=100)
    await office.set_settings(G, mode="draw")
    later = await open_round(office, clock, slots=1, in_hours=120)
    await office.request(G, later, EVE)  # waiting for the draw: concerned too
    assert await office.participants(G, later) == [EVE]
    assert await office.participants(G, empty) == []
    with pytest.raises(DomainError, match=r"^session\.unknown$"):
        await office.participants(OTHER_GUILD, sid)
