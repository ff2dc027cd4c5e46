"""The feedback board end to end: submit (text channel and forum), upvote, status changes that
reach the submitter and the upvoters (DM, thread mention, opted out), top, export, a restart in
the middle, and every refused input.

Upvotes: one per member and item, never on one's own item; a second press takes the vote back
(a toggle, like the session question queue). Shipped and declined items take no votes."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import pytest_asyncio

from bot.i18n import Text, t
from tests.emulator import FORUM, Channel, InteractionRecord, Message
from tests.harness import BotHarness

from .helpers import embed_fields, ephemeral_text, reply
from .membership_helpers import Community, build_community

EVIL_TITLE = "Wider fit @everyone <@&1>"
EVIL_DETAILS = "Ping <@{owner}> and @here, please"


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def make_member(c: Community, locale: str = "en-US") -> int:
    user = c.emu.add_user(locale=locale)
    await c.emu.member_join(c.guild_id, user.id)
    await c.h.settle()
    await c.emu.update_member(c.guild_id, user.id, roles=[c.role("member")])
    return user.id


def upvote_id(msg: Message) -> str:
    ids = [
        str(child["custom_id"])
        for row in msg.components
        for child in row.get("components", [])
        if str(child.get("custom_id", "")).startswith("feedback:upvote:")
    ]
    assert len(ids) == 1, msg.components
    return ids[0]


def upvote_button(msg: Message) -> dict[str, Any]:
    return dict(
        next(
            child
            for row in msg.components
            for child in row.get("components", [])
            if str(child.get("custom_id", "")).startswith("feedback:upvote:")
        )
    )


async def submit(
    c: Community,
    user_id: int,
    *,
    product: str = "Boots",
    title: str = EVIL_TITLE,
    details: str | None = None,
    locale: str = "en-US",
) -> tuple[int, str]:
    """/feedback submit, then the form; (item id, the member's reply)."""
    opened = await c.h.slash("feedback", "submit", user_id=user_id, locale=locale)
    await opened.wait_ack()
    assert opened.modal is not None, opened.text()
    assert opened.modal["custom_id"] == "feedback:submit"
    if details is None:
        details = EVIL_DETAILS.format(owner=c.h.guild.owner.id)
    sent = await c.emu.submit_modal(
        opened, {"product": product, "title": title, "details": details}, user_id, locale=locale
    )
    text = await ephemeral_text(sent)
    [item] = await c.h.bot.services.board.recent(c.guild_id, limit=1)
    return item.id, text


def post_of(c: Community, item_id: int) -> Message:
    """The item's post (its current state in the emulator)."""
    found = [
        m
        for m in c.emu.state.messages.values()
        if m.components and not m.deleted and f"feedback:upvote:{item_id}" in str(m.components)
    ]
    assert len(found) == 1, found
    return found[0]


async def press(c: Community, item_id: int, user_id: int, locale: str = "en-US") -> Any:
    """Press Upvote; (the ack, the ephemeral followup's text)."""
    rec = await c.emu.click(post_of(c, item_id).id, f"feedback:upvote:{item_id}", user_id)
    ack = await rec.wait_ack()
    if ack.type == 7:
        return ack, (await rec.wait_followup(1)).text()
    return ack, (await rec.wait_response()).text()


async def set_status(
    c: Community, item_id: int, status: str, note: str | None = None, user_id: int | None = None
) -> str:
    options: dict[str, Any] = {"item": item_id, "status": status}
    if note is not None:
        options["note"] = note
    return await ephemeral_text(await c.h.slash("feedback", "status", options, user_id=user_id))


def dm_texts(c: Community, user_id: int) -> list[str]:
    return [m.content for m in c.emu.dms_to(user_id)]


async def autocomplete(
    c: Community, user_id: int, item_text: str, *, guild_id: int | None = None
) -> list[dict[str, Any]]:
    """Type in /feedback status's `item` option (the emulator has no public helper for
    autocomplete interactions, so the payload is built here)."""
    emu = c.emu
    guild = guild_id or c.guild_id
    cmd = emu.commands.find_chat_command(guild, "feedback")
    options = [
        {
            "type": 1,
            "name": "status",
            "options": [{"type": 4, "name": "item", "value": item_text, "focused": True}],
        }
    ]
    data: dict[str, Any] = {"id": cmd["id"], "name": "feedback", "type": 1, "options": options}
    if "guild_id" in cmd:
        data["guild_id"] = cmd["guild_id"]
    channel = next(ch for ch in emu.state.channels.values() if ch.guild_id == guild)
    rec: InteractionRecord = await emu._send(emu._base(4, data, user_id, channel, None))
    ack = await rec.wait_ack()
    assert ack.type == 8 and ack.data is not None
    return list(ack.data["choices"])


async def tampered_form(c: Community, user_id: int, values: dict[str, str]) -> str:
    """A form submission built by hand (a modified client ignores the form's max lengths)."""
    emu = c.emu
    components = [
        {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
        for key, value in values.items()
    ]
    data = {"custom_id": "feedback:submit", "components": components}
    channel = emu.state.channels[c.channel("welcome")]
    rec: InteractionRecord = await emu._send(emu._base(5, data, user_id, channel, None))
    return await ephemeral_text(rec)


def no_pings(msg: Message, allowed_users: tuple[int, ...] = ()) -> None:
    mentions = msg.allowed_mentions
    assert mentions is not None, "the bot always sends allowed_mentions"
    assert mentions.get("parse") == [], mentions
    assert [int(u) for u in mentions.get("users") or []] == list(allowed_users)
    assert not mentions.get("roles")


# -- the text-channel board ------------------------------------------------------------------
async def test_submit_upvote_status_notifications_top_and_export(community: Community) -> None:
    c, emu = community, community.emu
    board = c.channel("feedback")
    author = c.sponsor
    item_id, text = await submit(c, author)
    assert text.startswith(f"Thank you! Your feedback #{item_id} is on the board: https://")

    post = post_of(c, item_id)
    assert post.channel_id == board and not post.content
    embed = post.embeds[0]
    assert embed["title"] == f"#{item_id} · {EVIL_TITLE}"
    assert embed["description"] == EVIL_DETAILS.format(owner=c.h.guild.owner.id)
    fields = embed_fields(post)
    assert fields == {
        "Product": "Boots",
        "Status": "New",
        "Upvotes": "0",
        "Shared by": f"<@{author}>",
    }
    assert upvote_button(post)["label"] == "Upvote · 0"
    no_pings(post)  # mention strings in the text ping nobody (and embeds never ping)
    [thread] = emu.threads_in(board)  # a discussion thread on the post
    assert thread.id == post.id and thread.name == EVIL_TITLE

    # Upvotes: not one's own; a second press takes the vote back.
    ack, said = await press(c, item_id, author)
    assert ack.type == 4 and said == t("feedback.upvote.own", "en-US")
    ana, ben = await make_member(c, "fr"), await make_member(c)
    cam, dev = await make_member(c), await make_member(c)
    ack, said = await press(c, item_id, ana)
    assert ack.type == 7 and said == t("feedback.upvote.added", "fr")
    assert embed_fields(post_of(c, item_id))["Upvotes"] == "1"
    ack, said = await press(c, item_id, ana)
    assert said == t("feedback.upvote.removed", "fr")
    assert upvote_button(post_of(c, item_id))["label"] == "Upvote · 0"
    await press(c, item_id, ana)
    await press(c, item_id, ben)

    await c.h.restart()  # the old post's button keeps working, and the counts stay right

    ack, _ = await press(c, item_id, cam)
    assert ack.type == 7
    await press(c, item_id, dev)
    assert upvote_button(post_of(c, item_id))["label"] == "Upvote · 4"
    assert await c.h.bot.services.board.voters(item_id) == [ana, ben, cam, dev]

    # Ben closed his DMs; Cam turned feedback updates off.
    emu.set_dms_open(ben, False)
    emu.expect_violation("50007")  # the DM is tried first; closed DMs get the mention
    await c.h.slash("notifications", options={"feedback": "off"}, user_id=cam)
    before = len(emu.thread_messages(thread.id))
    done = await set_status(c, item_id, "planned", note="Coming in the spring drop <@&1>")
    assert done == t(
        "feedback.status.done",
        "en-US",
        id=item_id,
        title="Wider fit @\u200beveryone <@&1>",
        status=Text("feedback.state.planned"),
        dm=3,
        thread=1,
        off=1,
    )
    fields = embed_fields(post_of(c, item_id))
    assert fields["Status"] == "Planned"
    assert fields["Note from the team"] == "Coming in the spring drop <@&1>"

    url = f"https://discord.com/channels/{c.guild_id}/{board}/{post.id}"
    params = {
        "guild": emu.state.guilds[c.guild_id].name,
        "title": EVIL_TITLE,
        "note": "Coming in the spring drop <@&1>",
        "url": url,
    }
    status = Text("feedback.state.planned")
    assert dm_texts(c, author) == [t("feedback.status_dm_note", "en-US", status=status, **params)]
    assert dm_texts(c, ana) == [t("feedback.status_dm_note", "fr", status=status, **params)]
    assert "Prévu" in dm_texts(c, ana)[0]
    assert dm_texts(c, dev) == [t("feedback.status_dm_note", "en-US", status=status, **params)]
    assert dm_texts(c, ben) == [] and dm_texts(c, cam) == []
    [mention] = emu.thread_messages(thread.id)[before:]
    assert mention.content.startswith(f"<@{ben}>\n")
    assert "Planned" in mention.content and str(cam) not in mention.content
    no_pings(mention, (ben,))

    # A moderator can also send an update with the same status and a note; not without one.
    same = await set_status(c, item_id, "planned")
    assert same == t("feedback.status.unchanged", "en-US")

    # Two more items for the ranking and the export.
    second, _ = await submit(
        c, ana, product="Belts", title="=HYPERLINK(1)", details="", locale="fr"
    )
    third, _ = await submit(c, ben, product="boots", title="Waterproof", details="Rain")
    await press(c, third, ana)
    await set_status(c, second, "declined")
    assert upvote_button(post_of(c, second))["disabled"] is True
    top = await ephemeral_text(await c.h.slash("feedback", "top", user_id=dev))
    lines = top.splitlines()
    assert lines[0] == t("feedback.top.title", "en-US", count=3)
    assert lines[1] == (
        f"**1.** ▲ 4 · #{item_id} [Wider fit @\u200beveryone <@&1>](<{url}>) — Boots · Planned"
    )
    assert [int(line.split("#")[1].split(" ")[0]) for line in lines[1:]] == [
        item_id,
        third,
        second,
    ]
    boots = await ephemeral_text(
        await c.h.slash("feedback", "top", {"product": "BOOTS", "status": "new"}, user_id=dev)
    )
    assert [int(line.split("#")[1].split(" ")[0]) for line in boots.splitlines()[1:]] == [third]
    nothing = await ephemeral_text(
        await c.h.slash("feedback", "top", {"status": "shipped"}, user_id=dev)
    )
    assert nothing == t("feedback.top.empty", "en-US")

    # The export, cell by cell.
    refused = await c.h.slash("feedback", "export", user_id=dev)
    assert await ephemeral_text(refused) == t("feedback.moderators_only", "en-US")
    msg = await reply(await c.h.slash("feedback", "export"))
    assert msg.ephemeral and msg.text() == t("feedback.export.done", "en-US", count=3)
    [attachment] = msg.attachments
    assert attachment.filename.startswith("feedback-") and attachment.filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "created_at",
        "updated_at",
        "product",
        "title",
        "details",
        "status",
        "upvotes",
        "author_id",
        "latest_note",
        "post_url",
    ]
    items = {i.id: i for i in await c.h.bot.services.board.export(c.guild_id)}
    first = items[item_id]
    assert rows[1] == [
        str(item_id),
        first.created_at.isoformat(),
        first.updated_at.isoformat(),
        "Boots",
        EVIL_TITLE,
        EVIL_DETAILS.format(owner=c.h.guild.owner.id),
        "planned",
        "4",
        str(author),
        "Coming in the spring drop <@&1>",
        url,
    ]
    assert rows[2][3:10] == ["Belts", "'=HYPERLINK(1)", "", "declined", "0", str(ana), ""]
    assert rows[3][3:10] == ["boots", "Waterproof", "Rain", "new", "1", str(ben), ""]
    assert len(rows) == 4


async def test_forum_board_posts_a_thread_per_item_and_falls_back_to_it(
    community: Community,
) -> None:
    c, emu = community, community.emu
    forum = await emu.create_channel(c.guild_id, "ideas", FORUM)
    await c.h.settle()
    saved = await c.h.slash("setup", "channel", {"purpose": "feedback", "channel": forum.id})
    await ephemeral_text(saved)
    item_id, _ = await submit(c, c.sponsor, title="Laces that last")
    [thread] = emu.threads_in(forum.id)
    assert thread.name == "Laces that last"
    [starter] = emu.thread_messages(thread.id)
    assert starter.id == thread.id and upvote_id(starter) == f"feedback:upvote:{item_id}"
    assert embed_fields(starter)["Status"] == "New"
    item = await c.h.bot.services.board.get(c.guild_id, item_id)
    assert (item.channel_id, item.message_id, item.thread_id) == (thread.id, thread.id, thread.id)

    voter = await make_member(c)
    ack, _ = await press(c, item_id, voter)
    assert ack.type == 7
    emu.set_dms_open(c.sponsor, False)
    emu.expect_violation("50007")
    emu.set_dms_open(voter, False)
    done = await set_status(c, item_id, "shipped")
    assert "DM: 0" in done and "thread (DMs closed): 2" in done
    [_, mention] = [m for m in emu.thread_messages(thread.id) if not m.ephemeral]
    assert mention.content.startswith(f"<@{c.sponsor}> <@{voter}>\n")
    assert (
        t(
            "feedback.status_post",
            "en-US",
            title="Laces that last",
            status=Text("feedback.state.shipped"),
        )
        in mention.content
    )
    no_pings(mention, (c.sponsor, voter))
    shipped = emu.thread_messages(thread.id)[0]
    assert embed_fields(shipped)["Status"] == "Shipped"
    assert upvote_button(shipped)["disabled"] is True
    assert emu.dms_to(c.sponsor) == []

    # A form opened before a restart is still taken after it.
    opened = await c.h.slash("feedback", "submit", user_id=voter, locale="da")
    await opened.wait_ack()
    await c.h.restart()
    sent = await emu.submit_modal(
        opened, {"product": "Boots", "title": "Half sizes", "details": ""}, voter, locale="da"
    )
    assert (await ephemeral_text(sent)).startswith("Tak!")
    assert [th.name for th in emu.threads_in(forum.id)] == ["Laces that last", "Half sizes"]

    # /feedback status's item option suggests this server's recent items.
    choices = await autocomplete(c, c.h.guild.owner.id, "laces")
    assert choices == [{"name": f"#{item_id} Laces that last · Shipped", "value": item_id}]


# -- refusals --------------------------------------------------------------------------------
async def test_every_bad_input_gets_a_clear_answer_and_changes_nothing(
    community: Community,
) -> None:
    c, emu = community, community.emu
    services = c.h.bot.services
    item_id, _ = await submit(c, c.sponsor, title="Resole service")
    other_guild = await services.board.submit(c.guild_id + 1, 5, "Boots", "Not yours", "")
    before = await services.board.export(c.guild_id)

    # Status changes: by a member (even if an admin opened the command to everyone).
    member = await make_member(c)
    refused = await set_status(c, item_id, "planned", user_id=member)
    assert refused == t("feedback.moderators_only", "en-US")
    # An unknown id, another guild's id, a note that is too long.
    assert await set_status(c, 99999, "planned") == t("feedback.unknown", "en-US", item=99999)
    assert await set_status(c, other_guild.id, "planned") == t(
        "feedback.unknown", "en-US", item=other_guild.id
    )
    assert await set_status(c, item_id, "planned", note="n" * 501) == t(
        "feedback.note.too_long", "en-US", limit=500
    )
    # Autocomplete never shows another guild's items.
    assert [ch["value"] for ch in await autocomplete(c, c.h.guild.owner.id, "")] == [item_id]

    # A tampered Upvote button (another guild's item) and a form sent past its limits.
    post = post_of(c, item_id)
    forged = copy.copy(post)  # a modified client can send any custom_id
    forged.components = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "custom_id": f"feedback:upvote:{other_guild.id}"}
            ],
        }
    ]
    tampered = await emu._component(
        forged,
        {"custom_id": f"feedback:upvote:{other_guild.id}", "component_type": 2},
        member,
        None,
    )
    assert await ephemeral_text(tampered) == t("feedback.unknown", "en-US", item=other_guild.id)
    too_long = {"product": "Boots", "title": "t" * 101, "details": ""}
    assert await tampered_form(c, member, too_long) == t(
        "feedback.title.too_long", "en-US", limit=100
    )
    long_details = {"product": "Boots", "title": "ok", "details": "d" * 1001}
    assert await tampered_form(c, member, long_details) == t(
        "feedback.details.too_long", "en-US", limit=1000
    )
    blank = {"product": " ", "title": "ok", "details": ""}
    assert await tampered_form(c, member, blank) == t("feedback.product.empty", "en-US")

    # Newcomers still at the gate can neither submit nor upvote.
    newcomer = emu.add_user()
    await emu.member_join(c.guild_id, newcomer.id)
    await c.h.settle()
    opened = await c.h.slash("feedback", "submit", user_id=newcomer.id)
    assert await ephemeral_text(opened) == t("feedback.members_only", "en-US")
    _, said = await press(c, item_id, newcomer.id)
    assert said == t("feedback.members_only", "en-US")

    assert await services.board.export(c.guild_id) == before
    assert await services.board.moved_since(c.guild_id, before[0].created_at) == []
    assert len([th for th in emu.threads_log if th.parent_id == c.channel("feedback")]) == 1


async def test_without_a_feedback_channel_the_form_does_not_open(harness: BotHarness) -> None:
    rec = await harness.slash("feedback", "submit")
    assert await ephemeral_text(rec) == t("feedback.no_channel", "en-US")
    assert rec.modal is None


async def test_a_board_the_bot_cannot_post_in_keeps_nothing(community: Community) -> None:
    c, emu = community, community.emu
    channel: Channel = emu.state.channels[c.channel("feedback")]
    opened = await c.h.slash("feedback", "submit", user_id=c.sponsor)
    await opened.wait_ack()
    emu.inject_fault("POST", rf"^/channels/{channel.id}/messages$", status=403, code=50013)
    sent = await emu.submit_modal(
        opened, {"product": "Boots", "title": "Lost", "details": ""}, c.sponsor
    )
    text = await ephemeral_text(sent)
    assert text == t("feedback.cannot_post", "en-US", channel=f"<#{channel.id}>")
    assert await c.h.bot.services.board.export(c.guild_id) == []


async def test_forged_upvote_buttons_are_refused_and_change_nothing(community: Community) -> None:
    """A modified client can put any custom_id on any of the bot's messages: malformed ids get a
    clear answer (not "This interaction failed"), and an item's Upvote sent from another post
    never overwrites that post with the item."""
    c, emu = community, community.emu
    services = c.h.bot.services
    first, _ = await submit(c, c.sponsor, title="Resole service")
    second, _ = await submit(c, c.sponsor, title="Wider fit")
    member = await make_member(c)
    before = await services.board.export(c.guild_id)
    target = post_of(c, second)
    shown = copy.deepcopy((target.embeds, target.components))

    async def forge(custom_id: str) -> str:
        forged = copy.copy(target)
        forged.components = [
            {"type": 1, "components": [{"type": 2, "style": 1, "custom_id": custom_id}]}
        ]
        rec = await emu._component(
            forged, {"custom_id": custom_id, "component_type": 2}, member, None
        )
        return await ephemeral_text(rec)

    invalid = t("feedback.button.invalid", "en-US")
    for custom_id in (
        "feedback:upvote:abc",
        "feedback:upvote:",
        "feedback:upvote:99999999999999999999",
        f"feedback:upvote:{first}",  # another item's button on this post
    ):
        assert await forge(custom_id) == invalid, custom_id
    await c.h.settle()
    assert await services.board.export(c.guild_id) == before
    now = emu.state.messages[target.id]
    assert (now.embeds, now.components) == shown
