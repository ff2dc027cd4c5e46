"""Circles end to end: /circles plan shows the plan (ephemeral, nothing changes), /circles apply
makes one private thread per circle with its leader and members (sponsors with the people they
introduced), /circles show, move and rename (mention strings ping nobody), a leader who leaves,
and every refusal: ordinary members, bad values, no plan."""

from __future__ import annotations

from bot.i18n import Text, t
from tests.emulator import P

from .circle_helpers import (
    circle_rows,
    circle_threads,
    circled,
    plan_text,
    rows,
    slash_text,
    stored_plan,
    thread_people,
)
from .conftest import HarnessFactory
from .test_leader_nominations import edit_role, join, pinged, role_seen, until

EN = "en-US"


async def test_plan_then_apply_keeps_sponsors_with_the_people_they_introduced(
    make_harness: HarnessFactory,
) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    owner = c.h.guild.owner.id

    mark = emu.mark()
    shown = await slash_text(c, "plan")
    plan = await stored_plan(c)
    assert shown == plan_text(plan)
    assert [(p.name, p.leader_id) for p in plan.circles] == [
        ("Circle 1", x.ana),
        ("Circle 2", x.ben),
        ("Circle 3", None),
    ]
    assert (plan.pairs_kept, plan.pairs_total) == (5, 5)
    members = {frozenset(p.member_ids) for p in plan.circles}
    for family in x.families():
        assert any(family <= m for m in members), family
    assert sorted(len(p.member_ids) for p in plan.circles) == [3, 4, 4]
    # The fourth French speaker joins the French leader's family.
    assert plan.circles[0].languages == (("fr", 4),) and x.others[0] in plan.circles[0].member_ids
    # Shown before anything changes: no thread, no circle, no call but the reply.
    assert [
        call.path
        for call in emu.calls[mark:]
        if not call.path.startswith(("/interactions/", "/webhooks/"))
    ] == []
    assert circle_threads(x) == [] and await circle_rows(c) == []

    text = await slash_text(c, "apply")
    assert text == t(
        "circles.apply.done", EN, circles=3, channel=f"<#{x.intro}>", created=3, added=11
    )
    threads = circle_threads(x)
    assert [(th.name, th.type, th.thread.invitable) for th in threads] == [  # type: ignore[union-attr]
        ("Circle 1", 12, False),
        ("Circle 2", 12, False),
        ("Circle 3", 12, False),
    ]
    assert await circle_rows(c) == [
        (p.name, p.leader_id, th.id, set(p.member_ids))
        for p, th in zip(plan.circles, threads, strict=True)
    ]
    for planned, thread in zip(plan.circles, threads, strict=True):
        assert thread_people(c, thread.id) == set(planned.member_ids)
        [welcome] = emu.thread_messages(thread.id)
        key = "circles.thread.welcome_led" if planned.leader_id else "circles.thread.welcome_open"
        params = {"leader": f"<@{planned.leader_id}>"} if planned.leader_id else {}
        assert welcome.content == t(key, EN, circle=planned.name, **params)
        assert pinged(welcome) == set()
    # Applied once: again is refused, and a new plan has nobody to place.
    assert await slash_text(c, "apply") == t("circles.apply.already", EN)
    assert len(circle_threads(x)) == 3
    again = await slash_text(c, "plan")
    assert t("circles.plan.nothing_to_place", EN, placed=0) in again.splitlines()

    # /circles show: every circle for founders, a leader's own with its members.
    listing = await slash_text(c, "show")
    assert listing.splitlines()[0] == t("circles.show.heading", EN, count=3, members=9)
    assert listing.splitlines()[1] == t(
        "circles.show.line",
        EN,
        name="Circle 1",
        leader=t("circles.plan.led_by", EN, leader=f"<@{x.ana}>"),
        size=3,
        thread=f"<#{threads[0].id}>",
    )
    mine = await slash_text(c, "show", by=x.ana)
    people = sorted(u for u in plan.circles[0].member_ids if u != x.ana)
    assert mine == t(
        "circles.show.mine",
        EN,
        name="Circle 1",
        thread=f"<#{threads[0].id}>",
        size=3,
        members=", ".join(f"<@{u}>" for u in people),
    )
    assert owner not in thread_people(c, threads[0].id)


async def test_move_rename_and_mention_strings(make_harness: HarnessFactory) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    await slash_text(c, "apply")
    one, two, three = circle_threads(x)
    [first, second, _] = await c.h.bot.services.circles.circles(c.guild_id)

    moved = await slash_text(c, "move", {"member": x.a2, "circle": str(second.id)}, by=None)
    assert moved == t(
        "circles.move.done", EN, member=f"<@{x.a2}>", source="Circle 1", target="Circle 2"
    )
    assert x.a2 in thread_people(c, two.id) and x.a2 not in thread_people(c, one.id)
    joined = emu.thread_messages(two.id)[-1]
    assert joined.content == t("circles.thread.joined", EN, member=f"<@{x.a2}>", circle="Circle 2")
    assert pinged(joined) == set()
    # By name, any case, too.
    back = await slash_text(c, "move", {"member": x.a2, "circle": "circle 1"})
    assert back.startswith(
        t("circles.move.done", EN, member=f"<@{x.a2}>", source="Circle 2", target="Circle 1")[:20]
    )

    name = "Les bottes <@{}> @everyone @here <@&{}>".format(c.h.guild.owner.id, c.role("member"))
    renamed = await slash_text(c, "rename", {"circle": str(first.id), "name": name})
    stored = (
        f"Les bottes <@\u200b{c.h.guild.owner.id}> @\u200beveryone @\u200bhere "
        f"<@\u200b&{c.role('member')}>"
    )
    assert renamed == t("circles.rename.done", EN, old="Circle 1", name=stored)
    assert emu.state.channels[one.id].name == stored
    note = emu.thread_messages(one.id)[-1]
    assert note.content == t("circles.thread.renamed", EN, name=stored)
    assert pinged(note) == set()
    assert (await c.h.bot.services.circles.get(c.guild_id, first.id)).name == stored  # type: ignore[union-attr]

    # Refusals, each localized, changing nothing.
    before = await rows(c, "SELECT user_id, circle_id FROM circle_member ORDER BY user_id")
    newcomer = await join(c, member=False)
    bot_user = emu.bot_user.id
    stranger = emu.add_user().id
    cases = [
        ({"member": x.b1, "circle": "Nowhere"}, t("circles.unknown", EN)),
        (
            {"member": x.b1, "circle": str(second.id)},
            t("circles.move.already", EN, member=f"<@{x.b1}>", circle="Circle 2"),
        ),
        (
            {"member": x.ben, "circle": str(first.id)},
            t("circles.move.leader", EN, member=f"<@{x.ben}>", circle="Circle 2"),
        ),
        (
            {"member": newcomer, "circle": str(first.id)},
            t("circles.move.newcomer", EN, member=f"<@{newcomer}>"),
        ),
        (
            {"member": stranger, "circle": str(first.id)},
            t("circles.move.not_member", EN, member=f"<@{stranger}>"),
        ),
        (
            {"member": bot_user, "circle": str(first.id)},
            t("circles.move.bot", EN, member=f"<@{bot_user}>"),
        ),
    ]
    for options, expected in cases:
        assert await slash_text(c, "move", options) == expected, options
    taken = await slash_text(c, "rename", {"circle": str(first.id), "name": "circle 3"})
    assert taken == t("circles.name.taken", EN, name="circle 3")
    blank = await slash_text(c, "rename", {"circle": str(first.id), "name": "   "})
    assert blank == t("circles.name.empty", EN)
    unknown = await slash_text(c, "rename", {"circle": "Nowhere", "name": "X"})
    assert unknown == t("circles.unknown", EN)
    assert await rows(c, "SELECT user_id, circle_id FROM circle_member ORDER BY user_id") == before
    assert [th.name for th in circle_threads(x)] == [stored, "Circle 2", "Circle 3"]
    assert three.name == "Circle 3"

    # Discord refuses the thread (Manage Threads taken away): the move is undone.
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    await edit_role(emu, c.guild_id, bot_role.id, permissions=P.BOT_DEFAULT)
    await role_seen(c, bot_role.id, permissions=P.BOT_DEFAULT)
    refused = await slash_text(c, "move", {"member": x.b1, "circle": str(first.id)})
    assert refused == t(
        "circles.move.refused",
        EN,
        member=f"<@{x.b1}>",
        circle=stored,
        permission=(Text("permission.manage_threads"),),
    )
    assert await rows(c, "SELECT user_id, circle_id FROM circle_member ORDER BY user_id") == before


async def test_ordinary_members_are_refused_everything_but_their_own_show(
    make_harness: HarnessFactory,
) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    assert await slash_text(c, "apply") == t("circles.apply.no_plan", EN)
    assert await slash_text(c, "show") == t("circles.show.none", EN)
    await slash_text(c, "plan")
    plan_before = await rows(c, "SELECT plan, created_at FROM circle_plan")
    mark = emu.mark()
    moderator = t("errors.moderator_required", EN)
    attempts: list[tuple[str, dict[str, object]]] = [
        ("plan", {"fresh": True}),
        ("apply", {}),
        ("move", {"member": x.a1, "circle": "Circle 1"}),
        ("rename", {"circle": "Circle 1", "name": "Mine now"}),
    ]
    for sub, options in attempts:
        # Admins may open /circles to everyone: the bot checks again when it runs.
        assert await slash_text(c, sub, options, by=x.a1) == moderator, sub
    assert await slash_text(c, "show", by=x.a1) == t("circles.show.not_allowed", EN)
    # A leader with no circle yet is told so.
    assert await slash_text(c, "show", by=x.ana) == t("circle.none", EN)
    assert await rows(c, "SELECT plan, created_at FROM circle_plan") == plan_before
    assert all(call.index < mark for call in emu.calls_matching("POST", r"/threads$"))
    assert circle_threads(x) == [] and await circle_rows(c) == []

    # The leaders channel is hidden from members: threads there would be unreachable.
    hidden = await slash_text(c, "apply", {"channel": c.channel("leaders")})
    assert hidden == t("circles.apply.channel_hidden", EN, channel=f"<#{c.channel('leaders')}>")
    assert circle_threads(x) == []


async def test_a_leader_who_leaves_leaves_their_circle_open(make_harness: HarnessFactory) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    await slash_text(c, "apply")
    [first, *_] = await c.h.bot.services.circles.circles(c.guild_id)
    await emu.member_leave(c.guild_id, x.ana)
    await emu.wait_for_message(c.channel("leaders"), lambda m: m.content.startswith("🚪"))
    await c.h.settle()
    assert await rows(c, "SELECT status FROM leader WHERE user_id = ?", x.ana) == [("left",)]
    flagged = await c.h.bot.services.circles.get(c.guild_id, first.id)
    assert flagged is not None and flagged.leader_id is None
    assert x.ana not in flagged.member_ids and {x.a1, x.a2} <= set(flagged.member_ids)
    listing = await slash_text(c, "show")
    assert (
        t(
            "circles.show.line",
            EN,
            name="Circle 1",
            leader=t("circles.plan.open", EN),
            size=len(flagged.member_ids),
            thread=f"<#{first.channel_id}>",
        )
        in listing.splitlines()
    )
    # A member who leaves the server leaves their circle.
    circles = c.h.bot.services.circles
    await emu.member_leave(c.guild_id, x.b2)

    async def out() -> bool:
        return await circles.circle_of(c.guild_id, x.b2) is None

    await until(out)


async def test_a_fresh_plan_regroups_and_closes_a_circle(make_harness: HarnessFactory) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    await slash_text(c, "apply")
    one, two, three = circle_threads(x)
    async with c.h.bot.services.db.transaction() as tx:  # circles of about 6 now: two suffice
        await tx.execute("UPDATE leader_settings SET members_per_leader = 6")

    shown = (await slash_text(c, "plan", {"fresh": True})).splitlines()
    plan = await stored_plan(c)
    assert [(p.name, p.leader_id) for p in plan.circles] == [
        ("Circle 1", x.ana),
        ("Circle 2", x.ben),
    ]
    [closing] = plan.closing
    assert (closing.name, closing.channel_id) == ("Circle 3", three.id)
    assert t(
        "circles.plan.fresh", EN, moved=plan.moved, placed=0, closing=1
    ) in shown and plan.moved == len(closing.member_ids)
    assert t("circles.plan.closing", EN, names="**Circle 3**") in shown
    assert (plan.pairs_kept, plan.pairs_total) == (5, 5)
    assert not emu.state.channels[three.id].thread.archived  # type: ignore[union-attr]

    moved = plan.moved
    text = await slash_text(c, "apply")
    assert text == t(
        "circles.apply.done", EN, circles=2, channel=f"<#{x.intro}>", created=0, added=moved
    )
    assert circle_threads(x) == [one, two, three]
    for planned, thread in zip(plan.circles, (one, two), strict=True):
        assert thread_people(c, thread.id) == set(planned.member_ids)
    closed = emu.state.channels[three.id].thread
    assert closed is not None and (closed.archived, closed.locked) == (True, True)
    assert emu.thread_messages(three.id)[-1].content == t("circles.thread.closed", EN)
    assert [name for name, *_ in await circle_rows(c)] == ["Circle 1", "Circle 2"]
    assert await rows(c, "SELECT count(*) FROM circle WHERE closed_at IS NOT NULL") == [(1,)]
