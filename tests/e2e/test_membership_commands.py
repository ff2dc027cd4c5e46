"""Moderator and member commands around membership, and the setup forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest_asyncio

from bot.i18n import t
from bot.services.jobs import Job
from bot.services.membership.members import REMINDER_JOB, job_key
from cogs.membership._joins import Joins
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, invite_code


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def test_members_approve_and_deny_commands(community: Community) -> None:
    c, emu = community, community.emu
    owner = c.h.guild.owner.id
    first = await c.join_through(invite_code((await c.introduce("A")).text()))
    second = await c.join_through(invite_code((await c.introduce("B")).text()))
    pending = await ephemeral_text(await c.h.slash("members", "pending", user_id=owner))
    assert f"<@{first.id}>" in pending
    assert t("members.step.rules", "en-US") in pending

    approved = await c.h.slash("members", "approve", {"member": first.id}, user_id=owner)
    assert await ephemeral_text(approved) == t("members.approved", "en-US", user=f"<@{first.id}>")
    assert c.role("member") in c.roles_of(first.id)

    denied = await c.h.slash(
        "members", "deny", {"member": second.id, "reason": "spam"}, user_id=owner
    )
    assert await ephemeral_text(denied) == t("members.denied", "en-US", user=f"<@{second.id}>")
    assert not c.is_in_guild(second.id)
    again = await c.h.slash("members", "approve", {"member": first.id}, user_id=owner)
    assert await ephemeral_text(again) == t("gate.not_pending", "en-US")
    none_left = await ephemeral_text(await c.h.slash("members", "pending", user_id=owner))
    assert none_left == t("members.pending.none", "en-US")
    assert emu.unexpected_violations() == []


async def test_introductions_mine_list_and_revoke(community: Community) -> None:
    c, emu = community, community.emu
    owner = c.h.guild.owner.id
    code = invite_code((await c.introduce("Maya")).text())
    mine = await ephemeral_text(await c.h.slash("introductions", "mine", user_id=c.sponsor))
    assert "Maya" in mine
    everyone = await ephemeral_text(await c.h.slash("introductions", "list", user_id=owner))
    assert "Maya" in everyone
    refused = await c.h.slash("introductions", "list", user_id=c.sponsor, locale="da")
    assert await ephemeral_text(refused) == t("errors.moderator_required", "da")

    (intro,) = await c.h.bot.services.introductions.active(c.guild_id)
    revoked = await c.h.slash(
        "introductions", "revoke", {"introduction": intro.id}, user_id=c.sponsor
    )
    assert await ephemeral_text(revoked) == t("intro.revoked", "en-US", name="Maya")
    assert code not in emu.state.invites  # the invite is deleted on Discord too
    empty = await ephemeral_text(await c.h.slash("introductions", "mine", user_id=c.sponsor))
    assert empty == t("intro.none", "en-US")
    unknown = await c.h.slash("introductions", "revoke", {"introduction": 999}, user_id=owner)
    assert await ephemeral_text(unknown) == t("intro.unknown", "en-US")


async def test_waitlist_show_and_remove(community: Community) -> None:
    c = community
    owner = c.h.guild.owner.id
    await reply(await c.h.slash("setup", "membership", {"max_members": 1}))  # the sponsor
    await c.introduce("Noor")
    shown = await ephemeral_text(await c.h.slash("waitlist", "show", user_id=owner))
    assert "Noor" in shown
    (intro,) = await c.h.bot.services.introductions.waitlist(c.guild_id)
    removed = await c.h.slash("waitlist", "remove", {"introduction": intro.id}, user_id=owner)
    assert await ephemeral_text(removed) == t("waitlist.removed", "en-US", name="Noor")
    again = await c.h.slash("waitlist", "remove", {"introduction": intro.id}, user_id=owner)
    assert await ephemeral_text(again) == t("waitlist.not_waitlisted", "en-US")


async def test_rules_form_survives_a_restart_and_bumps_the_version(community: Community) -> None:
    c, emu = community, community.emu
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    old_rules = await reply(await emu.click(c.panel_id, "gate:rules", newcomer.id))
    opened = await c.h.slash("setup", "rules")
    await opened.wait_ack()
    assert opened.modal is not None
    await c.h.restart()
    saved = await emu.submit_modal(
        opened, {"setup:text:0": "Be kind. No spam."}, c.h.guild.owner.id
    )
    assert await ephemeral_text(saved) == t("setup.rules.saved", "en-US", version=2)
    settings = await c.h.bot.services.membership.get(c.guild_id)
    assert (settings.rules_text, settings.rules_version) == ("Be kind. No spam.", 2)

    stale = await emu.click(old_rules.id, "gate:accept:1", newcomer.id)  # read before the change
    assert await ephemeral_text(stale) == t("gate.rules_changed", "fr")  # their client: fr
    rules = await reply(await emu.click(c.panel_id, "gate:rules", newcomer.id))
    assert "Be kind. No spam." in rules.text()
    fresh = await emu.click(rules.id, "gate:accept:2", newcomer.id)
    assert (await fresh.wait_ack()).type == 7


async def test_questions_form_changes_the_gate(community: Community) -> None:
    c, emu = community, community.emu
    opened = await c.h.slash("setup", "questions", locale="fr")
    await opened.wait_ack()
    saved = await emu.submit_modal(
        opened, {"setup:text:0": "Your favourite pair?"}, c.h.guild.owner.id, locale="fr"
    )
    assert await ephemeral_text(saved) == t("setup.questions.saved", "fr")
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    await c.pass_rules(newcomer.id)
    form = await emu.click(c.panel_id, "gate:story", newcomer.id, locale="fr")
    await form.wait_ack()
    assert form.modal is not None
    labels = [child["label"] for row in form.modal["components"] for child in row["components"]]
    assert labels == [
        "Your favourite pair?",
        t("gate.question.2", "fr"),
        t("gate.question.3", "fr"),
    ]


async def test_reminder_at_half_time_falls_back_when_dms_are_closed(community: Community) -> None:
    c, emu = community, community.emu
    newcomer = await c.join_through(invite_code((await c.introduce()).text()))
    emu.set_dms_open(newcomer.id, False)
    mark = len(emu.messages_log)
    job = Job(REMINDER_JOB, job_key(c.guild_id, newcomer.id), datetime.now(UTC), c.guild_id)
    cog = cast(Joins, c.h.bot.get_cog("Joins"))
    await cog.remind_pending(job)
    # The welcome channel: the only one a newcomer can read (not the moderators' log).
    post = await emu.wait_for_message(
        c.channel("welcome"), lambda m: m.content.startswith(f"<@{newcomer.id}>"), after=mark
    )
    assert post.content == t("gate.reminder.fallback", "en-US", mention=f"<@{newcomer.id}>")
    assert post.allowed_mentions is not None
    assert [int(u) for u in post.allowed_mentions.get("users", [])] == [newcomer.id]
    emu.expect_violation("50007")
