"""Leader suggestions and the scale alert, end to end: /leaders suggest ranks members with their
reasons in plain words (numbers the reader's way), leaves out bots, leaders, members who opted
out and newcomers, and is refused to ordinary members and leaders (even with the command opened
to everyone) and for a count out of range; the scale alert is posted once when an admission
brings the community to 30 members without enough leaders, not again after a restart or while
the gap stays, again when it grows, quietly remembers a smaller gap, falls back to the log
channel, and is checked at startup. Nothing it posts pings anyone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest_asyncio

from bot.i18n import format_number, t
from bot.services.clock import iso
from bot.services.leaders.signals import SignalKind
from tests.emulator import Message
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, invite_code
from .test_leader_nominations import pinged, posts_in

WEIGHTS_LINE = t(
    "leaders.suggest.weights",
    "en-US",
    weights="breadth 2, consistency 3, introductions 2, attendance 2, feedback 1, tenure 1",
)


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


def week_day(now: datetime, week: int) -> datetime:
    """A moment in the 7-day period `week` (0: the last 7 days)."""
    return now - timedelta(days=7 * week + 1)


async def seed(c: Community, count: int, days: int, prefix: str) -> list[int]:
    """Members (in Discord with the member role, and on record) admitted `days` ago."""
    ids = c.emu.populate_members(c.guild_id, count, role_ids=[c.role("member")], prefix=prefix)
    await on_record(c, ids, days)
    return ids


async def on_record(c: Community, users: list[int], days: int) -> None:
    admitted = iso(c.h.bot.services.clock() - timedelta(days=days))
    async with c.h.bot.services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO member_stint (guild_id, user_id, status, source, joined_at, admitted_at) "
            "VALUES (?, ?, 'member', 'invite', ?, ?)",
            [(c.guild_id, user, admitted, admitted) for user in users],
        )


async def signal(c: Community, user: int, kind: SignalKind, at: datetime) -> None:
    await c.h.bot.services.signals.record(c.guild_id, user, kind, channel_id=1, at=at)


async def make_leader(c: Community, user: int) -> None:
    async with c.h.bot.services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
            (c.guild_id, user, iso(c.h.bot.services.clock())),
        )


async def suggest(
    c: Community, user_id: int | None = None, locale: str = "en-US", **options: object
) -> Message:
    rec = await c.h.slash("leaders", "suggest", options or None, user_id=user_id, locale=locale)
    answer = await reply(rec)
    assert answer.ephemeral and not rec.failed
    return answer


# -- /leaders suggest ---------------------------------------------------------------------------
async def test_suggest_explains_the_score_to_founders_and_moderators(community: Community) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    now = services.clock()
    ana, ben, cam, dev = await seed(c, 4, 400, "lead")
    async with services.db.transaction() as tx:  # ana: 200 days a member
        await tx.execute(
            "UPDATE member_stint SET admitted_at = ? WHERE user_id = ?",
            (iso(now - timedelta(days=200)), ana),
        )
    robot = emu.add_user("helperbot", bot=True)
    await emu.member_join(c.guild_id, robot.id)
    await on_record(c, [robot.id], 400)
    # ana: messages in 6 of the last 8 weeks and a poll vote; ben: one message, and 1,500
    # upvotes on his feedback.
    for week in range(6):
        await signal(c, ana, "message", week_day(now, week))
    await signal(c, ana, "vote", week_day(now, 1))
    await signal(c, ben, "message", week_day(now, 0))
    async with services.db.transaction() as tx:
        item = await tx.execute(
            "INSERT INTO feedback_item (guild_id, author_id, product, title, details, "
            "created_at, updated_at) VALUES (?, ?, 'Boots', 'Wider', '', ?, ?)",
            (c.guild_id, ben, iso(now), iso(now)),
        )
        await tx.executemany(
            "INSERT INTO feedback_vote (item_id, user_id, created_at) VALUES (?, ?, ?)",
            [(item, 10_000 + n, iso(now)) for n in range(1500)],
        )
    for user in (cam, dev, robot.id):  # busy, but not to be suggested
        for week in range(8):
            await signal(c, user, "message", week_day(now, week))
    optout = await ephemeral_text(await c.h.slash("leaders", "optout", user_id=cam))
    assert optout == t("leaders.optout.done", "en-US")
    await make_leader(c, dev)
    await c.h.settle()

    answer = await suggest(c, count=2)
    excluded = t(
        "leaders.suggest.excluded",
        "en-US",
        leaders="1",
        opted_out="1",
        declined="0",
        flagged="0",
        new_members="1",  # the sponsor, on record since /setup auto
        bots="1",
    )
    assert answer.content == "\n".join(
        [
            t("leaders.suggest.heading", "en-US", count="2", eligible="2"),
            # 100 × (2 × 2/5 + 3 × 6/8 + 1 × 200/365) / 9 = 39.98 (no session: 9, not 11)
            t(
                "leaders.suggest.line",
                "en-US",
                rank=1,
                member=f"<@{ana}>",
                score="40",
                why="active 6 of the last 8 weeks, took part in 2 of 5 ways (messages and "
                "polls), and member for 6 months",
            ),
            # 100 × (2 × 1/5 + 3 × 1/8 + 1 × 1 + 1 × 1) / 9 = 30.83
            t(
                "leaders.suggest.line",
                "en-US",
                rank=2,
                member=f"<@{ben}>",
                score="31",
                why="1,500 upvotes on their feedback, member for over a year, and took part in "
                "1 of 5 ways (messages)",
            ),
            excluded,
            t("leaders.suggest.no_sessions", "en-US"),
            WEIGHTS_LINE,
        ]
    )
    assert pinged(answer) == set()

    # A moderator may, in French: the numbers and the list are written the French way.
    await emu.update_member(c.guild_id, c.sponsor, roles=[c.role("member"), c.role("moderator")])
    await c.h.settle()
    french = await suggest(c, c.sponsor, "fr", count=5)
    assert french.content.splitlines()[0] == t(
        "leaders.suggest.heading", "fr", count="2", eligible="2"
    )
    assert (
        t(
            "leaders.suggest.line",
            "fr",
            rank=2,
            member=f"<@{ben}>",
            score="31",
            why=f"{format_number(1500, 'fr')} votes pour ses retours, membre depuis plus d'un an "
            "et a participé de 1 façons sur 5 (messages)",
        )
        in french.content.splitlines()
    )


async def test_suggest_is_refused_to_members_and_leaders_and_checks_the_count(
    community: Community,
) -> None:
    c = community
    [leader] = await seed(c, 1, 100, "lead")
    await make_leader(c, leader)
    for user in (c.sponsor, leader):
        refused = await suggest(c, user)
        assert refused.content == t("leaders.moderators_only", "en-US")
    for count in (0, 26):
        refused = await suggest(c, count=count)
        assert refused.content == t("leaders.suggest.count_invalid", "en-US", low=1, high=25)
    empty = await suggest(c)  # the only member on record joined today, the other leads
    assert empty.content.splitlines()[0] == t("leaders.suggest.none", "en-US")


# -- the scale alert ----------------------------------------------------------------------------
async def admit(c: Community) -> int:
    """Someone introduced by the sponsor goes through the gate and is admitted."""
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    done = await c.tell_story(newcomer.id)
    assert (await done.wait_followup()).text() == t("gate.story.admitted", "fr")
    await c.h.settle()
    return newcomer.id


def alert_head(members: int, leaders: int, needed: int, gap: int) -> str:
    return t(
        "leaders.scale.alert",
        "en-US",
        members=str(members),
        leaders=str(leaders),
        per_leader="15",
        needed=str(needed),
        gap=str(gap),
    )


async def test_the_scale_alert_is_posted_once_and_again_when_the_gap_grows(
    community: Community,
) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    now = services.clock()
    seeded = await seed(c, 28, 100, "crowd")  # with the sponsor: 29 members
    for rank, user in enumerate(seeded[:3]):
        for week in range(6 - rank):
            await signal(c, user, "message", week_day(now, week))
    mark = len(emu.messages_log)
    await admit(c)  # the 30th member: 2 leaders needed, none yet
    [alert] = posts_in(c, "leaders", mark)
    lines = alert.content.splitlines()
    assert lines[:2] == [alert_head(30, 0, 2, 2), t("leaders.scale.suggestions", "en-US")]
    assert [line.split(" · ")[0] for line in lines[2:]] == [
        f"**{rank}.** <@{user}>" for rank, user in enumerate(seeded[:3], start=1)
    ]
    assert pinged(alert) == set()

    mark = len(emu.messages_log)
    await c.h.restart()  # checked at startup: nothing new to say
    await c.h.settle()
    assert posts_in(c, "leaders", mark) == []
    assert await c.h.bot.services.jobs.pending("leaders.scale")  # the daily check is armed

    await admit(c)  # 31 members: 3 needed, the gap grows
    [alert] = posts_in(c, "leaders", mark)
    assert alert.content.splitlines()[0] == alert_head(31, 0, 3, 3)
    mark = len(emu.messages_log)
    await admit(c)  # 32: still 3 missing
    assert all("📈" not in m.content for m in emu.messages_log[mark:])

    await make_leader(c, seeded[0])
    await admit(c)  # 33: 3 needed, 1 leader: the smaller gap (2) is remembered, not told
    assert all("📈" not in m.content for m in emu.messages_log[mark:])
    assert (await c.h.bot.services.leader_settings.get(c.guild_id)).alerted_gap == 2

    # Without a leaders channel the log channel is told; members recorded without an admission
    # (made members by hand) are counted at the next start: 47 members, 4 needed, 1 leader.
    await c.h.bot.services.config.forget_channel(c.guild_id, c.channel("leaders"))
    await seed(c, 14, 100, "later")
    mark = len(emu.messages_log)
    await c.h.restart()
    await c.h.settle()
    [alert] = [m for m in posts_in(c, "log", mark) if "📈" in m.content]
    assert alert.content.splitlines()[0] == alert_head(47, 1, 4, 3)
    assert pinged(alert) == set()
    assert posts_in(c, "leaders", mark) == []
