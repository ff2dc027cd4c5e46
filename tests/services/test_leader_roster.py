"""Leaders on real SQLite: nominations (every refusal, accept, decline, expiry as a durable job
that survives a restart, withdrawal), step-down, removal and departures with their circles
moved or left open, the list of leaders, and privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.nominations import EXPIRE_JOB
from tests.conftest import FakeClock

G, OTHER_G = 1, 2
FOUNDER = 10
ANA, BEN, CLE, DAN, EVE = 100, 101, 102, 103, 104
M1, M2, M3, M4, M5 = 201, 202, 203, 204, 205


async def stint(db: Database, user: int, status: str = "member", guild: int = G) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, joined_at) "
            "VALUES (?, ?, ?, 'introduction', '2026-01-01T00:00:00+00:00')",
            (guild, user, status),
        )


async def circle(db: Database, name: str, leader: int | None, members: list[int]) -> int:
    async with db.transaction() as tx:
        circle_id = await tx.execute(
            "INSERT INTO circle (guild_id, name, leader_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')",
            (G, name, leader, 900 + len(name)),
        )
        await tx.executemany(
            "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
            "VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')",
            [(G, user, circle_id) for user in members],
        )
    return circle_id


async def leader_of(db: Database, circle_id: int) -> int | None:
    row = await db.fetch_one("SELECT leader_id FROM circle WHERE id = ?", (circle_id,))
    assert row is not None
    return row["leader_id"]  # type: ignore[no-any-return]


async def status_of(db: Database, nomination_id: int) -> str:
    row = await db.fetch_one("SELECT status FROM leader_nomination WHERE id = ?", (nomination_id,))
    assert row is not None
    return str(row["status"])


async def make_leader(services: Services, user: int) -> None:
    nomination = await services.leaders.nominate(G, user, FOUNDER)
    await services.leaders.accept(nomination.id, user)


async def refusal(key: str, call: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.key == key
    return caught.value


# -- nominating --------------------------------------------------------------------------------
async def test_nominate_records_a_pending_nomination_with_a_durable_expiry(
    services: Services, clock: FakeClock
) -> None:
    nomination = await services.leaders.nominate(G, ANA, FOUNDER)
    assert (nomination.status, nomination.user_id, nomination.nominated_by) == (
        "pending",
        ANA,
        FOUNDER,
    )
    assert nomination.expires_at == clock.now + timedelta(days=7)
    [job] = await services.jobs.pending(EXPIRE_JOB)
    assert (job.key, job.due_at, job.guild_id) == (str(nomination.id), nomination.expires_at, G)
    assert await services.leaders.pending_nomination(G, ANA) == nomination
    assert await services.leaders.pending_nomination(OTHER_G, ANA) is None


async def test_every_nominee_refusal_writes_nothing(services: Services, db: Database) -> None:
    leaders = services.leaders
    await refusal(
        "leaders.nominate.not_member", leaders.nominate(G, ANA, FOUNDER, standing="outsider")
    )
    await refusal(
        "leaders.nominate.newcomer", leaders.nominate(G, ANA, FOUNDER, standing="newcomer")
    )
    await stint(db, BEN, "pending")  # in the gate, whatever Discord shows
    await refusal("leaders.nominate.newcomer", leaders.nominate(G, BEN, FOUNDER))
    await stint(db, CLE, "left")
    await refusal("leaders.nominate.not_member", leaders.nominate(G, CLE, FOUNDER))
    await services.signals.optout(G, DAN)
    error = await refusal("leaders.nominate.opted_out", leaders.nominate(G, DAN, FOUNDER))
    assert error.params == {"member": f"<@{DAN}>"}
    await make_leader(services, EVE)
    await refusal("leaders.nominate.already_leader", leaders.nominate(G, EVE, FOUNDER))
    first = await leaders.nominate(G, ANA, FOUNDER)
    await refusal("leaders.nominate.pending", leaders.nominate(G, ANA, FOUNDER))
    rows = await db.fetch_all("SELECT id FROM leader_nomination ORDER BY id")
    assert len(rows) == 2 and rows[-1]["id"] == first.id  # EVE's (accepted) and ANA's
    assert [j.key for j in await services.jobs.pending(EXPIRE_JOB)] == [str(first.id)]


async def test_a_member_stint_and_another_guilds_optout_do_not_refuse(
    services: Services, db: Database
) -> None:
    await stint(db, ANA, "member")
    await services.signals.optout(OTHER_G, ANA)
    assert (await services.leaders.nominate(G, ANA, FOUNDER)).status == "pending"


async def test_the_circle_offered_must_be_open_and_free(services: Services, db: Database) -> None:
    leaders = services.leaders
    await refusal("leaders.nominate.circle_unknown", leaders.nominate(G, ANA, FOUNDER, 999))
    await make_leader(services, BEN)
    taken = await circle(db, "Atelier", BEN, [M1])
    error = await refusal("leaders.nominate.circle_taken", leaders.nominate(G, ANA, FOUNDER, taken))
    assert error.params == {"circle": "Atelier", "leader": f"<@{BEN}>"}
    # A circle whose leader stepped down is free again.
    stale = await circle(db, "Bottes", CLE, [M2])
    nomination = await leaders.nominate(G, ANA, FOUNDER, stale)
    assert nomination.circle_id == stale
    assert [c.name for c in await leaders.open_circles(G)] == ["Atelier", "Bottes"]


# -- answering ---------------------------------------------------------------------------------
async def test_accept_makes_a_leader_and_gives_the_circle(
    services: Services, db: Database, clock: FakeClock
) -> None:
    circle_id = await circle(db, "Atelier", None, [M1, M2])
    nomination = await services.leaders.nominate(G, ANA, FOUNDER, circle_id)
    clock.advance(days=2)
    await refusal("leaders.nomination.not_yours", services.leaders.accept(nomination.id, BEN))
    assert await services.leaders.check_answer(nomination.id, ANA) == nomination
    accepted = await services.leaders.accept(nomination.id, ANA)
    assert accepted.nomination.status == "accepted"
    assert accepted.nomination.decided_at == clock.now
    assert (accepted.leader.user_id, accepted.leader.status) == (ANA, "active")
    assert accepted.leader.since == clock.now
    assert accepted.circle is not None and accepted.circle.name == "Atelier"
    assert not accepted.circle_missed
    assert await leader_of(db, circle_id) == ANA
    assert await services.jobs.pending(EXPIRE_JOB) == []
    assert [leader.user_id for leader in await services.leaders.active(G)] == [ANA]
    await refusal(
        "leaders.nomination.already_accepted", services.leaders.accept(nomination.id, ANA)
    )
    await refusal(
        "leaders.nomination.already_accepted", services.leaders.decline(nomination.id, ANA)
    )
    await refusal(
        "leaders.nomination.already_accepted", services.leaders.check_answer(nomination.id, ANA)
    )
    await refusal("leaders.nomination.unknown", services.leaders.accept(nomination.id + 50, ANA))


async def test_accept_when_the_circle_was_taken_meanwhile(services: Services, db: Database) -> None:
    circle_id = await circle(db, "Atelier", None, [M1])
    nomination = await services.leaders.nominate(G, ANA, FOUNDER, circle_id)
    other = await services.leaders.nominate(G, BEN, FOUNDER, circle_id)
    await services.leaders.accept(other.id, BEN)
    accepted = await services.leaders.accept(nomination.id, ANA)
    assert accepted.circle is None and accepted.circle_missed
    assert accepted.leader.status == "active"
    assert await leader_of(db, circle_id) == BEN


async def test_decline_is_recorded_and_final(services: Services, db: Database) -> None:
    nomination = await services.leaders.nominate(G, ANA, FOUNDER)
    await refusal("leaders.nomination.not_yours", services.leaders.decline(nomination.id, BEN))
    declined = await services.leaders.decline(nomination.id, ANA)
    assert declined.status == "declined" and declined.decided_at is not None
    assert await services.leaders.active(G) == []
    assert await services.jobs.pending(EXPIRE_JOB) == []
    await refusal(
        "leaders.nomination.already_declined", services.leaders.decline(nomination.id, ANA)
    )
    await refusal(
        "leaders.nomination.already_declined", services.leaders.accept(nomination.id, ANA)
    )
    # Declining leaves the door open: a founder may ask again later.
    again = await services.leaders.nominate(G, ANA, FOUNDER)
    assert again.status == "pending"


async def test_answers_after_seven_days_are_refused_and_close_it(
    services: Services, db: Database, clock: FakeClock
) -> None:
    late_accept = await services.leaders.nominate(G, ANA, FOUNDER)
    late_decline = await services.leaders.nominate(G, BEN, FOUNDER)
    clock.advance(days=7)
    await refusal("leaders.nomination.expired", services.leaders.check_answer(late_accept.id, ANA))
    assert await status_of(db, late_accept.id) == "pending"  # a check writes nothing
    await refusal("leaders.nomination.expired", services.leaders.accept(late_accept.id, ANA))
    await refusal("leaders.nomination.expired", services.leaders.decline(late_decline.id, BEN))
    assert await status_of(db, late_accept.id) == "expired"
    assert await status_of(db, late_decline.id) == "expired"
    assert await services.leaders.active(G) == []
    assert await services.jobs.pending(EXPIRE_JOB) == []
    await refusal("leaders.nomination.expired", services.leaders.accept(late_accept.id, ANA))


async def test_expiry_is_a_durable_job_that_survives_a_restart(
    db: Database, clock: FakeClock
) -> None:
    before = Services.build(db, clock)
    nomination = await before.leaders.nominate(G, ANA, FOUNDER)
    answered = await before.leaders.nominate(G, BEN, FOUNDER)
    await before.leaders.decline(answered.id, BEN)
    clock.advance(days=6, hours=23)
    assert await before.jobs.claim_due([EXPIRE_JOB]) == []
    # "Restart": new services on the same database; the job is still there and fires on time.
    after = Services.build(db, clock)
    clock.advance(hours=1)
    [job] = await after.jobs.claim_due([EXPIRE_JOB])
    assert job.payload["nomination_id"] == nomination.id
    expired = await after.leaders.expire(int(job.payload["nomination_id"]))
    assert expired is not None and expired.status == "expired"
    assert expired.decided_at == clock.now
    assert await after.leaders.expire(nomination.id) is None  # at most once
    assert await after.leaders.expire(answered.id) is None  # answered: untouched
    assert await status_of(db, answered.id) == "declined"
    await refusal("leaders.nomination.expired", after.leaders.accept(nomination.id, ANA))


async def test_a_lost_expiry_job_is_armed_again(services: Services, db: Database) -> None:
    nomination = await services.leaders.nominate(G, ANA, FOUNDER)
    await services.jobs.cancel(EXPIRE_JOB, str(nomination.id))
    assert await services.leaders.arm_expiries() == 1
    [job] = await services.jobs.pending(EXPIRE_JOB)
    assert job.due_at == nomination.expires_at
    assert await services.leaders.arm_expiries() == 0


async def test_a_nominee_who_leaves_has_the_nomination_withdrawn(
    services: Services, db: Database
) -> None:
    nomination = await services.leaders.nominate(G, ANA, FOUNDER)
    assert await services.leaders.withdraw(G, BEN) is None
    withdrawn = await services.leaders.withdraw(G, ANA)
    assert withdrawn is not None and withdrawn.status == "withdrawn"
    assert await services.jobs.pending(EXPIRE_JOB) == []
    await refusal("leaders.nomination.withdrawn", services.leaders.accept(nomination.id, ANA))
    assert await services.leaders.withdraw(G, ANA) is None


async def test_an_undelivered_nomination_is_discarded(services: Services, db: Database) -> None:
    nomination = await services.leaders.nominate(G, ANA, FOUNDER)
    await services.leaders.delivered(nomination.id, 55, 66)
    stored = await services.leaders.nomination(nomination.id)
    assert stored is not None and (stored.channel_id, stored.message_id) == (55, 66)
    await services.leaders.discard(nomination.id)
    assert await services.leaders.nomination(nomination.id) is None
    assert await services.jobs.pending(EXPIRE_JOB) == []
    assert (await services.leaders.nominate(G, ANA, FOUNDER)).status == "pending"


# -- stopping ----------------------------------------------------------------------------------
async def test_stepdown_hands_circles_to_the_leader_with_the_fewest_members(
    services: Services, db: Database, clock: FakeClock
) -> None:
    for user in (ANA, BEN, CLE):
        await make_leader(services, user)
        clock.advance(days=1)
    first = await circle(db, "Atelier", ANA, [M1, M2, ANA])  # ANA is also a member of it
    second = await circle(db, "Bottes", ANA, [M3])
    await circle(db, "Cuir", BEN, [M4])  # BEN has 1 member, CLE has 2
    await circle(db, "Daim", CLE, [M5, DAN])
    await refusal("leaders.stepdown.not_leader", services.leaders.stepdown(G, DAN))
    handover = await services.leaders.stepdown(G, ANA)
    assert handover.leader.status == "stepped_down" and handover.leader.ended_at == clock.now
    moved = {c.name: (c.new_leader_id, c.former_stays) for c in handover.circles}
    # Atelier (2 members) goes to BEN (1); then BEN has 3 and CLE 2: Bottes goes to CLE.
    assert moved == {"Atelier": (BEN, True), "Bottes": (CLE, False)}
    assert await leader_of(db, first) == BEN and await leader_of(db, second) == CLE
    assert await services.leaders.active_leader(G, ANA) is None
    await refusal("leaders.stepdown.not_leader", services.leaders.stepdown(G, ANA))
    # Once a leader again, the old record stays closed and a new one opens.
    await make_leader(services, ANA)
    rows = await db.fetch_all("SELECT status FROM leader WHERE user_id = ? ORDER BY id", (ANA,))
    assert [r["status"] for r in rows] == ["stepped_down", "active"]


async def test_ties_go_to_the_longest_serving_leader(
    services: Services, db: Database, clock: FakeClock
) -> None:
    for user in (CLE, BEN, ANA):
        await make_leader(services, user)
        clock.advance(days=1)
    await circle(db, "Atelier", ANA, [M1])
    handover = await services.leaders.stepdown(G, ANA)
    assert [c.new_leader_id for c in handover.circles] == [CLE]


async def test_remove_with_a_reason_and_the_last_leader_leaves_circles_open(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await make_leader(services, ANA)
    circle_id = await circle(db, "Atelier", ANA, [M1])
    leaders = services.leaders
    await refusal("leaders.remove.reason_invalid", leaders.remove(G, ANA, FOUNDER, "   "))
    await refusal("leaders.remove.reason_invalid", leaders.remove(G, ANA, FOUNDER, "x" * 301))
    error = await refusal("leaders.remove.not_leader", leaders.remove(G, BEN, FOUNDER, "why"))
    assert error.params == {"member": f"<@{BEN}>"}
    assert await leaders.active_leader(G, ANA) is not None  # refusals changed nothing
    handover = await leaders.remove(G, ANA, FOUNDER, "  <@&5> @everyone quiet for months  ")
    assert handover.leader.status == "removed"
    assert handover.leader.end_reason == "<@&5> @everyone quiet for months"
    row = await db.fetch_one("SELECT ended_by FROM leader WHERE id = ?", (handover.leader.id,))
    assert row is not None and row["ended_by"] == FOUNDER
    assert [(c.name, c.new_leader_id) for c in handover.circles] == [("Atelier", None)]
    assert await leader_of(db, circle_id) is None


async def test_a_leader_who_leaves_closes_the_record_and_leaves_circles_open(
    services: Services, db: Database
) -> None:
    await make_leader(services, ANA)
    await make_leader(services, BEN)  # another leader exists, but the founders decide
    circle_id = await circle(db, "Atelier", ANA, [M1])
    assert await services.leaders.leader_left(G, CLE) is None
    handover = await services.leaders.leader_left(G, ANA)
    assert handover is not None and handover.leader.status == "left"
    assert [(c.name, c.new_leader_id) for c in handover.circles] == [("Atelier", None)]
    assert await leader_of(db, circle_id) is None
    assert await services.leaders.leader_left(G, ANA) is None


# -- the list ----------------------------------------------------------------------------------
async def test_roster_lists_leaders_circles_sizes_checkins_and_open_circles(
    services: Services, db: Database, clock: FakeClock
) -> None:
    start = clock.now
    await make_leader(services, ANA)
    clock.advance(days=1)
    await make_leader(services, BEN)
    atelier = await circle(db, "Atelier", ANA, [ANA, M1, M2])
    await circle(db, "Bottes", ANA, [M3])
    await circle(db, "Cuir", None, [M4, M5])
    await circle(db, "Daim", DAN, [])  # DAN is no leader: the circle is open
    async with db.transaction() as tx:
        for at in (start, start + timedelta(days=3)):
            await tx.execute(
                "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (G, atelier, ANA, M1, iso(at)),
            )
    roster = await services.leaders.roster(G)
    assert [entry.user_id for entry in roster.leaders] == [ANA, BEN]
    ana, ben = roster.leaders
    assert ana.since == start
    assert [(c.name, c.members, c.last_checkin_at) for c in ana.circles] == [
        ("Atelier", 2, start + timedelta(days=3)),
        ("Bottes", 1, None),
    ]
    assert ben.circles == ()
    assert [(c.name, c.members) for c in roster.open_circles] == [("Cuir", 2), ("Daim", 0)]
    assert (await services.leaders.roster(OTHER_G)).leaders == ()


async def test_closed_circles_are_not_listed(services: Services, db: Database) -> None:
    await make_leader(services, ANA)
    closed = await circle(db, "Ancien", ANA, [M1])
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE circle SET closed_at = '2026-02-01T00:00:00+00:00' WHERE id = ?", (closed,)
        )
    roster = await services.leaders.roster(G)
    assert roster.leaders[0].circles == () and roster.open_circles == ()
    assert await services.leaders.open_circles(G) == []


# -- privacy -----------------------------------------------------------------------------------
async def test_export_and_forget(services: Services, db: Database, clock: FakeClock) -> None:
    first = await services.leaders.nominate(G, ANA, FOUNDER)
    await services.leaders.decline(first.id, ANA)
    await make_leader(services, ANA)
    circle_id = await circle(db, "Atelier", ANA, [M1])
    pending = await services.leaders.nominate(G, BEN, ANA)  # ANA nominated BEN
    exported = await services.privacy.export(G, ANA)
    section = exported["data"]["leaders"]  # type: ignore[index]
    assert [n["status"] for n in section["nominations"]] == ["declined", "accepted"]
    assert section["leader"] == [
        {"status": "active", "since": iso(clock.now), "ended_at": None, "end_reason": None}
    ]
    assert (await services.privacy.export(G, CLE))["data"]["leaders"] == {}  # type: ignore[index]
    report = await services.privacy.forget(G, ANA)
    assert report.deleted["leaders"] == 3  # two nominations and a leader record
    assert (await services.privacy.export(G, ANA))["data"]["leaders"] == {}  # type: ignore[index]
    assert await leader_of(db, circle_id) is None
    still = await services.leaders.nomination(pending.id)
    assert still is not None and still.nominated_by == 0 and still.status == "pending"
    assert [j.key for j in await services.jobs.pending(EXPIRE_JOB)] == [str(pending.id)]


async def test_forget_cancels_the_members_pending_expiry(services: Services) -> None:
    await services.leaders.nominate(G, ANA, FOUNDER)
    other = await services.leaders.nominate(G, BEN, FOUNDER)
    await services.privacy.forget(G, ANA)
    assert [j.key for j in await services.jobs.pending(EXPIRE_JOB)] == [str(other.id)]
    assert await services.leaders.pending_nomination(G, ANA) is None
