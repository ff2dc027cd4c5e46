"""The planner's building blocks: the sponsor forest, cutting it into pieces that fit a circle,
and circle languages in proportion (see `circle_plan` for how a plan uses them)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence


def sponsor_links(members: Sequence[tuple[int, int | None]]) -> dict[int, int]:
    """newcomer -> sponsor, both members, with no loops (union-find, in user id order), from
    (member, sponsor) pairs."""
    present = {user_id for user_id, _ in members}
    root: dict[int, int] = {u: u for u in present}

    def find(node: int) -> int:
        while root[node] != node:
            root[node] = root[root[node]]
            node = root[node]
        return node

    links: dict[int, int] = {}
    for user_id, sponsor in sorted(members):
        if sponsor is None or sponsor == user_id or sponsor not in present:
            continue
        a, b = find(user_id), find(sponsor)
        if a == b:
            continue  # a loop (impossible in time, but the data is not ours to trust)
        root[a] = b
        links[user_id] = sponsor
    return links


def cut(
    nodes: Sequence[int], parent: dict[int, int], cap: int, forced: set[int]
) -> list[list[int]]:
    """Cut the forest over `nodes` into connected pieces of at most `cap` people: at each
    sponsor, the smallest branches stay attached; the others (and `forced` nodes) start pieces.
    Each piece lists its top member first."""
    kids: dict[int, list[int]] = defaultdict(list)
    for node in sorted(nodes):
        if node in parent:
            kids[parent[node]].append(node)
    roots = sorted(n for n in nodes if n not in parent)
    order: list[int] = []
    for top in roots:
        stack = [(top, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(kids[node]))
    remaining: dict[int, int] = {}
    starts: set[int] = set(roots)
    for node in order:
        total = 1
        branches = []
        for child in kids[node]:
            if child in forced:
                starts.add(child)
            else:
                branches.append((remaining[child], child))
        for size, child in sorted(branches):
            if total + size <= cap:
                total += size
            else:
                starts.add(child)
        remaining[node] = total
    pieces = []
    for start in sorted(starts):
        piece, todo = [], [start]
        while todo:
            node = todo.pop()
            piece.append(node)
            todo.extend(c for c in kids[node] if c not in starts)
        pieces.append([start, *sorted(piece[1:])])
    return pieces


def language_shares(count: int, languages: list[str | None]) -> list[str | None]:
    """`count` circle languages in proportion to `languages` (largest remainders)."""
    if count <= 0 or not languages:
        return []
    tally = Counter(languages)
    total = len(languages)
    shares = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    quota = {lang: count * n // total for lang, n in shares}
    left = count - sum(quota.values())
    by_remainder = sorted(
        shares, key=lambda kv: (-(count * kv[1] % total), -kv[1], kv[0] is None, kv[0] or "")
    )
    for lang, _ in by_remainder[:left]:
        quota[lang] += 1
    return [lang for lang, _ in shares for _ in range(quota[lang])]


def mismatch(label: str | None, language: str | None) -> int:
    """0: the circle's language; 1: a circle of unknown language, or a member of unknown
    language (so they fill those circles first, leaving room to the speakers); 2: another."""
    if label == language:
        return 0
    return 1 if label is None or language is None else 2
