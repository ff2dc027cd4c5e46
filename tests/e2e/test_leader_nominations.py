"""Nominations with consent, end to end: /leaders nominate sends the charter (in the nominee's
language) with Accept / Decline; Accept still works after a restart and grants the role, the
leaders channel and the circle, with a public recognition that pings only the new leader;
Decline quietly ends it; 7 days later it expires (a durable job across a restart); presses by
someone else, twice or after expiry are refused; closed DMs get a channel post that mentions
only the nominee; and every refused nomination is answered, localized, with nothing sent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from bot.i18n import Text, discord_timestamp, t
from bot.services.clock import iso
from bot.services.leaders.models import Nomination
from tests.conftest import FakeClock
from tests.emulator import Emulator, InteractionRecord, Message, P, payloads
from tests.harness import BotHarness

from .helpers import ephemeral_text
from .membership_helpers import Community, build_community

VIEW_AND_SEND = P.VIEW_CHANNEL | P.SEND_MESSAGES


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


# -- helpers (also used by test_leader_roster) -------------------------------------------------
async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a state the bot reaches in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def join(c: Community, *, member: bool = True, locale: str = "en-US") -> int:
    """Someone joins (in the gate); `member`: then admitted with the member role."""
    user = c.emu.add_user(locale=locale)
    await c.emu.member_join(c.guild_id, user.id)
    await until(lambda: stint_is(c, user.id, "pending"))
    if member:
        await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
        await until(lambda: stint_is(c, user.id, "member"))
    await c.h.settle()
    return user.id


async def stint_is(c: Community, user_id: int, status: str) -> bool:
    current = await c.h.bot.services.members.current(c.guild_id, user_id)
    return current is not None and current.status == status


async def make_circle(
    c: Community, name: str, leader: int | None, members: list[int], *, channel: int | None = None
) -> int:
    db = c.h.bot.services.db
    now = iso(c.h.bot.services.clock())
    async with db.transaction() as tx:
        circle = await tx.execute(
            "INSERT INTO circle (guild_id, name, leader_id, channel_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (c.guild_id, name, leader, channel, now),
        )
        await tx.executemany(
            "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
            "VALUES (?, ?, ?, ?)",
            [(c.guild_id, user, circle, now) for user in members],
        )
    return circle


async def nominate(
    c: Community, member: int, *, circle: int | None = None, by: int | None = None
) -> InteractionRecord:
    options: dict[str, object] = {"member": member}
    if circle is not None:
        options["circle"] = str(circle)
    return await c.h.slash("leaders", "nominate", options, user_id=by)


async def nominated(
    c: Community, member: int, *, circle: int | None = None, by: int | None = None
) -> str:
    """/leaders nominate; its ephemeral answer once everything it does is done."""
    text = await ephemeral_text(await nominate(c, member, circle=circle, by=by))
    await c.h.settle()
    return text


async def circle_choices(c: Community, user_id: int, typed: str) -> list[dict[str, Any]]:
    """Type in /leaders nominate's `circle` option (the emulator has no public helper for
    autocomplete interactions, so the payload is built here)."""
    emu = c.emu
    cmd = emu.commands.find_chat_command(c.guild_id, "leaders")
    assert cmd is not None
    options = [
        {
            "type": 1,
            "name": "nominate",
            "options": [{"type": 3, "name": "circle", "value": typed, "focused": True}],
        }
    ]
    data: dict[str, Any] = {"id": cmd["id"], "name": "leaders", "type": 1, "options": options}
    if "guild_id" in cmd:
        data["guild_id"] = cmd["guild_id"]
    channel = emu.state.channels[c.h.guild.channel.id]
    rec: InteractionRecord = await emu._send(emu._base(4, data, user_id, channel, None))
    ack = await rec.wait_ack()
    assert ack.type == 8 and ack.data is not None
    return list(ack.data["choices"])


async def pending(c: Community, user_id: int) -> Nomination:
    nomination = await c.h.bot.services.leaders.pending_nomination(c.guild_id, user_id)
    assert nomination is not None
    return nomination


def charter_dm(c: Community, user_id: int) -> Message:
    [dm] = [m for m in c.emu.dms_to(user_id) if m.components]
    return dm


def button(nomination: Nomination, action: str) -> str:
    return f"leaders:nomination:{action}:{nomination.id}"


def buttons_disabled(message: Message) -> bool:
    found = [b for row in message.components for b in row.get("components", [])]
    return len(found) == 2 and all(b.get("disabled") for b in found)


def pinged(message: Message) -> set[str]:
    """Who Discord would notify for this message, from its content and allowed_mentions
    (embeds never ping)."""
    allowed = message.allowed_mentions
    assert allowed is not None, "no allowed_mentions: Discord would ping everything"
    parse = set(allowed.get("parse") or [])
    in_text = {int(u) for u in re.findall(r"<@!?(\d+)>", message.content)}
    users = in_text if "users" in parse else {int(u) for u in allowed.get("users") or []} & in_text
    found = {f"user:{u}" for u in users}
    if "everyone" in parse and re.search(r"@(everyone|here)", message.content):
        found.add("everyone")
    roles = set(re.findall(r"<@&(\d+)>", message.content))
    if "roles" in parse or roles & {str(r) for r in allowed.get("roles") or []}:
        found |= {f"role:{r}" for r in roles}
    return found


async def edit_role(emu: Emulator, guild_id: int, role_id: int, **changes: object) -> None:
    """An admin edits a role in Discord (GUILD_ROLE_UPDATE)."""
    role = emu.state.guilds[guild_id].roles[role_id]
    for name, value in changes.items():
        setattr(role, name, value)
    await emu.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": payloads.role(role)}
    )


async def role_seen(c: Community, role_id: int, **expected: object) -> None:
    async def seen() -> bool:
        role = c.h.bot.get_guild(c.guild_id).get_role(role_id)  # type: ignore[union-attr]
        return role is not None and all(
            getattr(role, k) == v if k != "permissions" else role.permissions.value == v
            for k, v in expected.items()
        )

    await until(seen)


async def accept(c: Community, user_id: int, *, locale: str = "en-US") -> Message:
    """The nominee presses Accept on their charter; the message as it ends up."""
    nomination = await pending(c, user_id)
    assert nomination.channel_id is not None and nomination.message_id is not None
    clicked = await c.emu.click(
        nomination.message_id, button(nomination, "accept"), user_id, locale=locale
    )
    assert (await clicked.wait_ack()).type == 6  # deferred: the message is edited in place
    await until(lambda: leads(c, user_id))
    await c.h.settle()
    return c.emu.state.messages[nomination.message_id]


async def leads(c: Community, user_id: int) -> bool:
    return await c.h.bot.services.leaders.active_leader(c.guild_id, user_id) is not None


def overwrite_of(c: Community, purpose: str, user_id: int) -> tuple[int, int] | None:
    channel = c.emu.state.channels[c.channel(purpose)]
    found = [(o.allow, o.deny) for o in channel.overwrites if o.id == user_id and o.type == 1]
    return found[0] if found else None


def posts_in(c: Community, purpose: str, after: int = 0) -> list[Message]:
    return [
        m
        for m in c.emu.messages_log[after:]
        if m.channel_id == c.channel(purpose) and m.author_id == c.emu.bot_user.id
    ]


async def rows(c: Community, sql: str, *params: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await c.h.bot.services.db.fetch_all(sql, params)]


# -- the happy paths ---------------------------------------------------------------------------
async def test_nominate_then_accept_after_a_restart(community: Community) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    ana, m1 = await join(c), await join(c)
    await services.preferences.set_language(ana, "fr")  # her DMs are in French
    thread = await emu.start_thread(c.h.guild.channel.id, c.h.guild.owner.id, "Atelier")
    circle = await make_circle(c, "Atelier", None, [m1], channel=thread.id)

    # The circle option suggests open circles without a leader, to founders only.
    await make_circle(c, "Bottes", c.sponsor, [])  # no active leader: still open
    assert await circle_choices(c, c.h.guild.owner.id, "at") == [
        {"name": "Atelier", "value": str(circle)}
    ]
    assert len(await circle_choices(c, c.h.guild.owner.id, "")) == 2
    assert await circle_choices(c, m1, "") == []
    text = await nominated(c, ana, circle=circle)
    nomination = await pending(c, ana)
    until_text = discord_timestamp(nomination.expires_at, "F")
    assert text == t("leaders.nominate.sent", "en-US", member=f"<@{ana}>", until=until_text)
    assert nomination.expires_at == nomination.created_at + timedelta(days=7)
    dm = charter_dm(c, ana)
    assert dm.content.startswith(
        t(
            "leaders.nomination.invite",
            "fr",
            guild=c.h.guild.guild.name,
            founder=f"<@{c.h.guild.owner.id}>",
        )
    )
    assert t("leaders.nomination.invite_circle", "fr", circle="Atelier") in dm.content
    assert dm.embeds[0]["title"] == t("leaders.charter.title", "fr")
    assert dm.embeds[0]["description"] == t("leaders.charter.default", "fr")
    labels = [b["label"] for row in dm.components for b in row["components"]]
    assert labels == [
        t("leaders.nomination.button.accept", "fr"),
        t("leaders.nomination.button.decline", "fr"),
    ]
    assert not await leads(c, ana) and c.role("leader") not in c.roles_of(ana)
    [logged] = [m for m in posts_in(c, "log") if m.content.startswith("🌟")]
    assert f"<@{ana}>" in logged.content and pinged(logged) == set()

    await c.h.restart()  # the buttons are DynamicItems: they work after a restart
    mark = len(emu.messages_log)
    edited = await accept(c, ana, locale="fr")
    assert edited.content == t(
        "leaders.accept.done_circle", "fr", guild=c.h.guild.guild.name, circle="Atelier"
    )
    assert buttons_disabled(edited) and edited.embeds  # the charter stays, the buttons don't
    assert c.role("leader") in c.roles_of(ana)
    assert overwrite_of(c, "leaders", ana) == (VIEW_AND_SEND, 0)
    assert ana in thread.thread.members  # type: ignore[union-attr]
    [recognition] = posts_in(c, "announcements", mark)
    assert recognition.content == t(
        "leaders.recognition_circle", "en-US", leader=f"<@{ana}>", circle="Atelier"
    )
    assert pinged(recognition) == {f"user:{ana}"}  # the new leader, on purpose, and no one else
    assert await rows(c, "SELECT status FROM leader_nomination") == [("accepted",)]
    assert await rows(c, "SELECT user_id, status FROM leader") == [(ana, "active")]
    assert await rows(c, "SELECT leader_id FROM circle WHERE id = ?", circle) == [(ana,)]
    assert await c.h.bot.services.jobs.pending("leaders.nomination.expire") == []
    [accepted_log] = [m for m in posts_in(c, "log", mark) if m.content.startswith("✅")]
    assert pinged(accepted_log) == set()

    # A current leader can't be nominated again.
    refused = await nominated(c, ana)
    assert refused == t("leaders.nominate.already_leader", "en-US", member=f"<@{ana}>")


async def test_decline_is_recorded_and_quietly_ends(community: Community) -> None:
    c, emu = community, community.emu
    ben = await join(c)
    await nominated(c, ben)
    nomination = await pending(c, ben)
    dm = charter_dm(c, ben)
    mark = len(emu.messages_log)
    clicked = await emu.click(dm.id, button(nomination, "decline"), ben)
    assert (await clicked.wait_ack()).type == 7  # the message is updated in place
    await c.h.settle()
    after = emu.state.messages[dm.id]
    assert after.content == t("leaders.decline.done", "en-US") and buttons_disabled(after)
    assert await rows(c, "SELECT status FROM leader_nomination") == [("declined",)]
    assert await rows(c, "SELECT count(*) FROM leader") == [(0,)]
    assert c.role("leader") not in c.roles_of(ben)
    assert posts_in(c, "announcements", mark) == [] and posts_in(c, "leaders", mark) == []
    [line] = posts_in(c, "log", mark)
    assert line.content == t("leaders.log.declined", "en-US", member=f"<@{ben}>")
    # Declined is not forever: a founder may ask again later.
    text = await nominated(c, ben)
    until_text = discord_timestamp((await pending(c, ben)).expires_at, "F")
    assert text == t("leaders.nominate.sent", "en-US", member=f"<@{ben}>", until=until_text)


async def test_accept_pressed_twice_at_once_makes_one_leader(community: Community) -> None:
    c, emu = community, community.emu
    ana = await join(c)
    await nominated(c, ana)
    nomination = await pending(c, ana)
    dm = charter_dm(c, ana)
    mark = len(emu.messages_log)
    first, second = await asyncio.gather(
        emu.click(dm.id, button(nomination, "accept"), ana),
        emu.click(dm.id, button(nomination, "accept"), ana),
    )
    await until(lambda: leads(c, ana))
    await c.h.settle()
    later = [first, second][[(await r.wait_ack()).type for r in (first, second)].index(7)]
    note = await later.wait_followup(1)
    assert note.ephemeral and note.content == t("leaders.nomination.already_accepted", "en-US")
    assert await rows(c, "SELECT count(*) FROM leader") == [(1,)]
    assert len(posts_in(c, "announcements", mark)) == 1
    assert buttons_disabled(emu.state.messages[dm.id])


async def test_expiry_after_seven_days_across_a_restart(community: Community) -> None:
    c, emu = community, community.emu
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    c.h.clock = clock
    await c.h.restart()
    ana = await join(c)
    await nominated(c, ana)
    nomination = await pending(c, ana)
    dm = charter_dm(c, ana)

    await c.h.stop()
    clock.now = nomination.expires_at - timedelta(minutes=1)
    await c.h.start()
    await c.h.settle()
    assert await rows(c, "SELECT status FROM leader_nomination") == [("pending",)]
    await c.h.stop()
    clock.now = nomination.expires_at + timedelta(minutes=1)
    mark = len(emu.messages_log)
    await c.h.start()  # the job is still there, and fires as soon as the bot is ready

    def closed(m: Message) -> bool:
        return m.id == dm.id and buttons_disabled(m)

    after = await emu.wait_for_message(predicate=closed, timeout=10.0)
    assert after.content == t(
        "leaders.nomination.expired_note", "en-US", guild=c.h.guild.guild.name
    )
    await until(lambda: has_status(c, "expired"))
    line = await emu.wait_for_message(
        c.channel("log"), lambda m: m.content.startswith("⌛"), after=mark
    )
    assert line.content == t("leaders.log.expired", "en-US", member=f"<@{ana}>")
    assert not await leads(c, ana)


async def has_status(c: Community, status: str) -> bool:
    return await rows(c, "SELECT status FROM leader_nomination") == [(status,)]


async def test_accept_pressed_after_the_deadline_says_it_expired(community: Community) -> None:
    c, emu = community, community.emu
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    c.h.clock = clock
    await c.h.restart()
    ana = await join(c)
    await nominated(c, ana)
    nomination = await pending(c, ana)
    dm = charter_dm(c, ana)
    # The deadline passes while the bot runs; the nominee presses before the expiry job ran.
    clock.now = nomination.expires_at + timedelta(seconds=5)
    clicked = await emu.click(dm.id, button(nomination, "accept"), ana)
    assert (await clicked.wait_ack()).type == 7  # the buttons are greyed out
    note = await clicked.wait_followup(1)
    assert note.ephemeral and note.content == t("leaders.nomination.expired", "en-US")
    assert buttons_disabled(emu.state.messages[dm.id])
    assert not await leads(c, ana) and c.role("leader") not in c.roles_of(ana)


async def test_closed_dms_get_a_channel_post_that_only_the_nominee_may_answer(
    community: Community,
) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    ana, ben = await join(c), await join(c)
    emu.set_dms_open(ana, False)
    emu.expect_violation("50007")  # the DM is tried first
    charter = f"Be kind to <@{ben}>, @everyone and <@&{c.role('member')}>. @here too."
    await services.leader_settings.set_charter(c.guild_id, charter)
    circle_name = f"<@{ben}> @everyone"  # a circle name is user text too
    circle = await make_circle(c, circle_name, None, [ben])
    mark = len(emu.messages_log)

    text = await nominated(c, ana, circle=circle)
    nomination = await pending(c, ana)
    assert text == t(
        "leaders.nominate.sent_fallback",
        "en-US",
        member=f"<@{ana}>",
        channel=f"<#{c.channel('leaders')}>",
        until=discord_timestamp(nomination.expires_at, "F"),
    )
    [post] = [m for m in posts_in(c, "leaders", mark) if m.components]
    assert post.content.startswith(f"<@{ana}>\n")
    assert post.embeds[0]["description"] == charter
    assert pinged(post) == {f"user:{ana}"}  # the charter's mentions ping nobody
    assert nomination.channel_id == c.channel("leaders") and nomination.message_id == post.id

    # Others see the buttons too: refused, nothing changes.
    for presser in (ben, c.h.guild.owner.id):
        for action in ("accept", "decline"):
            refused = await ephemeral_text(
                await emu.click(post.id, button(nomination, action), presser)
            )
            assert refused == t("leaders.nomination.not_yours", "en-US")
    assert await has_status(c, "pending") and not buttons_disabled(emu.state.messages[post.id])

    mark = len(emu.messages_log)
    edited = await accept(c, ana)
    assert edited.content == f"<@{ana}>\n" + t(
        "leaders.accept.done_circle", "en-US", guild=c.h.guild.guild.name, circle=circle_name
    )
    assert buttons_disabled(edited)
    assert c.role("leader") in c.roles_of(ana)
    [recognition] = posts_in(c, "announcements", mark)
    assert circle_name in recognition.content
    assert pinged(recognition) == {f"user:{ana}"}  # not ben, not everyone
    assert all(pinged(m) == set() for m in posts_in(c, "log", mark))


async def test_the_role_is_checked_again_when_accepting(community: Community) -> None:
    c, emu = community, community.emu
    ana = await join(c)
    await nominated(c, ana)
    nomination = await pending(c, ana)
    dm = charter_dm(c, ana)
    leader_role = c.role("leader")
    # Meanwhile an admin gives the leader role Ban Members.
    await edit_role(emu, c.guild_id, leader_role, permissions=P.BAN_MEMBERS)
    await role_seen(c, leader_role, permissions=P.BAN_MEMBERS)
    mark = len(emu.messages_log)
    clicked = await emu.click(dm.id, button(nomination, "accept"), ana)
    note = await clicked.wait_followup(1)
    assert note.content == t(
        "leaders.accept.role_blocked", "en-US", until=discord_timestamp(nomination.expires_at, "F")
    )
    assert await has_status(c, "pending") and not await leads(c, ana)
    assert leader_role not in c.roles_of(ana) and not buttons_disabled(emu.state.messages[dm.id])
    [line] = [m for m in posts_in(c, "log", mark) if m.content.startswith("⚠️")]
    assert t("permission.ban_members", "en-US") in line.content and pinged(line) == set()
    again = await emu.click(dm.id, button(nomination, "accept"), ana)
    assert (await again.wait_followup(1)).content == note.content
    warnings = [m for m in posts_in(c, "log", mark) if m.content.startswith("⚠️")]
    assert warnings == [line]  # pressing again is no news for the founders

    # The role is fixed, but now the bot lacks Manage Roles: a new problem, told once.
    await edit_role(emu, c.guild_id, leader_role, permissions=0)
    await role_seen(c, leader_role, permissions=0)
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    trimmed = P.BOT_DEFAULT & ~P.MANAGE_ROLES
    await edit_role(emu, c.guild_id, bot_role.id, permissions=trimmed)
    await role_seen(c, bot_role.id, permissions=trimmed)
    for _ in range(2):
        pressed = await emu.click(dm.id, button(nomination, "accept"), ana)
        assert (await pressed.wait_followup(1)).content == note.content
    assert await has_status(c, "pending") and leader_role not in c.roles_of(ana)
    warnings = [m for m in posts_in(c, "log", mark) if m.content.startswith("⚠️")]
    assert len(warnings) == 2
    assert t("permission.manage_roles", "en-US") in warnings[1].content

    # Fixed: the same button now works.
    await edit_role(emu, c.guild_id, bot_role.id, permissions=P.BOT_DEFAULT)
    await role_seen(c, bot_role.id, permissions=P.BOT_DEFAULT)
    await accept(c, ana)
    assert leader_role in c.roles_of(ana)


async def test_every_refused_nomination_sends_nothing(community: Community) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    owner = c.h.guild.owner.id
    ana, opted = await join(c), await join(c)
    newcomer = await join(c, member=False)
    outsider = emu.add_user().id  # never joined
    robot = emu.add_user(bot=True)
    await emu.member_join(c.guild_id, robot.id)
    await c.h.settle()
    await ephemeral_text(await c.h.slash("leaders", "optout", user_id=opted))

    async def refused(target: int, key: str, *, by: int | None = None, **params: object) -> None:
        text = await nominated(c, target, by=by)
        assert text == t(key, "en-US", **params), (key, text)

    # Ordinary members, even if an admin opened the command to everyone (Discord lets them in).
    await refused(ana, "leaders.founders_only", by=c.sponsor)
    await refused(robot.id, "leaders.nominate.bot")
    await refused(newcomer, "leaders.nominate.newcomer", member=f"<@{newcomer}>")
    await refused(outsider, "leaders.nominate.not_member", member=f"<@{outsider}>")
    await refused(opted, "leaders.nominate.opted_out", member=f"<@{opted}>")
    text = await ephemeral_text(
        await c.h.slash("leaders", "nominate", {"member": ana, "circle": "Nowhere"})
    )
    assert text == t("leaders.nominate.circle_unknown", "en-US")

    # The leader role: above the bot, carrying a dangerous permission, or not set at all.
    leader_role = c.role("leader")
    bot_role = c.h.guild.bot_role
    assert bot_role is not None
    await edit_role(emu, c.guild_id, leader_role, position=bot_role.position + 1)
    await role_seen(c, leader_role, position=bot_role.position + 1)
    role_name = emu.state.guilds[c.guild_id].roles[leader_role].name
    await refused(ana, "setup.role.above_bot", role=role_name)
    await edit_role(emu, c.guild_id, leader_role, position=1)
    for bit, name in (
        (P.ADMINISTRATOR, "administrator"),
        (P.MANAGE_GUILD, "manage_guild"),
        (P.MANAGE_ROLES, "manage_roles"),
        (P.BAN_MEMBERS, "ban_members"),
    ):
        await edit_role(emu, c.guild_id, leader_role, permissions=bit)
        await role_seen(c, leader_role, permissions=bit, position=1)
        await refused(
            ana, "setup.role.dangerous", role=role_name, permissions=(Text(f"permission.{name}"),)
        )
    await edit_role(emu, c.guild_id, leader_role, permissions=0)
    await role_seen(c, leader_role, permissions=0)
    # The bot lost Manage Roles: the founder is told which permission is missing.
    bot_perms = bot_role.permissions
    await edit_role(emu, c.guild_id, bot_role.id, permissions=bot_perms & ~P.MANAGE_ROLES)
    await until(lambda: no_manage_roles(c))
    await refused(
        ana, "errors.bot_missing_permissions", permissions=(Text("permission.manage_roles"),)
    )
    await edit_role(emu, c.guild_id, bot_role.id, permissions=bot_perms)
    await services.config.forget_role(c.guild_id, leader_role)
    await refused(ana, "leaders.role.unbound")

    assert await rows(c, "SELECT count(*) FROM leader_nomination") == [(0,)]
    assert all(not emu.dms_to(user) for user in (ana, opted, newcomer, outsider))
    # A pending nomination is not sent twice.
    await services.config.set_role(c.guild_id, "leader", leader_role)
    await nominated(c, ana, by=owner)
    await refused(ana, "leaders.nominate.pending", member=f"<@{ana}>")
    assert len(emu.dms_to(ana)) == 1


async def no_manage_roles(c: Community) -> bool:
    guild = c.h.bot.get_guild(c.guild_id)
    return guild is not None and not guild.me.guild_permissions.manage_roles


async def test_a_founder_by_role_may_nominate(community: Community) -> None:
    c, emu = community, community.emu
    founder, ana = await join(c), await join(c)
    await emu.update_member(c.guild_id, founder, roles=[c.role("member"), c.role("founder")])
    await c.h.settle()
    text = await nominated(c, ana, by=founder)
    nomination = await pending(c, ana)
    until_text = discord_timestamp(nomination.expires_at, "F")
    assert text == t("leaders.nominate.sent", "en-US", member=f"<@{ana}>", until=until_text)
    assert nomination.nominated_by == founder
