"""Planning circles: a pure function from members, sponsors, languages and leaders to groups.

How a plan is made (deterministic: the same input always gives the same plan):

1. **Families.** A member's sponsor (`member_stint.sponsor_id`), when also a member, links
   them; the links form trees (a sponsor, the people they introduced, the people those
   introduced, ...). A link that would close a loop is ignored.
2. **How many circles:** ceil(members / members_per_leader), or one per active leader when
   there are more leaders, as long as each circle keeps at least `MIN_CIRCLE` people; at least
   one. The longest-serving leaders lead; any others are placed as members.
3. **Capacity:** a circle holds at most ceil(members / circles), plus one when that is 6 or
   more (room to keep families whole).
4. **Pieces.** A family larger than a circle is cut along sponsor -> newcomer branches, each
   newcomer staying with their direct sponsor where possible: at each sponsor the smallest
   branches stay and the largest become pieces of their own. Two leaders of one family are cut
   apart, so each can lead their own circle with their part of the family.
5. **Languages.** Circles get a language in proportion to the members' languages (largest
   remainders); a leader's circle gets the leader's language.
6. **Placement.** Each leader's piece starts their circle; the other pieces, largest first, go
   to the circle with room that (a) keeps the most sponsor pairs, (b) speaks their language,
   (c) is the least full. A piece that fits nowhere is cut again to the largest room left.
7. **Balance.** While the largest and the smallest circle differ by more than 1 (2 with the
   extra room of step 3), the member whose move breaks the fewest sponsor pairs goes from the
   largest to the smallest; then down to 1 with the moves that break no pair and take nobody
   into a circle of another language.

With existing circles (an incremental plan), their members stay where they are: only members
in no circle are placed, into the existing circles (up to the capacity) and into new circles
when more are needed (led by leaders who are in no circle yet); an open circle gets a leader
who is already in it; balancing moves only the newly placed. A fresh plan regroups everyone,
then each group continues an existing circle that has its leader or at least half of the
circle's members (its name, thread and check-ins carry over); the other circles close.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.services.leaders.circle_pieces import cut, language_shares, mismatch, sponsor_links

#: A circle keeps at least this many people when leaders ask for more circles than sizes do.
MIN_CIRCLE = 3
#: From this capacity on, a circle gets one place more, so families stay whole more often.
SLACK_FROM = 6


@dataclass(frozen=True)
class PlanMember:
    """A current member as the planner sees them."""

    user_id: int
    sponsor_id: int | None = None
    language: str | None = None  # "en-US", "fr", "pt-BR", "da"; None: unknown


@dataclass(frozen=True)
class CurrentCircle:
    """An open circle as it is now."""

    circle_id: int
    leader_id: int | None
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class Group:
    """One circle of the plan."""

    circle_id: int | None  # the existing circle it continues; None: a new circle
    leader_id: int | None  # None: open, waiting for a leader
    member_ids: tuple[int, ...]  # sorted; the leader is among them when they are a member
    added_ids: tuple[int, ...]  # people who join it with this plan
    removed_ids: tuple[int, ...]  # current members who leave it for another circle
    languages: tuple[tuple[str, int], ...]  # most spoken first; "" counts the unknown
    pairs_kept: int  # sponsor -> newcomer pairs inside it


@dataclass(frozen=True)
class Layout:
    """The whole plan."""

    groups: tuple[Group, ...]
    closed_ids: tuple[int, ...]  # existing circles that end (fresh plans only)
    pairs_total: int
    pairs_kept: int
    placed: int  # members who were in no circle and get one
    moved: int  # members who change circle


def circle_count(members: int, size: int, leaders: int) -> int:
    """How many circles: by size, or one per leader while circles keep MIN_CIRCLE people."""
    if members <= 0:
        return 0
    by_size = math.ceil(members / max(size, 1))
    most = max(by_size, members // MIN_CIRCLE)
    return max(1, min(max(by_size, leaders), most))


@dataclass
class _Bin:
    index: int
    leader: int | None
    label: str | None
    circle_id: int | None = None
    fixed: frozenset[int] = frozenset()  # existing members, never moved
    members: set[int] = field(default_factory=set)

    @property
    def load(self) -> int:
        return len(self.members)


class _Planner:
    """One planning run (holds the sponsor forest and the assignment)."""

    def __init__(self, members: Sequence[PlanMember]) -> None:
        self.language = {m.user_id: m.language for m in members}
        self.parent = sponsor_links([(m.user_id, m.sponsor_id) for m in members])
        self.children: dict[int, list[int]] = defaultdict(list)
        for child in sorted(self.parent):
            self.children[self.parent[child]].append(child)
        self.where: dict[int, _Bin] = {}

    # -- placing -------------------------------------------------------------------------
    def put(self, piece: Iterable[int], target: _Bin) -> None:
        for user_id in piece:
            target.members.add(user_id)
            self.where[user_id] = target

    def place_all(
        self, people: list[int], bins: list[_Bin], seeds: list[int], cap: int, new: int
    ) -> None:
        """Place `people` (in no circle yet) into `bins` plus `new` new bins, the first
        `len(seeds)` of which are led by the seeds."""
        inside = set(people)
        parent_in = {c: p for c, p in self.parent.items() if c in inside and p in inside}
        forced = self._leader_cuts(seeds, parent_in)
        pieces = cut(people, parent_in, cap, forced)
        piece_of = {user_id: piece for piece in pieces for user_id in piece}
        labels = language_shares(new, [self.language[u] for u in people])
        for seed in seeds:
            wanted = self.dominant(piece_of[seed])
            label = wanted if wanted in labels or not labels else labels[0]
            if labels:
                labels.remove(label)
            seeded = _Bin(len(bins), seed, label)
            bins.append(seeded)
            self.put(piece_of[seed], seeded)
        for label in [*labels, *[None] * (new - len(seeds) - len(labels))]:
            bins.append(_Bin(len(bins), None, label))
        seeded_pieces = {id(piece_of[seed]) for seed in seeds}
        queue = sorted(
            (p for p in pieces if id(p) not in seeded_pieces), key=lambda p: (-len(p), p[0])
        )
        while queue:
            piece = queue.pop(0)
            target = self.best_bin(piece, bins, cap)
            if target is not None:
                self.put(piece, target)
                continue
            room = max(cap - b.load for b in bins)
            if room <= 0:  # every circle is full (existing ones may be over): the least full
                self.put(piece, min(bins, key=lambda b: (b.load, b.index)))
                continue
            within = set(piece)  # the piece's own links: its top's sponsor is elsewhere
            links = {c: p for c, p in parent_in.items() if c in within and p in within}
            smaller = cut(piece, links, room, set())
            queue = sorted([*smaller, *queue], key=lambda p: (-len(p), p[0]))

    def best_bin(self, piece: list[int], bins: list[_Bin], cap: int) -> _Bin | None:
        """The bin with room that keeps most sponsor pairs, speaks the piece's language, and is
        the least full."""
        inside = set(piece)
        pairs: Counter[int] = Counter()
        for user_id in piece:
            sponsor = self.parent.get(user_id)
            for other in [sponsor, *self.children.get(user_id, ())]:
                if other is not None and other not in inside and other in self.where:
                    pairs[self.where[other].index] += 1
        language = self.dominant(piece)
        best: tuple[tuple[int, int, int, int], _Bin] | None = None
        for candidate in bins:
            if candidate.load + len(piece) > cap:
                continue
            key = (
                -pairs[candidate.index],
                mismatch(candidate.label, language),
                candidate.load,
                candidate.index,
            )
            if best is None or key < best[0]:
                best = (key, candidate)
        return best[1] if best else None

    def rebalance(
        self, bins: list[_Bin], movable: set[int], spread: int, *, free_only: bool = False
    ) -> None:
        """Move single members from the fullest circles to the emptiest until the sizes differ
        by at most `spread`, breaking the fewest sponsor pairs. `free_only`: only moves that
        break no pair and take nobody into a circle of another language."""
        while bins:
            small = min(bins, key=lambda b: (b.load, b.index))
            for big in sorted(bins, key=lambda b: (-b.load, b.index)):
                if big.load - small.load <= spread:
                    return
                choice = self._cheapest_move(big, small, movable, free_only)
                if choice is not None:
                    big.members.discard(choice)
                    self.put((choice,), small)
                    break
            else:
                return

    def _cheapest_move(
        self, big: _Bin, small: _Bin, movable: set[int], free_only: bool
    ) -> int | None:
        best: tuple[tuple[int, int, int], int] | None = None
        for user_id in big.members:
            if user_id not in movable or user_id == big.leader:
                continue
            sponsor = self.parent.get(user_id)
            broken = int(sponsor in big.members) + sum(
                1 for child in self.children.get(user_id, ()) if child in big.members
            )
            key = (broken, mismatch(small.label, self.language[user_id]), user_id)
            if free_only and (broken or key[1] > 1):
                continue
            if best is None or key < best[0]:
                best = (key, user_id)
        return best[1] if best else None

    # -- facts ---------------------------------------------------------------------------
    def dominant(self, people: Iterable[int]) -> str | None:
        """The most spoken known language (ties: alphabetical), or None."""
        tally = Counter(self.language[u] for u in people if self.language.get(u))
        if not tally:
            return None
        return min(tally, key=lambda lang: (-tally[lang], lang or ""))

    def _leader_cuts(self, seeds: list[int], parent_in: dict[int, int]) -> set[int]:
        """Seeds that share a family with another seed start a piece of their own."""
        family: dict[int, int] = {}
        for seed in seeds:
            node = seed
            while node in parent_in:
                node = parent_in[node]
            family[seed] = node
        per_family = Counter(family.values())
        return {s for s in seeds if per_family[family[s]] > 1 and s in parent_in}

    def group(self, target: _Bin, before: frozenset[int]) -> Group:
        members = target.members
        tally = Counter(self.language.get(u) or "" for u in members)
        languages = tuple(
            sorted(tally.items(), key=lambda item: (item[0] == "", -item[1], item[0]))
        )
        return Group(
            circle_id=target.circle_id,
            leader_id=target.leader,
            member_ids=tuple(sorted(members)),
            added_ids=tuple(sorted(members - before)),
            removed_ids=tuple(sorted(before - members)),
            languages=languages,
            pairs_kept=sum(1 for u in members if self.parent.get(u) in members),
        )


def plan_layout(
    members: Sequence[PlanMember],
    leaders: Sequence[int],
    size: int,
    current: Sequence[CurrentCircle] = (),
    *,
    fresh: bool = False,
) -> Layout:
    """Split `members` into circles of about `size` (see the module's description).

    `leaders` are the active leaders, longest-serving first; `current`, the open circles.
    """
    planner = _Planner(members)
    people = sorted(planner.language)
    present = set(people)
    lead = [leader for leader in dict.fromkeys(leaders) if leader in present]
    before: dict[int, frozenset[int]] = {
        c.circle_id: frozenset(u for u in c.member_ids if u in present) for c in current
    }
    bins: list[_Bin] = []
    if not fresh:
        leading = {c.leader_id for c in current if c.leader_id is not None}
        for circle in sorted(current, key=lambda c: c.circle_id):
            leader = circle.leader_id
            if leader is None:  # an open circle: a leader who is in it and leads nothing
                leader = next(
                    (x for x in lead if x in before[circle.circle_id] and x not in leading), None
                )
                if leader is not None:
                    leading.add(leader)
            existing = _Bin(
                len(bins),
                leader,
                planner.dominant(before[circle.circle_id]),
                circle.circle_id,
                before[circle.circle_id],
            )
            planner.put(existing.fixed, existing)
            bins.append(existing)
    for existing in bins:  # a leader in no circle joins the one they lead
        if existing.leader in present and existing.leader not in planner.where:
            planner.put((existing.leader,), existing)
    waiting = [u for u in people if u not in planner.where]
    if waiting:
        target = circle_count(len(people), size, len(lead))
        new = min(max(target - len(bins), 0 if bins else 1), len(waiting))
        leading = {b.leader for b in bins if b.leader is not None}
        unplaced = set(waiting)
        seeds = [x for x in lead if x in unplaced and x not in leading][:new]
        per_circle = math.ceil(len(people) / max(len(bins) + new, 1))
        slack = 1 if per_circle >= SLACK_FROM else 0
        planner.place_all(waiting, bins, seeds, per_circle + slack, new)
        planner.rebalance(bins, set(waiting), 1 + slack)
        planner.rebalance(bins, set(waiting), 1, free_only=True)
    closed: tuple[int, ...] = ()
    if fresh and current:
        closed = _continue_circles(bins, current, before)
    groups = tuple(
        planner.group(b, before.get(b.circle_id, frozenset()) if b.circle_id else frozenset())
        for b in bins
        if b.members or b.circle_id is not None
    )
    was_in = {u for people_in in before.values() for u in people_in}
    added = [u for g in groups for u in g.added_ids]
    return Layout(
        groups=groups,
        closed_ids=closed,
        pairs_total=sum(1 for c, p in planner.parent.items() if c in present and p in present),
        pairs_kept=sum(g.pairs_kept for g in groups),
        placed=sum(1 for u in added if u not in was_in),
        moved=sum(1 for u in added if u in was_in),
    )


def _continue_circles(
    bins: list[_Bin], current: Sequence[CurrentCircle], before: dict[int, frozenset[int]]
) -> tuple[int, ...]:
    """Match fresh groups to existing circles (same leader, else at least half of the
    circle's members); returns the circles that close."""
    used: set[int] = set()
    for target in bins:
        match = next(
            (
                c.circle_id
                for c in sorted(current, key=lambda c: c.circle_id)
                if target.leader is not None
                and c.leader_id == target.leader
                and c.circle_id not in used
            ),
            None,
        )
        if match is not None:
            target.circle_id = match
            used.add(match)
    overlaps = sorted(
        (-len(before[c.circle_id] & b.members), c.circle_id, b.index)
        for c in current
        if c.circle_id not in used
        for b in bins
        if b.circle_id is None
        and before[c.circle_id]
        and 2 * len(before[c.circle_id] & b.members) >= len(before[c.circle_id])
    )
    for _, circle_id, index in overlaps:
        if circle_id in used or bins[index].circle_id is not None:
            continue
        bins[index].circle_id = circle_id
        used.add(circle_id)
    return tuple(sorted(c.circle_id for c in current if c.circle_id not in used))
