"""The weekly digest's service: week keys and slots, exactly-once claims, skips after downtime,
time zone and schedule changes (a simulated clock over many weeks), content assembly from a
seeded community, spotlights, the DM ledger and privacy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.digest import DIGEST_JOB, DM_JOB, REPORT_JOB
from bot.services.digest.content import POLL_LIMIT, SESSION_DAYS
from bot.services.digest.schedule import (
    CHANGE_CATCH_UP,
    GRACE,
    latest_slot,
    missed_weeks,
    next_slot,
    plan,
    shift_week,
    slot_in,
    week_key,
    week_monday,
    week_of,
)
from tests.conftest import FakeClock

G = 1  # the guild
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday of 2026-W45, 09:00 UTC


# -- weeks and slots (pure) ----------------------------------------------------------------------
def test_week_keys_follow_iso_weeks_across_year_ends() -> None:
    assert week_key(date(2026, 11, 2)) == "2026-W45"
    assert week_key(date(2026, 11, 8)) == "2026-W45"  # Sunday: same week
    assert week_key(date(2026, 12, 31)) == "2026-W53"
    assert week_key(date(2027, 1, 3)) == "2026-W53"  # ISO year 2026 until Sunday 3 Jan
    assert week_key(date(2027, 1, 4)) == "2027-W01"
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2027-W01", -1) == "2026-W53"
    assert week_monday("2026-W45") == date(2026, 11, 2)
    for bad in ("2026-45", "W45", "2026-W99", ""):
        with pytest.raises(ValueError, match="week"):
            week_monday(bad)


def test_the_week_is_the_local_date_of_the_guild() -> None:
    # Sunday 23:30 UTC is already Monday in Tokyo: the next week there.
    moment = datetime(2026, 11, 8, 23, 30, tzinfo=UTC)
    assert week_of(moment, "UTC") == "2026-W45"
    assert week_of(moment, "Asia/Tokyo") == "2026-W46"
    assert week_of(moment, "America/Los_Angeles") == "2026-W45"


def test_slots_are_local_time_through_dst_changes() -> None:
    paris_summer = slot_in("2026-W13", 0, 9, "Europe/Paris")  # Monday 23 March: CET
    paris_after = slot_in("2026-W14", 0, 9, "Europe/Paris")  # Monday 30 March: CEST
    assert paris_summer.at == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    assert paris_after.at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    # 02:00 on Sunday 8 March 2026 does not exist in New York: the slot is just after the gap.
    gap = slot_in("2026-W10", 6, 2, "America/New_York")
    assert gap.at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    # Each week has one slot whatever the zone: its week key is the week asked for.
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):
        for day in range(7):
            slot = slot_in("2026-W45", day, 23, zone)
            assert week_of(slot.at, zone) == "2026-W45"


def test_latest_and_next_slot_boundaries() -> None:
    assert latest_slot(MONDAY, 0, 9, "UTC").at == MONDAY  # at the slot: it is the latest
    assert next_slot(MONDAY, 0, 9, "UTC").at == MONDAY + timedelta(weeks=1)
    before = MONDAY - timedelta(seconds=1)
    assert latest_slot(before, 0, 9, "UTC").at == MONDAY - timedelta(weeks=1)
    assert next_slot(before, 0, 9, "UTC").at == MONDAY


def test_plan_catches_up_only_unsettled_weeks_within_the_limit() -> None:
    later = MONDAY + timedelta(hours=20)
    due_now = plan(later, 0, 9, "UTC", "2026-W44")
    assert (due_now.week, due_now.due, due_now.deadline) == ("2026-W45", later, later + GRACE)
    settled = plan(later, 0, 9, "UTC", "2026-W45")
    assert (settled.week, settled.due) == ("2026-W46", MONDAY + timedelta(weeks=1))
    too_old = plan(MONDAY + timedelta(days=3), 0, 9, "UTC", "2026-W44")
    assert too_old.week == "2026-W46"  # missed by more than a day: not caught up
    changed = plan(MONDAY + timedelta(days=3), 0, 9, "UTC", "2026-W44", catch_up=CHANGE_CATCH_UP)
    assert changed.week == "2026-W45"  # after a change of schedule: still this week's
    # Down from before W45's slot to 20 hours after W47's: W45 and W46 were missed, W47 wasn't.
    back = MONDAY + timedelta(weeks=2, hours=20)
    assert missed_weeks("2026-W45", back, 0, 9, "UTC") == ["2026-W45", "2026-W46"]


# -- the ledger and the job ----------------------------------------------------------------------
async def fire(services: Services) -> list[str]:
    """Run the due digest job as the cog does; returns the weeks sent."""
    digest, sent = services.digest, []
    for job in await services.jobs.claim_due([DIGEST_JOB]):
        deadline = datetime.fromisoformat(str(job.payload["deadline"]))
        due = await digest.check_due(G, str(job.payload["week"]), deadline)
        if due.action == "send" and due.week is not None:
            if await digest.claim(G, due.week, "schedule") is not None:
                await digest.mark_sent(G, due.week, 10, 20, dms=True)
                sent.append(due.week)
            await digest.rearm(G)
    return sent


async def statuses(db: Database) -> dict[str, str]:
    rows = await db.fetch_all("SELECT week, status FROM digest_run WHERE guild_id = ?", (G,))
    return {str(row["week"]): str(row["status"]) for row in rows}


async def test_turning_it_on_arms_the_next_slot_and_never_posts_at_once(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY + timedelta(hours=3)  # W45's 09:00 slot passed 3 hours ago
    settings, planned = await services.digest.configure(G, day=0, hour=9)
    assert settings.enabled and settings.start_week == "2026-W46"
    assert planned is not None and planned.due == MONDAY + timedelta(weeks=1)
    assert await fire(services) == []
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert job.due_at == MONDAY + timedelta(weeks=1)
    assert dict(job.payload) == {"week": "2026-W46", "deadline": iso(job.due_at + GRACE)}

    settings, planned = await services.digest.configure(G, off=True)
    assert not settings.enabled and planned is None
    assert await services.jobs.pending(DIGEST_JOB) == []
    assert (await services.digest.configure(G, hour=10))[0].start_week == "2026-W46"


async def test_bad_day_or_hour_is_refused_and_changes_nothing(services: Services) -> None:
    await services.digest.configure(G, day=2, hour=18)
    for bad in ({"day": 7}, {"day": -1}, {"hour": 24}, {"hour": -1}):
        with pytest.raises(DomainError) as refused:
            await services.digest.configure(G, **bad)
        assert refused.value.key in ("digest.setup.bad_day", "digest.setup.bad_hour")
    settings = await services.digest.settings(G)
    assert (settings.enabled, settings.day, settings.hour) == (True, 2, 18)


async def test_sent_once_at_its_slot_and_once_across_a_restart(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=0, hour=9)
    clock.now = MONDAY - timedelta(minutes=1)
    assert await fire(services) == []
    clock.now = MONDAY + timedelta(minutes=1)
    assert await fire(services) == ["2026-W45"]
    assert await fire(services) == []
    # A restart re-arms what is missing only: the next week stays armed, nothing is re-sent.
    assert (await services.digest.ensure_armed(G)).week == "2026-W46"  # type: ignore[union-attr]
    assert await services.digest.claim(G, "2026-W45", "schedule") is None
    assert await services.digest.claim(G, "2026-W45", "manual") is None
    # The job armed for a settled week (say it was armed twice) only re-arms.
    assert (await services.digest.check_due(G, "2026-W45", clock.now + GRACE)).action == "settled"
    run = await services.digest.run(G, "2026-W45")
    assert run is not None and run.status == "sent" and run.message_id == 20
    assert run.since == MONDAY + timedelta(minutes=1) - timedelta(days=7)
    keys = {(job.kind, job.key) for job in await services.jobs.pending()}
    assert {(REPORT_JOB, f"{G}:2026-W45"), (DM_JOB, f"{G}:2026-W45")} <= keys


async def test_missed_by_more_than_a_day_is_skipped_not_sent_late(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=0, hour=9)
    clock.now = MONDAY + timedelta(hours=23)  # late, within the day: sent
    assert await fire(services) == ["2026-W45"]
    # Down from before W46's slot until 2 weeks and 2 days after it: W46, W47 and W48 missed.
    clock.now = MONDAY + timedelta(weeks=3, days=2)
    assert await fire(services) == []
    assert await statuses(services.db) == {
        "2026-W45": "sent",
        "2026-W46": "skipped",
        "2026-W47": "skipped",
        "2026-W48": "skipped",
    }
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert (job.payload["week"], job.due_at) == ("2026-W49", MONDAY + timedelta(weeks=4))
    # A skipped week is never sent by the schedule, but a founder may still send it by hand.
    assert await services.digest.claim(G, "2026-W48", "schedule") is None
    assert await services.digest.claim(G, "2026-W48", "manual") is not None


async def test_downtime_ending_within_a_day_of_the_latest_slot_sends_that_week(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=0, hour=9)
    clock.now = MONDAY + timedelta(weeks=1, hours=20)  # W45 missed; W46's slot 20 hours ago
    assert await fire(services) == []  # W45 skipped; W46 armed for now
    assert await fire(services) == ["2026-W46"]
    assert await statuses(services.db) == {"2026-W45": "skipped", "2026-W46": "sent"}


async def test_a_manual_send_counts_as_the_week(services: Services, clock: FakeClock) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=3, hour=18)  # Thursdays
    clock.now = MONDAY + timedelta(days=1)  # Tuesday: /digest send
    week = await services.digest.this_week(G)
    assert week == "2026-W45"
    run = await services.digest.claim(G, week, "manual")
    assert run is not None and run.via == "manual"
    await services.digest.mark_sent(G, week, 10, 30, dms=False)
    await services.digest.rearm(G)
    clock.now = MONDAY + timedelta(days=3, hours=18, minutes=1)  # Thursday's slot: nothing
    assert await fire(services) == []
    clock.now = MONDAY + timedelta(weeks=1, days=3, hours=18)
    assert await fire(services) == ["2026-W46"]
    # The next window starts where the manual one ended.
    assert (await services.digest.run(G, "2026-W46")).since == MONDAY + timedelta(days=1)  # type: ignore[union-attr]


async def test_unpostable_weeks_retry_hourly_until_their_deadline(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=0, hour=9)
    clock.now = MONDAY
    deadline = MONDAY + GRACE
    assert await services.digest.tell_unpostable_once(G)
    assert not await services.digest.tell_unpostable_once(G)  # told once
    assert await services.digest.retry_later(G, "2026-W45", deadline)
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert (job.due_at, job.payload["week"]) == (MONDAY + timedelta(hours=1), "2026-W45")
    clock.now = deadline - timedelta(minutes=30)
    assert not await services.digest.retry_later(G, "2026-W45", deadline)
    assert await statuses(services.db) == {"2026-W45": "skipped"}
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert job.payload["week"] == "2026-W46"
    # A change of settings (the fix) lets the founders be told again if it breaks again.
    await services.digest.configure(G, channel_id=555)
    assert await services.digest.tell_unpostable_once(G)
    # Discord refused the post after the claim: the claim is withdrawn with its spotlight.
    await services.digest.set_spotlight(G, 7, 8, "Thanks Maya!")
    clock.now = MONDAY + timedelta(weeks=1)
    assert await services.digest.claim(G, "2026-W46", "schedule") is not None
    assert await services.digest.waiting_spotlight(G) is None
    await services.digest.release(G, "2026-W46")
    assert await services.digest.run(G, "2026-W46") is None
    assert (await services.digest.waiting_spotlight(G)).text == "Thanks Maya!"  # type: ignore[union-attr]


async def test_a_time_zone_change_the_job_was_not_told_about_waits_for_the_new_slot(
    services: Services, clock: FakeClock
) -> None:
    clock.now = MONDAY - timedelta(days=1)
    await services.digest.configure(G, day=0, hour=9)  # armed for 09:00 UTC
    await services.config.set_timezone(G, "America/New_York")  # 09:00 there is 14:00 UTC
    clock.now = MONDAY
    assert await fire(services) == []
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert (job.payload["week"], job.due_at) == ("2026-W45", MONDAY + timedelta(hours=5))
    clock.now = MONDAY + timedelta(hours=5)
    assert await fire(services) == ["2026-W45"]


SWEEP_CHANGES: dict[int, tuple[str, object]] = {
    # hours after Sunday 1 Nov 2026 00:00 UTC -> a change
    5 * 24 + 12: ("tz", "Asia/Tokyo"),  # W45 sent Monday 09:00 UTC; now Saturday: nothing new
    7 * 24 + 10: ("tz", "America/Los_Angeles"),  # Sunday W45: W46's slot is Monday 17:00 UTC
    8 * 24 + 16: ("tz", "Asia/Tokyo"),  # Monday W46 16:00 UTC: W46's slot (Mon 00:00 UTC) passed
    10 * 24: ("day", 5),  # Wednesday W46: W46's Saturday slot is in W46, already sent -> W47
    18 * 24 + 3: ("day", 1),  # Thursday W47, before Saturday's slot: Tuesday's passed -> now
    22 * 24 + 23: ("tz", "Pacific/Kiritimati"),  # Monday W48 23:00 UTC = Tuesday 13:00 local
    23 * 24 + 5: ("tz", "Etc/GMT+12"),  # W48 sent at once; now its slot moves 26 hours later
    29 * 24 + 22: ("hour", 23),  # Monday W49 22:00 UTC (10:00 local, before 09:00 Tue)
    36 * 24: ("tz", "UTC"),  # Monday W50 00:00 UTC
    38 * 24 + 12: ("day", 0),  # Wednesday W50 (Tuesday 23:00 sent): Mondays from W51
}


async def test_time_zone_and_schedule_changes_never_send_twice_nor_skip_a_week(
    services: Services, clock: FakeClock
) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    clock.now = start
    digest = services.digest
    await digest.configure(G, day=0, hour=9)
    sent: list[tuple[str, datetime]] = []
    for hour in range(8 * 7 * 24):
        clock.now = start + timedelta(hours=hour)
        change = SWEEP_CHANGES.get(hour)
        if change is not None:
            what, value = change
            if what == "tz":
                await services.config.set_timezone(G, str(value))
                await digest.rearm(G, catch_up=CHANGE_CATCH_UP)  # what the cog does after it
            else:
                await digest.configure(G, **{what: int(value)})  # type: ignore[call-overload]
        sent += [(week, clock.now) for week in await fire(services)]
    weeks = [week for week, _ in sent]
    assert len(weeks) == len(set(weeks)), sent  # never twice
    expected = [shift_week("2026-W45", n) for n in range(8)]
    assert weeks == expected, sent  # every week, in order, none skipped
    assert set((await statuses(services.db)).values()) == {"sent"}
    # Each went out at its week's slot under the settings then in force, or at once after a
    # change that moved the slot into the past.
    moments = dict(sent)
    assert moments["2026-W45"] == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert moments["2026-W46"] == datetime(2026, 11, 9, 16, tzinfo=UTC)  # caught up at once
    assert moments["2026-W47"] == datetime(2026, 11, 19, 3, tzinfo=UTC)  # caught up at once
    assert moments["2026-W48"] == datetime(2026, 11, 23, 23, tzinfo=UTC)  # caught up at once
    assert moments["2026-W49"] == datetime(2026, 12, 2, 11, tzinfo=UTC)  # Tue 23:00 at -12
    assert moments["2026-W50"] == datetime(2026, 12, 8, 23, tzinfo=UTC)  # Tuesday 23:00 UTC
    assert moments["2026-W51"] == datetime(2026, 12, 14, 23, tzinfo=UTC)  # Monday 23:00 UTC


# -- contents ------------------------------------------------------------------------------------
async def add_stint(
    db: Database,
    user: int,
    *,
    admitted: datetime | None,
    status: str = "member",
    source: str = "introduction",
    sponsor: int | None = None,
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, joined_at, "
            "admitted_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                G,
                user,
                status,
                source,
                sponsor,
                iso((admitted or MONDAY) - timedelta(hours=2)),
                iso(admitted) if admitted else None,
                iso(MONDAY) if status == "left" else None,
            ),
        )


async def add_session(
    db: Database, title: str, starts: datetime, *, audience: str = "all", status: str = "scheduled"
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
            "status, audience, created_at, updated_at) VALUES (?, 'ama', ?, 1, ?, ?, ?, ?, ?, ?)",
            (
                G,
                title,
                iso(starts),
                iso(starts + timedelta(hours=1)),
                status,
                audience,
                iso(MONDAY),
                iso(MONDAY),
            ),
        )


async def add_order(
    db: Database, order: str, referrer: int, at: datetime, *, status: str = "paid", own: int = 0
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO referral_order (guild_id, order_id, code, referrer_id, amount_minor, "
            "currency, ordered_at, status, self_referral, source, import_id, imported_at, "
            "updated_at) VALUES (?, ?, 'CODE', ?, 5000, 'EUR', ?, ?, ?, 'csv', 'i', ?, ?)",
            (G, order, referrer, iso(at), status, own, iso(at), iso(at)),
        )


async def test_content_is_assembled_from_what_the_features_recorded(
    services: Services, clock: FakeClock
) -> None:
    db, digest = services.db, services.digest
    until = MONDAY + timedelta(weeks=1)  # the window: the week from Monday 2 Nov 09:00
    inside = MONDAY + timedelta(days=2)
    # Members: two welcomed (one with a sponsor), others outside the window or not counted.
    await add_stint(db, 101, admitted=inside, sponsor=100)
    await add_stint(db, 102, admitted=inside + timedelta(hours=1))
    await add_stint(db, 103, admitted=MONDAY - timedelta(hours=1))  # before the window
    await add_stint(db, 104, admitted=inside, source="existing")  # there before Vouch
    await add_stint(db, 105, admitted=inside, status="left")  # already gone
    await add_stint(db, 106, admitted=None, status="pending")  # still in the gate
    await add_stint(db, 100, admitted=MONDAY - timedelta(days=90))
    # Sessions: open to all and scheduled, in the two weeks after the window.
    await add_session(db, "AMA soon", until + timedelta(days=2))
    await add_session(db, "AMA first", until + timedelta(hours=1))
    await add_session(db, "Leaders sync", until + timedelta(days=1), audience="leaders")
    await add_session(db, "Cancelled", until + timedelta(days=1), status="cancelled")
    await add_session(db, "Too far", until + timedelta(days=SESSION_DAYS, hours=1))
    await add_session(db, "Past", until - timedelta(days=1))
    # Feedback: moves in the window, at their latest status; back to 'new' is no news.
    board = services.board
    items = [(await board.submit(G, 200 + n, "Boots", f"Idea {n}", "Details")).id for n in range(5)]
    clock.now = MONDAY - timedelta(days=1)
    await board.set_status(G, items[0], 1, "planned")  # before the window only
    clock.now = inside
    await board.set_status(G, items[1], 1, "planned")
    await board.set_status(G, items[2], 1, "under_review")
    await board.upvote(G, items[3], 300)
    await board.set_status(G, items[3], 1, "planned")
    clock.now = inside + timedelta(hours=1)
    await board.set_status(G, items[1], 1, "shipped")  # planned, then shipped: shipped
    await board.set_status(G, items[2], 1, "new")  # back to new: no news
    clock.now = until + timedelta(hours=1)
    await board.set_status(G, items[3], 1, "in_progress")  # after the window: not this one
    # Polls closed in the window (more than POLL_LIMIT), one before it, one still open.
    polls = services.polls
    clock.now = MONDAY - timedelta(days=3)
    closed_before = await polls.create_poll(G, 1, question="Old?", options="a;b")
    await polls.close(G, closed_before.id)
    made = [await polls.create_poll(G, 1, question=f"Q{n}?", options="x;y") for n in range(7)]
    await polls.vote(G, made[-1].id, 401, 1, [])
    await polls.create_poll(G, 1, question="Open?", options="a;b")
    for n, poll in enumerate(made):
        clock.now = MONDAY + timedelta(hours=1 + n)
        await polls.close(G, poll.id)
    # Orders: paid in the window, by members who opted in to being named and are still here.
    for user in (100, 101, 102, 105):
        await services.referral_links.set_showcase(G, user, True)
    for n in range(3):
        await add_order(db, f"a{n}", 100, inside)
    await add_order(db, "b0", 101, inside)
    await add_order(db, "b1", 101, inside, status="refunded")
    await add_order(db, "c0", 102, inside, own=1)  # a self-referral
    await add_order(db, "d0", 105, inside)  # left
    await add_order(db, "e0", 100, MONDAY - timedelta(days=2))  # before the window
    await add_order(db, "f0", 103, inside)  # never opted in to being named
    await services.referral_links.set_showcase(G, 104, True)
    await services.referral_links.set_showcase(G, 104, False)
    await add_order(db, "g0", 104, inside)  # opted in, then back out
    await digest.set_spotlight(G, 101, 1, "  Maya repaired her boots herself  ")

    clock.now = until
    content = await digest.preview(G)
    assert (content.since, content.until) == (until - timedelta(days=7), until)
    assert [(w.user_id, w.sponsor_id) for w in content.welcomed] == [(101, 100), (102, None)]
    assert [s.title for s in content.sessions] == ["AMA first", "AMA soon"]
    assert [(m.item_id, m.status, m.votes) for m in content.moved] == [
        (items[1], "shipped", 0),
        (items[3], "planned", 1),
    ]
    assert [c.poll.question for c in content.polls] == [f"Q{n}?" for n in range(2, 7)]
    assert len(content.polls) == POLL_LIMIT and content.polls_more == 2
    assert content.polls[-1].counts == (0, 1)
    assert [(r.user_id, r.paid_orders) for r in content.referrers] == [(100, 3), (101, 1)]
    assert content.spotlight is not None
    assert content.spotlight.text == "Maya repaired her boots herself"
    assert not content.is_empty

    # Claimed, the week keeps its window and spotlight: the DMs built later say the same.
    run = await digest.claim(G, "2026-W46", "schedule")
    assert run is not None
    assert await digest.waiting_spotlight(G) is None
    clock.now = until + timedelta(hours=3)
    again = await digest.issue(G, "2026-W46")
    assert again is not None and again.spotlight is not None
    assert (again.spotlight.id, again.spotlight.week) == (content.spotlight.id, "2026-W46")
    assert again.welcomed == content.welcomed and again.until == until
    assert await digest.issue(G, "2026-W01") is None


async def test_a_quiet_week_is_empty(services: Services, clock: FakeClock) -> None:
    content = await services.digest.preview(G)
    assert content.is_empty
    assert content.until - content.since == timedelta(days=7)


async def test_the_window_follows_the_last_digest_up_to_two_weeks(
    services: Services, clock: FakeClock
) -> None:
    digest = services.digest
    clock.now = MONDAY
    await digest.claim(G, "2026-W45", "manual")
    assert (await digest.preview(G)).since == MONDAY - timedelta(days=7)  # claimed, not sent
    await digest.mark_sent(G, "2026-W45", 1, 2, dms=False)
    clock.now = MONDAY + timedelta(days=10)
    assert (await digest.preview(G)).since == MONDAY
    clock.now = MONDAY + timedelta(days=15)
    assert (await digest.preview(G)).since == clock.now - timedelta(days=7)


# -- spotlights, DMs, privacy --------------------------------------------------------------------
async def test_spotlight_text_limits_and_replacement(services: Services) -> None:
    digest = services.digest
    for text, key in (("   ", "digest.spotlight.empty"), ("x" * 1001, "digest.spotlight.too_long")):
        with pytest.raises(DomainError) as refused:
            await digest.set_spotlight(G, 7, 8, text)
        assert refused.value.key == key
    assert await digest.waiting_spotlight(G) is None
    first, replaced = await digest.set_spotlight(G, 7, 8, "x" * 1000)
    assert not replaced and len(first.text) == 1000
    second, replaced = await digest.set_spotlight(G, 9, 8, "<@&5> @everyone thanks <@9>")
    assert replaced and (await digest.waiting_spotlight(G)) == second
    assert second.text == "<@&5> @everyone thanks <@9>"  # stored as written; never pings


async def test_dm_recipients_are_claimed_once(services: Services, clock: FakeClock) -> None:
    digest, prefs = services.digest, services.preferences
    for user in (11, 12, 13):
        await prefs.set_notification(user, "digest", True)
    await prefs.set_notification(14, "digest", False)
    members = [10, 11, 12, 14]  # 13 opted in but is not a member here
    assert await digest.dm_recipients(G, "2026-W45", members) == [11, 12]
    assert await digest.claim_dms(G, "2026-W45", [11]) == [11]
    assert await digest.claim_dms(G, "2026-W45", [11, 12]) == [12]  # 11 never twice
    assert await digest.dm_recipients(G, "2026-W45", members) == []
    await digest.record_dms(G, "2026-W45", {11: "dm", 12: "fallback"})
    assert await digest.dm_outcomes(G, "2026-W45") == {11: "dm", 12: "fallback"}
    assert await digest.dm_recipients(G, "2026-W46", members) == [11, 12]  # a new week
    # Records older than 8 weeks go when a digest is sent.
    await digest.claim(G, "2027-W02", "manual")
    await digest.mark_sent(G, "2027-W02", 1, 2, dms=False)
    assert await digest.dm_outcomes(G, "2026-W45") == {}


async def test_privacy_export_and_forget(services: Services, clock: FakeClock) -> None:
    digest = services.digest
    await digest.set_spotlight(G, 7, 8, "About seven")
    await digest.claim(G, "2026-W45", "manual")
    await digest.set_spotlight(G, 9, 7, "Seven wrote this")
    await digest.claim_dms(G, "2026-W45", [7, 9])
    exported = await services.privacy.export(G, 7)
    data = exported["data"]["digest"]  # type: ignore[index]
    assert data["spotlights_about_you"][0]["text"] == "About seven"
    assert data["spotlights_written"][0] == {
        "member_id": "9",
        "text": "Seven wrote this",
        "created_at": iso(clock.now),
        "week": None,
    }
    assert data["digest_dms"] == [{"week": "2026-W45", "outcome": "claimed", "at": iso(clock.now)}]
    report = await services.privacy.forget(G, 7)
    assert report.deleted["digest"] == 2  # the spotlight about them and their DM record
    assert (await services.privacy.export(G, 7))["data"]["digest"] == {}  # type: ignore[index]
    waiting = await digest.waiting_spotlight(G)
    assert waiting is not None and waiting.author_id is None and waiting.member_id == 9
    assert await digest.dm_outcomes(G, "2026-W45") == {9: "claimed"}
