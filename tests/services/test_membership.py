"""Membership by introduction: seats, waitlist, joins, the gate and leaving, on real SQLite."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.errors import DomainError
from bot.services import Services
from bot.services.membership.introductions import EXPIRY_JOB
from bot.services.membership.members import (
    ARRIVAL_JOB,
    ARRIVAL_WINDOW,
    REMINDER_JOB,
    TIMEOUT_JOB,
)
from bot.services.membership.models import Introduction
from tests.conftest import FakeClock

G = 1
SPONSOR = 100


async def introduce(services: Services, sponsor: int = SPONSOR, name: str = "Maya") -> Introduction:
    opened = await services.introductions.open_introduction(
        guild_id=G, sponsor_id=sponsor, sponsor_is_member=True, name=name, why="Loves the brand"
    )
    return opened.introduction


async def seats_taken(services: Services) -> int:
    async with services.db.transaction() as tx:
        from bot.services.membership.seats import count_seats

        return (await count_seats(tx, G)).taken


async def cap(services: Services, n: int) -> list[Introduction]:
    _, promoted = await services.membership.update(G, max_members=n)
    return promoted


async def test_introduction_is_seated_when_there_is_room(services: Services) -> None:
    intro = await introduce(services)
    assert (intro.status, intro.position, intro.newcomer_name) == ("seated", None, "Maya")
    assert await seats_taken(services) == 1


async def test_full_community_waitlists_in_order(services: Services) -> None:
    await services.members.add_existing(G, [1, 2])
    await cap(services, 2)
    first = await introduce(services, 101)
    second = await introduce(services, 102)
    assert (first.status, first.position) == ("waitlisted", 1)
    assert (second.status, second.position) == ("waitlisted", 2)
    assert [i.id for i in await services.introductions.waitlist(G)] == [first.id, second.id]


async def test_nobody_jumps_the_waitlist(services: Services) -> None:
    await services.members.add_existing(G, [1])
    await cap(services, 1)
    waiting = await introduce(services, 101)
    await cap(services, 3)  # two seats: the waiting one is promoted by the cap change itself
    assert (await services.introductions.get(waiting.id)).status == "seated"  # type: ignore[union-attr]
    assert (await introduce(services, 102)).status == "seated"


@pytest.mark.parametrize(
    ("name", "why", "key"),
    [
        ("", "ok", "intro.name.empty"),
        ("x" * 81, "ok", "intro.name.too_long"),
        ("Maya", "   ", "intro.why.empty"),
        ("Maya", "y" * 501, "intro.why.too_long"),
    ],
)
async def test_bad_text_is_refused_and_changes_nothing(
    services: Services, name: str, why: str, key: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await services.introductions.open_introduction(
            guild_id=G, sponsor_id=SPONSOR, sponsor_is_member=True, name=name, why=why
        )
    assert caught.value.key == key
    assert await services.introductions.active(G) == []


async def test_only_members_introduce_and_within_their_limit(services: Services) -> None:
    with pytest.raises(DomainError) as caught:
        await services.introductions.open_introduction(
            guild_id=G, sponsor_id=5, sponsor_is_member=False, name="A", why="B"
        )
    assert caught.value.key == "intro.not_member"
    for n in range(3):
        await introduce(services, name=f"Friend {n}")
    with pytest.raises(DomainError) as caught:
        await introduce(services)
    assert (caught.value.key, caught.value.params) == ("intro.too_many", {"limit": 3})
    assert len(await services.introductions.active(G, SPONSOR)) == 3


async def test_text_is_trimmed_and_single_spaced(services: Services) -> None:
    opened = await services.introductions.open_introduction(
        guild_id=G, sponsor_id=SPONSOR, sponsor_is_member=True, name="  Maya\n  Lund ", why="a\n\nb"
    )
    intro = opened.introduction
    assert (intro.newcomer_name, intro.why) == ("Maya Lund", "a b")


async def test_invite_opens_and_expiry_frees_the_seat_for_the_waitlist(
    services: Services, clock: FakeClock
) -> None:
    await cap(services, 1)
    intro = await introduce(services, 101)
    waiting = await introduce(services, 102)
    expires = clock.now + timedelta(days=7)
    opened = await services.introductions.attach_invite(intro.id, "abc", expires)
    assert (opened.status, opened.invite_code, opened.expires_at) == ("open", "abc", expires)
    assert [j.key for j in await services.jobs.pending(EXPIRY_JOB)] == [str(intro.id)]

    closed = await services.introductions.expire(intro.id)
    assert closed.introduction.status == "expired"
    assert [p.id for p in closed.promoted] == [waiting.id]
    assert await services.jobs.pending(EXPIRY_JOB) == []
    with pytest.raises(DomainError):
        await services.introductions.expire(intro.id)  # already closed: nothing changes twice


async def test_revoke_and_cancel(services: Services) -> None:
    intro = await introduce(services)
    with pytest.raises(DomainError):
        await services.introductions.revoke(G + 1, intro.id)  # another guild's id
    assert (await services.introductions.revoke(G, intro.id)).introduction.status == "revoked"
    other = await introduce(services, name="Other")
    assert (await services.introductions.cancel_seat(other.id)).introduction.status == "cancelled"
    assert await seats_taken(services) == 0


async def test_join_through_an_introduction_takes_its_seat_and_sponsor(
    services: Services, clock: FakeClock
) -> None:
    await cap(services, 1)
    intro = await introduce(services)
    await services.introductions.attach_invite(intro.id, "abc", clock.now + timedelta(days=1))
    outcome = await services.members.record_join(G, 500, kind="invite", code="abc")
    assert outcome.action == "gate"
    assert (outcome.stint.source, outcome.stint.sponsor_id) == ("introduction", SPONSOR)
    assert outcome.introduction is not None
    assert outcome.introduction.id == intro.id
    assert (await services.introductions.get(intro.id)).status == "used"  # type: ignore[union-attr]
    assert await seats_taken(services) == 1  # the seat moved from the invite to the person
    timers = {(j.kind, j.due_at) for j in await services.jobs.pending()}
    assert timers == {
        (REMINDER_JOB, clock.now + timedelta(hours=36)),
        (TIMEOUT_JOB, clock.now + timedelta(hours=72)),
    }


async def test_unsponsored_join_when_full_is_refused(services: Services) -> None:
    await services.members.add_existing(G, [1])
    await cap(services, 1)
    outcome = await services.members.record_join(G, 500, kind="vanity")
    assert outcome.action == "refused"
    assert (outcome.stint.status, outcome.stint.end_reason) == ("refused", "full")
    assert await services.jobs.pending() == []


async def test_unsponsored_join_refused_by_policy(services: Services) -> None:
    await services.membership.update(G, unsponsored_admission="refuse")
    outcome = await services.members.record_join(G, 500, kind="unknown")
    assert outcome.stint.end_reason == "unsponsored"


async def test_rejoin_and_duplicate_events(services: Services) -> None:
    first = await services.members.record_join(G, 500, kind="unknown")
    assert not first.stint.rejoin
    assert (await services.members.record_join(G, 500, kind="unknown")).action == "already"
    await services.members.record_leave(G, 500)
    again = await services.members.record_join(G, 500, kind="unknown")
    assert again.stint.rejoin
    assert (
        await services.members.record_join(G, 501, kind="unknown", rejoin_flag=True)
    ).stint.rejoin
    assert len(await services.members.history(G, 500)) == 2


async def test_gate_rules_then_answers_once(services: Services) -> None:
    await services.members.record_join(G, 500, kind="unknown")
    with pytest.raises(DomainError) as caught:
        await services.members.submit_answers(G, 500, ["a", "b", "c"])
    assert caught.value.key == "gate.rules_first"
    await services.members.accept_rules(G, 500, 3)
    stint = await services.members.submit_answers(G, 500, [" Friends ", "The shoes", "Aarhus"])
    assert (stint.rules_version, stint.answers) == (3, ("Friends", "The shoes", "Aarhus"))
    with pytest.raises(DomainError) as caught:
        await services.members.submit_answers(G, 500, ["x", "y", "z"])
    assert caught.value.key == "gate.already_submitted"
    assert (await services.members.current(G, 500)).answers == stint.answers  # type: ignore[union-attr]
    with pytest.raises(DomainError):
        await services.members.accept_rules(G, 999, 3)  # not in the gate


async def test_admission_policy_follows_sponsorship(services: Services, clock: FakeClock) -> None:
    await services.membership.update(G, sponsored_admission="moderator")
    unsponsored = await services.members.record_join(G, 500, kind="vanity")
    assert await services.members.admission(unsponsored.stint) == "moderator"
    await services.membership.update(G, sponsored_admission="auto")
    intro = await introduce(services)
    await services.introductions.attach_invite(intro.id, "abc", clock.now + timedelta(days=1))
    sponsored = await services.members.record_join(G, 501, kind="invite", code="abc")
    assert await services.members.admission(sponsored.stint) == "auto"


async def test_admit_cancels_timers(services: Services, clock: FakeClock) -> None:
    await services.members.record_join(G, 500, kind="unknown")
    clock.advance(hours=1)
    member = await services.members.admit(G, 500)
    assert (member.status, member.admitted_at) == ("member", clock.now)
    assert await services.jobs.pending() == []
    with pytest.raises(DomainError):
        await services.members.admit(G, 500)


async def test_refusal_and_leaving_free_seats_for_the_waitlist(services: Services) -> None:
    await services.members.add_existing(G, [1])
    await cap(services, 2)
    await services.members.record_join(G, 500, kind="unknown")  # the second seat
    waiting = [await introduce(services, s) for s in (101, 102)]
    ended = await services.members.refuse(G, 500, "denied")
    assert (ended.stint.status, ended.stint.end_reason) == ("refused", "denied")
    assert [p.id for p in ended.promoted] == [waiting[0].id]
    left = await services.members.record_leave(G, 1)
    assert left is not None
    assert [p.id for p in left.promoted] == [waiting[1].id]
    assert await services.members.record_leave(G, 12345) is None


async def test_simultaneous_frees_never_give_one_seat_twice(services: Services) -> None:
    await services.members.add_existing(G, range(1, 11))
    await cap(services, 10)
    waiting = [await introduce(services, 200 + n) for n in range(8)]
    results = await asyncio.gather(*(services.members.record_leave(G, u) for u in range(1, 6)))
    promoted = [p.id for r in results if r for p in r.promoted]
    assert sorted(promoted) == [w.id for w in waiting[:5]]
    assert len(set(promoted)) == 5
    assert len(await services.introductions.waitlist(G)) == 3
    assert await seats_taken(services) == 10


async def test_simultaneous_introductions_never_overbook(services: Services) -> None:
    await cap(services, 5)
    intros = await asyncio.gather(*(introduce(services, 300 + n) for n in range(12)))
    assert sum(i.status == "seated" for i in intros) == 5
    assert sorted(i.position for i in intros if i.position) == list(range(1, 8))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"max_members": -1}, "membership.invalid.max_members"),
        ({"max_open_introductions": 0}, "membership.invalid.max_open_introductions"),
        ({"invite_max_age": 604_801}, "membership.invalid.invite_max_age"),
        ({"pending_timeout": 60}, "membership.invalid.pending_timeout"),
        ({"sponsored_admission": "vote"}, "membership.invalid.policy"),
    ],
)
async def test_invalid_settings_change_nothing(
    services: Services, change: dict[str, object], key: str
) -> None:
    await services.membership.update(G, max_members=40)
    with pytest.raises(DomainError) as caught:
        await services.membership.update(G, **change)
    assert caught.value.key == key
    assert (await services.membership.get(G)).max_members == 40


async def test_rules_and_questions(services: Services) -> None:
    first = await services.membership.set_rules(G, "Be kind.")
    second = await services.membership.set_rules(G, None)
    assert (first.rules_text, first.rules_version) == ("Be kind.", 2)
    assert (second.rules_text, second.rules_version) == (None, 3)
    with pytest.raises(DomainError):
        await services.membership.set_rules(G, "x" * 3001)
    questions = await services.membership.set_questions(G, ("Who are you?", "", None))
    assert questions.questions == ("Who are you?", None, None)
    with pytest.raises(DomainError):
        await services.membership.set_questions(G, ("q" * 46, None, None))


async def test_forget_removes_stints_introductions_and_names(
    services: Services, clock: FakeClock
) -> None:
    intro = await introduce(services)
    await services.introductions.attach_invite(intro.id, "abc", clock.now + timedelta(days=1))
    await services.members.record_join(G, 500, kind="invite", code="abc")
    exported = await services.privacy.export(G, SPONSOR)
    assert exported["data"]["membership"]["introductions_made"][0]["newcomer_name"] == "Maya"  # type: ignore[index]
    report = await services.privacy.forget(G, SPONSOR)
    assert report.deleted["membership"] == 1
    newcomer = await services.members.current(G, 500)
    assert newcomer is not None
    assert (newcomer.sponsor_id, newcomer.introduction_id) == (None, None)
    await services.privacy.forget(G, 500)
    assert await services.members.history(G, 500) == []
    assert await services.jobs.pending() == []


async def test_a_burst_through_introductions_guesses_no_sponsor_and_kicks_nobody(
    services: Services, clock: FakeClock
) -> None:
    await services.membership.update(G, max_open_introductions=5, unsponsored_admission="refuse")
    codes = []
    for n in range(3):
        intro = await introduce(services, name=f"F{n}")
        await services.introductions.attach_invite(intro.id, f"c{n}", clock.now + timedelta(days=1))
        codes.append(f"c{n}")
    await cap(services, 3)  # every seat is held by the three introductions
    first = await services.members.record_join(G, 501, kind="unknown", candidates=codes)
    rest = [await services.members.record_join(G, u, kind="unknown") for u in (502, 503)]
    for outcome in (first, *rest):
        assert outcome.action == "gate"
        assert outcome.stint.maybe_introduced
        assert outcome.stint.sponsor_id is None
        assert await services.members.admission(outcome.stint) == "moderator"
    assert await seats_taken(services) == 3  # the seats moved; none counted twice
    assert await services.jobs.pending(EXPIRY_JOB) == []
    stranger = await services.members.record_join(G, 504, kind="unknown")
    assert (stranger.action, stranger.stint.end_reason) == ("refused", "full")
    (window,) = await services.jobs.pending(ARRIVAL_JOB)
    assert (window.key, window.due_at) == (str(G), clock.now + ARRIVAL_WINDOW)


async def test_return_to_waitlist_keeps_the_order(services: Services) -> None:
    await services.members.add_existing(G, [1])
    await cap(services, 1)
    waiting = [await introduce(services, 200 + n) for n in range(3)]
    promoted = await cap(services, 3)
    assert [p.id for p in promoted] == [w.id for w in waiting[:2]]
    await services.introductions.return_to_waitlist([p.id for p in promoted])
    assert [(i.id, i.position) for i in await services.introductions.waitlist(G)] == [
        (w.id, n) for n, w in enumerate(waiting, 1)
    ]


async def test_a_free_seat_behind_a_waitlist_goes_to_its_head_first(services: Services) -> None:
    """Seats left free while others wait (an invite that could not be made) never stall."""
    await services.members.add_existing(G, [1])
    await cap(services, 1)
    waiting = [await introduce(services, 200 + n) for n in range(2)]
    promoted = await cap(services, 3)
    await services.introductions.return_to_waitlist([p.id for p in promoted])  # 2 seats free
    opened = await services.introductions.open_introduction(
        guild_id=G, sponsor_id=300, sponsor_is_member=True, name="New", why="Late"
    )
    assert [p.id for p in opened.promoted] == [w.id for w in waiting]  # the head, then the next
    assert (opened.introduction.status, opened.introduction.position) == ("waitlisted", 1)
    assert await seats_taken(services) == 3
    third = await services.members.record_leave(G, 1)
    assert third is not None
    assert [p.id for p in third.promoted] == [opened.introduction.id]


async def test_promote_gives_seats_freed_elsewhere(services: Services) -> None:
    await services.members.add_existing(G, [1, 2])
    await cap(services, 2)
    waiting = await introduce(services, 200)
    await services.privacy.forget(G, 2)  # deletes the stint: a seat is free, nobody told
    assert [p.id for p in await services.introductions.promote(G)] == [waiting.id]
    assert await services.introductions.promote(G) == []


async def test_people_gone_while_away_are_ended_as_left(services: Services) -> None:
    await services.members.add_existing(G, [1, 2])
    await services.members.record_join(G, 500, kind="unknown")
    await cap(services, 3)
    waiting = await introduce(services, 200)
    ended = await services.members.end_absent(G, [1, 999])
    assert sorted((e.stint.user_id, e.stint.status, e.stint.end_reason) for e in ended) == [
        (2, "left", "left"),
        (500, "left", "left"),
    ]
    assert [p.id for e in ended for p in e.promoted] == [waiting.id]
    assert await services.members.end_absent(G, [1]) == []
    assert await services.jobs.pending() == []  # the gate timers of 500 went with the stint


async def test_a_card_of_an_earlier_stint_acts_on_nothing(services: Services) -> None:
    first = await services.members.record_join(G, 500, kind="unknown")
    await services.members.record_leave(G, 500)
    second = await services.members.record_join(G, 500, kind="unknown")
    for act in (
        services.members.admit(G, 500, stint_id=first.stint.id),
        services.members.refuse(G, 500, "denied", stint_id=first.stint.id),
    ):
        with pytest.raises(DomainError) as caught:
            await act
        assert caught.value.key == "gate.card.stale"
    assert (await services.members.current(G, 500)).status == "pending"  # type: ignore[union-attr]
    admitted = await services.members.admit(G, 500, stint_id=second.stint.id)
    assert admitted.status == "member"
