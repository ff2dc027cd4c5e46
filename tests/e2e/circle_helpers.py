"""A community shaped for circles: two leaders with the people they introduced, a sponsor with
one, three more members; the bot may manage threads (or not)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.services.clock import iso
from bot.services.leaders.circle_models import CirclePlan
from cogs.circles._circle_render import languages
from tests.emulator import Channel, P

from .conftest import HarnessFactory
from .helpers import ephemeral_text
from .membership_helpers import Community, build_community
from .test_leader_nominations import join, rows

THREADS = P.MANAGE_THREADS  # @everyone already has Create Private Threads and Send in Threads


@dataclass
class Circled:
    """The community and who is who in it."""

    c: Community
    ana: int  # a leader who introduced a1, a2
    ben: int  # a leader who introduced b1, b2
    a1: int
    a2: int
    b1: int
    b2: int
    s1: int  # introduced by the community's sponsor
    others: tuple[int, ...]

    @property
    def intro(self) -> int:
        return self.c.channel("introductions")

    def families(self) -> list[set[int]]:
        return [
            {self.ana, self.a1, self.a2},
            {self.ben, self.b1, self.b2},
            {self.c.sponsor, self.s1},
        ]


async def circled(make_harness: HarnessFactory, *, manage_threads: bool = True) -> Circled:
    """/setup auto, eleven members (sponsor links and languages stored), two leaders, circles of
    about 4."""
    perms = P.BOT_DEFAULT | (THREADS if manage_threads else 0)
    h = await make_harness(bot_permissions=perms)
    c = await build_community(h)
    services = h.bot.services
    ana, ben = await join(c), await join(c)
    a1, a2, b1, b2, s1 = [await join(c) for _ in range(5)]
    others = tuple([await join(c) for _ in range(3)])
    sponsors = {a1: ana, a2: ana, b1: ben, b2: ben, s1: c.sponsor}
    async with services.db.transaction() as tx:
        await tx.executemany(
            "UPDATE member_stint SET sponsor_id = ?, source = 'introduction' "
            "WHERE guild_id = ? AND user_id = ? AND status = 'member'",
            [(sponsor, c.guild_id, user) for user, sponsor in sponsors.items()],
        )
        for position, leader in enumerate((ana, ben)):
            await tx.execute(
                "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
                (c.guild_id, leader, f"2026-0{position + 1}-01T00:00:00+00:00"),
            )
    for user in (ana, a1, a2, others[0]):
        await services.preferences.set_language(user, "fr")
    async with services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader_settings (guild_id, members_per_leader, updated_at) "
            "VALUES (?, 4, ?)",
            (c.guild_id, iso(services.clock())),
        )
    return Circled(c, ana, ben, a1, a2, b1, b2, s1, others)


async def slash_text(
    c: Community, sub: str, options: dict[str, object] | None = None, *, by: int | None = None
) -> str:
    """A /circles subcommand's ephemeral answer, once everything it does is done."""
    text = await ephemeral_text(await c.h.slash("circles", sub, options, user_id=by), timeout=10)
    await c.h.settle()
    return text


async def stored_plan(c: Community) -> CirclePlan:
    return (await c.h.bot.services.circles.apply_state(c.guild_id)).plan


def plan_text(plan: CirclePlan, locale: str = "en-US") -> str:
    """What /circles plan shows for a first plan of this community (built key by key)."""
    lines = [
        t("circles.plan.heading", locale, circles=len(plan.circles), members=11, size=4),
        t("circles.plan.pairs", locale, kept=plan.pairs_kept, total=plan.pairs_total),
        t("circles.plan.under_alert", locale, members=11, alert_at=30),
    ]
    for planned in plan.circles:
        leader = (
            t("circles.plan.led_by", locale, leader=f"<@{planned.leader_id}>")
            if planned.leader_id
            else t("circles.plan.open", locale)
        )
        lines.append(
            t(
                "circles.plan.line_new",
                locale,
                number=planned.number,
                name=planned.name,
                leader=leader,
                size=len(planned.member_ids) - (1 if planned.leader_id else 0),
                languages=languages(planned.languages, locale),
                pairs=planned.pairs_kept,
            )
        )
    return "\n".join(lines)


def thread_people(c: Community, thread_id: int) -> set[int]:
    """Who is in the thread, the bot aside."""
    thread = c.emu.state.channels[thread_id]
    assert thread.thread is not None
    return set(thread.thread.members) - {c.emu.bot_user.id}


def circle_threads(x: Circled) -> list[Channel]:
    return x.c.emu.threads_in(x.intro)


async def circle_rows(c: Community) -> list[tuple[object, ...]]:
    """(name, leader, thread, members) of the open circles, by name."""
    found = await c.h.bot.services.circles.circles(c.guild_id)
    return [(x.name, x.leader_id, x.channel_id, set(x.member_ids)) for x in found]


__all__ = ["Circled", "circle_rows", "circled", "plan_text", "rows", "slash_text"]
