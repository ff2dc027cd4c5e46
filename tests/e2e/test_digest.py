"""The weekly digest end to end, on a clock the test moves: `/setup digest`, the post at its slot
(welcomes with sponsors, sessions for everyone, feedback that moved, a closed poll with its PNG
chart, the spotlight mentioning only its member, top referrers), sent once across a restart, the
DMs in each member's language with the closed-DM fallback, the founders' report, skipped after a
long downtime, preview and send (the scheduled slot then sends nothing), a time zone change, the
unpostable channel told once, and every refused path.

The bot's clock starts on Wednesday 4 Nov 2026 (ISO week 2026-W45); the digest is set for Mondays
at 09:00 in the server's time zone (UTC), so the first one is due Monday 9 Nov (2026-W46).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.i18n import t
from bot.services.clock import iso
from bot.services.digest import DIGEST_JOB
from tests.conftest import FakeClock
from tests.emulator import Message, P
from tests.emulator.state import Overwrite

from .conftest import HarnessFactory
from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community

START = datetime(2026, 11, 4, 12, tzinfo=UTC)
SLOT = datetime(2026, 11, 9, 9, tzinfo=UTC)  # Monday of 2026-W46, 09:00 UTC
PNG = b"\x89PNG\r\n\x1a\n"
EN = "en-US"


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait for a state a background job reaches."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def started(
    make_harness: HarnessFactory, at: datetime = START
) -> tuple[Community, FakeClock]:
    """A configured community whose bot runs on a clock the test moves."""
    clock = FakeClock(at)
    h = await make_harness(before_start=lambda h: setattr(h, "clock", clock))
    return await build_community(h), clock


async def join(c: Community, name: str, *, locale: str = EN) -> int:
    """Someone joins and is given the member role (the bot records them as a member)."""
    user = c.emu.add_user(name.lower(), global_name=name, locale=locale)
    members = c.h.bot.services.members
    await c.emu.member_join(c.guild_id, user.id)
    await until(lambda: _stint_is(c, user.id, "pending"))
    await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
    await until(lambda: _stint_is(c, user.id, "member"))
    await c.h.settle()
    assert await members.current(c.guild_id, user.id) is not None
    return user.id


async def _stint_is(c: Community, user_id: int, status: str) -> bool:
    current = await c.h.bot.services.members.current(c.guild_id, user_id)
    return current is not None and current.status == status


async def admitted(c: Community, user_id: int, at: datetime, sponsor: int | None) -> None:
    """Shape a member's stint: admitted at `at` through an introduction by `sponsor`."""
    async with c.h.bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE member_stint SET source = 'introduction', admitted_at = ?, sponsor_id = ? "
            "WHERE guild_id = ? AND user_id = ? AND status = 'member'",
            (iso(at), sponsor, c.guild_id, user_id),
        )


async def schedule_mondays(c: Community, locale: str = EN) -> str:
    return await ephemeral_text(
        await c.h.slash("setup", "digest", {"day": "monday", "hour": 9}, locale=locale)
    )


def digests(c: Community) -> list[Message]:
    """The digest posts in the announcements channel."""
    return [
        m
        for m in c.emu.messages_log
        if m.channel_id == c.channel("announcements")
        and m.author_id == c.emu.bot_user.id
        and m.content.startswith("📰")
    ]


def digest_dms(c: Community, user_id: int) -> list[Message]:
    return [m for m in c.emu.dms_to(user_id) if m.content.startswith("📰")]


async def at(c: Community, clock: FakeClock, moment: datetime) -> None:
    """Move the bot's clock and let due jobs run to the end."""
    clock.now = moment
    c.h.bot.jobs.poke()
    await asyncio.sleep(0.1)
    await c.h.bot.jobs.run_due()
    await c.h.bot.jobs.drain()
    await c.h.settle()


async def test_posted_at_its_slot_once_with_dms_fallback_and_report(
    make_harness: HarnessFactory,
) -> None:
    c, clock = await started(make_harness)
    emu, services, gid = c.emu, c.h.bot.services, c.guild_id
    saved = await schedule_mondays(c)
    assert saved == t(
        "digest.setup.saved",
        EN,
        day="Monday",
        hour="09:00",
        timezone="UTC",
        channel=f"<#{c.channel('announcements')}>",
        next=f"<t:{int(SLOT.timestamp())}:F>",
    )
    [job] = await services.jobs.pending(DIGEST_JOB)
    assert (job.due_at, job.payload["week"]) == (SLOT, "2026-W46")

    # The week's community: two welcomed members (one introduced by the regular member), the
    # French member and the one with closed DMs asked for the digest by DM.
    maya = await join(c, "Maya", locale="fr")
    leo = await join(c, "Leo")
    quiet = await join(c, "Quiet")
    sponsor = c.sponsor
    await admitted(c, maya, SLOT - timedelta(days=3), sponsor)
    await admitted(c, leo, SLOT - timedelta(days=2), None)
    await admitted(c, quiet, SLOT - timedelta(days=30), None)
    for user, locale in ((maya, "fr"), (leo, EN)):
        await ephemeral_text(
            await c.h.slash("notifications", None, {"digest": "on"}, user_id=user, locale=locale)
        )
    emu.set_dms_open(leo, False)
    emu.expect_violation("50007")
    db = services.db
    async with db.transaction() as tx:
        for title, audience in (("AMA with the founders", "all"), ("Leaders sync", "leaders")):
            await tx.execute(
                "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, "
                "ends_at, audience, created_at, updated_at) VALUES (?, 'ama', ?, ?, ?, ?, ?, ?, ?)",
                (
                    gid,
                    title,
                    c.h.guild.owner.id,
                    iso(SLOT + timedelta(days=3)),
                    iso(SLOT + timedelta(days=3, hours=1)),
                    audience,
                    iso(START),
                    iso(START),
                ),
            )
        await tx.execute(
            "INSERT INTO referral_order (guild_id, order_id, code, referrer_id, amount_minor, "
            "currency, ordered_at, status, source, import_id, imported_at, updated_at) "
            "VALUES (?, 'o1', 'MAYA', ?, 9900, 'EUR', ?, 'paid', 'csv', 'i', ?, ?)",
            (gid, maya, iso(SLOT - timedelta(days=1)), iso(START), iso(START)),
        )
    opted = await c.h.slash("referral", "showcase", {"enabled": True}, user_id=maya, locale="fr")
    assert await ephemeral_text(opted) == t("referral.showcase.on", "fr")  # named only by choice
    clock.now = SLOT - timedelta(days=2)
    item = await services.board.submit(gid, quiet, "Boots", "Wider fit", "Please")
    await services.board.set_status(gid, item.id, c.h.guild.owner.id, "shipped")
    poll = await services.polls.create_poll(
        gid, c.h.guild.owner.id, question="Colour?", options="Tan;Black"
    )
    await services.polls.vote(gid, poll.id, maya, 1, [])
    await services.polls.close(gid, poll.id)
    text = f"Maya fixed her boots herself <@&{c.role('member')}> @everyone <@{leo}>"
    spotlit = await reply(await c.h.slash("digest", "spotlight", {"member": maya, "text": text}))
    assert spotlit.ephemeral and spotlit.embeds[0]["description"] == text
    assert spotlit.content == t("digest.spotlight.saved", EN, member=f"<@{maya}>")

    # A restart a minute before the slot: nothing yet.
    await c.h.stop()
    clock.now = SLOT - timedelta(minutes=1)
    await c.h.start()
    await at(c, clock, SLOT - timedelta(minutes=1))
    assert digests(c) == []

    await at(c, clock, SLOT + timedelta(minutes=1))
    [post] = digests(c)
    assert post.content == t(
        "digest.heading", EN, guild=c.h.guild.guild.name, date="November 9, 2026"
    ) + "\n" + t("digest.spotlight.ping", EN, member=f"<@{maya}>")
    # The spotlighted member is the one ping: no role, no @everyone, nobody in the text.
    assert post.allowed_mentions is not None
    assert post.allowed_mentions.get("parse") == []
    assert post.allowed_mentions.get("users") == [maya]
    assert not post.allowed_mentions.get("roles")
    body = post.text()
    assert t("digest.welcome.sponsored", EN, member="Maya", sponsor="Regular") in body
    assert t("digest.welcome.line", EN, member="Leo") in body
    assert "Quiet**" not in body  # admitted a month ago
    assert "Leaders sync" not in body  # for leaders only
    starts = SLOT + timedelta(days=3)
    assert (
        t(
            "digest.session.line",
            EN,
            title="AMA with the founders",
            when=f"<t:{int(starts.timestamp())}:F>",
            relative=f"<t:{int(starts.timestamp())}:R>",
        )
        in body
    )  # Discord timestamps: each reader sees their own time zone
    assert (
        t(
            "digest.feedback.line",
            EN,
            status="Shipped",
            product="Boots",
            title="Wider fit",
            votes="0",
        )
        in body
    )
    assert text in body  # the spotlight, verbatim in an embed (embeds never ping)
    assert t("digest.referrer.line", EN, rank=1, member="Maya", orders="1") in body
    [chart] = post.attachments
    assert chart.filename == f"digest-poll-{poll.id}.png" and chart.data.startswith(PNG)
    [poll_embed] = [e for e in post.embeds if e.get("image")]
    assert poll_embed["image"]["url"] == f"attachment://digest-poll-{poll.id}.png"

    # DMs: Maya in French; Leo's DMs are closed, so he is mentioned under a link to the post.
    await until(lambda: _dm_done(c, {maya, leo}))
    [dm] = digest_dms(c, maya)
    assert dm.content == t(
        "digest.heading", "fr", guild=c.h.guild.guild.name, date="9 novembre 2026"
    )
    assert t("digest.section.welcome", "fr") in dm.text()
    assert dm.attachments and dm.attachments[0].data.startswith(PNG)
    fallback = await emu.wait_for_message(
        c.channel("announcements"), lambda m: m.content.startswith(f"<@{leo}>")
    )
    assert fallback.content == f"<@{leo}>\n" + t(
        "digest.dm.fallback",
        EN,
        url=f"https://discord.com/channels/{gid}/{c.channel('announcements')}/{post.id}",
    )
    assert fallback.allowed_mentions is not None
    assert fallback.allowed_mentions.get("users") == [leo]
    assert digest_dms(c, quiet) == [] and digest_dms(c, sponsor) == []
    # The founders' report, privately in the leaders channel, right after.
    report = await emu.wait_for_message(
        c.channel("leaders"), lambda m: m.content.startswith("📈"), timeout=10.0
    )
    assert report.embeds and report.embeds[0]["title"] == t(
        "health.title", EN, period=t("health.period.week", EN)
    )
    assert f"/{post.id})" in report.content

    # Across a restart: nothing again (no second post, DM or report); next Monday is armed.
    await c.h.restart()
    await at(c, clock, SLOT + timedelta(minutes=5))
    assert len(digests(c)) == 1 and len(digest_dms(c, maya)) == 1
    assert len([m for m in emu.messages_log if m.content.startswith("📈")]) == 1
    armed = await c.h.bot.services.digest.armed(gid)
    assert armed is not None and (armed.week, armed.due) == ("2026-W47", SLOT + timedelta(weeks=1))


async def _dm_done(c: Community, users: set[int]) -> bool:
    outcomes = await c.h.bot.services.digest.dm_outcomes(c.guild_id, "2026-W46")
    return set(outcomes) == users and "claimed" not in outcomes.values()


async def test_skipped_after_a_long_downtime_and_logged(make_harness: HarnessFactory) -> None:
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    await c.h.stop()
    clock.now = SLOT + timedelta(days=2)  # down through Monday's slot and a day past it
    await c.h.start()
    line = await c.emu.wait_for_message(c.channel("log"), lambda m: m.content.startswith("⏭️"))
    assert line.content == t("digest.log.skipped", EN, weeks="2026-W46", count=1)
    await at(c, clock, clock.now)
    assert digests(c) == []
    armed = await c.h.bot.services.digest.armed(c.guild_id)
    assert armed is not None and armed.due == SLOT + timedelta(weeks=1)
    run = await c.h.bot.services.digest.run(c.guild_id, "2026-W46")
    assert run is not None and (run.status, run.reason) == ("skipped", "offline")
    await at(c, clock, SLOT + timedelta(weeks=1, minutes=1))  # the next week goes out
    assert len(digests(c)) == 1


async def test_a_stop_between_claiming_and_posting_still_posts_the_week(
    make_harness: HarnessFactory,
) -> None:
    """The bot claimed the week and stopped before posting: the next start gives the claim
    back and the week goes out, once."""
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    digest = c.h.bot.services.digest
    clock.now = SLOT - timedelta(minutes=1)  # the job is not due yet: only the test acts
    assert await digest.claim(c.guild_id, "2026-W46", "schedule") is not None
    await c.h.bot.services.jobs.cancel(DIGEST_JOB, str(c.guild_id))  # taken by the dead run
    await c.h.stop()
    clock.now = SLOT + timedelta(hours=2)  # still within the day's grace
    await c.h.start()
    await c.h.settle()  # the start-up handlers settled the claim and armed the week again
    await at(c, clock, clock.now)
    [post] = digests(c)
    run = await c.h.bot.services.digest.run(c.guild_id, "2026-W46")
    assert run is not None and (run.status, run.message_id) == ("sent", post.id)
    await c.h.restart()
    await at(c, clock, clock.now + timedelta(minutes=5))
    assert len(digests(c)) == 1


async def test_a_stop_between_posting_and_recording_never_posts_twice(
    make_harness: HarnessFactory,
) -> None:
    """The digest went out but the bot stopped before recording it: the next start finds the
    post in the channel, records it, and the founders' report follows; nothing is posted twice."""
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    digest = c.h.bot.services.digest

    async def dies(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the bot stops here")

    digest.mark_sent = dies  # type: ignore[method-assign]
    await at(c, clock, SLOT + timedelta(minutes=1))
    [post] = digests(c)
    run = await digest.run(c.guild_id, "2026-W46")
    assert run is not None and run.status == "claimed"
    await c.h.restart()
    await c.h.settle()
    await at(c, clock, SLOT + timedelta(minutes=3))
    run = await c.h.bot.services.digest.run(c.guild_id, "2026-W46")
    assert run is not None and (run.status, run.message_id) == ("sent", post.id)
    assert digests(c) == [post]
    report = await c.emu.wait_for_message(
        c.channel("leaders"), lambda m: m.content.startswith("📈"), timeout=10.0
    )
    assert f"/{post.id})" in report.content
    armed = await c.h.bot.services.digest.armed(c.guild_id)
    assert armed is not None and armed.week == "2026-W47"


async def test_a_failed_post_leaves_the_week_owed_and_the_retry_posts_it(
    make_harness: HarnessFactory,
) -> None:
    """Discord fails the post with an unexpected error: the channel shows no digest, so the
    claim is given back and the job's retry posts the week, once."""
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    news = c.channel("announcements")
    c.emu.inject_fault("POST", rf"/channels/{news}/messages$", 400, code=50035)
    await at(c, clock, SLOT + timedelta(minutes=1))
    assert digests(c) == []
    assert await c.h.bot.services.digest.run(c.guild_id, "2026-W46") is None  # owed again
    await at(c, clock, SLOT + timedelta(minutes=2))  # the job's retry, 30 s later
    [post] = digests(c)
    run = await c.h.bot.services.digest.run(c.guild_id, "2026-W46")
    assert run is not None and (run.status, run.message_id) == ("sent", post.id)
    await at(c, clock, SLOT + timedelta(minutes=10))
    assert len(digests(c)) == 1


async def test_preview_then_send_counts_as_the_week(make_harness: HarnessFactory) -> None:
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    quiet_week = await reply(await c.h.slash("digest", "preview"))
    assert quiet_week.ephemeral
    assert quiet_week.content.startswith(
        t("digest.preview.next", EN, when=f"<t:{int(SLOT.timestamp())}:F>")
    )
    assert (
        t("digest.quiet", EN, guild=c.h.guild.guild.name, date="November 4, 2026")
        in quiet_week.content
    )
    maya = await join(c, "Maya")
    await admitted(c, maya, START - timedelta(hours=1), c.sponsor)
    clock.now = SLOT - timedelta(hours=1)  # Monday 08:00, before the slot
    shown = await reply(await c.h.slash("digest", "preview"))
    assert shown.ephemeral
    assert t("digest.welcome.sponsored", EN, member="Maya", sponsor="Regular") in shown.text()
    assert digests(c) == []  # a preview posts nothing

    sent = await ephemeral_text(await c.h.slash("digest", "send"))
    [post] = digests(c)
    url = f"https://discord.com/channels/{c.guild_id}/{c.channel('announcements')}/{post.id}"
    assert sent == t("digest.send.done", EN, url=url)
    assert post.allowed_mentions == {"parse": []}  # no spotlight: nobody is pinged
    again = await ephemeral_text(await c.h.slash("digest", "send"))
    assert again == t("digest.send.already", EN, when=f"<t:{int(clock.now.timestamp())}:f>")
    await at(c, clock, SLOT + timedelta(minutes=1))  # the scheduled slot of the same week
    assert len(digests(c)) == 1
    await at(c, clock, SLOT + timedelta(weeks=1))  # next week's goes out as usual
    assert len(digests(c)) == 2


async def test_a_time_zone_change_neither_repeats_nor_skips(make_harness: HarnessFactory) -> None:
    c, clock = await started(make_harness)
    await schedule_mondays(c)
    await at(c, clock, SLOT)
    assert len(digests(c)) == 1
    # Monday 10:00 UTC, after W46's digest: Los Angeles moves this Monday's slot to 17:00 UTC,
    # but W46 had its digest: the next is W47's, Monday 16 Nov 09:00 in Los Angeles.
    clock.now = SLOT + timedelta(hours=1)
    await ephemeral_text(await c.h.slash("setup", "timezone", {"timezone": "America/Los_Angeles"}))
    await c.h.settle()
    armed = await c.h.bot.services.digest.armed(c.guild_id)
    assert armed is not None
    assert (armed.week, armed.due) == ("2026-W47", datetime(2026, 11, 16, 17, tzinfo=UTC))
    await at(c, clock, SLOT + timedelta(hours=9))
    assert len(digests(c)) == 1  # not twice in W46
    # Monday 16 Nov 10:00 UTC, before W47's slot in Los Angeles (17:00 UTC): Tokyo, where it
    # passed at 00:00 UTC. W47 had no digest yet, so it goes out at once rather than never.
    await at(c, clock, datetime(2026, 11, 16, 10, tzinfo=UTC))
    assert len(digests(c)) == 1
    await ephemeral_text(await c.h.slash("setup", "timezone", {"timezone": "Asia/Tokyo"}))
    await at(c, clock, clock.now)
    assert len(digests(c)) == 2  # W47's went out at once rather than being skipped
    armed = await c.h.bot.services.digest.armed(c.guild_id)
    assert armed is not None and armed.week == "2026-W48"


async def test_an_unpostable_channel_is_told_once_until_fixed(make_harness: HarnessFactory) -> None:
    c, clock = await started(make_harness)
    emu = c.emu
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    news = await emu.create_channel(
        c.guild_id, "news", overwrites=[Overwrite(bot_role.id, 0, deny=P.ATTACH_FILES)]
    )
    saved = await ephemeral_text(
        await c.h.slash("setup", "digest", {"day": "monday", "hour": 9, "channel": news.id})
    )
    warning = t(
        "digest.unpostable.permissions",
        EN,
        channel=f"<#{news.id}>",
        permissions=t("permission.attach_files", EN),
    )
    assert saved.endswith("\n" + warning)
    refused = await ephemeral_text(await c.h.slash("digest", "send"))
    assert refused == warning

    def told() -> list[Message]:
        return [m for m in emu.messages_log if m.content.startswith("⚠️") and not m.ephemeral]

    await at(c, clock, SLOT + timedelta(minutes=1))
    [told_once] = told()
    assert told_once.channel_id == c.channel("log") and told_once.content == warning
    assert [m for m in emu.messages_log if m.channel_id == news.id] == []
    await at(c, clock, SLOT + timedelta(hours=1, minutes=2))  # the hourly retry: still broken
    await at(c, clock, SLOT + timedelta(hours=2, minutes=3))
    assert len(told()) == 1  # told once
    run = await c.h.bot.services.digest.run(c.guild_id, "2026-W46")
    assert run is None  # nothing claimed while it can't be posted

    # Fixed (another channel): this week's digest goes out at once, and only once.
    await ephemeral_text(
        await c.h.slash("setup", "digest", {"channel": c.channel("announcements")})
    )
    await at(c, clock, clock.now)
    assert len(digests(c)) == 1 and len(told()) == 1
    # A channel that is gone (deleted) is refused to /digest send, and told once when due.
    await c.h.bot.services.digest.configure(c.guild_id, channel_id=news.id + 999)
    gone = await ephemeral_text(await c.h.slash("digest", "send"))
    assert gone == t("digest.unpostable.missing_channel", EN)
    await at(c, clock, SLOT + timedelta(weeks=1, minutes=1))
    await at(c, clock, SLOT + timedelta(weeks=1, hours=1, minutes=2))
    assert [m.content for m in told()] == [warning, t("digest.unpostable.missing_channel", EN)]


async def test_every_refused_path_changes_nothing(make_harness: HarnessFactory) -> None:
    c, _clock = await started(make_harness)
    emu, services = c.emu, c.h.bot.services
    ordinary = c.sponsor  # a member; admins "opened" the commands: the emulator lets anyone in
    maya = await join(c, "Maya")
    moderator_only = t("errors.moderator_required", EN)
    for sub, options in (
        ("preview", {}),
        ("send", {}),
        ("spotlight", {"member": maya, "text": "Hello"}),
    ):
        answer = await ephemeral_text(await c.h.slash("digest", sub, options, user_id=ordinary))
        assert answer == moderator_only, sub
    setup_refused = await ephemeral_text(
        await c.h.slash("setup", "digest", {"day": "monday"}, user_id=ordinary)
    )
    assert setup_refused == t("errors.manage_guild_required", EN)
    bad_hour = await ephemeral_text(await c.h.slash("setup", "digest", {"hour": 24}))
    assert bad_hour == t("digest.setup.bad_hour", EN, value=24)
    # A modified client can send a day that is not one of the choices.
    setup = emu.commands.find_chat_command(None, "setup") or emu.commands.find_chat_command(
        c.guild_id, "setup"
    )
    assert setup is not None
    digest_options = next(o for o in setup["options"] if o["name"] == "digest")["options"]
    day_option = next(o for o in digest_options if o["name"] == "day")
    choices = day_option.pop("choices")
    try:
        bad_day = await ephemeral_text(await c.h.slash("setup", "digest", {"day": "funday"}))
    finally:
        day_option["choices"] = choices
    assert bad_day == t("errors.bad_input", EN)
    settings = await services.digest.settings(c.guild_id)
    assert not settings.enabled and await services.jobs.pending(DIGEST_JOB) == []

    too_long = await ephemeral_text(
        await c.h.slash("digest", "spotlight", {"member": maya, "text": "x" * 1001})
    )
    assert too_long == t("digest.spotlight.too_long", EN, max=1000, length=1001)
    bot = await ephemeral_text(
        await c.h.slash("digest", "spotlight", {"member": emu.bot_user.id, "text": "Hi"})
    )
    assert bot == t("digest.spotlight.bot", EN)
    stranger = emu.add_user("stranger")
    outside = await ephemeral_text(
        await c.h.slash("digest", "spotlight", {"member": stranger.id, "text": "Hi"})
    )
    assert outside == t("digest.spotlight.not_member", EN, member=f"<@{stranger.id}>")
    newcomer = emu.add_user("newcomer")
    await emu.member_join(c.guild_id, newcomer.id)
    await until(lambda: _stint_is(c, newcomer.id, "pending"))
    in_gate = await ephemeral_text(
        await c.h.slash("digest", "spotlight", {"member": newcomer.id, "text": "Hi"})
    )
    assert in_gate == t("digest.spotlight.not_member", EN, member=f"<@{newcomer.id}>")
    assert await services.digest.waiting_spotlight(c.guild_id) is None
    assert await services.digest.runs(c.guild_id) == []
    assert digests(c) == []
    # A moderator by role (without Manage Server) may use the group.
    await emu.update_member(c.guild_id, maya, roles=[c.role("member"), c.role("moderator")])
    await c.h.settle()
    allowed = await reply(
        await c.h.slash("digest", "spotlight", {"member": maya, "text": "Mod"}, user_id=maya)
    )
    assert allowed.content == t("digest.spotlight.saved", EN, member=f"<@{maya}>")
