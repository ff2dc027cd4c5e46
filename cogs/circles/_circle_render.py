"""What /circles plan and /circles show look like."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.i18n import LOCALE_NAMES, t
from bot.services.leaders.circle_models import CirclePlan, PlannedCircle
from bot.services.leaders.models import Circle

LIMIT = 2000  # characters of one message
NAMED = 25  # members named per circle in a leader's view; the rest are counted


def languages(pairs: Sequence[tuple[str, int]], locale: object) -> str:
    """ "Français 8, English 5, unknown 1"."""
    return ", ".join(
        f"{LOCALE_NAMES.get(lang, lang) if lang else t('circles.language.unknown', locale)} {n}"
        for lang, n in pairs
    )


def leader_text(leader_id: int | None, locale: object) -> str:
    """ "led by @X" or "open (no leader yet)"."""
    if leader_id is None:
        return t("circles.plan.open", locale)
    return t("circles.plan.led_by", locale, leader=f"<@{leader_id}>")


def size_of(member_ids: Sequence[int], leader_id: int | None) -> int:
    """Members of a circle, not counting its leader (as /leaders list counts)."""
    return len(member_ids) - (1 if leader_id in member_ids else 0)


def plan_summary(plan: CirclePlan, locale: object) -> list[str]:
    """The plan's opening lines: counts, what happens to existing circles, sponsors, size."""
    lines = [
        t(
            "circles.plan.heading",
            locale,
            circles=len(plan.circles),
            members=plan.members,
            size=plan.members_per_leader,
        )
    ]
    if plan.fresh and plan.had_circles:
        lines.append(
            t(
                "circles.plan.fresh",
                locale,
                moved=plan.moved,
                placed=plan.placed,
                closing=len(plan.closing),
            )
        )
    elif plan.had_circles:
        key = "circles.plan.keeps" if plan.placed else "circles.plan.nothing_to_place"
        lines.append(t(key, locale, placed=plan.placed))
    if plan.pairs_total:
        lines.append(t("circles.plan.pairs", locale, kept=plan.pairs_kept, total=plan.pairs_total))
    if plan.members < plan.alert_at:
        lines.append(
            t("circles.plan.under_alert", locale, members=plan.members, alert_at=plan.alert_at)
        )
    if len(plan.circles) == 1:
        lines.append(t("circles.plan.one_circle", locale))
    if plan.closing:
        names = ", ".join(f"**{c.name}**" for c in plan.closing)
        lines.append(t("circles.plan.closing", locale, names=names))
    return lines


def plan_line(circle: PlannedCircle, locale: object) -> str:
    """One planned circle: name, leader, size, languages, sponsor pairs kept."""
    params: dict[str, object] = {
        "number": circle.number,
        "name": circle.name,
        "leader": leader_text(circle.leader_id, locale),
        "size": size_of(circle.member_ids, circle.leader_id),
        "languages": languages(circle.languages, locale) or "-",
        "pairs": circle.pairs_kept,
    }
    if circle.circle_id is None:
        return t("circles.plan.line_new", locale, **params)
    return t(
        "circles.plan.line_existing",
        locale,
        added=len(circle.added_ids),
        removed=len(circle.removed_ids),
        **params,
    )


def fit_plan(plan: CirclePlan, locale: object) -> tuple[str, str | None]:
    """The message (summary and the circles that fit) and, when some did not fit, the whole
    plan as text for an attachment."""
    summary = "\n".join(plan_summary(plan, locale))
    lines = [plan_line(c, locale) for c in plan.circles]
    shown = summary
    for position, line in enumerate(lines):
        more = t("circles.plan.more", locale, count=len(lines) - position)
        if len(shown) + len(line) + len(more) + 2 > LIMIT:
            return f"{shown}\n{more}", "\n".join([summary, "", *lines])
        shown = f"{shown}\n{line}"
    return shown, None


def show_lines(circles: Sequence[Circle], locale: object) -> list[str]:
    """Every circle in one line, for founders and moderators."""
    members = sum(size_of(c.member_ids, c.leader_id) for c in circles)
    lines = [t("circles.show.heading", locale, count=len(circles), members=members)]
    for circle in circles:
        lines.append(
            t(
                "circles.show.line",
                locale,
                name=circle.name,
                leader=leader_text(circle.leader_id, locale),
                size=size_of(circle.member_ids, circle.leader_id),
                thread=thread_text(circle, locale),
            )
        )
    return lines


def mine_lines(circles: Sequence[Circle], locale: object) -> list[str]:
    """A leader's circles with their members."""
    lines = []
    for circle in circles:
        people = [u for u in circle.member_ids if u != circle.leader_id]
        named = ", ".join(f"<@{u}>" for u in people[:NAMED])
        if len(people) > NAMED:
            named += f" (+{len(people) - NAMED})"
        lines.append(
            t(
                "circles.show.mine",
                locale,
                name=circle.name,
                thread=thread_text(circle, locale),
                size=len(people),
                members=named or t("circles.show.nobody", locale),
            )
        )
    return lines


def thread_text(circle: Circle, locale: object) -> str:
    """A link to the circle's thread."""
    return f"<#{circle.channel_id}>" if circle.channel_id else t("circles.show.no_thread", locale)


def pages(lines: Sequence[str]) -> Iterator[str]:
    """Lines gathered into messages of at most LIMIT characters."""
    page = ""
    for line in lines:
        line = line[:LIMIT]
        if page and len(page) + len(line) + 1 > LIMIT:
            yield page
            page = line
        else:
            page = f"{page}\n{line}" if page else line
    if page:
        yield page
