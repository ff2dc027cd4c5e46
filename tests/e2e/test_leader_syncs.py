"""Founder-leader syncs end to end: /leaders sync schedule makes a leaders-only founder session
(event, announcement in the leaders channel, RSVP for leaders only), the next one follows when
one ends or is cancelled (also across a restart, once), /leaders sync show and stop, and every
refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.db import Database
from bot.i18n import t
from bot.services import Services
from bot.services.clock import iso
from bot.services.leaders.syncs import ROLL_GRACE, ROLL_JOB, occurrence
from bot.services.sessions.models import Session
from tests.conftest import FakeClock
from tests.emulator import Message
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community


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


def in_days(days: float, hour: int = 18) -> datetime:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def typed(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


async def make_leader(c: Community) -> int:
    user = c.emu.add_user()
    await c.emu.member_join(c.guild_id, user.id)
    await c.h.settle()
    await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member"), c.role("leader")])
    async with c.h.bot.services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
            (c.guild_id, user.id, iso(datetime.now(UTC))),
        )
    return user.id


def posts_in(c: Community, purpose: str) -> list[Message]:
    return [
        m
        for m in c.emu.messages_log
        if m.channel_id == c.channel(purpose) and m.embeds and not m.deleted
    ]


def rsvp_id(post: Message) -> str:
    [found] = [
        str(child["custom_id"])
        for row in post.components
        for child in row.get("components", [])
        if str(child.get("custom_id", "")).startswith("session:rsvp:")
    ]
    return found


async def sync_sessions(c: Community) -> list[Session]:
    rows = await c.h.bot.services.db.fetch_all(
        "SELECT id FROM founder_session WHERE guild_id = ? AND audience = 'leaders' ORDER BY id",
        (c.guild_id,),
    )
    return [await c.h.bot.services.sessions.get(c.guild_id, row[0]) for row in rows]


async def test_schedule_rsvp_for_leaders_only_and_the_next_one_follows(
    community: Community,
) -> None:
    c, emu = community, community.emu
    leader = await make_leader(c)
    member = c.sponsor
    start = in_days(2)
    options = {"when": typed(start), "every": "week", "duration": "1h"}

    # Founders only, even when an admin opened the command to everyone; nothing is made.
    for user in (member, leader):
        refused = await c.h.slash("leaders", ["sync", "schedule"], options, user_id=user)
        assert await ephemeral_text(refused) == t("leaders.founders_only", "en-US")
    unreadable = await c.h.slash(
        "leaders", ["sync", "schedule"], {**options, "when": "next blursday"}, locale="fr"
    )
    assert await ephemeral_text(unreadable) == t(
        "session.when.unparseable", "fr", text="next blursday"
    )
    assert await sync_sessions(c) == [] and not emu.state.guilds[c.guild_id].events

    done = await ephemeral_text(await c.h.slash("leaders", ["sync", "schedule"], options))
    assert done.startswith("✅") and t("leaders.sync.every.week", "en-US") in done
    assert f"<t:{int(start.timestamp())}:F>" in done and typed(start) in done
    [first] = await sync_sessions(c)
    assert (first.audience, first.starts_at, first.minutes) == ("leaders", start, 60)
    assert first.title == t("leaders.sync.title", "en-US")
    event = emu.state.guilds[c.guild_id].events[first.event_id or 0]
    assert event.status == 1 and event.name == first.title
    assert posts_in(c, "announcements") == []  # not announced to everyone
    [post] = posts_in(c, "leaders")
    assert rsvp_id(post) == f"session:rsvp:{first.id}"
    again = await c.h.slash("leaders", ["sync", "schedule"], options)
    assert await ephemeral_text(again) == t("leaders.sync.exists", "en-US")

    # Only leaders may RSVP (the button and Discord's own "Interested").
    no = await reply(await emu.click(post.id, rsvp_id(post), member, locale="fr"))
    assert no.ephemeral and no.text() == t("session.leaders_only", "fr")
    yes = await reply(await emu.click(post.id, rsvp_id(post), leader))
    assert yes.text().startswith("You're going")
    await emu.event_subscribe(c.guild_id, event.id, member)
    await c.h.settle()
    ask = await reply(await emu.click(post.id, f"session:ask:{first.id}", member))
    assert ask.text() == t("session.leaders_only", "en-US")  # nor ask the founders
    assert await c.h.bot.services.sessions.rsvps(first.id) == [leader]
    # The sessions feature's reminders are armed for it (24 h and 15 min before, by default).
    reminders = await c.h.bot.services.jobs.pending("session.reminder")
    assert sorted(j.key for j in reminders if j.key.startswith(f"{first.id}:")) == [
        f"{first.id}:1440",
        f"{first.id}:15",
    ]
    # Listed to leaders and founders, not to the other members.
    hidden = await ephemeral_text(await c.h.slash("session", "list", user_id=member))
    assert hidden == t("session.list.empty", "en-US")
    seen = await ephemeral_text(await c.h.slash("session", "list", user_id=leader))
    assert first.title in seen
    shown = await ephemeral_text(await c.h.slash("leaders", ["sync", "show"], user_id=leader))
    assert t("leaders.sync.every.week", "en-US") in shown and "1 leaders going" in shown
    not_for_you = await c.h.slash("leaders", ["sync", "show"], user_id=member)
    assert await ephemeral_text(not_for_you) == t("leaders.sync.leaders_only", "en-US")

    # The sync takes place and ends: the next one is made a week later and announced.
    await ephemeral_text(await c.h.slash("session", "start", {"session": first.id}))
    await ephemeral_text(await c.h.slash("session", "end", {"session": first.id}))
    await c.h.settle()
    first_over, second = await sync_sessions(c)
    assert first_over.status == "completed" and second.status == "scheduled"
    assert second.starts_at == start + timedelta(weeks=1)
    assert second.event_id and second.event_id != first.event_id
    second_post = posts_in(c, "leaders")[-1]
    assert rsvp_id(second_post) == f"session:rsvp:{second.id}"
    recaps = [m for m in emu.messages_log if "Recap" in m.content]
    assert recaps and all(m.channel_id != c.channel("announcements") for m in recaps)


async def test_the_next_sync_is_made_once_after_a_restart_then_stopped(
    community: Community,
) -> None:
    c, emu = community, community.emu
    start = in_days(3)
    await ephemeral_text(
        await c.h.slash("leaders", ["sync", "schedule"], {"when": typed(start), "every": "2weeks"})
    )
    [first] = await sync_sessions(c)
    assert first.minutes == 45  # the default length

    # The session is cancelled while the roll-over never happened (the bot was down).
    await c.h.stop()
    db = Database(c.h.settings.database_path)
    await db.open()
    try:
        await Services.build(db).sessions.cancel(c.guild_id, first.id)
    finally:
        await db.close()
    await c.h.start()
    await c.h.settle()
    first_over, second = await sync_sessions(c)
    assert first_over.status == "cancelled"
    assert (second.status, second.starts_at) == ("scheduled", start + timedelta(weeks=2))
    assert second.event_id is not None
    await c.h.restart()
    await c.h.settle()
    assert len(await sync_sessions(c)) == 2  # once, across restarts
    assert len(posts_in(c, "leaders")) == 2

    # Stop: founders only; the upcoming one is cancelled with its event; no more follow.
    refused = await c.h.slash("leaders", ["sync", "stop"], user_id=c.sponsor, locale="pt-BR")
    assert await ephemeral_text(refused) == t("leaders.founders_only", "pt-BR")
    stopped = await ephemeral_text(await c.h.slash("leaders", ["sync", "stop"]))
    assert stopped == t("leaders.sync.stopped_cancelled", "en-US")
    await c.h.settle()
    assert [s.status for s in await sync_sessions(c)] == ["cancelled", "cancelled"]
    assert emu.state.guilds[c.guild_id].events[second.event_id].status == 4
    await c.h.restart()
    await c.h.settle()
    assert len(await sync_sessions(c)) == 2
    none = await c.h.slash("leaders", ["sync", "show"])
    assert await ephemeral_text(none) == t("leaders.sync.none", "en-US")
    gone = await c.h.slash("leaders", ["sync", "stop"])
    assert await ephemeral_text(gone) == t("leaders.sync.none", "en-US")


async def test_a_sync_left_open_is_closed_and_followed_by_the_job(community: Community) -> None:
    c, emu = community, community.emu
    clock = FakeClock(datetime.now(UTC))
    c.h.clock = clock
    await c.h.restart()  # the bot now runs on a clock the test moves
    start = in_days(1)
    await ephemeral_text(
        await c.h.slash("leaders", ["sync", "schedule"], {"when": typed(start), "every": "month"})
    )
    [first] = await sync_sessions(c)

    # Nobody started it; the bot was down past its end: cancelled at startup, the next made.
    await c.h.stop()
    clock.now = first.ends_at + ROLL_GRACE + timedelta(minutes=1)
    await c.h.start()
    await c.h.settle()
    first_over, second = await sync_sessions(c)
    assert first_over.status == "cancelled"
    assert emu.state.guilds[c.guild_id].events[first.event_id or 0].status == 4
    zone = (await c.h.bot.services.config.get(c.guild_id)).timezone
    anchor = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert second.starts_at == occurrence(anchor, "month", 1, zone)
    [job] = await c.h.bot.services.jobs.pending(ROLL_JOB)
    assert job.due_at == second.ends_at + ROLL_GRACE

    # Started but never ended: the job ends it (the recap is posted) and makes the next.
    await ephemeral_text(await c.h.slash("session", "start", {"session": second.id}))
    clock.now = second.ends_at + ROLL_GRACE
    c.h.bot.jobs.poke()

    async def three() -> bool:
        return len(await sync_sessions(c)) == 3

    await until(three)
    await c.h.settle()
    statuses = [s.status for s in await sync_sessions(c)]
    assert statuses == ["cancelled", "completed", "scheduled"]
    assert any("Recap" in m.content for m in emu.messages_log)
