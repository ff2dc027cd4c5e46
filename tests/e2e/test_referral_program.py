"""Personal links, milestones and reward codes, stats and export, end to end."""

from __future__ import annotations

import csv
import io

import pytest_asyncio

from bot.db import Database
from bot.i18n import t
from bot.services import Services
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community, invite_code

HEADER = "order_id,code,amount,currency,created_at,status"


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def link_of(c: Community, locale: str = "en-US") -> tuple[str, str]:
    text = await ephemeral_text(
        await c.h.slash("referral", "link", user_id=c.sponsor, locale=locale)
    )
    return invite_code(text), text


async def code_of(c: Community) -> str:
    return (await c.h.bot.services.referral_codes.code_for(c.guild_id, c.sponsor, "Sam")).code


async def import_orders(c: Community, *rows: str) -> str:
    body = "\n".join([HEADER, *rows]).encode()
    rec = await c.h.slash(
        "referral", "import", {"file": ("orders.csv", body)}, user_id=c.h.guild.owner.id
    )
    return await ephemeral_text(rec)


async def test_link_join_gate_and_attribution_across_a_restart(community: Community) -> None:
    c, emu = community, community.emu
    code, text = await link_of(c)
    assert text.startswith(t("referral.link.yours", "en-US"))
    invite = emu.state.invites[code]
    assert (invite.max_uses, invite.max_age, invite.channel_id) == (0, 0, c.channel("welcome"))
    assert (await link_of(c))[0] == code  # made once, then reused

    await c.h.restart()
    await c.h.settle()  # the invite snapshot is refreshed on ready
    newcomer = await c.join_through(code)
    stint = await c.h.bot.services.members.current(c.guild_id, newcomer.id)
    assert stint is not None
    assert (stint.status, stint.source, stint.sponsor_id) == ("pending", "referral", c.sponsor)
    await c.pass_rules(newcomer.id)
    done = await c.tell_story(newcomer.id)
    assert (await done.wait_followup()).text() == t("gate.story.admitted", "fr")
    assert c.role("member") in c.roles_of(newcomer.id)

    second = await c.join_through(code)  # reusable: a second person, same sponsor
    again = await c.h.bot.services.members.current(c.guild_id, second.id)
    assert again is not None and again.sponsor_id == c.sponsor

    stats = await ephemeral_text(await c.h.slash("referral", "stats", user_id=c.sponsor))
    assert (
        t(
            "referral.stats.joins",
            "en-US",
            brought=2,
            admitted=1,
            still_here=1,
            kept=0,  # accounts made minutes ago are flagged, never "kept"
            left_early=0,
        )
        in stats
    )
    assert t("referral.stats.flags", "en-US", young=2, rejoins=0) in stats


async def test_deleted_link_is_made_again_and_a_full_community_points_to_the_waitlist(
    community: Community,
) -> None:
    c, emu = community, community.emu
    code, _ = await link_of(c)
    await emu.delete_invite(code)
    await c.h.settle()
    new_code, text = await link_of(c, "pt-BR")
    assert new_code != code
    assert text.startswith(t("referral.link.remade", "pt-BR"))

    seats = await c.h.bot.services.members.seats(c.guild_id)
    await c.h.bot.services.membership.update(c.guild_id, max_members=seats.taken)
    _, full_text = await link_of(c)
    assert t("referral.link.full", "en-US") in full_text
    sponsor_dms = len(emu.dms_to(c.sponsor))
    newcomer = await c.join_through(new_code)
    assert not c.is_in_guild(newcomer.id)
    [told] = emu.dms_to(newcomer.id)
    assert "/introduce" in told.content
    await emu.wait_for_message(
        emu.state.dm_channels[c.sponsor], lambda m: "/introduce" in m.content
    )
    assert len(emu.dms_to(c.sponsor)) == sponsor_dms + 1


async def test_non_members_get_no_link_and_bad_input_changes_nothing(community: Community) -> None:
    c = community
    stranger = await c.h.slash("referral", "link", user_id=c.h.guild.owner.id, locale="da")
    assert await ephemeral_text(stranger) == t("referral.members_only", "da")
    showcase = await c.h.slash(
        "referral", "showcase", {"enabled": True}, user_id=c.h.guild.owner.id, locale="da"
    )
    assert await ephemeral_text(showcase) == t("referral.members_only", "da")
    profile = await c.h.bot.services.referral_links.profile(c.guild_id, c.h.guild.owner.id)
    assert not profile.showcase
    assert await c.h.bot.services.referral_links.current(c.guild_id, c.h.guild.owner.id) == (
        False,
        None,
    )
    bad = await c.h.slash("referral", "me", {"email": "nope"}, user_id=c.sponsor, locale="fr")
    assert await ephemeral_text(bad) == t("referral.me.email_invalid", "fr")
    ok = await c.h.slash("referral", "me", {"email": "sam@example.com"}, user_id=c.sponsor)
    assert await ephemeral_text(ok) == t("referral.me.saved", "en-US")
    other = await c.h.slash(
        "referral", "stats", {"member": c.h.guild.owner.id}, user_id=c.sponsor, locale="fr"
    )
    assert await ephemeral_text(other) == t("errors.moderator_required", "fr")


async def test_milestone_role_announcement_and_code_exactly_once_across_restarts(
    community: Community,
) -> None:
    c, emu, h = community, community.emu, community.h
    no_role = await h.slash("setup", ["referrals", "milestone"], {"orders": 2}, locale="fr")
    assert await ephemeral_text(no_role) == t("setup.referrals.role_needed", "fr")
    everyone = await h.slash("setup", ["referrals", "milestone"], {"orders": 2, "role": c.guild_id})
    assert await ephemeral_text(everyone) == t("setup.role.everyone", "en-US")
    assert await h.bot.services.rewards.milestones(c.guild_id) == []
    saved = await h.slash(
        "setup", ["referrals", "milestone"], {"orders": 2, "role": c.role("leader")}
    )
    assert await ephemeral_text(saved) == t(
        "setup.referrals.milestone_line", "en-US", orders=2, role=f"<@&{c.role('leader')}>"
    )
    codes = b"code\nGIFT-AAAA\nGIFT-BBBB\n"
    added = await ephemeral_text(
        await h.slash(
            "referral", ["rewards", "add"], {"file": ("codes.csv", codes)}, user_id=h.guild.owner.id
        )
    )
    assert added.startswith(
        t(
            "referral.rewards.added",
            "en-US",
            added=2,
            duplicates=0,
            rejected=0,
            given=0,
            available=2,
        )
    )
    code = await code_of(c)
    mark = len(emu.messages_log)
    await import_orders(c, f"A1,{code},10,EUR,2026-10-01,paid")
    # Stop before the second order: the award is made while the bot is down and its job waits.
    await h.stop()
    database = Database(h.settings.database_path)
    await database.open()
    try:
        services = Services.build(database)
        report = await services.orders.import_csv(
            c.guild_id, [HEADER, f"A2,{code},10,EUR,2026-10-02,paid"]
        )
        result = await services.rewards.check(c.guild_id, report.referrers)
        assert [(a.orders, a.code) for a in result.new] == [(2, "GIFT-AAAA")]
    finally:
        await database.close()
    await h.start()  # the job is re-armed on ready
    dm = await emu.wait_for_message(
        emu.state.dm_channels.get(c.sponsor), lambda m: "GIFT-AAAA" in m.content, after=mark
    )
    assert dm.content == t(
        "referral.reward.dm",
        "en-US",
        guild=emu.state.guilds[c.guild_id].name,
        orders=2,
        code="GIFT-AAAA",
    )
    announced = await emu.wait_for_message(c.channel("announcements"), after=mark)
    assert announced.content == t("referral.announce", "en-US", member=f"<@{c.sponsor}>", orders=2)
    assert c.role("leader") in c.roles_of(c.sponsor)

    await h.restart()
    await import_orders(c, f"A1,{code},10,EUR,2026-10-01,paid", f"A3,{code},10,EUR,2026-10-03,paid")
    await h.settle()
    await h.bot.jobs.drain()
    gifts = [m for m in emu.dms_to(c.sponsor) if "GIFT-" in m.content]
    assert len(gifts) == 1
    status = await ephemeral_text(
        await h.slash("referral", ["rewards", "status"], user_id=h.guild.owner.id)
    )
    assert status.splitlines()[0] == t("referral.rewards.pool", "en-US", available=1)


async def test_export_is_a_csv_with_revenue_per_currency(community: Community) -> None:
    c = community
    code = await code_of(c)
    await import_orders(
        c, f"A1,{code},10,EUR,2026-10-01,paid", f"A2,{code},250,DKK,2026-10-01,paid"
    )
    refused = await c.h.slash("referral", "export", user_id=c.sponsor)
    assert await ephemeral_text(refused) == t("errors.moderator_required", "en-US")
    rec = await c.h.slash("referral", "export", user_id=c.h.guild.owner.id)
    msg = await reply(rec)
    assert msg.ephemeral and msg.attachments
    body = msg.attachments[0].data.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert (row["code"], row["orders_paid"], row["revenue_DKK"], row["revenue_EUR"]) == (
        code,
        "2",
        "250.00",
        "10.00",
    )
    board = await ephemeral_text(
        await c.h.slash("referral", "leaderboard", {"period": "all"}, user_id=c.sponsor)
    )
    assert f"<@{c.sponsor}>" in board


async def test_import_rejects_every_bad_row_by_line_and_changes_nothing_for_them(
    community: Community,
) -> None:
    c = community
    code = await code_of(c)
    text = await import_orders(
        c,
        f"A1,{code},49.90,EUR,2026-10-01,paid",
        f"A2,{code},-5,EUR,2026-10-01,paid",
        f"A3,{code},ten,EUR,2026-10-01,paid",
        f"A4,{code},10,EURO,2026-10-01,paid",
        f"A5,{code},10,EUR,2099-01-01,paid",
        f"A6,{code},10,EUR,yesterday,paid",
        f"A7,{code},10,EUR,2026-10-01,shipped",
        "A8,NOPE-2345,10,EUR,2026-10-01,paid",
        f"A1,{code},49.90,EUR,2026-10-01,refunded",
        f"A9,{code},10,EUR,2026-10-01,paid,extra",
    )
    lines = text.splitlines()
    assert lines[0] == t(
        "referral.import.summary", "en-US", added=1, updated=0, unchanged=0, rejected=9
    )
    expected = [
        ("referral.row.amount", 3, "-5"),
        ("referral.row.amount", 4, "ten"),
        ("referral.row.currency", 5, "EURO"),
        ("referral.row.future", 6, "2099-01-01"),
        ("referral.row.date", 7, "yesterday"),
        ("referral.row.status", 8, "shipped"),
        ("referral.row.unknown_code", 9, "NOPE-2345"),
        ("referral.row.duplicate", 10, "A1"),
        ("referral.row.shape", 11, ""),
    ]
    assert lines[1:] == ["- " + t(k, "en-US", line=n, value=v) for k, n, v in expected]
    assert await c.h.bot.services.orders.totals(c.guild_id, c.sponsor) == {"EUR": (1, 4990)}
    huge = b"x" * (20 * 1024 * 1024 + 1)
    too_big = await c.h.slash(
        "referral", "import", {"file": ("big.csv", huge)}, user_id=c.h.guild.owner.id
    )
    assert await ephemeral_text(too_big) == t("referral.import.too_big", "en-US", limit="20")
