"""Engagement signals end to end: messages counted from metadata only (and never their text, not
even in the database files), sessions, an introduction that stayed 30 days, feedback and its
upvotes, poll votes, the buffer written at shutdown and on its interval, and /leaders optout."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import discord
import pytest
import pytest_asyncio

from bot.client import intents
from bot.i18n import t
from bot.services.leaders.signals import UPKEEP_JOB, SignalKind, next_upkeep
from cogs.leaders._signals import FLUSH_SECONDS, SignalRunner
from tests.conftest import FakeClock
from tests.emulator import FORUM, Intents
from tests.emulator import messaging as emu_messaging
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, invite_code


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


def runner(c: Community) -> SignalRunner:
    """The running bot's SignalRunner (its module is re-imported at each start, hence no
    isinstance)."""
    cog = c.h.bot.get_cog("SignalRunner")
    assert cog is not None and type(cog).__name__ == "SignalRunner"
    return cast(SignalRunner, cog)


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a state the bot reaches in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def counted(c: Community, pending: int) -> None:
    """Wait until the bot has counted `pending` messages (not yet written)."""

    async def reached() -> bool:
        return runner(c).tally.pending >= pending

    await until(reached)


async def total(c: Community, user_id: int, kind: SignalKind) -> int:
    totals = await c.h.bot.services.signals.totals(c.guild_id, date(2000, 1, 1), user_ids=[user_id])
    return totals.get(user_id, {}).get(kind, 0)


async def make_member(c: Community, locale: str = "en-US") -> int:
    """Someone who joins and is given the member role (admitted by hand)."""
    user = c.emu.add_user(locale=locale)
    await c.emu.member_join(c.guild_id, user.id)
    await c.h.settle()
    await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])

    async def admitted() -> bool:
        stint = await c.h.bot.services.members.current(c.guild_id, user.id)
        return stint is not None and stint.status == "member"

    await until(admitted)
    return user.id


def stored_rows(path: Path) -> set[tuple[int, str, str, int, int]]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT user_id, day, kind, channel_id, count FROM engagement_daily "
            "WHERE kind = 'message'"
        ).fetchall()
    return {tuple(row) for row in found}  # type: ignore[misc]


# -- messages ------------------------------------------------------------------------------------
async def test_messages_are_counted_by_author_channel_and_day(community: Community) -> None:
    c, emu = community, community.emu
    general = c.h.guild.channel.id
    lounge = await emu.create_channel(c.guild_id, "lounge")
    forum = await emu.create_channel(c.guild_id, "ideas", FORUM)
    await emu.user_message(general, c.sponsor, "hello")
    await emu.user_message(general, c.sponsor, "again")
    await emu.user_message(lounge.id, c.sponsor, "here too")
    thread = await emu.start_thread(general, c.sponsor, "A thread")
    await emu.user_message(thread.id, c.sponsor, "in a thread")  # counts under #general
    await emu.start_thread(forum.id, c.sponsor, "A post", content="a forum post")  # under #ideas

    # Not counted: bots, webhooks, system messages, DMs, the gate, non-members.
    robot = emu.add_user(bot=True)
    await emu.member_join(c.guild_id, robot.id)
    await emu.user_message(general, robot.id, "beep")
    channel = emu.state.channels[general]
    await emu_messaging.create_message(
        emu, channel, c.sponsor, {"content": "hook"}, [], webhook_id=7
    )
    await emu_messaging.create_message(emu, channel, c.sponsor, {"content": "joined"}, [], type=7)
    await emu.user_message(emu.state.dm_channel(c.sponsor).id, c.sponsor, "a DM")
    newcomer = c.emu.add_user()
    await emu.member_join(c.guild_id, newcomer.id)  # in the gate, not admitted
    await c.h.settle()
    await emu.user_message(general, newcomer.id, "let me in")
    await emu.user_message(general, c.h.guild.owner.id, "owner without a member record")
    await emu.user_message(general, c.sponsor, "the last one")
    await counted(c, 8)  # the sponsor's 6, the newcomer's and the owner's (dropped at flush)
    await c.h.settle()
    assert runner(c).tally.pending == 8

    assert await runner(c).flush() == 5
    signals = c.h.bot.services.signals
    today = c.h.bot.services.signals.today()
    assert await signals.channel_messages(c.guild_id, today) == {
        general: 4,
        lounge.id: 1,
        forum.id: 1,
    }
    assert await signals.active_members(c.guild_id, today) == {c.sponsor}
    assert await runner(c).flush() == 0  # nothing left: one write per interval at most

    # The bot reads who, where and when: the guild messages intent, never message content.
    assert emu.bot_has_intent(Intents.GUILD_MESSAGES)
    assert not emu.bot_has_intent(Intents.MESSAGE_CONTENT)
    assert not intents().message_content


async def test_no_message_text_ever_reaches_the_database(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, emu = community, community.emu
    general = c.h.guild.channel.id
    path = c.h.settings.database_path
    markers = [f"zqxmarker{i}vouch" for i in range(6)]
    member = await make_member(c)
    for i, marker in enumerate(markers[:3]):
        await emu.user_message(general, member if i % 2 else c.sponsor, f"secret {marker} text")
    await counted(c, 3)

    # Even when Discord hands the text over (a client with the content intent), none is kept.
    seen: list[str] = []

    async def spy(message: discord.Message) -> None:
        seen.append(message.content)

    c.h.bot.add_listener(spy, "on_message")
    monkeypatch.setattr(emu.gateway, "_filter_content", lambda session, event, data: data)
    thread = await emu.start_thread(general, c.sponsor, "Thread")
    for marker in markers[3:]:
        await emu.user_message(thread.id, member, f"{marker} in a thread")
    await counted(c, 6)
    assert any(markers[5] in text for text in seen)  # the bot did receive this text
    await runner(c).flush()
    assert await total(c, member, "message") == 4

    def files() -> list[Path]:
        return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]

    def leaked() -> list[tuple[str, str]]:
        found = []
        for file in files():
            data = file.read_bytes()
            for marker in markers:
                for encoded in (marker.encode(), marker.encode("utf-16-le")):
                    if encoded in data:
                        found.append((file.name, marker))
        return found

    assert any(p.name.endswith("-wal") for p in files())  # the live WAL is searched too
    assert leaked() == []
    await c.h.restart()  # the WAL is checkpointed into the main file at close
    await c.h.stop()
    assert leaked() == []
    assert stored_rows(path)  # the counts themselves are there
    for session in emu.gateway.sessions.values():  # every connection, before and after restart
        assert not session.intents & Intents.MESSAGE_CONTENT


async def test_counts_buffered_before_a_clean_shutdown_are_written(community: Community) -> None:
    c, emu = community, community.emu
    general = c.h.guild.channel.id
    for _ in range(3):
        await emu.user_message(general, c.sponsor, "before the restart")
    await counted(c, 3)
    await c.h.stop()  # no explicit flush: closing the bot writes them before the database closes
    today = datetime.now(UTC).date().isoformat()
    assert stored_rows(c.h.settings.database_path) == {(c.sponsor, today, "message", general, 3)}
    await c.h.start()
    assert await total(c, c.sponsor, "message") == 3


async def test_the_buffer_is_written_every_interval(community: Community) -> None:
    c = community
    cog = runner(c)
    assert cog.interval == FLUSH_SECONDS == 15.0
    await cog.cog_unload()  # the loop again, on a short interval
    cog.interval = 0.2
    await cog.cog_load()
    await c.emu.user_message(c.h.guild.channel.id, c.sponsor, "hello")

    async def written() -> bool:
        return await total(c, c.sponsor, "message") == 1

    await until(written)  # no flush asked for: the loop wrote it
    assert runner(c).tally.pending == 0


# -- reports from the other features ------------------------------------------------------------
async def test_a_session_credits_rsvps_kept_and_attendance(community: Community) -> None:
    c, emu = community, community.emu
    stage = await emu.create_stage_channel(c.guild_id, "Founders' stage")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=18, minute=0, second=0)
    await ephemeral_text(
        await c.h.slash(
            "session",
            "schedule",
            {
                "title": "Ask us anything",
                "when": start.strftime("%Y-%m-%d %H:%M"),
                "duration": "1h",
                "channel": stage.id,
            },
        )
    )
    [(session, _)] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    post = c.emu.state.messages[session.post_message_id or 0]
    listener, absent = await make_member(c), await make_member(c)
    for user in (c.sponsor, absent):
        await reply(await emu.click(post.id, f"session:rsvp:{session.id}", user))
    await ephemeral_text(await c.h.slash("session", "start"))
    for user in (c.sponsor, listener):
        await emu.join_voice(c.guild_id, user, stage.id)

    async def present() -> bool:
        return set(await c.h.bot.services.sessions.attendance(session.id)) == {
            c.sponsor,
            listener,
        }

    await until(present)
    with sqlite3.connect(c.h.settings.database_path) as conn:  # 25 minutes pass
        conn.execute(
            "UPDATE session_attendance SET open_since = datetime(open_since, '-25 minutes') "
            "WHERE session_id = ?",
            (session.id,),
        )
    await c.h.restart()  # attendance still open across a restart
    await ephemeral_text(await c.h.slash("session", "end"))
    assert await total(c, c.sponsor, "rsvp_kept") == 1
    assert await total(c, listener, "rsvp_kept") == 0  # came without an RSVP
    assert await total(c, absent, "rsvp_kept") == 0  # RSVP'd and never came
    assert 25 <= await total(c, c.sponsor, "attendance_minutes") <= 26
    assert 25 <= await total(c, listener, "attendance_minutes") <= 26
    assert await total(c, absent, "attendance_minutes") == 0


async def test_an_introduction_that_stayed_30_days_credits_its_sponsor_once(
    community: Community,
) -> None:
    c = community
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    c.h.clock = clock
    await c.h.restart()  # the bot now runs on a clock the test moves
    await c.h.settle()  # the startup invite snapshot is taken before the introduction's invite
    await c.h.bot.services.signals.record(  # a count far past the retention window
        c.guild_id, c.sponsor, "vote", at=clock.now - timedelta(days=400)
    )
    newcomer = await c.join_through(invite_code((await c.introduce("Maya")).text()))
    await c.pass_rules(newcomer.id)
    done = await c.tell_story(newcomer.id)
    assert (await done.wait_followup()).text() == t("gate.story.admitted", "fr")
    assert await total(c, c.sponsor, "introduction_stayed") == 0

    [job] = await c.h.bot.services.jobs.pending(UPKEEP_JOB)  # armed, daily, durable
    assert job.due_at == next_upkeep(clock.now) or job.due_at <= clock.now
    clock.advance(days=29)
    await c.h.restart()

    async def pruned() -> bool:
        return await c.h.bot.services.signals.last_active(c.guild_id, [c.sponsor]) == {}

    await until(pruned)  # the overdue upkeep ran at startup: the old row is gone
    assert await total(c, c.sponsor, "introduction_stayed") == 0  # 29 days: not yet

    clock.advance(days=1, hours=1)
    await c.h.restart()

    async def credited() -> bool:
        return await total(c, c.sponsor, "introduction_stayed") == 1

    await until(credited)
    for _ in range(2):  # more restarts and sweeps never count it twice
        clock.advance(days=1)
        await c.h.restart()
        await until(lambda: _upkeep_ran(c, clock))
    assert await total(c, c.sponsor, "introduction_stayed") == 1
    assert await total(c, newcomer.id, "introduction_stayed") == 0


async def _upkeep_ran(c: Community, clock: FakeClock) -> bool:
    jobs = await c.h.bot.services.jobs.pending(UPKEEP_JOB)
    return len(jobs) == 1 and jobs[0].due_at > clock.now


async def test_feedback_items_and_their_upvotes(community: Community) -> None:
    c, emu = community, community.emu
    voter = await make_member(c)
    opened = await c.h.slash("feedback", "submit", user_id=c.sponsor)
    await opened.wait_ack()
    sent = await emu.submit_modal(
        opened, {"product": "Boots", "title": "Wider fit", "details": "Please"}, c.sponsor
    )
    await ephemeral_text(sent)
    [item] = await c.h.bot.services.board.recent(c.guild_id, limit=1)
    assert await total(c, c.sponsor, "feedback_item") == 1
    post = next(
        m
        for m in emu.state.messages.values()
        if f"feedback:upvote:{item.id}" in str(m.components) and not m.deleted
    )

    async def press(user_id: int) -> None:
        rec = await emu.click(post.id, f"feedback:upvote:{item.id}", user_id)
        await rec.wait_ack()
        await c.h.settle()

    await press(voter)
    assert await total(c, c.sponsor, "feedback_upvote") == 1
    await press(c.sponsor)  # their own item: refused, nothing counted
    assert await total(c, c.sponsor, "feedback_upvote") == 1
    await c.h.restart()
    await press(voter)  # a second press takes the vote back
    assert await total(c, c.sponsor, "feedback_upvote") == 0
    assert await total(c, voter, "feedback_upvote") == 0
    await press(voter)
    assert await total(c, c.sponsor, "feedback_upvote") == 1


async def test_a_poll_vote_counts_once(community: Community) -> None:
    c, emu = community, community.emu
    text = await ephemeral_text(
        await c.h.slash("poll", "create", {"question": "Colour?", "options": "Red;Blue"})
    )
    [poll] = await c.h.bot.services.polls.recent(c.guild_id, limit=1)
    assert f"#{poll.id}" in text
    assert poll.message_id is not None
    click = f"poll:vote:{poll.id}:{{}}"
    await ephemeral_text(await emu.click(poll.message_id, click.format(0), c.sponsor))
    assert await total(c, c.sponsor, "vote") == 1
    await c.h.restart()
    for option in (1, 1, 0):  # change, withdraw, vote again
        await ephemeral_text(await emu.click(poll.message_id, click.format(option), c.sponsor))
    assert await total(c, c.sponsor, "vote") == 1
    await ephemeral_text(await emu.click(poll.message_id, click.format(1), c.h.guild.owner.id))
    assert await total(c, c.h.guild.owner.id, "vote") == 1
    assert await c.h.bot.services.polls.choices_of(poll, c.sponsor) == (0,)


# -- /leaders optout -----------------------------------------------------------------------------
async def test_optout_and_undo_are_idempotent_and_localized(community: Community) -> None:
    c = community

    async def optout(locale: str = "en-US", **options: Any) -> str:
        rec = await c.h.slash("leaders", "optout", options, user_id=c.sponsor, locale=locale)
        return await ephemeral_text(rec)

    assert await optout() == t("leaders.optout.done", "en-US")
    assert await c.h.bot.services.signals.is_opted_out(c.guild_id, c.sponsor)
    await c.h.restart()
    assert await optout("fr") == t("leaders.optout.already", "fr")
    assert await c.h.bot.services.signals.opted_out(c.guild_id) == {c.sponsor}
    assert await optout("da", undo=True) == t("leaders.optin.done", "da")
    assert not await c.h.bot.services.signals.is_opted_out(c.guild_id, c.sponsor)
    assert await optout(undo=True) == t("leaders.optin.already", "en-US")
    assert await optout(undo=False) == t("leaders.optout.done", "en-US")
    owner = await c.h.slash("leaders", "optout")  # anyone may, for themself only
    assert await ephemeral_text(owner) == t("leaders.optout.done", "en-US")
    assert await c.h.bot.services.signals.opted_out(c.guild_id) == {c.sponsor, c.h.guild.owner.id}


async def test_privacy_forget_drops_the_counts_and_the_optout(community: Community) -> None:
    c, emu = community, community.emu
    await ephemeral_text(await c.h.slash("leaders", "optout", user_id=c.sponsor))
    await emu.user_message(c.h.guild.channel.id, c.sponsor, "hello")
    await counted(c, 1)
    await runner(c).flush()
    await emu.user_message(c.h.guild.channel.id, c.sponsor, "not yet written")
    await counted(c, 1)
    exported = await c.h.bot.services.privacy.export(c.guild_id, c.sponsor)
    section = exported["data"]["engagement"]  # type: ignore[index]
    assert section["daily_counts"][0]["kind"] == "message"
    assert "leader_suggestions_off_since" in section
    asked = await c.h.slash("privacy", "forget", user_id=c.sponsor)
    confirm = await reply(asked)
    done = await emu.click(confirm.id, f"privacy:forget:{c.sponsor}", c.sponsor)
    await done.wait_ack()
    await c.h.settle()
    await until(lambda: _empty(c))
    await runner(c).flush()  # the pending count was dropped with the rest
    assert await c.h.bot.services.signals.member_days(c.guild_id, c.sponsor) == []
    assert not await c.h.bot.services.signals.is_opted_out(c.guild_id, c.sponsor)


async def _empty(c: Community) -> bool:
    return runner(c).tally.pending == 0


def test_the_bot_asks_for_guild_messages_and_never_for_their_content() -> None:
    assert not intents().value & Intents.MESSAGE_CONTENT
    assert intents().value & Intents.GUILD_MESSAGES
