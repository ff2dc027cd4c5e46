"""Leader duties end to end: the weekly list DM at Monday 09:00 under a clock the test moves (in
the leader's language, once across restarts), the closed-DM fallback, the review flag, /circle
checkin with every refusal, /circle duties, and /circles coverage for the founders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from bot.db import Database
from bot.i18n import t
from bot.services.clock import iso
from bot.services.leaders.duties import LIST_JOB, WEEK_JOB, next_list_time
from tests.conftest import FakeClock
from tests.emulator import Message
from tests.harness import BotHarness

from .helpers import ephemeral_text
from .membership_helpers import Community, build_community
from .test_leader_nominations import make_circle, pinged


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a state a job reaches (jobs run in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def join(c: Community, *, member: bool = True, locale: str = "en-US") -> int:
    """Someone joins (the bot records them in the gate); `member`: given the member role."""
    user = c.emu.add_user(locale=locale)
    members = c.h.bot.services.members
    await c.emu.member_join(c.guild_id, user.id)
    await until(lambda: stint_is(c, user.id, "pending"))
    if member:
        await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
        await until(lambda: stint_is(c, user.id, "member"))
    await c.h.settle()
    assert await members.current(c.guild_id, user.id) is not None
    return user.id


async def stint_is(c: Community, user_id: int, status: str) -> bool:
    current = await c.h.bot.services.members.current(c.guild_id, user_id)
    return current is not None and current.status == status


async def make_leader(c: Community, since: datetime, *, locale: str = "en-US") -> int:
    user = await join(c, locale=locale)
    await c.emu.update_member(c.guild_id, user, roles=[c.role("member"), c.role("leader")])
    async with c.h.bot.services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
            (c.guild_id, user, iso(since)),
        )
    return user


async def set_stint(
    db: Database,
    guild_id: int,
    user: int,
    *,
    status: str,
    joined: datetime,
    admitted: datetime | None = None,
    sponsor: int | None = None,
) -> None:
    """Shape the person's current stint (as if they had come through the gate back then)."""
    async with db.transaction() as tx:
        changed = await tx.execute_rowcount(
            "UPDATE member_stint SET status = ?, source = 'introduction', joined_at = ?, "
            "admitted_at = ?, sponsor_id = ? WHERE guild_id = ? AND user_id = ? "
            "AND status IN ('pending', 'member')",
            (
                status,
                iso(joined),
                iso(admitted) if admitted else None,
                sponsor,
                guild_id,
                user,
            ),
        )
    assert changed == 1


def week_dms(c: Community, user_id: int) -> list[Message]:
    return [m for m in c.emu.dms_to(user_id) if m.content.startswith("📋")]


async def test_weekly_list_dm_once_at_monday_nine_with_fallback_and_review(
    community: Community,
) -> None:
    c, emu = community, community.emu
    due = next_list_time(datetime.now(UTC), "UTC")
    clock = FakeClock(due - timedelta(hours=1))
    c.h.clock = clock
    await c.h.restart()  # the bot now runs on a clock the test moves
    services = c.h.bot.services
    [armed] = await services.jobs.pending(WEEK_JOB)
    assert (armed.key, armed.due_at) == (str(c.guild_id), due)  # armed at the first start

    long_ago = clock.now - timedelta(days=60)
    lea = await make_leader(c, long_ago)
    leo = await make_leader(c, long_ago)
    idle = await make_leader(c, long_ago)
    fresh, quiet, stuck, busy = [await join(c) for _ in range(4)]
    db = services.db
    await set_stint(
        db,
        c.guild_id,
        fresh,
        status="member",
        joined=clock.now,
        admitted=clock.now - timedelta(days=3),
    )
    await set_stint(db, c.guild_id, quiet, status="member", joined=long_ago, admitted=long_ago)
    await set_stint(
        db, c.guild_id, stuck, status="pending", joined=clock.now - timedelta(days=2), sponsor=quiet
    )
    await set_stint(db, c.guild_id, busy, status="member", joined=long_ago, admitted=long_ago)
    thread = await emu.start_thread(c.h.guild.channel.id, c.h.guild.owner.id, "Bottes circle")
    await make_circle(c, "Atelier", lea, [fresh, quiet])
    await make_circle(c, "Bottes", leo, [busy], channel=thread.id)
    await make_circle(c, "Idle's", idle, [])
    async with db.transaction() as tx:  # lea and leo were active; idle was not
        await tx.execute(
            "INSERT INTO engagement_daily (guild_id, user_id, day, kind, count) "
            "VALUES (?, ?, ?, 'message', 3)",
            (c.guild_id, lea, (clock.now - timedelta(days=2)).date().isoformat()),
        )
        await tx.execute(
            "INSERT INTO circle_checkin (guild_id, leader_id, member_id, at) VALUES (?, ?, ?, ?)",
            (c.guild_id, leo, busy, iso(clock.now - timedelta(days=8))),
        )
    # lea's Discord client is in French: her DMs are too. /circle duties shows the list now.
    shown = await ephemeral_text(await c.h.slash("circle", "duties", user_id=lea, locale="fr"))
    assert shown.startswith("📋 Cercle **Atelier**") and f"<@{fresh}>" in shown
    emu.set_dms_open(leo, False)
    emu.expect_violation("50007")  # the DM is tried first; closed DMs get the fallback

    # A restart a minute before Monday 09:00: nothing yet.
    await c.h.stop()
    clock.now = due - timedelta(minutes=1)
    await c.h.start()
    await c.h.settle()
    await c.h.bot.jobs.run_due()
    await c.h.bot.jobs.drain()
    assert week_dms(c, lea) == [] and week_dms(c, idle) == []

    clock.now = due + timedelta(minutes=1)
    c.h.bot.jobs.poke()
    services = c.h.bot.services
    dm = await emu.wait_for_message(
        predicate=lambda m: m.channel_id == emu.state.dm_channels.get(lea), timeout=10.0
    )
    assert dm.content.startswith("📋 Votre liste de la semaine pour le cercle **Atelier**")
    assert f"🌱 Nouveaux, dans leurs 14 premiers jours (1) : <@{fresh}>" in dm.content
    assert f"💤 Aucune activité depuis 21 jours (1) : <@{quiet}>" in dm.content
    assert f"(1) : <@{stuck}>" in dm.content and "0 membres sur 2" in dm.content
    fallback = await emu.wait_for_message(thread.id, lambda m: f"<@{leo}>" in m.content)
    assert fallback.content == f"<@{leo}>\n" + t("duties.fallback", "en-US")
    assert fallback.allowed_mentions is not None
    assert fallback.allowed_mentions.get("users") == [leo]  # pings only that leader
    assert f"<@{busy}>" not in fallback.content  # the names stay private
    review = await emu.wait_for_message(
        c.channel("leaders"), lambda m: m.content.startswith("🔎"), timeout=10.0
    )
    assert f"<@{idle}>" in review.content and "Idle's" in review.content
    assert f"<@{lea}>" not in review.content and f"<@{leo}>" not in review.content
    assert pinged(review) == set()  # a flag for the founders, not a call-out
    await until(lambda: no_jobs(c, LIST_JOB))
    await c.h.settle()
    assert len(week_dms(c, idle)) == 1 and "✨" in week_dms(c, idle)[0].content

    # Across a restart: nothing again; the next run is next Monday.
    await c.h.restart()
    await c.h.settle()
    await c.h.bot.jobs.run_due()
    await c.h.bot.jobs.drain()
    assert len(week_dms(c, lea)) == 1 and len(week_dms(c, idle)) == 1
    assert [j.due_at for j in await c.h.bot.services.jobs.pending(WEEK_JOB)] == [
        due + timedelta(weeks=1)
    ]
    reviews = [m for m in emu.messages_log if m.content.startswith("🔎")]
    assert len(reviews) == 1
    # Flagged, never removed: the leader keeps the role and the record.
    assert c.role("leader") in c.roles_of(idle)
    assert await c.h.bot.services.leader_duties.is_leader(c.guild_id, idle)

    # Next Monday: the list again, but the idle leader is not flagged twice in one period.
    clock.now = due + timedelta(weeks=1, minutes=1)
    c.h.bot.jobs.poke()
    await until(lambda: has_dms(c, lea, 2))
    await until(lambda: no_jobs(c, LIST_JOB))
    await c.h.settle()
    assert len([m for m in emu.messages_log if m.content.startswith("🔎")]) == 1


async def no_jobs(c: Community, kind: str) -> bool:
    return not await c.h.bot.services.jobs.pending(kind)


async def has_dms(c: Community, user_id: int, count: int) -> bool:
    return len(week_dms(c, user_id)) >= count


async def test_checkin_and_coverage_with_every_refusal(community: Community) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    since = services.clock() - timedelta(days=60)
    lea = await make_leader(c, since)
    leo = await make_leader(c, since)
    mine, other, also_mine = await join(c), await join(c), await join(c)
    atelier = await make_circle(c, "Atelier @everyone", lea, [mine, also_mine])
    await make_circle(c, "Bottes", leo, [other])
    ordinary = c.sponsor

    done = await ephemeral_text(await c.h.slash("circle", "checkin", {"member": mine}, user_id=lea))
    assert done == t(
        "circle.checkin.done",
        "en-US",
        member=f"<@{mine}>",
        circle="Atelier @everyone",
        checked=1,
        total=2,
        days=30,
    )

    refusals = [
        (ordinary, mine, "en-US", t("circle.leaders_only", "en-US")),  # even if opened to all
        (c.h.guild.owner.id, mine, "en-US", t("circle.leaders_only", "en-US")),  # a founder
        (lea, other, "en-US", t("circle.checkin.not_in_circle", "en-US", member=f"<@{other}>")),
        (lea, ordinary, "fr", t("circle.checkin.not_in_circle", "fr", member=f"<@{ordinary}>")),
        (lea, emu.bot_user.id, "en-US", t("circle.checkin.bot", "en-US")),
        (lea, lea, "pt-BR", t("circle.checkin.self", "pt-BR")),
    ]
    for user, member, locale, expected in refusals:
        rec = await c.h.slash("circle", "checkin", {"member": member}, user_id=user, locale=locale)
        assert await ephemeral_text(rec) == expected, (user, member)
    rows = await services.db.fetch_all("SELECT leader_id, member_id FROM circle_checkin")
    assert [tuple(r) for r in rows] == [(lea, mine)]  # the refusals wrote nothing
    duties = await ephemeral_text(await c.h.slash("circle", "duties", user_id=ordinary))
    assert duties == t("circle.leaders_only", "en-US")

    # The founders see the coverage per circle; after a restart, from the database.
    await c.h.restart()
    coverage = await ephemeral_text(await c.h.slash("circles", "coverage"))
    lines = coverage.splitlines()
    assert lines[0] == t("coverage.title", "en-US", days=30, count=2)
    assert lines[1].startswith(
        f"• **Atelier @everyone** (leader <@{lea}>): 1 of 2 checked in (50%)"
    )
    assert lines[2].startswith(f"• **Bottes** (leader <@{leo}>): 0 of 1 checked in (0%)")
    assert lines[2].endswith(t("coverage.never", "en-US"))
    assert lines[3] == t("coverage.total", "en-US", checked=1, total=3)
    for user in (ordinary, lea):
        refused = await c.h.slash("circles", "coverage", user_id=user, locale="da")
        assert await ephemeral_text(refused) == t("errors.moderator_required", "da")
    listed = await c.h.bot.services.leader_duties.coverage(c.guild_id)
    assert [(x.circle_id, x.checked_in) for x in listed][:1] == [(atelier, 1)]
