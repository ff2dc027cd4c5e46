"""Membership edges: missing permissions, deleted invites, timeouts, a burst of joins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

from bot.i18n import Text, t
from bot.services.jobs import Job
from bot.services.membership.members import TIMEOUT_JOB, job_key
from bot.services.membership.seats import count_seats
from cogs.membership._joins import VANISHED_JOB, Joins
from tests.emulator import Emulator, P
from tests.harness import BotHarness

from .conftest import CustomHarness, HarnessFactory
from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, invite_code


def joins_cog(c: Community) -> Joins:
    # Not isinstance: commands.Bot.close() unloads extensions, so a later bot in this process
    # runs a freshly imported module.
    cog = c.h.bot.get_cog("Joins")
    assert cog is not None
    return cast(Joins, cog)


async def test_missing_create_invite_is_told_once_and_frees_the_seat(
    emulator: Emulator, make_harness: HarnessFactory
) -> None:
    def no_invites(h: CustomHarness) -> None:
        for role in h.guild.guild.roles.values():  # @everyone grants Create Invite by default
            role.permissions &= ~P.CREATE_INSTANT_INVITE

    h = await make_harness(before_start=no_invites)
    c = await build_community(h)
    notice = t(
        "membership.missing_permission",
        "en-US",
        permission=Text("permission.create_instant_invite"),
    )
    for attempt in range(2):
        text = await ephemeral_text(
            await h.slash("introduce", None, {"name": f"N{attempt}", "why": "W"}, user_id=c.sponsor)
        )
        assert text == t("membership.cannot_invite", "en-US")
    assert await h.bot.services.introductions.active(c.guild_id) == []
    log = [m.content for m in emulator.messages_log if m.channel_id == c.channel("log")]
    assert log.count(notice) == 1
    assert emulator.calls_matching("POST", r"^/channels/\d+/invites$")[-1].status == 403
    emulator.expect_violation("50013")


async def test_invite_deleted_by_an_admin_closes_the_introduction(harness: BotHarness) -> None:
    c = await build_community(harness)
    emu, bot = c.emu, harness.bot
    code = invite_code((await c.introduce("Ines")).text())
    (intro,) = await bot.services.introductions.active(c.guild_id)
    seen = asyncio.create_task(bot.wait_for("invite_delete", timeout=5))
    await emu.delete_invite(code)
    await seen
    await harness.settle()  # the bot's own INVITE_DELETE handler has run
    (job,) = await bot.services.jobs.pending(VANISHED_JOB)
    assert job.key == str(intro.id)
    await joins_cog(c).close_vanished_introduction(job)
    closed = await bot.services.introductions.get(intro.id)
    assert closed is not None
    assert closed.status == "expired"
    assert [m.content for m in emu.dms_to(c.sponsor)] == [
        t("intro.expired.dm", "en-US", name="Ines", guild=harness.guild.guild.name)
    ]


async def test_pending_timeout_removes_kindly_and_frees_the_seat(harness: BotHarness) -> None:
    c = await build_community(harness)
    emu, bot = c.emu, harness.bot
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    timers = {j.kind for j in await bot.services.jobs.pending()}
    assert TIMEOUT_JOB in timers
    job = Job(TIMEOUT_JOB, job_key(c.guild_id, newcomer.id), datetime.now(UTC), c.guild_id)
    await joins_cog(c).time_out_pending(job)
    assert not c.is_in_guild(newcomer.id)
    assert [m.content for m in emu.dms_to(newcomer.id)] == [
        t("gate.timeout.dm", "en-US", guild=harness.guild.guild.name)
    ]
    (stint,) = await bot.services.members.history(c.guild_id, newcomer.id)
    assert (stint.status, stint.end_reason) == ("refused", "timeout")
    await joins_cog(c).time_out_pending(job)  # a second firing changes nothing


async def test_twenty_simultaneous_joins_are_never_misattributed(harness: BotHarness) -> None:
    c = await build_community(harness)
    emu, bot = c.emu, harness.bot
    await reply(
        await harness.slash(
            "setup", "membership", {"max_members": 30, "max_open_introductions": 25}
        )
    )
    codes = [invite_code((await c.introduce(f"Friend {n}")).text()) for n in range(20)]
    users = [emu.add_user() for _ in codes]
    mark = emu.mark()
    await asyncio.gather(
        *(
            emu.member_join(c.guild_id, u.id, invite_code=code)
            for u, code in zip(users, codes, strict=True)
        )
    )
    for user in users:
        await emu.wait_for_call("PUT", rf"/members/{user.id}/roles/\d+$", after=mark, timeout=10)
    exact = 0
    for user, code in zip(users, codes, strict=True):
        stint = await bot.services.members.current(c.guild_id, user.id)
        assert stint is not None
        assert stint.status == "pending"  # nobody who came through an introduction is kicked
        if stint.source == "introduction":
            assert stint.invite_code == code  # never someone else's invite
            assert stint.sponsor_id == c.sponsor
            exact += 1
        else:
            assert (stint.source, stint.sponsor_id, stint.maybe_introduced) == (
                "unknown",
                None,
                True,
            )
    assert await bot.services.introductions.active(c.guild_id) == []  # every seat moved
    async with bot.services.db.transaction() as tx:
        seats = await count_seats(tx, c.guild_id)
    assert (seats.pending, seats.reserved) == (20, 0)


async def test_role_holders_are_counted_and_a_manual_grant_admits(harness: BotHarness) -> None:
    c = await build_community(harness)  # gives the sponsor the member role by hand
    emu, bot = c.emu, harness.bot
    await harness.settle()
    sponsor = await bot.services.members.current(c.guild_id, c.sponsor)
    assert sponsor is not None
    assert (sponsor.status, sponsor.source) == ("member", "existing")

    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    mark = emu.mark()
    await emu.update_member(c.guild_id, newcomer.id, roles=[c.role("newcomer"), c.role("member")])
    await emu.wait_for_call(
        "DELETE", rf"/members/{newcomer.id}/roles/{c.role('newcomer')}$", after=mark
    )
    admitted = await bot.services.members.current(c.guild_id, newcomer.id)
    assert admitted is not None
    assert admitted.status == "member"

    await harness.restart()  # the role holders are not recorded twice
    assert len(await harness.bot.services.members.history(c.guild_id, c.sponsor)) == 1


async def test_invite_snapshot_is_refreshed_after_a_reconnect(harness: BotHarness) -> None:
    c = await build_community(harness)
    emu, bot = c.emu, harness.bot
    emu.hold_events()  # an invite made while the bot is disconnected: its event is missed
    made = await emu.create_invite(c.channel("welcome"), harness.guild.owner.id, max_uses=5)
    mark = emu.mark()
    await emu.reconnect("reconnect")
    await emu.wait_for_call("GET", r"^/guilds/\d+/invites$", after=mark)
    await harness.settle()
    assert made.code in {i.code for i in await bot.services.invites.snapshot(c.guild_id)}


async def test_a_refused_invite_puts_the_waitlist_back_in_order(
    emulator: Emulator, make_harness: HarnessFactory
) -> None:
    def no_invites(h: CustomHarness) -> None:
        for role in h.guild.guild.roles.values():
            role.permissions &= ~P.CREATE_INSTANT_INVITE

    h = await make_harness(before_start=no_invites)
    c = await build_community(h)
    leaver = emulator.add_user()
    await emulator.member_join(c.guild_id, leaver.id)
    await emulator.wait_for_call("PUT", rf"/members/{leaver.id}/roles/\d+$")
    await reply(await h.slash("setup", "membership", {"max_members": 2}))
    first = await c.introduce("Ana")
    second = await c.introduce("Bo")
    mark = emulator.mark()
    await emulator.member_leave(c.guild_id, leaver.id)
    await emulator.wait_for_call("POST", r"^/channels/\d+/invites$", after=mark)
    await h.settle()
    waitlist = await h.bot.services.introductions.waitlist(c.guild_id)
    assert [(i.newcomer_name, i.position) for i in waitlist] == [("Ana", 1), ("Bo", 2)]
    assert len(emulator.calls_matching("POST", r"^/channels/\d+/invites$")) == 1  # no loop
    assert first.ephemeral and second.ephemeral
    emulator.expect_violation("50013")
