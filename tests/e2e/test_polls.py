"""Polls, ratings and NPS surveys end to end: posting, voting, closing, results, exports,
deadlines across restarts, and every refusal."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest_asyncio

from bot.i18n import t
from bot.services.feedback.polls import Poll
from tests.conftest import FakeClock
from tests.emulator import Message
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community

NOBODY = {"parse": []}


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def make_member(c: Community, *, role: bool = True) -> int:
    user = c.emu.add_user()
    await c.emu.member_join(c.guild_id, user.id)
    await c.h.settle()
    if role:
        await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
    return user.id


async def create(c: Community, user_id: int | None = None, **options: object) -> str:
    rec = await c.h.slash("poll", "create", {"question": "Q?", **options}, user_id=user_id)
    return await ephemeral_text(rec)


def poll_id_of(text: str) -> int:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return int(match[1])


async def poll_of(c: Community, poll_id: int) -> Poll:
    return await c.h.bot.services.polls.get(c.guild_id, poll_id)


async def posted(c: Community, poll_id: int) -> Message:
    poll = await poll_of(c, poll_id)
    assert poll.message_id is not None
    return c.emu.state.messages[poll.message_id]


def buttons(msg: Message) -> list[dict[str, object]]:
    return [child for row in msg.components for child in row.get("components", [])]


async def vote(c: Community, msg: Message, custom_id: str, user_id: int) -> str:
    return await ephemeral_text(await c.emu.click(msg.id, custom_id, user_id))


async def flush(c: Community) -> None:
    await c.h.settle()
    cog = c.h.bot.get_cog("PollRunner")
    assert cog is not None
    await cog.kit.flush()  # type: ignore[attr-defined]


def csv_rows(msg: Message) -> list[list[str]]:
    [attachment] = msg.attachments
    return list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def results_post(c: Community, poll_id: int) -> Message:
    found = [
        m
        for m in c.emu.messages_log
        if re.match(rf"\*\*\S+ \w+ #{poll_id}\b.*: results\*\*", m.content)
        and not m.ephemeral
        and not m.deleted
    ]
    assert len(found) == 1, [m.content for m in found]
    return found[0]


def tamper(msg: Message, old: str, new: str, *, enable: bool = False) -> None:
    """What a modified client could send: another custom_id on the same message."""
    for child in buttons(msg):
        if child.get("custom_id") == old:
            child["custom_id"] = new
            if enable:
                child["disabled"] = False


async def test_named_poll_vote_change_withdraw_close_results_export(community: Community) -> None:
    c, emu = community, community.emu
    text = await create(c, options="Red; Blue ;Green", question="Next @everyone colour?")
    pid = poll_id_of(text)
    msg = await posted(c, pid)
    assert [b["custom_id"] for b in buttons(msg)] == [f"poll:vote:{pid}:{i}" for i in range(3)]
    assert [b["label"] for b in buttons(msg)] == ["Red", "Blue", "Green"]
    assert msg.allowed_mentions == NOBODY and "Next @everyone colour?" in msg.text()
    other = await make_member(c)

    assert await vote(c, msg, f"poll:vote:{pid}:0", c.sponsor) == t(
        "poll.vote.recorded", "en-US", choices="**Red**"
    )
    changed = await vote(c, msg, f"poll:vote:{pid}:1", c.sponsor)  # a vote change
    assert changed.startswith("Your vote: **Blue**")
    await vote(c, msg, f"poll:vote:{pid}:1", other)
    await flush(c)
    live = emu.state.messages[msg.id].embeds[0]["description"]
    assert "**Blue**\n▰▰▰▰▰▰▰▰▰▰ 2 · 100%" in live and "**Red**\n▱▱▱▱▱▱▱▱▱▱ 0 · 0%" in live
    edits = emu.calls_matching("PATCH", rf"/messages/{msg.id}$")
    assert len(edits) == 1, "three clicks in a burst are one edit"
    withdrawn = await vote(c, msg, f"poll:vote:{pid}:1", other)
    assert withdrawn == t("poll.vote.withdrawn", "en-US")

    # While open: results only for moderators; export only for moderators.
    early = await ephemeral_text(await c.h.slash("poll", "results", {"poll": pid}, user_id=other))
    assert early == t("poll.results.not_yet", "en-US")
    shown = await ephemeral_text(await c.h.slash("poll", "results", {"poll": pid}))
    assert "• Blue: 1 (100%)" in shown and "still open" in shown
    refused = await c.h.slash("poll", "export", {"poll": pid}, user_id=c.sponsor)
    assert await ephemeral_text(refused) == t("errors.moderator_required", "en-US")
    exported = await reply(await c.h.slash("poll", "export", {"poll": pid}))
    [header, row] = csv_rows(exported)
    assert header == ["user_id", "option", "label", "voted_at"]
    assert row[:3] == [str(c.sponsor), "2", "Blue"]
    assert datetime.fromisoformat(row[3]).tzinfo is not None

    # Closing: by a member who didn't ask it, refused; by a moderator, done once.
    denied = await c.h.slash("poll", "close", {"poll": pid}, user_id=other)
    assert await ephemeral_text(denied) == t("errors.moderator_required", "en-US")
    closed = await ephemeral_text(await c.h.slash("poll", "close", {"poll": pid}))
    assert closed == t("poll.closed_now", "en-US", id=pid)
    final = emu.state.messages[msg.id]
    assert all(b.get("disabled") for b in buttons(final))
    result = results_post(c, pid)
    assert "• Blue: 1 (100%)" in result.content and "1 votes in all" in result.content
    assert result.allowed_mentions == NOBODY
    [chart] = result.attachments  # the results chart
    assert chart.filename.endswith(".png") and chart.data.startswith(b"\x89PNG")
    again = await ephemeral_text(await c.h.slash("poll", "close", {"poll": pid}))
    assert again == t("poll.already_closed", "en-US", id=pid)
    member_view = await c.h.slash("poll", "results", {"poll": pid}, user_id=other)
    assert "• Blue: 1 (100%)" in await ephemeral_text(member_view)

    # A stale client still showing the buttons: the vote is refused, nothing changes.
    tamper(final, f"poll:vote:{pid}:0", f"poll:vote:{pid}:0", enable=True)
    late = await vote(c, final, f"poll:vote:{pid}:0", other)
    assert late == t("poll.closed", "en-US")
    assert await c.h.bot.services.polls.counts(await poll_of(c, pid)) == (0, 1, 0)


async def test_anonymous_role_poll_closes_by_deadline_across_a_restart(
    community: Community,
) -> None:
    c, emu = community, community.emu
    clock = FakeClock(datetime.now(UTC))
    c.h.clock = clock
    await c.h.restart()  # the bot now runs on a clock the test moves
    member_role = c.role("member")
    text = await create(
        c,
        options="Boots\nBelts\nBags",
        anonymous=True,
        hide_results=True,
        multi=True,
        closes="2h",
        role=member_role,
    )
    pid = poll_id_of(text)
    msg = await posted(c, pid)
    assert t("poll.post.hidden", "en-US") in msg.text() and f"<@&{member_role}>" in msg.text()
    other = await make_member(c)
    newcomer = await make_member(c, role=False)

    refused = await vote(c, msg, f"poll:vote:{pid}:0", newcomer)
    assert refused == t("poll.vote.role", "en-US", role=f"<@&{member_role}>")
    both = await vote(c, msg, f"poll:vote:{pid}:0", c.sponsor)
    assert both == t("poll.vote.recorded_multi", "en-US", choices="**Boots**")
    await vote(c, msg, f"poll:vote:{pid}:1", c.sponsor)
    await vote(c, msg, f"poll:vote:{pid}:1", other)
    await flush(c)
    assert "2 ·" not in emu.state.messages[msg.id].text()  # counts stay hidden

    # Nothing shown or exported links a member to a vote.
    [header, *rows] = csv_rows(await reply(await c.h.slash("poll", "export", {"poll": pid})))
    assert header == ["option", "label", "votes", "percent"]
    assert rows == [
        ["1", "Boots", "1", "33.3"],
        ["2", "Belts", "2", "66.7"],
        ["3", "Bags", "0", "0.0"],
    ]
    db = c.h.bot.services.db
    voters = {str(r[0]) for r in await db.fetch_all("SELECT voter FROM poll_vote")}
    assert voters and not voters & {str(c.sponsor), str(other)}

    # Down across the deadline: on start, the poll closes once and its results are posted.
    await c.h.stop()
    clock.advance(hours=2, minutes=1)
    await c.h.start()

    async def closed() -> bool:
        return not (await poll_of(c, pid)).is_open

    await until(closed)
    await emu.wait_for_message(predicate=lambda m: f"#{pid}: results" in m.content, timeout=10)
    result = results_post(c, pid)
    assert "• Boots: 1 (33%)" in result.content and "• Belts: 2 (67%)" in result.content
    assert str(c.sponsor) not in result.content and str(other) not in result.content
    await flush(c)
    final = emu.state.messages[msg.id]
    assert all(b.get("disabled") for b in buttons(final))
    assert "▰" in final.text()  # the counts are shown now
    db = c.h.bot.services.db  # the restarted bot's
    assert await db.fetch_all("SELECT * FROM poll_vote") == []
    assert (await db.fetch_one("SELECT ballot_salt FROM poll"))[0] is None  # type: ignore[index]
    await c.h.restart()
    await c.h.settle()
    assert len([m for m in emu.messages_log if f"#{pid}: results" in m.content]) == 1


async def test_rating_and_nps_with_a_comment_and_survey_results(community: Community) -> None:
    c, emu = community, community.emu
    rating_text = await ephemeral_text(
        await c.h.slash("poll", "rating", {"product": "Boots", "question": "How do they fit?"})
    )
    rid = poll_id_of(rating_text)
    rating = await posted(c, rid)
    assert [b["label"] for b in buttons(rating)] == ["1", "2", "3", "4", "5"]
    answered = await reply(await emu.click(rating.id, f"poll:vote:{rid}:3", c.sponsor))
    assert answered.text() == t("survey.answered.rating", "en-US", score="4")

    nps_text = await ephemeral_text(await c.h.slash("survey", "nps", {"product": "Boots"}))
    nid = poll_id_of(nps_text)
    nps = await posted(c, nid)
    assert len(buttons(nps)) == 11
    assert t("survey.nps.default_product", "en-US", product="Boots") in nps.text()
    other, third = await make_member(c), await make_member(c)

    thanks = await reply(await emu.click(nps.id, f"poll:vote:{nid}:9", c.sponsor))
    assert thanks.ephemeral and thanks.text().startswith("Thanks! Your answer: 9")
    [add] = buttons(thanks)
    assert add["custom_id"] == f"poll:comment:{nid}"
    opened = await emu.click(thanks.id, f"poll:comment:{nid}", c.sponsor)
    await opened.wait_ack()
    assert opened.modal is not None
    sent = await emu.submit_modal(opened, {"comment": "Love the @everyone leather"}, c.sponsor)
    assert await ephemeral_text(sent) == t("survey.comment.saved", "en-US")
    await vote(c, nps, f"poll:vote:{nid}:3", other)
    await vote(c, nps, f"poll:vote:{nid}:10", third)

    report = await ephemeral_text(await c.h.slash("survey", "results"))
    assert "NPS **+33** from 3 answers" in report
    assert "promoters 67%, passives 0%, detractors 33%" in report
    month = datetime.now(UTC).strftime("%Y-%m")
    assert f"• {month}: NPS +33 (n = 3)" in report
    assert "• Boots: +33 (n = 3)" in report  # per product
    assert "Average **4** / 5 from 1 answers" in report
    refused = await c.h.slash("survey", "results", user_id=c.sponsor)
    assert await ephemeral_text(refused) == t("errors.moderator_required", "en-US")
    empty = await ephemeral_text(await c.h.slash("survey", "results", {"product": "Hats"}))
    assert t("survey.results.empty", "en-US") in empty

    exported = await reply(await c.h.slash("poll", "export", {"poll": nid}))
    [header, *rows] = csv_rows(exported)
    assert header == ["user_id", "score", "voted_at", "comment"]
    by_user = {row[0]: row for row in rows}
    assert by_user[str(c.sponsor)][1] == "9"
    assert by_user[str(c.sponsor)][3] == "Love the @everyone leather"
    assert by_user[str(other)][1:4:2] == ["3", ""] and by_user[str(third)][1] == "10"

    await ephemeral_text(await c.h.slash("poll", "close", {"poll": nid}))
    result = results_post(c, nid)
    assert "NPS **+33** from 3 answers" in result.content
    sent_by_bot = [m for m in emu.messages_log if m.author_id == emu.bot_user.id]
    assert all(m.allowed_mentions == NOBODY for m in sent_by_bot)


async def test_bad_input_is_refused_and_changes_nothing(community: Community) -> None:
    c = community
    services = c.h.bot.services
    cases = {
        "Only one": t("poll.options.count", "en-US", min=2, max=10, count=1),
        ";".join(f"o{i}" for i in range(11)): t(
            "poll.options.count", "en-US", min=2, max=10, count=11
        ),
        "Red; Blue; red": t("poll.options.duplicate", "en-US", option="red"),
        f"Red; {'x' * 81}": t("poll.options.too_long", "en-US", max=80, option="x" * 40),
    }
    for options, expected in cases.items():
        assert await create(c, options=options) == expected
    for closes in ("soon", "0m", "400d", "2020-01-01 10:00"):
        text = await create(c, options="a;b", closes=closes)
        assert text == t("poll.closes.invalid", "en-US", value=closes)
    not_mod = await create(c, user_id=c.sponsor, options="a;b")
    assert not_mod == t("errors.moderator_required", "en-US")
    long_question = await ephemeral_text(
        await c.h.slash("poll", "create", {"question": "x" * 301, "options": "a;b"})
    )
    assert long_question == t("poll.question.invalid", "en-US", max=300)
    assert await services.polls.recent(c.guild_id) == []
    unknown = await ephemeral_text(await c.h.slash("poll", "close", {"poll": 999}))
    assert unknown == t("poll.unknown", "en-US")

    # Tampered buttons: another guild's poll, an option out of range, malformed ids.
    pid = poll_id_of(await create(c, options="a;b"))
    foreign = await services.polls.create_poll(c.guild_id + 1, 1, question="Q", options="x;y")
    msg = await posted(c, pid)
    tampered = {
        f"poll:vote:{foreign.id}:0": t("poll.unknown", "en-US"),
        f"poll:vote:{pid}:7": t("poll.option.invalid", "en-US"),
        f"poll:vote:{pid}:x": t("poll.button.invalid", "en-US"),
        "poll:vote:99999999999999999999:0": t("poll.button.invalid", "en-US"),
        f"poll:comment:{pid}": t("poll.button.invalid", "en-US"),  # no comments on polls
        "poll:": t("poll.button.invalid", "en-US"),
    }
    current = f"poll:vote:{pid}:0"
    for custom_id, expected in tampered.items():
        tamper(msg, current, custom_id)
        current = custom_id
        assert await vote(c, msg, custom_id, c.sponsor) == expected, custom_id
    assert await services.polls.counts(await poll_of(c, pid)) == (0, 0)
    assert await services.polls.voters(foreign.id) == 0


async def test_live_counts_lost_in_a_crash_are_shown_after_the_restart(
    community: Community,
) -> None:
    c, emu = community, community.emu
    pid = poll_id_of(await create(c, options="Red;Blue"))
    msg = await posted(c, pid)
    await vote(c, msg, f"poll:vote:{pid}:1", c.sponsor)
    await c.h.settle()
    cog = c.h.bot.get_cog("PollRunner")
    assert cog is not None
    pending = cog.kit._refreshes  # type: ignore[attr-defined]
    assert pid in pending
    for task in pending.values():  # the process dies before the coalesced edit is sent
        task.cancel()
    pending.clear()
    await c.h.restart()

    async def shown() -> bool:
        return "▰▰▰▰▰▰▰▰▰▰ 1 · 100%" in emu.state.messages[msg.id].embeds[0]["description"]

    await until(shown)


async def test_a_forged_comment_form_gets_a_clear_answer(community: Community) -> None:
    c, emu = community, community.emu
    channel = emu.state.channels[c.channel("welcome")]
    expected = t("poll.form.invalid", "en-US")
    for custom_id in ("poll:comment_form:abc", "poll:comment_form:9999999999999999999999"):
        data = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "comment", "value": "hi"}]}
            ],
        }
        rec = await emu._send(emu._base(5, data, c.sponsor, channel, None))
        assert await ephemeral_text(rec) == expected, custom_id
    assert await c.h.bot.services.db.fetch_all("SELECT * FROM poll_comment") == []
