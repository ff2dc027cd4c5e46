"""Membership when things go wrong: failed invites and posts, stale cards, departures while the
bot was away, stalled seats, long lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

import pytest_asyncio

from bot.i18n import t
from bot.services.jobs import Job
from bot.services.membership.members import ARRIVAL_JOB, REMINDER_JOB, job_key
from bot.ui import VouchView
from cogs.membership import _admission
from cogs.membership._gate import ApprovalButton
from cogs.membership._joins import Joins
from tests.emulator import Message, payloads
from tests.emulator.snowflake import P
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, card_button, invite_code

INVITES = r"^/channels/\d+/invites$"


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    c = await build_community(harness)
    await harness.settle()  # the sponsor's member role is recorded (an existing member)
    return c


async def set_cap_quietly(c: Community, cap: int) -> None:
    """Change the cap in the database without promoting anyone: seats free behind a waitlist."""
    async with c.h.bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE membership_settings SET max_members = ? WHERE guild_id = ?", (cap, c.guild_id)
        )


async def statuses(c: Community) -> dict[str, str]:
    return {
        i.newcomer_name: i.status for i in await c.h.bot.services.introductions.active(c.guild_id)
    }


async def admission_command(c: Community) -> str:
    """/setup admission (any change): the settings update gives free seats to the waitlist."""
    rec = await c.h.slash("setup", "admission", {"unsponsored": "moderator"})
    return await ephemeral_text(rec)


async def test_every_path_that_promotes_sends_the_invite(community: Community) -> None:
    c, emu = community, community.emu
    await reply(await c.h.slash("setup", "membership", {"max_members": 1}))  # the sponsor
    await c.introduce("Noor")
    assert await statuses(c) == {"Noor": "waitlisted"}

    await set_cap_quietly(c, 5)
    await admission_command(c)
    assert await statuses(c) == {"Noor": "open"}
    assert "Noor" in emu.dms_to(c.sponsor)[-1].content

    await set_cap_quietly(c, 2)  # full again: the sponsor and Noor's invite
    for name in ("Ana", "Bo"):
        await c.introduce(name)
    await set_cap_quietly(c, 3)
    (ana, bo) = await c.h.bot.services.introductions.waitlist(c.guild_id)
    removed = await c.h.slash("waitlist", "remove", {"introduction": bo.id})
    assert await ephemeral_text(removed) == t("waitlist.removed", "en-US", name="Bo")
    assert await statuses(c) == {"Noor": "open", "Ana": "open"}
    assert "Ana" in emu.dms_to(c.sponsor)[-1].content
    assert (await c.h.bot.services.introductions.get(ana.id)).status == "open"  # type: ignore[union-attr]


async def test_a_free_seat_behind_the_waitlist_goes_to_its_head(community: Community) -> None:
    c, emu = community, community.emu
    member = emu.add_user()
    await emu.member_join(c.guild_id, member.id)
    await emu.wait_for_call("PUT", rf"/members/{member.id}/roles/\d+$")
    await c.h.bot.services.members.admit(c.guild_id, member.id)
    await reply(await c.h.slash("setup", "membership", {"max_members": 2}))  # full
    await c.introduce("Ana")
    await set_cap_quietly(c, 3)  # a seat is free, Ana waits
    answer = await c.introduce("Bo")
    assert answer.text() == t("intro.waitlisted", "en-US", name="Bo", position=1)
    assert await statuses(c) == {"Ana": "open", "Bo": "waitlisted"}
    assert "Ana" in emu.dms_to(c.sponsor)[-1].content

    # A privacy forget frees the member's seat: it passes on at once.
    asked = await reply(await c.h.slash("privacy", "forget", user_id=member.id))
    mark = emu.mark()
    await (await emu.click(asked.id, f"privacy:forget:{member.id}", member.id)).wait_ack()
    await emu.wait_for_call("POST", INVITES, after=mark)
    await c.h.settle()
    assert await statuses(c) == {"Ana": "open", "Bo": "open"}

    # The end of a burst's arrival window gives the seats nobody arrived for.
    await c.introduce("Cy")
    await set_cap_quietly(c, 4)
    job = Job(ARRIVAL_JOB, str(c.guild_id), datetime.now(UTC), c.guild_id)
    await cast(Joins, c.h.bot.get_cog("Joins")).promote_after_arrivals(job)
    assert (await statuses(c))["Cy"] == "open"
    assert "Cy" in emu.dms_to(c.sponsor)[-1].content


async def test_failed_invites_and_notices_never_strand_a_seat(community: Community) -> None:
    c, emu = community, community.emu
    # /introduce while Discord fails: the sponsor is told, the seat is given back.
    emu.inject_fault("POST", INVITES, 503)
    failed = await c.h.slash("introduce", None, {"name": "Zed", "why": "W"}, user_id=c.sponsor)
    assert await ephemeral_text(failed) == t("membership.cannot_invite", "en-US")
    assert await statuses(c) == {}

    await reply(await c.h.slash("setup", "membership", {"max_members": 1}))
    await c.introduce("Ana")
    await set_cap_quietly(c, 2)
    emu.inject_fault("POST", INVITES, 503)
    await admission_command(c)  # answered, although the invite could not be made
    assert await statuses(c) == {"Ana": "waitlisted"}  # back in its place, not stuck "seated"

    # The sponsor's DMs are closed: a line in a channel members read, without the invite.
    emu.set_dms_open(c.sponsor, False)
    mark = len(emu.messages_log)
    await admission_command(c)
    assert await statuses(c) == {"Ana": "open"}
    post = await emu.wait_for_message(c.channel("introductions"), after=mark)
    assert post.content == t(
        "intro.promoted.fallback", "en-US", mention=f"<@{c.sponsor}>", name="Ana"
    )
    assert "discord.gg" not in post.content
    assert post.allowed_mentions is not None
    assert [int(u) for u in post.allowed_mentions.get("users", [])] == [c.sponsor]
    mine = await ephemeral_text(await c.h.slash("introductions", "mine", user_id=c.sponsor))
    (ana,) = await c.h.bot.services.introductions.active(c.guild_id)
    assert f"discord.gg/{ana.invite_code}" in mine

    # The notice itself fails for the first of two: the second is still served.
    for name in ("Bo", "Cy"):
        await c.introduce(name)
    await set_cap_quietly(c, 4)
    emu.inject_fault("POST", rf"^/channels/{c.channel('introductions')}/messages$", 503)
    mark = len(emu.messages_log)
    await admission_command(c)
    assert await statuses(c) == {"Ana": "open", "Bo": "open", "Cy": "open"}
    post = await emu.wait_for_message(c.channel("introductions"), after=mark)
    assert "Cy" in post.content
    emu.expect_violation("50007")


async def test_the_gate_never_dead_ends(community: Community) -> None:
    c, emu = community, community.emu
    owner = c.h.guild.owner.id
    await reply(await c.h.slash("setup", "admission", {"sponsored": "moderator"}))
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    # Neither the public introduction nor the moderators' card can be posted.
    emu.inject_fault("POST", rf"^/channels/{c.channel('introductions')}/messages$", 503)
    emu.inject_fault("POST", rf"^/channels/{c.channel('log')}/messages$", 403, code=50013)
    done = await c.tell_story(newcomer.id)
    assert (await done.wait_followup()).text() == t("gate.story.in_review", "fr")
    assert not done.failed
    pending = await ephemeral_text(await c.h.slash("members", "pending", user_id=owner))
    assert t("members.step.review", "en-US") in pending
    approved = await c.h.slash("members", "approve", {"member": newcomer.id}, user_id=owner)
    assert await ephemeral_text(approved) == t(
        "members.approved", "en-US", user=f"<@{newcomer.id}>"
    )

    # Invites can't be listed (an outage): the join is recorded as unknown, never lost.
    emu.inject_fault("GET", r"^/guilds/\d+/invites$", 503)
    walker = await c.join_through(None)
    stint = await c.h.bot.services.members.current(c.guild_id, walker.id)
    assert stint is not None
    assert (stint.status, stint.source) == ("pending", "unknown")
    assert c.role("newcomer") in c.roles_of(walker.id)


async def post_old_style_card(c: Community, user_id: int) -> Message:
    """A card as posted before the stint id was in the buttons' custom_ids."""
    guild = c.h.bot.get_guild(c.guild_id)
    assert guild is not None
    stint = await c.h.bot.services.members.current(c.guild_id, user_id)
    assert stint is not None
    view = VouchView(timeout=None)
    view.add_item(ApprovalButton("approve", user_id))
    view.add_item(ApprovalButton("deny", user_id))
    mark = len(c.emu.messages_log)
    cog = cast(Joins, c.h.bot.get_cog("Joins"))
    await _admission.post_approval_card(cog.kit, guild, stint, view)
    return await c.emu.wait_for_message(c.channel("log"), lambda m: bool(m.components), after=mark)


async def test_a_card_from_an_earlier_stay_is_refused(community: Community) -> None:
    c, emu = community, community.emu
    owner = c.h.guild.owner.id
    await reply(await c.h.slash("setup", "admission", {"sponsored": "moderator"}))
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    mark = len(emu.messages_log)
    await c.tell_story(newcomer.id)
    first_card = await emu.wait_for_message(
        c.channel("log"), lambda m: bool(m.components), after=mark
    )
    old_style = await post_old_style_card(c, newcomer.id)

    left = asyncio.create_task(c.h.bot.wait_for("raw_member_remove", timeout=5))
    await emu.member_leave(c.guild_id, newcomer.id)
    await left
    await c.h.settle()
    await c.join_through(None, user=newcomer)  # back, unsponsored: a new stay
    await c.pass_rules(newcomer.id)
    await c.tell_story(newcomer.id)

    for card, action in ((first_card, "approve"), (first_card, "deny"), (old_style, "approve")):
        stale = await emu.click(card.id, card_button(card, action), owner)
        assert await ephemeral_text(stale) == t("gate.card.stale", "en-US")
    current = await c.h.bot.services.members.current(c.guild_id, newcomer.id)
    assert current is not None
    assert current.status == "pending"

    fresh_old_style = await post_old_style_card(c, newcomer.id)  # the current stay's card
    ok = await emu.click(fresh_old_style.id, card_button(fresh_old_style, "approve"), owner)
    await ok.wait_ack()
    await emu.wait_for_call("PATCH", rf"/messages/{fresh_old_style.id}$")
    assert c.role("member") in c.roles_of(newcomer.id)

    # A reminder due after admission is not sent.
    dms = len(emu.dms_to(newcomer.id))
    job = Job(REMINDER_JOB, job_key(c.guild_id, newcomer.id), datetime.now(UTC), c.guild_id)
    await cast(Joins, c.h.bot.get_cog("Joins")).remind_pending(job)
    assert len(emu.dms_to(newcomer.id)) == dms


async def test_people_who_left_while_the_bot_was_away_free_their_seats(
    community: Community,
) -> None:
    c, emu, h = community, community.emu, community.h
    newcomer = await c.join_through(invite_code((await c.introduce("Maya")).text()))
    await reply(await h.slash("setup", "membership", {"max_members": 2}))
    await c.introduce("Noor")
    assert (await statuses(c))["Noor"] == "waitlisted"
    await h.stop()
    await emu.member_leave(c.guild_id, newcomer.id)  # nobody is listening
    mark = emu.mark()
    await h.start()
    await emu.wait_for_call("POST", INVITES, after=mark)
    await h.settle()
    (stint,) = await h.bot.services.members.history(c.guild_id, newcomer.id)
    assert (stint.status, stint.end_reason) == ("left", "left")
    assert await statuses(c) == {"Noor": "open"}
    assert "Noor" in emu.dms_to(c.sponsor)[-1].content


async def test_long_lists_fit_in_one_message(community: Community) -> None:
    c, h = community, community.h
    services = h.bot.services
    owner = h.guild.owner.id
    for n in range(40):
        await services.members.record_join(c.guild_id, 10_000 + n, kind="unknown")
    await services.membership.update(c.guild_id, max_members=1, max_open_introductions=25)
    for n in range(30):
        await services.introductions.open_introduction(
            guild_id=c.guild_id,
            sponsor_id=c.sponsor if n < 25 else owner,
            sponsor_is_member=True,
            name=f"{n:02d} " + "x" * 77,
            why="W",
        )
    replies = {
        ("introductions", "list"): 30,
        ("waitlist", "show"): 30,
        ("introductions", "mine"): 25,
        ("members", "pending"): 40,
    }
    for (group, sub), total in replies.items():
        user = c.sponsor if sub == "mine" else owner
        text = await ephemeral_text(await h.slash(group, sub, user_id=user))
        assert len(text) <= 2000
        *lines, last = text.split("\n")
        assert last == t("list.more", "en-US", count=total - len(lines)), (group, sub)


async def test_joins_are_attributed_without_invite_events(community: Community) -> None:
    """Discord sends INVITE_CREATE only to a bot that can manage the channel. Without Manage
    Channels, the bot's own invites (introductions, referral links) are still known."""
    c, emu = community, community.emu
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    bot_role.permissions &= ~P.MANAGE_CHANNELS  # an admin trimmed the bot's role
    await emu.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": str(c.guild_id), "role": payloads.role(bot_role)}
    )
    await c.h.settle()

    def invite_events() -> int:
        return sum(
            frame["t"] in ("INVITE_CREATE", "INVITE_DELETE")
            for session in emu.gateway.sessions.values()
            for frame in session.log
        )

    before = invite_events()
    introduced = await c.join_through(invite_code((await c.introduce("Maya")).text()))
    link = invite_code(await ephemeral_text(await c.h.slash("referral", "link", user_id=c.sponsor)))
    referred = await c.join_through(link)
    assert invite_events() == before  # the emulator sent none, as Discord would not
    for newcomer, source in ((introduced, "introduction"), (referred, "referral")):
        stint = await c.h.bot.services.members.current(c.guild_id, newcomer.id)
        assert stint is not None
        assert (stint.source, stint.sponsor_id) == (source, c.sponsor)


async def test_an_invite_the_bot_revoked_is_never_credited_with_a_join(
    community: Community,
) -> None:
    """A revoked introduction's single-use invite vanishes like a used one: a join right after
    (within the grace a used invite gets) must not be credited to it."""
    c = community
    code = invite_code((await c.introduce("Maya")).text())
    [intro] = await c.h.bot.services.introductions.active(c.guild_id)
    revoked = await c.h.slash(
        "introductions", "revoke", {"introduction": intro.id}, user_id=c.sponsor
    )
    assert await ephemeral_text(revoked) == t("intro.revoked", "en-US", name="Maya")
    assert code not in c.emu.state.invites
    walk_in = await c.join_through(None)  # no invite of ours: vanity, Discovery, a friend's
    stint = await c.h.bot.services.members.current(c.guild_id, walk_in.id)
    assert stint is not None
    assert (stint.source, stint.invite_code, stint.sponsor_id) == ("unknown", None, None)
