"""The circle service on real SQLite: plans from members, sponsors, languages and leaders; the
resumable apply (stale plans refused with nothing written); new members joining their sponsor's
circle or the smallest; moves and renames with every refusal; privacy export and forget."""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.circle_models import Move, StalePlan
from tests.conftest import FakeClock

G, OTHER_G = 1, 2
FOUNDER = 10
ANA, BEN = 100, 101  # leaders
M = list(range(201, 231))  # members


async def stint(
    db: Database, user: int, *, sponsor: int | None = None, status: str = "member", guild: int = G
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, joined_at) "
            "VALUES (?, ?, ?, 'introduction', ?, '2026-01-01T00:00:00+00:00')",
            (guild, user, status, sponsor),
        )


async def language(db: Database, user: int, locale: str, *, chosen: bool = False) -> None:
    table = (
        "user_pref (user_id, locale, updated_at)"
        if chosen
        else ("user_seen_locale (user_id, locale, seen_at)")
    )
    async with db.transaction() as tx:
        await tx.execute(f"INSERT INTO {table} VALUES (?, ?, '2026-01-01')", (user, locale))


async def leader(db: Database, user: int, since: str = "2026-01-01T00:00:00+00:00") -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
            (G, user, since),
        )


async def size_setting(db: Database, size: int) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader_settings (guild_id, members_per_leader, updated_at) "
            "VALUES (?, ?, '2026-01-01')",
            (G, size),
        )


async def circle(db: Database, name: str, leader_id: int | None, members: list[int]) -> int:
    async with db.transaction() as tx:
        circle_id = await tx.execute(
            "INSERT INTO circle (guild_id, name, leader_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')",
            (G, name, leader_id, 900 + len(name)),
        )
        await tx.executemany(
            "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
            "VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')",
            [(G, user, circle_id) for user in members],
        )
    return circle_id


async def rows(db: Database, sql: str, *params: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await db.fetch_all(sql, params)]


async def refusal(key: str, call: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.key == key
    return caught.value


async def community(db: Database) -> None:
    """Two leaders, each with two people they introduced; six more members; two languages."""
    for user in (ANA, BEN):
        await stint(db, user)
        await leader(db, user)
    for user in M[:2]:
        await stint(db, user, sponsor=ANA)
    for user in M[2:4]:
        await stint(db, user, sponsor=BEN)
    for user in M[4:10]:
        await stint(db, user)
    for user in (ANA, *M[:2], *M[4:7]):
        await language(db, user, "fr")
    await stint(db, 999, status="pending")  # a newcomer: not in any plan
    await stint(db, M[20], guild=OTHER_G)


# -- planning ----------------------------------------------------------------------------------
async def test_plan_from_members_sponsors_languages_and_leaders(
    services: Services, db: Database
) -> None:
    await community(db)
    await size_setting(db, 6)
    await language(db, M[6], "da", chosen=True)  # the chosen language beats the client's
    plan = await services.circles.plan(G, by=FOUNDER, name_prefix="Cercle")
    assert (plan.members, plan.members_per_leader, plan.fresh, plan.had_circles) == (
        12,
        6,
        False,
        False,
    )
    assert [(c.number, c.name, c.leader_id, c.circle_id) for c in plan.circles] == [
        (1, "Cercle 1", ANA, None),
        (2, "Cercle 2", BEN, None),
    ]
    first, second = plan.circles
    assert {ANA, *M[:2]} <= set(first.member_ids) and {BEN, *M[2:4]} <= set(second.member_ids)
    assert (plan.pairs_kept, plan.pairs_total) == (4, 4)
    assert first.languages[0] == ("fr", 5)
    assert ("da", 1) in first.languages + second.languages
    assert sorted(len(c.member_ids) for c in plan.circles) == [6, 6]
    assert plan.changes and plan.placed == 12
    stored = await services.circles.apply_state(G)
    assert stored.plan == plan and not stored.started
    assert await services.circles.is_current(G)
    # Nothing else changed: no circle exists until apply.
    assert await services.circles.circles(G) == []


async def test_plan_refusals(services: Services, db: Database) -> None:
    await refusal("circles.plan.no_members", services.circles.plan(G))
    await refusal("circles.apply.no_plan", services.circles.apply_state(G))
    await stint(db, M[0])
    await services.circles.plan(G)
    await services.circles.start_apply(G, 555)
    await refusal("circles.plan.apply_running", services.circles.plan(G))


async def test_new_circle_names_skip_the_names_in_use(services: Services, db: Database) -> None:
    for user in M[:12]:
        await stint(db, user)
    await circle(db, "Circle 1", None, M[:3])
    await circle(db, "circle 2", None, M[3:5])
    await size_setting(db, 3)
    plan = await services.circles.plan(G, name_prefix="Circle")
    assert [c.name for c in plan.circles] == ["Circle 1", "circle 2", "Circle 3", "Circle 4"]


# -- applying ----------------------------------------------------------------------------------
async def test_apply_writes_the_plan_as_shown_and_resumes(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await community(db)
    plan = await services.circles.plan(G, by=FOUNDER)
    state = await services.circles.start_apply(G, 555)
    assert (state.started, state.channel_id, state.threads) == (True, 555, {})
    await services.circles.record_thread(G, 1, 7001, made=True)
    await services.circles.mark_filled(G, 1)
    # A restart: starting again (in another channel) resumes with what was recorded.
    again = await services.circles.start_apply(G, 666)
    assert (again.channel_id, again.threads, again.made, again.filled) == (
        555,
        {1: 7001},
        frozenset({1}),
        frozenset({1}),
    )
    await services.circles.record_thread(G, 2, 7002, made=True)
    assert await services.circles.thread_ids(G) == {7001, 7002}
    clock.advance(minutes=1)
    applied = await services.circles.commit_apply(G)
    assert applied.applied and not applied.finished
    found = await services.circles.circles(G)
    assert [(c.name, c.leader_id, c.channel_id, c.member_ids) for c in found] == [
        (p.name, p.leader_id, 7001 + i, p.member_ids) for i, p in enumerate(plan.circles)
    ]
    assert applied.circle_ids == {1: found[0].id, 2: found[1].id}
    assert await services.circles.commit_apply(G) == applied  # twice: the same, nothing more
    await refusal("circles.plan.apply_running", services.circles.plan(G))
    await services.circles.mark_cleaned(G)
    assert (await services.circles.apply_state(G)).finished
    # Everyone is in a circle now: a new plan keeps them where they are.
    again_plan = await services.circles.plan(G)
    assert not again_plan.changes and again_plan.placed == 0


async def test_a_plan_goes_stale_and_nothing_is_written(services: Services, db: Database) -> None:
    await community(db)
    await services.circles.plan(G)
    await services.circles.start_apply(G, 555)
    await services.circles.record_thread(G, 1, 7001, made=True)
    await stint(db, M[15])  # someone is admitted meanwhile
    assert not await services.circles.is_current(G)
    with pytest.raises(StalePlan) as caught:
        await services.circles.commit_apply(G)
    assert caught.value.key == "circles.apply.stale"
    assert await rows(db, "SELECT count(*) FROM circle") == [(0,)]
    assert await rows(db, "SELECT count(*) FROM circle_member") == [(0,)]
    await services.circles.abandon_apply(G, drop_plan=True)
    await refusal("circles.apply.no_plan", services.circles.apply_state(G))
    # Stale before the apply began: refused at the start, nothing recorded.
    await services.circles.plan(G)
    await stint(db, M[16], sponsor=ANA)
    with pytest.raises(StalePlan):
        await services.circles.start_apply(G, 555)
    assert not (await services.circles.apply_state(G)).started


async def test_abandon_keeps_the_plan_for_a_second_try(services: Services, db: Database) -> None:
    await community(db)
    await services.circles.plan(G)
    await services.circles.start_apply(G, 555)
    await services.circles.record_thread(G, 1, 7001, made=True)
    await services.circles.abandon_apply(G, drop_plan=False)
    state = await services.circles.apply_state(G)
    assert (state.started, state.threads, state.channel_id) == (False, {}, None)
    await services.circles.plan(G)  # no longer running: a new plan may replace it


async def test_fresh_plan_closes_circles_when_applied(services: Services, db: Database) -> None:
    await community(db)
    old = await circle(db, "Old", None, [4242, 4343])  # its members left the server
    kept = await circle(db, "Kept", BEN, [BEN, M[2], M[3]])
    plan = await services.circles.plan(G, fresh=True)
    assert [c.circle_id for c in plan.closing] == [old]
    assert kept in [c.circle_id for c in plan.circles]
    await services.circles.start_apply(G, 555)
    await services.circles.commit_apply(G)
    assert [c.name for c in await services.circles.circles(G)] == ["Circle 1", "Kept"]
    assert await rows(db, "SELECT count(*) FROM circle_member WHERE circle_id = ?", old) == [(0,)]
    assert (await db.fetch_one("SELECT closed_at FROM circle WHERE id = ?", (old,)))[0]  # type: ignore[index]


# -- members coming and going ------------------------------------------------------------------
async def test_admit_joins_the_sponsors_circle_else_the_smallest(
    services: Services, db: Database
) -> None:
    await community(db)
    assert await services.circles.admit(G, M[11], ANA) is None  # no circles yet
    big = await circle(db, "Big", ANA, [ANA, *M[:4]])
    small = await circle(db, "Small", None, [M[4]])
    led = await circle(db, "Led", BEN, [M[5], M[6]])  # BEN leads it without being in it
    via = await services.circles.admit(G, M[11], M[1])
    assert via is not None and (via.circle.id, via.via_sponsor) == (big, True)
    assert M[11] in via.circle.member_ids
    assert await services.circles.admit(G, M[11], M[1]) is None  # in a circle already
    led_by_sponsor = await services.circles.admit(G, M[12], BEN)
    assert led_by_sponsor is not None and led_by_sponsor.circle.id == led
    smallest = await services.circles.admit(G, M[13], None)
    assert smallest is not None and (smallest.circle.id, smallest.via_sponsor) == (small, False)
    lost_sponsor = await services.circles.admit(G, M[14], 4242)  # sponsor in no circle
    assert lost_sponsor is not None and lost_sponsor.circle.id == small
    left = await services.circles.member_left(G, M[14])
    assert left is not None and M[14] not in left.member_ids
    assert await services.circles.member_left(G, M[14]) is None
    assert (await services.circles.circle_of(G, M[13])).id == small  # type: ignore[union-attr]


# -- founders' changes -------------------------------------------------------------------------
async def test_move_and_its_refusals(services: Services, db: Database) -> None:
    await community(db)
    one = await circle(db, "One", ANA, [ANA, M[0], M[1]])
    two = await circle(db, "Two", BEN, [BEN, M[2]])
    before = await rows(db, "SELECT * FROM circle_member ORDER BY user_id")
    mention = f"<@{M[0]}>"
    await refusal("circles.move.bot", services.circles.move(G, M[0], two, is_bot=True))
    await refusal("circles.move.not_member", services.circles.move(G, 4242, two))
    await refusal("circles.move.not_member", services.circles.move(G, M[20], two))  # other guild
    await refusal("circles.move.newcomer", services.circles.move(G, 999, two))
    await refusal("circles.unknown", services.circles.move(G, M[0], 9999))
    led = await refusal("circles.move.leader", services.circles.move(G, ANA, two))
    assert led.params == {"member": f"<@{ANA}>", "circle": "One"}
    same = await refusal("circles.move.already", services.circles.move(G, M[0], one))
    assert same.params == {"member": mention, "circle": "One"}
    assert await rows(db, "SELECT * FROM circle_member ORDER BY user_id") == before

    moved = await services.circles.move(G, M[0], two)
    assert (moved.source.id, moved.target.id) == (one, two)  # type: ignore[union-attr]
    assert M[0] in moved.target.member_ids
    await services.circles.undo_move(G, moved)  # Discord refused: back where they were
    assert await rows(db, "SELECT * FROM circle_member ORDER BY user_id") == before
    placed = await services.circles.move(G, M[5], two)  # in no circle before
    assert placed.source is None
    await services.circles.undo_move(G, Move(M[5], None, placed.target))
    assert await rows(db, "SELECT * FROM circle_member ORDER BY user_id") == before


async def test_rename_and_its_refusals(services: Services, db: Database) -> None:
    await community(db)
    one = await circle(db, "One", ANA, [ANA])
    await circle(db, "Two", BEN, [BEN])
    await refusal("circles.name.empty", services.circles.rename(G, one, "  \n "))
    too_long = await refusal("circles.name.too_long", services.circles.rename(G, one, "x" * 101))
    assert too_long.params == {"limit": 100}
    taken = await refusal("circles.name.taken", services.circles.rename(G, one, " two "))
    assert taken.params == {"name": "two"}
    await refusal("circles.unknown", services.circles.rename(G, 9999, "Fine"))
    assert [c.name for c in await services.circles.circles(G)] == ["One", "Two"]

    renamed = await services.circles.rename(G, one, "Les   bottes\n<@123456789012345678> @everyone")
    assert renamed.old_name == "One"
    assert renamed.circle.name == "Les bottes <@\u200b123456789012345678> @\u200beveryone"
    await services.circles.restore_name(G, one, renamed.old_name)
    assert (await services.circles.get(G, one)).name == "One"  # type: ignore[union-attr]
    assert (await services.circles.find(G, "one")).id == one
    assert (await services.circles.find(G, str(one))).name == "One"
    await refusal("circles.unknown", services.circles.find(G, "Nope"))


# -- privacy -----------------------------------------------------------------------------------
async def test_export_and_forget(services: Services, db: Database, clock: FakeClock) -> None:
    await community(db)
    await circle(db, "One", ANA, [ANA, M[0]])
    plan = await services.circles.plan(G, by=M[1])
    [planned] = [c.name for c in plan.circles if M[5] in c.added_ids]
    exported = await services.privacy.export(G, M[0])
    assert exported["data"]["circles"] == {  # type: ignore[index]
        "circle": {"name": "One", "since": "2026-01-01T00:00:00+00:00", "leads_it": False},
        "planned_circle": "One",
    }
    placed = await services.circles.export_member(G, M[5])
    assert placed == {"planned_circle": planned}
    assert (await services.circles.export_member(G, ANA))["circle"] == {
        "name": "One",
        "since": "2026-01-01T00:00:00+00:00",
        "leads_it": True,
    }

    await services.privacy.forget(G, M[5])
    assert await services.circles.export_member(G, M[5]) == {}
    state = await services.circles.apply_state(G)
    assert all(M[5] not in c.member_ids for c in state.plan.circles)
    assert not await services.circles.is_current(G)  # the plan can no longer be applied

    report = await services.privacy.forget(G, M[1])  # also the plan's author
    assert report.deleted["circles"] == 1
    assert (await services.circles.apply_state(G)).plan.created_by == 0
    report = await services.privacy.forget(G, M[0])
    assert report.deleted["circles"] >= 1
    assert await services.circles.export_member(G, M[0]) == {}
    assert await rows(db, "SELECT user_id FROM circle_member") == [(ANA,)]
    assert iso(clock()) not in str(await rows(db, "SELECT plan FROM circle_plan"))
