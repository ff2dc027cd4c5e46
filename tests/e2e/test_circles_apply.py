"""/circles apply end to end when things go wrong: Discord failing half-way and the bot dying
right after making a thread (running apply again resumes, with no twin thread and no second
welcome), a plan gone stale (refused, and what was made is undone), the bot lacking Manage
Threads (the founder is told which permission, once), and newly admitted members joining their
sponsor's circle and its thread."""

from __future__ import annotations

import asyncio

import pytest

from bot.i18n import Text, t
from tests.emulator import P

from .circle_helpers import (
    Circled,
    circle_rows,
    circle_threads,
    circled,
    slash_text,
    stored_plan,
    thread_people,
)
from .conftest import HarnessFactory
from .membership_helpers import Community, invite_code
from .test_leader_nominations import edit_role, join, posts_in, role_seen, stint_is, until

EN = "en-US"
MANAGE_THREADS = (Text("permission.manage_threads"),)


def fail_filling_ben_s_circle(x: Circled) -> None:
    """Discord answers 400 when the bot adds Ben (the first person of circle 2) to its thread."""
    x.c.emu.inject_fault("PUT", rf"/thread-members/{x.ben}$", 400, code=50035)


async def test_apply_resumes_after_a_failure_and_a_restart_without_twins(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    plan = await stored_plan(c)

    # 1. Discord fails while the second circle's thread is being filled.
    fail_filling_ben_s_circle(x)
    assert await slash_text(c, "apply") == t("circles.apply.interrupted", EN)
    assert [th.name for th in circle_threads(x)] == ["Circle 1", "Circle 2"]
    assert await circle_rows(c) == []  # the circles are written once every thread is ready
    state = await c.h.bot.services.circles.apply_state(c.guild_id)
    assert (sorted(state.threads), sorted(state.filled)) == ([1, 2], [1])
    assert await slash_text(c, "plan") == t("circles.plan.apply_running", EN)

    # 2. Running it again, the bot dies right after Discord made the third thread, before
    # recording it anywhere.
    circles = c.h.bot.services.circles
    record = circles.record_thread

    async def dies_on_the_third(guild_id: int, number: int, thread_id: int, *, made: bool) -> None:
        if number == 3:
            await asyncio.Event().wait()
        await record(guild_id, number, thread_id, made=made)

    monkeypatch.setattr(circles, "record_thread", dies_on_the_third)
    await c.h.slash("circles", "apply")
    await emu.wait_for_thread(x.intro, lambda th: th.name == "Circle 3")
    running = c.h.bot.in_flight()
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    await c.h.restart()

    # 3. After the restart, apply picks up where it stopped: the unrecorded thread is taken,
    # not made twice; nobody is added or welcomed twice.
    mark = emu.mark()
    done = await slash_text(c, "apply")
    third = plan.circles[2]
    assert done == "\n".join(
        [
            t(
                "circles.apply.done",
                EN,
                circles=3,
                channel=f"<#{x.intro}>",
                created=0,
                added=len(third.member_ids),
            ),
            t("circles.apply.resumed", EN),
        ]
    )
    assert emu.calls_matching("POST", r"/threads$")[-1].index < mark
    threads = circle_threads(x)
    assert [th.name for th in threads] == ["Circle 1", "Circle 2", "Circle 3"]
    for planned, thread in zip(plan.circles, threads, strict=True):
        assert thread_people(c, thread.id) == set(planned.member_ids)
        assert len(emu.thread_messages(thread.id)) == 1  # one welcome each
    assert await circle_rows(c) == [
        (p.name, p.leader_id, th.id, set(p.member_ids))
        for p, th in zip(plan.circles, threads, strict=True)
    ]
    assert await slash_text(c, "apply") == t("circles.apply.already", EN)


async def test_a_stale_plan_is_refused_and_what_was_made_is_undone(
    make_harness: HarnessFactory,
) -> None:
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    late = await join(c)  # admitted after the plan was shown
    mark = emu.mark()
    assert await slash_text(c, "apply") == t("circles.apply.stale", EN)
    assert [call for call in emu.calls[mark:] if "thread" in call.path] == []

    again = await slash_text(c, "plan")
    assert t("circles.plan.heading", EN, circles=3, members=12, size=4) == again.splitlines()[0]
    assert late in {u for p in (await stored_plan(c)).circles for u in p.member_ids}
    fail_filling_ben_s_circle(x)
    assert await slash_text(c, "apply") == t("circles.apply.interrupted", EN)
    made = circle_threads(x)
    assert len(made) == 2
    await emu.member_leave(c.guild_id, x.others[2])  # the community changes meanwhile
    await until(lambda: gone(c, x.others[2]))
    await c.h.settle()
    assert await slash_text(c, "apply") == t("circles.apply.stale", EN)
    assert circle_threads(x) == []  # the threads it had made are deleted
    assert all(th.id not in emu.state.channels for th in made)
    assert await circle_rows(c) == []
    assert await slash_text(c, "apply") == t("circles.apply.no_plan", EN)


async def gone(c: Community, user_id: int) -> bool:
    return await c.h.bot.services.members.current(c.guild_id, user_id) is None


async def admitted(c: Community, name: str) -> int:
    """Introduced by the community's sponsor, through the gate, admitted automatically."""
    code = invite_code((await c.introduce(name)).text())
    user = await c.join_through(code)
    await c.pass_rules(user.id)
    await (await c.tell_story(user.id)).wait_followup()
    await until(lambda: stint_is(c, user.id, "member"))
    await c.h.settle()
    return user.id


async def test_missing_manage_threads_and_new_members_joining_their_sponsors_circle(
    make_harness: HarnessFactory,
) -> None:
    x = await circled(make_harness, manage_threads=False)
    c, emu = x.c, x.c.emu
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    await slash_text(c, "plan")
    mark = emu.mark()
    refused = await slash_text(c, "apply")
    assert refused == t(
        "circles.apply.missing_permissions",
        EN,
        channel=f"<#{x.intro}>",
        permissions=MANAGE_THREADS,
    )
    assert [call for call in emu.calls[mark:] if "thread" in call.path] == []
    assert not (await c.h.bot.services.circles.apply_state(c.guild_id)).started

    await edit_role(emu, c.guild_id, bot_role.id, permissions=P.BOT_DEFAULT | P.MANAGE_THREADS)
    await role_seen(c, bot_role.id, permissions=P.BOT_DEFAULT | P.MANAGE_THREADS)
    assert (await slash_text(c, "apply")).startswith("✅")
    circles = c.h.bot.services.circles
    home = await circles.circle_of(c.guild_id, c.sponsor)
    assert home is not None and home.channel_id is not None

    # Introduced by the sponsor: into the sponsor's circle and its thread, said there.
    maya = await admitted(c, "Maya")
    assert (await circles.circle_of(c.guild_id, maya)).id == home.id  # type: ignore[union-attr]
    assert maya in thread_people(c, home.channel_id)
    joined = emu.thread_messages(home.channel_id)[-1]
    assert joined.content == t("circles.thread.joined", EN, member=f"<@{maya}>", circle=home.name)

    # Manage Threads taken away: the founders hear it once in the log channel, nobody is left
    # half-placed, and Discord is never asked for a 403.
    await edit_role(emu, c.guild_id, bot_role.id, permissions=P.BOT_DEFAULT)
    await role_seen(c, bot_role.id, permissions=P.BOT_DEFAULT)
    mark, logged = emu.mark(), len(emu.messages_log)
    noor, lea = await admitted(c, "Noor"), await admitted(c, "Léa")
    warnings = [m.content for m in posts_in(c, "log", logged) if m.content.startswith("⚠️")]
    assert warnings == [
        t(
            "circles.log.thread_refused",
            EN,
            member=f"<@{noor}>",
            circle=home.name,
            permission=MANAGE_THREADS,
        )
    ]
    assert await circles.circle_of(c.guild_id, noor) is None
    assert await circles.circle_of(c.guild_id, lea) is None
    assert [call for call in emu.calls[mark:] if "/thread-members/" in call.path] == []
    assert {noor, lea}.isdisjoint(thread_people(c, home.channel_id))
    # The next plan places them.
    plan_text = await slash_text(c, "plan")
    assert t("circles.plan.keeps", EN, placed=2) in plan_text.splitlines()


async def test_members_made_by_hand_join_a_circle_too(make_harness: HarnessFactory) -> None:
    """A moderator gives the member role in Discord: a newcomer in the gate joins their
    sponsor's circle, someone the bot had no record of joins the smallest circle."""
    x = await circled(make_harness)
    c, emu = x.c, x.c.emu
    await slash_text(c, "plan")
    assert (await slash_text(c, "apply")).startswith("✅")
    circles = c.h.bot.services.circles
    home = await circles.circle_of(c.guild_id, c.sponsor)
    assert home is not None and home.channel_id is not None

    maya = await c.join_through(invite_code((await c.introduce("Maya")).text()))
    await until(lambda: stint_is(c, maya.id, "pending"))
    roles = [r for r in c.roles_of(maya.id) if r != c.role("newcomer")]
    await emu.update_member(c.guild_id, maya.id, roles=[*roles, c.role("member")])
    await until(lambda: stint_is(c, maya.id, "member"))
    await c.h.settle()
    assert (await circles.circle_of(c.guild_id, maya.id)).id == home.id  # type: ignore[union-attr]
    assert maya.id in thread_people(c, home.channel_id)

    sizes = {circle.id: len(circle.member_ids) for circle in await circles.circles(c.guild_id)}
    smallest = min(sizes, key=lambda circle_id: (sizes[circle_id], circle_id))
    owner = c.h.guild.owner.id  # in the server from the start, never recorded as a member
    assert await c.h.bot.services.members.current(c.guild_id, owner) is None
    await emu.update_member(c.guild_id, owner, roles=[*c.roles_of(owner), c.role("member")])
    await until(lambda: stint_is(c, owner, "member"))
    await c.h.settle()
    placed = await circles.circle_of(c.guild_id, owner)
    assert placed is not None and placed.id == smallest
    assert placed.channel_id is not None and owner in thread_people(c, placed.channel_id)
