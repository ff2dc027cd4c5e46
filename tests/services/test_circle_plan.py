"""Planning circles (a pure function): sponsors kept with the people they introduced, circles by
language, balanced sizes, one leader per circle, and the incremental and fresh plans over
existing circles. Plus properties over many generated communities."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.services.leaders.circle_plan import (
    CurrentCircle,
    Layout,
    PlanMember,
    circle_count,
    plan_layout,
)

LANGUAGES = ("en-US", "fr", "pt-BR", "da", None)


def circle_of(layout: Layout, user_id: int) -> int:
    [index] = [i for i, g in enumerate(layout.groups) if user_id in g.member_ids]
    return index


def sizes(layout: Layout) -> list[int]:
    return [len(g.member_ids) for g in layout.groups]


def generated(seed: int) -> tuple[list[PlanMember], list[int], int]:
    """A community of 1-150 members, ~60% introduced by an earlier member, mixed languages."""
    rng = random.Random(seed)
    count = rng.randrange(1, 150)
    members = [
        PlanMember(
            1000 + i,
            1000 + rng.randrange(i) if i and rng.random() < 0.6 else None,
            rng.choice(LANGUAGES),
        )
        for i in range(count)
    ]
    leaders = rng.sample([m.user_id for m in members], min(rng.randrange(0, 8), count))
    return members, leaders, rng.choice([2, 3, 5, 8, 10, 15, 20])


def test_circle_count_by_size_and_by_leaders() -> None:
    assert circle_count(0, 15, 3) == 0
    assert circle_count(10, 15, 0) == 1
    assert circle_count(31, 15, 0) == 3
    assert circle_count(20, 10, 4) == 4  # one per leader...
    assert circle_count(20, 10, 9) == 6  # ...while each keeps at least 3 people
    assert circle_count(2, 15, 2) == 1


def test_sponsors_stay_with_the_people_they_introduced() -> None:
    members = []
    for family in range(4):
        sponsor = 100 + 10 * family
        members.append(PlanMember(sponsor, None, "fr"))
        # Languages cut across families: sponsor links come first.
        members += [PlanMember(sponsor + k, sponsor, ("en-US", "da")[k % 2]) for k in (1, 2, 3, 4)]
    layout = plan_layout(members, [], 5)
    assert sizes(layout) == [5, 5, 5, 5]
    assert (layout.pairs_kept, layout.pairs_total) == (16, 16)
    for family in range(4):
        sponsor = 100 + 10 * family
        assert {circle_of(layout, sponsor + k) for k in range(5)} == {circle_of(layout, sponsor)}


def test_a_family_larger_than_a_circle_is_cut_along_sponsor_links() -> None:
    chain = [PlanMember(1, None, "fr"), *(PlanMember(i, i - 1, "fr") for i in range(2, 13))]
    layout = plan_layout(chain, [], 5)
    assert [g.member_ids for g in layout.groups] == [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12)]
    assert (layout.pairs_kept, layout.pairs_total) == (9, 11)  # two cuts: the fewest possible


def test_members_are_grouped_by_language() -> None:
    members = [PlanMember(i, None, "fr" if i % 2 else "pt-BR") for i in range(1, 31)]
    layout = plan_layout(members, [], 15)
    assert sorted(g.languages for g in layout.groups) == [(("fr", 15),), (("pt-BR", 15),)]
    # Unknown languages count as "" and never pull a circle apart.
    members = [PlanMember(i, None, "da" if i <= 10 else None) for i in range(1, 21)]
    assert {g.languages for g in plan_layout(members, [], 10).groups} == {
        (("da", 10),),
        (("", 10),),
    }


def test_one_leader_per_circle_in_it_and_extra_leaders_are_members() -> None:
    members = [PlanMember(i, None, "fr") for i in range(1, 21)]
    layout = plan_layout(members, [3, 7], 10)
    assert [(g.leader_id, len(g.member_ids)) for g in layout.groups] == [(3, 10), (7, 10)]
    assert all(g.leader_id in g.member_ids for g in layout.groups)
    many = plan_layout(members, [3, 7, 9, 11, 13, 15, 17], 10)  # 7 leaders, 20 people
    assert [g.leader_id for g in many.groups] == [3, 7, 9, 11, 13, 15]  # longest-serving
    assert sorted(sizes(many)) == [3, 3, 3, 3, 4, 4]
    assert circle_of(many, 17) in range(6)  # the seventh is a member of one


def test_two_leaders_of_one_family_lead_their_own_part() -> None:
    members = [PlanMember(1, None, "fr"), *(PlanMember(i, 1, "fr") for i in range(2, 9))]
    layout = plan_layout(members, [1, 2], 10)
    assert [(g.leader_id, g.member_ids) for g in layout.groups] == [
        (1, (1, 3, 4, 5)),
        (2, (2, 6, 7, 8)),
    ]
    assert layout.pairs_kept == 3


def test_leaders_who_are_not_members_are_ignored() -> None:
    members = [PlanMember(i, None, "fr") for i in range(1, 6)]
    layout = plan_layout(members, [99], 15)
    assert [(g.leader_id, g.member_ids) for g in layout.groups] == [(None, (1, 2, 3, 4, 5))]


def test_sponsor_loops_and_self_sponsors_are_ignored() -> None:
    members = [PlanMember(1, 2, "fr"), PlanMember(2, 1, "fr"), PlanMember(3, 3, "fr")]
    layout = plan_layout(members, [], 15)
    assert layout.pairs_total == 1
    assert [g.member_ids for g in layout.groups] == [(1, 2, 3)]


def test_incremental_plan_keeps_circles_and_places_the_others() -> None:
    members = [PlanMember(i, 5 if i == 12 else None, "fr") for i in range(1, 15)]
    current = [
        CurrentCircle(50, 1, (1, 2, 3, 5)),
        CurrentCircle(51, None, (6, 7, 8, 9, 77)),  # 77 left the server
    ]
    layout = plan_layout(members, [1, 6], 5, current)
    first, second, *new = layout.groups
    assert (first.circle_id, first.leader_id, first.removed_ids) == (50, 1, ())
    assert (second.circle_id, second.leader_id) == (51, 6)  # an open circle gets its leader
    assert set(first.member_ids) >= {1, 2, 3, 5} and set(second.member_ids) >= {6, 7, 8, 9}
    assert 77 not in second.member_ids
    assert first.added_ids == (12,)  # the one place left goes next to their sponsor 5
    placed = [u for g in layout.groups for u in g.added_ids]
    assert sorted(placed) == [4, 10, 11, 12, 13, 14]
    assert (layout.placed, layout.moved, layout.closed_ids) == (6, 0, ())
    assert new and all(g.circle_id is None for g in new)


def test_nothing_to_place_changes_nothing() -> None:
    members = [PlanMember(i, None, "fr") for i in range(1, 5)]
    layout = plan_layout(members, [], 15, [CurrentCircle(50, None, (1, 2, 3, 4))])
    assert [(g.circle_id, g.added_ids, g.removed_ids) for g in layout.groups] == [(50, (), ())]


def test_fresh_plan_continues_circles_and_closes_the_others() -> None:
    members = [PlanMember(i, None, "fr") for i in range(1, 21)]
    current = [
        CurrentCircle(50, 3, (1, 2, 3)),
        CurrentCircle(51, None, (4, 5)),
        CurrentCircle(52, None, tuple(range(6, 21))),
    ]
    layout = plan_layout(members, [3, 11], 10, current, fresh=True)
    by_circle = {g.circle_id: g for g in layout.groups}
    assert by_circle[50].leader_id == 3  # same leader: the same circle continues
    assert by_circle[52].leader_id == 11  # at least half its members stay together
    assert layout.closed_ids == (51,)
    assert sorted(sizes(layout)) == [10, 10]
    assert layout.moved == len(by_circle[50].added_ids) + len(by_circle[52].added_ids)


def test_the_same_input_gives_the_same_plan() -> None:
    members, leaders, size = generated(7)
    assert plan_layout(members, leaders, size) == plan_layout(
        list(reversed(members)), leaders, size
    )


@pytest.mark.parametrize("seed", range(0, 400, 7))
def test_properties_of_any_plan(seed: int) -> None:
    members, leaders, size = generated(seed)
    ids = sorted(m.user_id for m in members)
    for fresh, current in ((True, ()), (False, existing(seed, ids, leaders))):
        layout = plan_layout(members, leaders, size, current, fresh=fresh)
        # Everyone is in exactly one circle (a re-cut piece once lost people: seed 8).
        assert sorted(u for g in layout.groups for u in g.member_ids) == ids
        led = [g.leader_id for g in layout.groups if g.leader_id is not None]
        assert len(led) == len(set(led))
        assert layout.pairs_kept <= layout.pairs_total
        if fresh:
            assert all(g.leader_id in g.member_ids for g in layout.groups if g.leader_id)
            assert len(led) == min(len(leaders), len(layout.groups))
            assert max(sizes(layout)) - min(sizes(layout)) <= 2
        else:
            kept = {g.circle_id: set(g.member_ids) for g in layout.groups}
            for circle in current:
                assert {u for u in circle.member_ids if u in ids} <= kept[circle.circle_id]


def test_regression_a_recut_piece_keeps_everyone() -> None:
    members, leaders, size = generated(8)
    layout = plan_layout(members, leaders, size)
    assert Counter(u for g in layout.groups for u in g.member_ids) == Counter(
        m.user_id for m in members
    )


def existing(seed: int, ids: list[int], leaders: list[int]) -> list[CurrentCircle]:
    """Up to 4 circles over the earlier members (one with someone who left)."""
    rng = random.Random(seed + 1)
    count = rng.randrange(0, 5)
    pool = ids[: int(len(ids) * rng.random())]
    leading = [x for x in leaders if x in pool][:count]
    return [
        CurrentCircle(
            50 + c,
            leading[c] if c < len(leading) else None,
            (*pool[c::count], *((9999,) if c == 0 else ())),
        )
        for c in range(count)
    ]
