"""Founder sessions end to end: schedule, RSVP, questions, lifecycle, reminders, refusals."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.i18n import t
from tests.conftest import FakeClock
from tests.emulator import Emulator, Message
from tests.emulator.snowflake import P
from tests.harness import BotHarness

from .conftest import HarnessFactory
from .helpers import embed_fields, ephemeral_text, reply
from .membership_helpers import Community, build_community


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


def in_days(days: float, hour: int = 18) -> datetime:
    """A moment `days` from now at `hour`:00 UTC (the guild's zone is UTC)."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def typed(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def button_ids(msg: Message) -> list[str]:
    return [
        str(child["custom_id"])
        for row in msg.components
        for child in row.get("components", [])
        if "custom_id" in child
    ]


def button(msg: Message, prefix: str) -> dict[str, object]:
    found = [
        child
        for row in msg.components
        for child in row.get("components", [])
        if str(child.get("custom_id", "")).startswith(prefix)
    ]
    assert len(found) == 1, msg.components
    return dict(found[0])


async def schedule(
    c: Community, moment: datetime, *, user_id: int | None = None, **options: object
) -> str:
    rec = await c.h.slash(
        "session",
        "schedule",
        {"title": "Ask us anything", "when": typed(moment), "duration": "1h", **options},
        user_id=user_id,
    )
    return await ephemeral_text(rec)


def announcement(c: Community) -> Message:
    posts = [
        m
        for m in c.emu.messages_log
        if m.channel_id == c.channel("announcements") and m.embeds and not m.deleted
    ]
    assert posts, "no announcement"
    return posts[-1]


async def flush(c: Community) -> None:
    await c.h.settle()
    cog = c.h.bot.get_cog("SessionRunner")
    assert cog is not None
    await cog.kit.flush()  # type: ignore[attr-defined]


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a state a job reaches (jobs run in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def wait_dm(c: Community, user_id: int, start: str) -> Message:
    """The bot's first DM to `user_id` starting with `start` (waits for a job to send it)."""
    emu = c.emu
    return await emu.wait_for_message(
        predicate=lambda m: (
            m.channel_id == emu.state.dm_channels.get(user_id)
            and m.author_id == emu.bot_user.id
            and m.content.startswith(start)
        ),
        timeout=10.0,
    )


async def make_member(c: Community, locale: str = "en-US") -> int:
    user = c.emu.add_user(locale=locale)
    await c.emu.member_join(c.guild_id, user.id)
    await c.h.settle()
    await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
    return user.id


async def test_schedule_rsvp_ask_upvote_run_and_recap(community: Community) -> None:
    c, emu = community, community.emu
    start = in_days(3)
    text = await schedule(c, start, description="Boots, leather, the next drop", capacity=20)
    ts = int(start.timestamp())
    assert f"<t:{ts}:F>" in text and typed(start) in text  # how the time was understood
    [session] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    sid = session[0].id
    event = emu.state.guilds[c.guild_id].events[session[0].event_id or 0]
    assert (event.entity_type, event.status, event.name) == (3, 1, "Ask us anything")
    assert event.location and event.scheduled_end_time

    post = announcement(c)
    assert button_ids(post) == [f"session:rsvp:{sid}", f"session:ask:{sid}"]
    fields = embed_fields(post)
    assert f"<t:{ts}:F>" in fields[t("session.post.when", "en-US")]
    going = t("session.post.rsvps", "en-US")
    assert fields[going] == t(
        "session.post.going_capacity", "en-US", count=0, capacity=20, waiting=0
    )

    # The button and Discord's own "Interested" both count; a double click toggles back.
    click = await emu.click(post.id, f"session:rsvp:{sid}", c.sponsor)
    assert (await reply(click)).text().startswith("You're going")
    other = await make_member(c)
    await emu.event_subscribe(c.guild_id, event.id, other)
    await flush(c)
    assert embed_fields(announcement(c))[going].startswith("2 of 20")
    again = await emu.click(post.id, f"session:rsvp:{sid}", c.sponsor)
    assert "withdrawn" in (await reply(again)).text()
    await emu.click(post.id, f"session:rsvp:{sid}", c.sponsor)
    await flush(c)
    assert await c.h.bot.services.sessions.rsvps(sid) == [other, c.sponsor]
    edits = emu.calls_matching("PATCH", rf"/messages/{post.id}$")
    assert 1 <= len(edits) <= 3, "live count edits are coalesced"

    # A question through the form, listed with an Upvote button.
    ask = await emu.click(post.id, f"session:ask:{sid}", c.sponsor)
    await ask.wait_ack()
    assert ask.modal is not None
    sent = await emu.submit_modal(
        ask, {"question": "When does the @everyone boot come back?"}, c.sponsor
    )
    assert "in the queue" in (await reply(sent)).text()
    await c.h.settle()
    listed = next(m for m in reversed(emu.messages_log) if m.content.startswith("❓"))
    qid = int(str(button(listed, "session:upvote:")["custom_id"]).rsplit(":", 1)[1])
    assert listed.channel_id != c.channel("announcements")  # in the announcement's thread
    assert listed.allowed_mentions is None or not listed.allowed_mentions.get("parse")

    own = await emu.click(listed.id, f"session:upvote:{qid}", c.sponsor)
    assert (await reply(own)).text() == t("session.question.own", "en-US")

    await c.h.restart()  # buttons and the form keep working after a restart
    vote = await emu.click(listed.id, f"session:upvote:{qid}", other)
    ack = await vote.wait_ack()
    assert ack.type == 7 and "▲ 1" in str(ack.data.get("content"))

    # Host commands: refused to members, even if an admin opened them to everyone.
    refused = await c.h.slash("session", "questions", user_id=c.sponsor)
    assert await ephemeral_text(refused) == t("session.host_only", "en-US")
    queue = await ephemeral_text(await c.h.slash("session", "questions"))
    assert "When does the @everyone boot come back?" in queue and "▲ 1" in queue

    started = await ephemeral_text(await c.h.slash("session", "start"))
    assert started == t("session.moved.active", "en-US", title="Ask us anything")
    assert event.status == 2
    posted = await ephemeral_text(await c.h.slash("session", "next"))
    assert "When does the @everyone boot come back?" in posted
    shown = next(m for m in reversed(emu.messages_log) if "— asked by" in m.content)
    assert "1 votes" in shown.content
    assert shown.allowed_mentions is not None and shown.allowed_mentions.get("parse") == []
    assert not shown.allowed_mentions.get("users")  # "@everyone" in the text pings nobody
    none_left = await ephemeral_text(await c.h.slash("session", "next"))
    assert none_left == t("session.questions.none_left", "en-US")

    ended = await ephemeral_text(await c.h.slash("session", "end"))
    assert ended == t("session.moved.completed", "en-US", title="Ask us anything")
    assert event.status == 3
    await flush(c)
    recap = next(m for m in reversed(emu.messages_log) if "Recap" in m.content)
    assert "2 had signed up" in recap.content and "Answered (1)" in recap.content
    ended_post = announcement(c)  # the post now says it ended; its buttons are off
    assert ended_post.embeds[0]["footer"]["text"] == t("session.status.completed", "en-US")
    assert all(
        child.get("disabled") for row in ended_post.components for child in row["components"]
    )
    answered = emu.state.messages[listed.id]  # the answered question's Upvote is off
    assert all(child.get("disabled") for row in answered.components for child in row["components"])


async def test_capacity_waitlist_promotion_and_cancel_notifies(community: Community) -> None:
    c, emu = community, community.emu
    await schedule(c, in_days(2), capacity=1)
    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    first = await make_member(c)
    second = await make_member(c, locale="fr")
    await reply(await emu.click(post.id, f"session:rsvp:{sid}", first))
    wait = await reply(await emu.click(post.id, f"session:rsvp:{sid}", second, locale="fr"))
    assert "n° 1" in wait.text()

    await reply(await emu.click(post.id, f"session:rsvp:{sid}", first))  # withdraws
    await c.h.settle()
    promoted = emu.dms_to(second)
    assert promoted and "Une place s'est libérée" in promoted[-1].content
    assert await c.h.bot.services.sessions.rsvps(sid) == [second]

    emu.set_dms_open(second, False)
    emu.expect_violation("50007")  # the DM is tried first; closed DMs get the mention
    cancelled = await ephemeral_text(await c.h.slash("session", "cancel"))
    assert cancelled == t("session.moved.cancelled", "en-US", title="Ask us anything")
    await c.h.settle()
    [event] = emu.state.guilds[c.guild_id].events.values()
    assert event.status == 4
    mention = next(m for m in reversed(emu.messages_log) if f"<@{second}>" in m.content)
    assert mention.allowed_mentions is not None
    assert mention.allowed_mentions.get("users") == [second]  # pings only that member
    assert "Ask us anything" in mention.content


async def test_reminders_go_out_once_across_restarts(community: Community) -> None:
    c, emu = community, community.emu
    clock = FakeClock(datetime.now(UTC))
    c.h.clock = clock
    await c.h.restart()  # the bot now runs on a clock the test moves
    start = in_days(2)
    await schedule(c, start)
    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    closed = await make_member(c)
    off = await make_member(c)
    for user in (c.sponsor, closed, off):
        await reply(await emu.click(post.id, f"session:rsvp:{sid}", user))
    emu.set_dms_open(closed, False)
    emu.expect_violation("50007")  # the DM is tried first; closed DMs get the mention
    await ephemeral_text(await c.h.slash("notifications", None, {"sessions": "off"}, user_id=off))
    jobs = await c.h.bot.services.jobs.pending("session.reminder")
    assert sorted(job.key for job in jobs) == [f"{sid}:1440", f"{sid}:15"]

    # A restart just before the 24 h reminder; then it falls due: sent once.
    await c.h.stop()
    clock.now = start - timedelta(hours=24, minutes=1)
    await c.h.start()
    await c.h.settle()
    assert not [m for m in emu.dms_to(c.sponsor) if "⏰" in m.content]
    clock.advance(minutes=2)
    c.h.bot.jobs.poke()
    sessions = c.h.bot.services.sessions

    async def reminded() -> bool:
        outcomes = await sessions.reminders_sent(sid)
        return len(outcomes) == 3 and "claimed" not in outcomes.values()

    await until(reminded)
    dms = [m for m in emu.dms_to(c.sponsor) if "⏰" in m.content]
    assert len(dms) == 1 and f"/events/{c.guild_id}/" in dms[0].content
    assert not [m for m in emu.dms_to(off) if "⏰" in m.content]
    mention = [m for m in emu.messages_log if f"<@{closed}>" in m.content and "⏰" in m.content]
    assert len(mention) == 1 and mention[0].allowed_mentions is not None
    assert mention[0].allowed_mentions.get("users") == [closed]
    assert await sessions.reminders_sent(sid) == {
        (1440, c.sponsor): "dm",
        (1440, closed): "channel",
        (1440, off): "off",
    }
    await c.h.restart()
    await c.h.settle()
    assert len([m for m in emu.dms_to(c.sponsor) if "⏰" in m.content]) == 1

    # Down past the start: the 15 min reminder is not sent late.
    await c.h.stop()
    clock.now = start + timedelta(minutes=5)
    await c.h.start()
    await until(lambda: no_jobs(c, "session.reminder"))
    await c.h.settle()
    assert len([m for m in emu.dms_to(c.sponsor) if "⏰" in m.content]) == 1
    assert set(await c.h.bot.services.sessions.reminders_sent(sid)) == {
        (1440, c.sponsor),
        (1440, closed),
        (1440, off),
    }


async def no_jobs(c: Community, kind: str) -> bool:
    return not await c.h.bot.services.jobs.pending(kind)


async def test_bad_input_and_refusals_change_nothing(community: Community) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    cases = {
        "next blursday at noonish": "unparseable",
        "2020-01-01 10:00": t("session.when.past", "en-US"),
    }
    for when, expected in cases.items():
        rec = await c.h.slash(
            "session", "schedule", {"title": "AMA", "when": when, "duration": "1h"}
        )
        text = await ephemeral_text(rec)
        assert expected in text or "read" in text.lower(), text
    for duration in ("10", "5h", "soon"):
        rec = await c.h.slash(
            "session",
            "schedule",
            {"title": "AMA", "when": typed(in_days(2)), "duration": duration},
        )
        text = await ephemeral_text(rec)
        assert "15 minutes" in text or "duration" in text, text
    member = await c.h.slash(
        "session",
        "schedule",
        {"title": "AMA", "when": typed(in_days(2)), "duration": "1h"},
        user_id=c.sponsor,
    )
    assert await ephemeral_text(member) == t("session.host_only", "en-US")
    assert await services.sessions.upcoming(c.guild_id) == []
    assert not emu.state.guilds[c.guild_id].events

    # French phrasing, read in the guild's zone; an overlap warns, then goes ahead.
    first = await ephemeral_text(
        await c.h.slash(
            "session",
            "schedule",
            {"title": "AMA", "when": "vendredi 18h", "duration": "90 min"},
            locale="fr",
        )
    )
    assert first.startswith("✅")
    [(existing, _)] = await services.sessions.upcoming(c.guild_id)
    assert existing.starts_at.weekday() == 4 and existing.starts_at.hour == 18
    overlap = await c.h.slash(
        "session",
        "schedule",
        {"title": "Office chat", "when": typed(existing.starts_at), "duration": "30"},
    )
    warning = await reply(overlap)
    assert warning.ephemeral and "overlaps" in warning.text()
    assert len(await services.sessions.upcoming(c.guild_id)) == 1
    confirm = str(button(warning, "session:confirm:")["custom_id"])
    await c.h.restart()
    done = await emu.click(warning.id, confirm, c.h.guild.owner.id)
    assert "✅" in (await reply(done)).text()
    assert len(await c.h.bot.services.sessions.upcoming(c.guild_id)) == 2
    reused = await emu.click(warning.id, confirm, c.h.guild.owner.id)
    assert (await reply(reused)).text() == t("session.draft.expired", "en-US")


async def test_discord_side_changes_are_followed(community: Community) -> None:
    c, emu = community, community.emu
    await schedule(c, in_days(2))
    [(session, _)] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    assert session.event_id is not None
    await emu.delete_scheduled_event(c.guild_id, session.event_id)
    sessions = c.h.bot.services.sessions

    async def status_is(session_id: int, status: str) -> bool:
        return (await sessions.get(c.guild_id, session_id)).status == status

    await until(lambda: status_is(session.id, "cancelled"))

    await schedule(c, in_days(4))
    [(second, _)] = await sessions.upcoming(c.guild_id)
    assert second.event_id is not None
    await emu.set_scheduled_event_status(c.guild_id, second.event_id, 2)  # started in Discord
    await until(lambda: status_is(second.id, "active"))
    await emu.set_scheduled_event_status(c.guild_id, second.event_id, 3)  # ended in Discord
    await until(lambda: status_is(second.id, "completed"))
    await flush(c)
    recaps = [m for m in emu.messages_log if "Recap" in m.content]
    assert len(recaps) == 1  # followed once


async def test_missing_create_events_is_named(
    emulator: Emulator, make_harness: HarnessFactory
) -> None:
    h = await make_harness(bot_permissions=P.BOT_DEFAULT & ~(P.MANAGE_EVENTS | P.CREATE_EVENTS))
    rec = await h.slash(
        "session", "schedule", {"title": "AMA", "when": typed(in_days(2)), "duration": "1h"}
    )
    assert await ephemeral_text(rec) == t("session.missing_create_events", "en-US")
    assert await h.bot.services.sessions.upcoming(h.guild.id) == []
    assert emulator.calls_matching("POST", r"/scheduled-events$") == []


def office_post(c: Community) -> Message:
    posts = [
        m
        for m in c.emu.messages_log
        if m.channel_id == c.channel("announcements")
        and any(i.startswith("session:slot:") for i in button_ids(m))
    ]
    assert posts, "no office-hours post"
    return posts[-1]


async def test_office_hours_first_come_cancel_passes_the_slot_on(community: Community) -> None:
    c, emu = community, community.emu
    saved = await ephemeral_text(
        await c.h.slash("setup", "sessions", {"office_hours": "first_come"})
    )
    assert "first come" in saved
    opened = await ephemeral_text(
        await c.h.slash(
            "session",
            "office-hours",
            {"when": typed(in_days(2)), "slots": 2, "slot_minutes": 20},
        )
    )
    assert opened.startswith("✅")
    post = office_post(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    members = [c.sponsor, await make_member(c), await make_member(c, locale="pt-BR")]
    answers = [
        (await reply(await emu.click(post.id, f"session:slot:{sid}", user))).text()
        for user in members
    ]
    assert answers[0].startswith("Your one-to-one is booked") and "Your one-to-one" in answers[1]
    assert "número 1 na fila" in answers[2]  # in the member's language
    again = await reply(await emu.click(post.id, f"session:slot:{sid}", c.sponsor))
    assert again.text() == t("session.office.already", "en-US")
    host = await reply(await emu.click(post.id, f"session:slot:{sid}", c.h.guild.owner.id))
    assert host.text() == t("session.office.host", "en-US")

    await c.h.restart()
    cancel = await reply(await emu.click(post.id, f"session:unslot:{sid}", c.sponsor))
    assert cancel.text() == t("session.office.cancelled", "en-US")
    await c.h.settle()
    slots = await c.h.bot.services.office_hours.slots(c.guild_id, sid)
    assert [s.user_id for s in slots] == [members[2], members[1]]
    dm = emu.dms_to(members[2])
    assert dm and dm[-1].content.startswith("✅ Seu horário individual")


async def test_office_hours_draw_runs_once_and_reminds(community: Community) -> None:
    c, emu = community, community.emu
    await ephemeral_text(
        await c.h.slash(
            "session", "office-hours", {"when": typed(in_days(2)), "slots": 1, "slot_minutes": 30}
        )
    )
    post = office_post(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    first, second = c.sponsor, await make_member(c)
    for user in (first, second):
        text = (await reply(await emu.click(post.id, f"session:slot:{sid}", user))).text()
        assert text.startswith("Your request is in")
    await c.h.stop()  # the window closes while the bot is down
    with sqlite3.connect(c.h.settings.database_path) as conn:
        conn.execute(
            "UPDATE scheduled_job SET due_at = '2020-01-01T00:00:00+00:00' WHERE kind = ?",
            ("session.office_hours.draw",),
        )
    await c.h.start()
    confirmed = await emu.wait_for_message(
        predicate=lambda m: m.guild_id is None and m.content.startswith("✅"), timeout=10.0
    )
    await c.h.settle()
    [slot] = await c.h.bot.services.office_hours.slots(c.guild_id, sid)
    winner = slot.user_id
    loser = second if winner == first else first
    assert winner in (first, second), [m.content for m in emu.messages_log[-10:]]
    assert confirmed.channel_id == emu.state.dm_channels[winner or 0]
    assert "number 1 in line" in (await wait_dm(c, loser, "All slots")).content

    with sqlite3.connect(c.h.settings.database_path) as conn:
        conn.execute(
            "UPDATE scheduled_job SET due_at = '2020-01-01T00:00:00+00:00' WHERE kind = ?",
            ("session.office_hours.reminder",),
        )
    await c.h.restart()
    await wait_dm(c, winner or 0, "⏰")
    await c.h.restart()
    await c.h.bot.jobs.run_due()
    await c.h.bot.jobs.drain()
    await c.h.settle()
    reminders = [m for m in emu.dms_to(winner or 0) if m.content.startswith("⏰")]
    assert len(reminders) == 1  # once, across restarts
    assert len([m for m in emu.dms_to(winner or 0) if m.content.startswith("✅")]) == 1


async def test_attendance_in_the_stage_channel_across_a_restart(community: Community) -> None:
    c, emu = community, community.emu
    stage = await emu.create_stage_channel(c.guild_id, "Founders' stage")
    await schedule(c, in_days(1), channel=stage.id)
    [(session, _)] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    event = emu.state.guilds[c.guild_id].events[session.event_id or 0]
    assert (event.entity_type, event.channel_id) == (1, stage.id)
    listener = await make_member(c)
    await emu.join_voice(c.guild_id, c.sponsor, stage.id)  # there before the start: counted
    await c.h.settle()
    await ephemeral_text(await c.h.slash("session", "start"))
    await emu.join_voice(c.guild_id, listener, stage.id)
    await c.h.settle()

    async def spans_open() -> bool:
        minutes = await c.h.bot.services.sessions.attendance(session.id)
        return set(minutes) == {c.sponsor, listener}

    await until(spans_open)
    with sqlite3.connect(c.h.settings.database_path) as conn:  # ten minutes pass
        conn.execute(
            "UPDATE session_attendance SET open_since = datetime(open_since, '-10 minutes') "
            "WHERE session_id = ?",
            (session.id,),
        )
    await c.h.stop()  # the listener leaves while the bot is down; the sponsor stays
    await emu.leave_voice(c.guild_id, listener)
    await c.h.start()
    await c.h.settle()
    still = await c.h.bot.services.sessions.attendance(session.id)
    assert still[listener] >= 10  # closed at the restart (the bot can't know when exactly)
    await ephemeral_text(await c.h.slash("session", "end"))
    minutes = await c.h.bot.services.sessions.attendance(session.id)
    assert minutes[c.sponsor] >= 10 and minutes[listener] >= 10
    recap = next(m for m in reversed(emu.messages_log) if "Recap" in m.content)
    assert "2 attended" in recap.content


async def ask(c: Community, post: Message, sid: int, user_id: int, text: str) -> int:
    """Ask through the form; the new question's id."""
    opened = await c.emu.click(post.id, f"session:ask:{sid}", user_id)
    await opened.wait_ack()
    assert opened.modal is not None, opened.text()
    await reply(await c.emu.submit_modal(opened, {"question": text}, user_id))
    await c.h.settle()
    [question] = [
        q
        for q in await c.h.bot.services.questions.ranked(c.guild_id, sid, limit=100)
        if q.text == text
    ]
    return question.id


async def test_list_skip_merge_and_who_may_ask(community: Community) -> None:
    c, emu = community, community.emu
    empty = await ephemeral_text(await c.h.slash("session", "list", user_id=c.sponsor))
    assert empty == t("session.list.empty", "en-US")
    await schedule(c, in_days(2), capacity=10)
    listed = await ephemeral_text(await c.h.slash("session", "list", user_id=c.sponsor))
    assert "Ask us anything" in listed and "0 of 10 going" in listed and "/events/" in listed

    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    newcomer = c.emu.add_user()
    await emu.member_join(c.guild_id, newcomer.id)
    await c.h.settle()
    refused = await emu.click(post.id, f"session:ask:{sid}", newcomer.id)
    assert (await reply(refused)).text() == t("session.members_only", "en-US")

    other = await make_member(c)
    first = await ask(c, post, sid, c.sponsor, "Will the boots come in green?")
    dup = await ask(c, post, sid, other, "Green boots, ever?")
    third = await ask(c, post, sid, other, "What about laces?")
    merged = await ephemeral_text(
        await c.h.slash("session", "merge", {"keep": first, "duplicate": dup})
    )
    assert "2 authors" in merged
    bad = await ephemeral_text(
        await c.h.slash("session", "merge", {"keep": first, "duplicate": first})
    )
    assert bad == t("session.question.merge_invalid", "en-US")
    skipped = await ephemeral_text(await c.h.slash("session", "skip", {"question": third}))
    assert skipped == t("session.skip.done", "en-US", text="What about laces?")
    again = await ephemeral_text(await c.h.slash("session", "skip", {"question": third}))
    assert again == t("session.question.not_open", "en-US")
    unknown = await ephemeral_text(await c.h.slash("session", "skip", {"question": 999999}))
    assert unknown == t("session.question.unknown", "en-US")
    queue = await ephemeral_text(await c.h.slash("session", "questions"))
    assert "Will the boots come in green?" in queue and "laces" not in queue
    assert f"<@{c.sponsor}>, <@{other}>" in queue  # both authors credited


@pytest.mark.parametrize(
    ("locale", "when"),
    [
        ("en-US", "next friday 6pm"),
        ("fr", "vendredi 18h"),
        ("pt-BR", "sexta 18h"),
        ("da", "fredag kl 18"),
    ],
)
async def test_natural_times_in_each_language_in_the_guild_zone(
    community: Community, locale: str, when: str
) -> None:
    c = community
    await ephemeral_text(await c.h.slash("setup", "timezone", {"timezone": "Europe/Copenhagen"}))
    rec = await c.h.slash(
        "session",
        "schedule",
        {"title": "Fredagsbar", "when": when, "duration": "45"},
        locale=locale,
    )
    text = await ephemeral_text(rec)
    [(session, _)] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    local = session.starts_at.astimezone(ZoneInfo("Europe/Copenhagen"))
    assert (local.weekday(), local.hour, local.minute) == (4, 18, 0)
    assert f"<t:{int(session.starts_at.timestamp())}:F>" in text  # as every member sees it
    assert "Europe/Copenhagen" in text and session.minutes == 45


async def test_office_hours_post_keeps_its_layout_and_a_cancel_tells_its_people(
    community: Community,
) -> None:
    c, emu = community, community.emu
    await c.h.slash("setup", "sessions", {"office_hours": "first_come"})
    await ephemeral_text(
        await c.h.slash(
            "session", "office-hours", {"when": typed(in_days(2)), "slots": 1, "slot_minutes": 20}
        )
    )
    post = office_post(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    holder, waiting = c.sponsor, await make_member(c)
    for user in (holder, waiting):
        await reply(await emu.click(post.id, f"session:slot:{sid}", user))
    session = await c.h.bot.services.sessions.get(c.guild_id, sid)
    await emu.event_subscribe(c.guild_id, session.event_id or 0, waiting)  # "Interested"
    await flush(c)
    assert button_ids(emu.state.messages[post.id]) == [
        f"session:slot:{sid}",
        f"session:unslot:{sid}",
    ]

    cancelled = await ephemeral_text(await c.h.slash("session", "cancel", {"session": sid}))
    assert cancelled.startswith(t("session.moved.cancelled", "en-US", title=session.title)[:10])
    await flush(c)
    edited = emu.state.messages[post.id]  # still the office-hours post, now closed
    assert button_ids(edited) == [f"session:slot:{sid}", f"session:unslot:{sid}"]
    assert all(child.get("disabled") for row in edited.components for child in row["components"])
    assert t("session.office.free", "en-US") in embed_fields(edited)
    assert edited.embeds[0]["footer"]["text"] == t("session.status.cancelled", "en-US")
    for user in (holder, waiting):  # the slot holder and the one in line both hear of it
        assert any(session.title in m.content for m in emu.dms_to(user)), user


async def test_office_hours_end_keeps_its_post_and_posts_no_ama_recap(
    community: Community,
) -> None:
    c, emu = community, community.emu
    await ephemeral_text(
        await c.h.slash(
            "session", "office-hours", {"when": typed(in_days(1)), "slots": 2, "slot_minutes": 20}
        )
    )
    post = office_post(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    await ephemeral_text(await c.h.slash("session", "start", {"session": sid}))
    await ephemeral_text(await c.h.slash("session", "end", {"session": sid}))
    await flush(c)
    edited = emu.state.messages[post.id]
    assert button_ids(edited) == [f"session:slot:{sid}", f"session:unslot:{sid}"]
    assert edited.embeds[0]["footer"]["text"] == t("session.status.completed", "en-US")
    assert not [m for m in emu.messages_log if "Recap" in m.content]


async def test_question_commands_target_the_ama_not_an_earlier_office_hours_round(
    community: Community,
) -> None:
    c = community
    await schedule(c, in_days(3))
    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    await ask(c, post, sid, c.sponsor, "Where is the shop?")
    await ephemeral_text(
        await c.h.slash(
            "session", "office-hours", {"when": typed(in_days(1)), "slots": 1, "slot_minutes": 20}
        )
    )
    queue = await ephemeral_text(await c.h.slash("session", "questions"))
    assert "Where is the shop?" in queue
    posted = await ephemeral_text(await c.h.slash("session", "next"))
    assert posted == t("session.next.done", "en-US", text="Where is the shop?")


async def test_a_cancelled_session_passes_its_questions_to_the_next(community: Community) -> None:
    c = community
    await schedule(c, in_days(2))
    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    await ask(c, post, sid, c.sponsor, "Still coming in green?")
    await ephemeral_text(await c.h.slash("session", "cancel"))
    await flush(c)
    await schedule(c, in_days(5))
    queue = await ephemeral_text(await c.h.slash("session", "questions"))
    assert "Still coming in green?" in queue


async def test_a_refused_event_edit_still_cancels_for_everyone(community: Community) -> None:
    c, emu = community, community.emu
    await schedule(c, in_days(2))
    post = announcement(c)
    sid = int(button_ids(post)[0].rsplit(":", 1)[1])
    member = await make_member(c)
    await reply(await emu.click(post.id, f"session:rsvp:{sid}", member))
    emu.inject_fault("PATCH", r"/scheduled-events/\d+$", 403, code=50013)
    emu.expect_violation("50013")
    refused = await ephemeral_text(await c.h.slash("session", "cancel"))
    assert refused == t("session.missing_create_events", "en-US")
    await flush(c)
    assert (await c.h.bot.services.sessions.get(c.guild_id, sid)).status == "cancelled"
    assert any("Ask us anything" in m.content for m in emu.dms_to(member))  # RSVPs told
    edited = emu.state.messages[post.id]
    assert edited.embeds[0]["footer"]["text"] == t("session.status.cancelled", "en-US")


async def test_session_choices_show_the_start_in_the_server_zone(community: Community) -> None:
    c = community
    await ephemeral_text(await c.h.slash("setup", "timezone", {"timezone": "America/New_York"}))
    start = in_days(3, hour=23)
    await schedule(c, start)
    cog = c.h.bot.get_cog("Sessions")
    asking = SimpleNamespace(guild=c.h.bot.get_guild(c.guild_id), locale="fr")
    [choice] = await cog.session_choices(asking, "ask")  # type: ignore[union-attr]
    # "23:00" was typed and read in New York's zone: shown as typed, not as 04:00 UTC
    assert "23:00" in choice.name and "UTC" not in choice.name
    assert await cog.session_choices(asking, "nothing like it") == []  # type: ignore[union-attr]


async def test_a_refused_announcement_keeps_the_session_and_says_so(community: Community) -> None:
    c, emu = community, community.emu
    emu.inject_fault("POST", rf"^/channels/{c.channel('announcements')}/messages$", 403, code=50013)
    emu.expect_violation("50013")
    text = await schedule(c, in_days(2))
    assert text.startswith("✅") and t("session.announcement_refused", "en-US") in text
    [(session, _)] = await c.h.bot.services.sessions.upcoming(c.guild_id)
    assert session.event_id is not None and session.post_message_id is None


async def test_reminder_offsets_are_set_and_bad_ones_refused(community: Community) -> None:
    c = community
    saved = await ephemeral_text(await c.h.slash("setup", "sessions", {"reminders": "2h, 10m"}))
    assert "2 h, 10 min" in saved
    invalid = t("session.reminders.invalid", "en-US", count=3, min=5, max=7)
    for bad, expected in {
        "soon": t("session.duration.unreadable", "en-US", value="soon"),
        "1m": invalid,
        "9d": invalid,
        "1h, 2h, 3h, 4h": invalid,
    }.items():
        refused = await ephemeral_text(await c.h.slash("setup", "sessions", {"reminders": bad}))
        assert refused == expected, bad
    member = await c.h.slash("setup", "sessions", {"reminders": "off"}, user_id=c.sponsor)
    assert await ephemeral_text(member) == t("errors.manage_guild_required", "en-US")
    settings = await c.h.bot.services.sessions.settings(c.guild_id)
    assert settings.reminder_minutes == (120, 10)  # the refusals changed nothing
    await schedule(c, in_days(2))
    jobs = await c.h.bot.services.jobs.pending("session.reminder")
    assert sorted(job.key.split(":")[1] for job in jobs) == ["10", "120"]
    off = await ephemeral_text(await c.h.slash("setup", "sessions", {"reminders": "off"}))
    assert t("setup.sessions.reminders_off", "en-US") in off
