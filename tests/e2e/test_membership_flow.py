"""Membership by introduction, end to end: introduce, join, the gate, admission."""

from __future__ import annotations

import pytest
import pytest_asyncio

from bot.i18n import t
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, card_button, invite_code


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def test_introduce_join_gate_and_automatic_admission(community: Community) -> None:
    c, emu = community, community.emu
    answer = await c.introduce("Maya")
    assert answer.ephemeral
    code = invite_code(answer.text())
    invite = emu.state.invites[code]
    assert (invite.max_uses, invite.channel_id) == (1, c.channel("welcome"))

    newcomer = await c.join_through(code)
    assert c.role("newcomer") in c.roles_of(newcomer.id)
    stint = await c.h.bot.services.members.current(c.guild_id, newcomer.id)
    assert stint is not None
    assert (stint.status, stint.source, stint.sponsor_id) == ("pending", "introduction", c.sponsor)

    assert await c.pass_rules(newcomer.id) == t("gate.rules.accepted", "fr")
    mark = len(emu.messages_log)
    done = await c.tell_story(newcomer.id)
    followup = await done.wait_followup()
    assert followup.text() == t("gate.story.admitted", "fr")

    post = await emu.wait_for_message(c.channel("introductions"), after=mark)
    assert post.content == t(
        "gate.post.sponsored", "en-US", sponsor=f"<@{c.sponsor}>", newcomer=f"<@{newcomer.id}>"
    )
    assert post.allowed_mentions is not None
    pinged = sorted(int(u) for u in post.allowed_mentions.get("users", []))
    assert pinged == sorted([c.sponsor, newcomer.id])
    assert not post.allowed_mentions.get("parse")  # "@everyone" in an answer pings nobody
    assert "She has worn our boots" in post.text()
    welcome = await emu.wait_for_message(
        c.channel("introductions"), lambda m: m.id != post.id, after=mark
    )
    assert f"<@{newcomer.id}>" in welcome.content
    assert c.role("member") in c.roles_of(newcomer.id)
    assert c.role("newcomer") not in c.roles_of(newcomer.id)
    member = await c.h.bot.services.members.current(c.guild_id, newcomer.id)
    assert member is not None
    assert member.status == "member"


async def test_moderator_admission_with_refused_and_allowed_approvers(community: Community) -> None:
    c, emu = community, community.emu
    await reply(await c.h.slash("setup", "admission", {"sponsored": "moderator"}))
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    mark = len(emu.messages_log)
    done = await c.tell_story(newcomer.id)
    assert (await done.wait_followup()).text() == t("gate.story.in_review", "fr")
    card = await emu.wait_for_message(c.channel("log"), lambda m: bool(m.components), after=mark)

    refused = await emu.click(card.id, card_button(card, "approve"), c.sponsor)
    assert await ephemeral_text(refused) == t("errors.moderator_required", "en-US")
    assert c.role("member") not in c.roles_of(newcomer.id)

    approved = await emu.click(card.id, card_button(card, "approve"), c.h.guild.owner.id)
    await approved.wait_ack()
    await emu.wait_for_call("PATCH", rf"/messages/{card.id}$")
    edited = emu.state.messages[card.id]
    assert edited.content == t(
        "gate.card.approved_by", "en-US", moderator=f"<@{c.h.guild.owner.id}>"
    )
    assert edited.components == []
    assert c.role("member") in c.roles_of(newcomer.id)


async def test_deny_asks_a_reason_then_removes_kindly(community: Community) -> None:
    c, emu = community, community.emu
    await reply(await c.h.slash("setup", "admission", {"sponsored": "moderator"}))
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    mark = len(emu.messages_log)
    await c.tell_story(newcomer.id)
    card = await emu.wait_for_message(c.channel("log"), lambda m: bool(m.components), after=mark)
    asked = await emu.click(card.id, card_button(card, "deny"), c.h.guild.owner.id)
    await asked.wait_ack()
    assert asked.modal is not None
    denied = await emu.submit_modal(
        asked, {"gate:deny:reason": "Not a customer"}, c.h.guild.owner.id
    )
    await denied.wait_ack()
    await emu.wait_for_call("DELETE", rf"^/guilds/\d+/members/{newcomer.id}$")
    assert not c.is_in_guild(newcomer.id)
    dms = emu.dms_to(newcomer.id)
    assert [m.content for m in dms] == [t("gate.denied.dm", "fr", guild=c.h.guild.guild.name)]
    stints = await c.h.bot.services.members.history(c.guild_id, newcomer.id)
    assert (stints[-1].status, stints[-1].end_reason) == ("refused", "denied")


async def test_gate_refusals(community: Community) -> None:
    c, emu = community, community.emu
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    story_first = await emu.click(c.panel_id, "gate:story", newcomer.id, locale="fr")
    assert await ephemeral_text(story_first) == t("gate.rules_first", "fr")
    member_press = await emu.click(c.panel_id, "gate:rules", c.sponsor)
    assert await ephemeral_text(member_press) == t("gate.not_pending", "en-US")
    stranger = emu.add_user()
    not_member = await c.h.slash(
        "introduce", None, {"name": "X", "why": "Y"}, user_id=c.h.guild.owner.id
    )
    assert await ephemeral_text(not_member) == t("intro.not_member", "en-US")
    assert stranger.id not in emu.state.guilds[c.guild_id].members


async def test_double_submit_is_refused(community: Community) -> None:
    c, emu = community, community.emu
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    opened_twice = []
    for _ in range(2):
        opened = await emu.click(c.panel_id, "gate:story", newcomer.id, locale="fr")
        await opened.wait_ack()
        opened_twice.append(opened)
    values = {"gate:answer:0": "a", "gate:answer:1": "b", "gate:answer:2": "c"}
    first = await emu.submit_modal(opened_twice[0], values, newcomer.id, locale="fr")
    await first.wait_ack()
    second = await emu.submit_modal(opened_twice[1], values, newcomer.id, locale="fr")
    text = await ephemeral_text(second)
    assert text in {t("gate.already_submitted", "fr"), t("gate.not_pending", "fr")}


async def test_restart_in_the_middle_of_the_gate(community: Community) -> None:
    c, emu = community, community.emu
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    opened = await emu.click(c.panel_id, "gate:story", newcomer.id, locale="fr")
    await opened.wait_ack()
    await c.h.restart()
    values = {"gate:answer:0": "a", "gate:answer:1": "b", "gate:answer:2": "c"}
    submitted = await emu.submit_modal(opened, values, newcomer.id, locale="fr")
    assert (await submitted.wait_followup()).text() == t("gate.story.admitted", "fr")
    assert c.role("member") in c.roles_of(newcomer.id)


async def test_full_community_waitlists_then_a_leave_sends_the_invite(
    community: Community,
) -> None:
    c, emu = community, community.emu
    bot = c.h.bot
    leaver = emu.add_user()
    await emu.member_join(c.guild_id, leaver.id)  # joins while there is room: in the gate
    await emu.wait_for_call("PUT", rf"/members/{leaver.id}/roles/\d+$")
    await bot.services.members.add_existing(c.guild_id, [c.sponsor])
    await reply(await c.h.slash("setup", "membership", {"max_members": 2}))
    waiting = await c.introduce("Noor")
    assert waiting.text() == t("intro.waitlisted", "en-US", name="Noor", position=1)

    await emu.member_leave(c.guild_id, c.h.guild.owner.id)  # not recorded: frees no seat
    assert (await bot.services.introductions.waitlist(c.guild_id))[0].newcomer_name == "Noor"
    mark = emu.mark()
    await emu.member_leave(c.guild_id, leaver.id)
    await emu.wait_for_call("POST", r"^/channels/\d+/invites$", after=mark)
    sent = await emu.wait_for_call("POST", r"^/channels/\d+/messages$", after=mark)
    dms = emu.dms_to(c.sponsor)
    assert len(dms) == 1, sent
    assert "Noor" in dms[0].content
    assert "discord.gg/" in dms[0].content


async def test_unsponsored_join_when_full_is_refused_politely(community: Community) -> None:
    c, emu = community, community.emu
    await c.h.bot.services.members.add_existing(c.guild_id, [c.sponsor])
    await reply(await c.h.slash("setup", "membership", {"max_members": 1}))
    walker = emu.add_user(locale="da")
    await c.h.bot.services.preferences.set_language(walker.id, "da")
    await emu.member_join(c.guild_id, walker.id)
    await emu.wait_for_call("DELETE", rf"^/guilds/\d+/members/{walker.id}$")
    assert [m.content for m in emu.dms_to(walker.id)] == [
        t("gate.refused.full", "da", guild=c.h.guild.guild.name)
    ]


@pytest.mark.parametrize("command", [("members", "pending"), ("waitlist", "show")])
async def test_moderator_commands_refuse_members(
    community: Community, command: tuple[str, str]
) -> None:
    rec = await community.h.slash(*command, user_id=community.sponsor, locale="fr")
    assert await ephemeral_text(rec) == t("errors.moderator_required", "fr")
