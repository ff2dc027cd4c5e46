"""Step-down, removal, the list of leaders, and leaders who leave, end to end: the role and the
leaders-channel access go, circles move to another leader (their thread too) or stay open and
the bot says so, reasons and names ping nobody, refusals change nothing, and state survives a
restart (including a leader who left while the bot was down)."""

from __future__ import annotations

import pytest_asyncio

from bot.i18n import Text, discord_timestamp, t
from bot.services.clock import iso
from tests.emulator import P
from tests.harness import BotHarness

from .helpers import ephemeral_text
from .membership_helpers import Community, build_community
from .test_leader_nominations import (
    VIEW_AND_SEND,
    accept,
    buttons_disabled,
    charter_dm,
    edit_role,
    join,
    make_circle,
    nominated,
    overwrite_of,
    pending,
    pinged,
    posts_in,
    role_seen,
    rows,
    until,
)


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def make_leader(c: Community, user_id: int, circle: int | None = None) -> None:
    """Through the real flow: nominated, then accepted."""
    await nominated(c, user_id, circle=circle)
    await accept(c, user_id)
    assert overwrite_of(c, "leaders", user_id) == (VIEW_AND_SEND, 0)


async def test_stepdown_hands_the_circle_to_another_leader(community: Community) -> None:
    c, emu = community, community.emu
    ana, ben, m1 = await join(c), await join(c), await join(c)
    # Circle threads are private threads the bot made (so it may add and remove people).
    thread = await emu.start_thread(c.h.guild.channel.id, emu.bot_user.id, "Atelier", type=12)
    atelier = await make_circle(c, "Atelier", None, [m1], channel=thread.id)
    await make_leader(c, ana, atelier)
    await make_leader(c, ben)
    assert ana in thread.thread.members  # type: ignore[union-attr]
    refused = await ephemeral_text(await c.h.slash("leaders", "stepdown", user_id=m1))
    assert refused == t("leaders.stepdown.not_leader", "en-US")

    mark = len(emu.messages_log)
    text = await ephemeral_text(await c.h.slash("leaders", "stepdown", user_id=ana, locale="fr"))
    await c.h.settle()
    moved = t("leaders.handover.moved", "fr", circle="Atelier", leader=f"<@{ben}>")
    assert text == t("leaders.stepdown.done", "fr") + "\n" + moved
    [post] = posts_in(c, "leaders", mark)
    assert post.content == "\n".join(
        [
            t("leaders.stepdown.post", "en-US", leader=f"<@{ana}>"),
            t("leaders.handover.moved", "en-US", circle="Atelier", leader=f"<@{ben}>"),
        ]
    )
    assert pinged(post) == set()
    assert c.role("leader") not in c.roles_of(ana) and c.role("leader") in c.roles_of(ben)
    assert overwrite_of(c, "leaders", ana) is None
    assert overwrite_of(c, "leaders", ben) == (VIEW_AND_SEND, 0)
    members = thread.thread.members  # type: ignore[union-attr]
    assert ben in members and ana not in members
    [told] = [m for m in emu.dms_to(ben) if not m.components]
    assert told.content == t(
        "leaders.handover.dm", "en-US", circle="Atelier", guild=c.h.guild.guild.name
    )
    assert await rows(c, "SELECT user_id, status FROM leader ORDER BY id") == [
        (ana, "stepped_down"),
        (ben, "active"),
    ]
    assert await rows(c, "SELECT leader_id FROM circle") == [(ben,)]

    await c.h.restart()  # the roster survives a restart
    listed = await ephemeral_text(await c.h.slash("leaders", "list"))
    assert f"<@{ben}>" in listed and "**Atelier**" in listed and f"<@{ana}>" not in listed
    again = await ephemeral_text(await c.h.slash("leaders", "stepdown", user_id=ana))
    assert again == t("leaders.stepdown.not_leader", "en-US")


async def test_a_stepdown_the_bot_cannot_carry_out_reaches_the_founders(
    community: Community,
) -> None:
    """Without Manage Roles the leader can't step down; they can't fix it, so the founders are
    told in the log channel and the leader is told they were. Nothing changes until fixed."""
    c, emu = community, community.emu
    ana = await join(c)
    await make_leader(c, ana)
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    trimmed = P.BOT_DEFAULT & ~P.MANAGE_ROLES
    await edit_role(emu, c.guild_id, bot_role.id, permissions=trimmed)
    await role_seen(c, bot_role.id, permissions=trimmed)

    mark = len(emu.messages_log)
    text = await ephemeral_text(await c.h.slash("leaders", "stepdown", user_id=ana, locale="fr"))
    missing = (Text("permission.manage_roles"),)
    assert text == t(
        "leaders.stepdown.blocked",
        "fr",
        problem=t("errors.bot_missing_permissions", "fr", permissions=missing),
    )
    [logged] = posts_in(c, "log", mark)
    assert logged.content == t(
        "leaders.log.stepdown_blocked",
        "en-US",
        member=f"<@{ana}>",
        problem=t("errors.bot_missing_permissions", "en-US", permissions=missing),
    )
    assert pinged(logged) == set()
    assert c.role("leader") in c.roles_of(ana)
    assert await rows(c, "SELECT status FROM leader WHERE user_id = ?", ana) == [("active",)]

    await edit_role(emu, c.guild_id, bot_role.id, permissions=P.BOT_DEFAULT)
    await role_seen(c, bot_role.id, permissions=P.BOT_DEFAULT)
    done = await ephemeral_text(await c.h.slash("leaders", "stepdown", user_id=ana))
    assert done.startswith(t("leaders.stepdown.done", "en-US"))
    assert c.role("leader") not in c.roles_of(ana)


async def test_remove_with_a_reason_leaves_the_circle_open(community: Community) -> None:
    c, emu = community, community.emu
    ben, ana, m1 = await join(c), await join(c), await join(c)
    bottes = await make_circle(c, "Bottes", None, [m1])
    await make_leader(c, ben, bottes)
    owner = c.h.guild.owner.id

    async def remove(by: int | None, member: int, reason: str = "quiet") -> str:
        options = {"member": member, "reason": reason}
        text = await ephemeral_text(await c.h.slash("leaders", "remove", options, user_id=by))
        await c.h.settle()
        return text

    # Refused: an ordinary member (also a leader), someone who is not a leader.
    assert await remove(ana, ben) == t("leaders.founders_only", "en-US")
    assert await remove(ben, ben) == t("leaders.founders_only", "en-US")
    assert await remove(owner, ana) == t("leaders.remove.not_leader", "en-US", member=f"<@{ana}>")
    # The bot lost Manage Roles: refused and said, nothing closed.
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    perms = bot_role.permissions
    await edit_role(emu, c.guild_id, bot_role.id, permissions=perms & ~P.MANAGE_ROLES)
    await until(lambda: manage_roles_is(c, False))
    assert await remove(owner, ben) == t(
        "errors.bot_missing_permissions", "en-US", permissions=(Text("permission.manage_roles"),)
    )
    await edit_role(emu, c.guild_id, bot_role.id, permissions=perms)
    await until(lambda: manage_roles_is(c, True))
    assert await rows(c, "SELECT status FROM leader") == [("active",)]

    reason = f"<@{ana}> @everyone <@&{c.role('member')}> has not been around for months"
    mark = len(emu.messages_log)
    text = await remove(owner, ben, reason)
    open_line = t("leaders.handover.open", "en-US", circle="Bottes")
    assert text == t("leaders.remove.done", "en-US", leader=f"<@{ben}>") + "\n" + open_line
    [post] = posts_in(c, "leaders", mark)
    assert post.content == t("leaders.remove.post", "en-US", leader=f"<@{ben}>") + "\n" + open_line
    assert reason not in post.content  # the reason is for the founders and the person only
    [logged] = [m for m in posts_in(c, "log", mark) if reason in m.content]
    assert logged.content == t(
        "leaders.log.removed", "en-US", founder=f"<@{owner}>", leader=f"<@{ben}>", reason=reason
    )
    assert pinged(post) == set() and pinged(logged) == set()
    [dm] = [m for m in emu.dms_to(ben) if "**" in m.content and reason in m.content]
    assert dm.content == t("leaders.remove.dm", "en-US", guild=c.h.guild.guild.name, reason=reason)
    assert c.role("leader") not in c.roles_of(ben) and overwrite_of(c, "leaders", ben) is None
    assert await rows(c, "SELECT status, end_reason, ended_by FROM leader") == [
        ("removed", reason, owner)
    ]
    assert await rows(c, "SELECT leader_id FROM circle") == [(None,)]
    listed = await ephemeral_text(await c.h.slash("leaders", "list"))
    assert (
        t(
            "leaders.list.open_circle",
            "en-US",
            circle="Bottes",
            members=1,
            checkin=t("leaders.list.no_checkin", "en-US"),
        )
        in listed
    )


async def manage_roles_is(c: Community, value: bool) -> bool:
    guild = c.h.bot.get_guild(c.guild_id)
    return guild is not None and guild.me.guild_permissions.manage_roles is value


async def test_list_for_founders_and_moderators(community: Community) -> None:
    c, emu = community, community.emu
    ana, ben, mod, m1, m2, m3 = [await join(c) for _ in range(6)]
    atelier = await make_circle(c, "Atelier", None, [m1, m2])
    await make_circle(c, "Cuir", None, [m3])
    await make_leader(c, ana, atelier)
    await make_leader(c, ben)
    services = c.h.bot.services
    at = services.clock()
    async with services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (c.guild_id, atelier, ana, m1, iso(at)),
        )
    await emu.update_member(c.guild_id, mod, roles=[c.role("member"), c.role("moderator")])
    await c.h.settle()
    refused = await ephemeral_text(await c.h.slash("leaders", "list", user_id=m1))
    assert refused == t("leaders.moderators_only", "en-US")
    refused = await ephemeral_text(await c.h.slash("leaders", "list", user_id=ana))
    assert refused == t("leaders.moderators_only", "en-US")  # leaders are not moderators

    text = await ephemeral_text(await c.h.slash("leaders", "list", user_id=mod))
    leaders = {lead.user_id: lead for lead in await services.leaders.active(c.guild_id)}
    expected = [
        t("leaders.list.heading", "en-US", count=2),
        t(
            "leaders.list.leader_circle",
            "en-US",
            leader=f"<@{ana}>",
            since=discord_timestamp(leaders[ana].since, "D"),
            circle="Atelier",
            members=2,
            checkin=t("leaders.list.last_checkin", "en-US", when=discord_timestamp(at, "R")),
        ),
        t(
            "leaders.list.leader_alone",
            "en-US",
            leader=f"<@{ben}>",
            since=discord_timestamp(leaders[ben].since, "D"),
        ),
        t("leaders.list.open_heading", "en-US", count=1),
        t(
            "leaders.list.open_circle",
            "en-US",
            circle="Cuir",
            members=1,
            checkin=t("leaders.list.no_checkin", "en-US"),
        ),
    ]
    assert text == "\n".join(expected)


async def test_a_leader_who_leaves_the_server(community: Community) -> None:
    c, emu = community, community.emu
    ana, ben, cara, m1 = await join(c), await join(c), await join(c), await join(c)
    atelier = await make_circle(c, "Atelier", None, [m1])
    await make_leader(c, ana, atelier)
    await make_leader(c, ben)
    await nominated(c, cara)
    cara_nomination = await pending(c, cara)
    cara_dm = charter_dm(c, cara)

    mark = len(emu.messages_log)
    await emu.member_leave(c.guild_id, ana)
    post = await emu.wait_for_message(
        c.channel("leaders"), lambda m: m.content.startswith("🚪"), after=mark
    )
    assert post.content == "\n".join(
        [
            t("leaders.left.post_circles", "en-US", leader=f"<@{ana}>"),
            t("leaders.handover.open", "en-US", circle="Atelier"),  # open, not handed to ben
        ]
    )
    assert pinged(post) == set()
    await c.h.settle()
    assert await rows(c, "SELECT status FROM leader WHERE user_id = ?", ana) == [("left",)]
    assert await rows(c, "SELECT leader_id FROM circle") == [(None,)]
    assert overwrite_of(c, "leaders", ana) is None

    # A nominee who leaves: the nomination is withdrawn and the buttons greyed out.
    await emu.member_leave(c.guild_id, cara)
    await until(lambda: nomination_is(c, cara_nomination.id, "withdrawn"))
    await c.h.settle()
    after = emu.state.messages[cara_dm.id]
    assert buttons_disabled(after)
    assert after.content == t(
        "leaders.nomination.withdrawn_note", "en-US", guild=c.h.guild.guild.name
    )

    # A leader who leaves while the bot is down is noticed when it is back.
    await c.h.stop()
    emu.state.guilds[c.guild_id].members.pop(ben)
    mark = len(emu.messages_log)
    await c.h.start()
    post = await emu.wait_for_message(
        c.channel("leaders"), lambda m: m.content.startswith("🚪"), after=mark, timeout=10.0
    )
    assert post.content == t("leaders.left.post", "en-US", leader=f"<@{ben}>")
    await until(lambda: no_active_leaders(c))


async def nomination_is(c: Community, nomination_id: int, status: str) -> bool:
    found = await c.h.bot.services.leaders.nomination(nomination_id)
    return found is not None and found.status == status


async def no_active_leaders(c: Community) -> bool:
    return await c.h.bot.services.leaders.active(c.guild_id) == []
