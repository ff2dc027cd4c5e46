"""/referral code, /referral import and /setup referrals, end to end."""

from __future__ import annotations

import pytest_asyncio

from bot.i18n import t
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community

HEADER = "order_id,code,amount,currency,created_at,status"


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


async def my_code(c: Community) -> str:
    text = await ephemeral_text(await c.h.slash("referral", "code", user_id=c.sponsor))
    code = text.split("**")[1]
    assert code == (await c.h.bot.services.referral_codes.code_for(c.guild_id, c.sponsor, "")).code
    return code


async def test_member_gets_one_code_and_the_share_link(community: Community) -> None:
    c = community
    saved = await c.h.slash(
        "setup",
        ["referrals", "settings"],
        {"code_prefix": "VOUCH", "store_url": "https://shop.example/?r={code}"},
    )
    assert "VOUCH" in await ephemeral_text(saved)
    code = await my_code(c)
    assert code.startswith("VOUCH-")
    again = await ephemeral_text(await c.h.slash("referral", "code", user_id=c.sponsor))
    assert f"https://shop.example/?r={code}" in again
    stranger = await c.h.slash("referral", "code", user_id=c.h.guild.owner.id, locale="fr")
    assert await ephemeral_text(stranger) == t("referral.members_only", "fr")


async def test_bad_store_link_is_refused(community: Community) -> None:
    refused = await community.h.slash(
        "setup", ["referrals", "settings"], {"store_url": "https://shop.example/"}
    )
    assert await ephemeral_text(refused) == t("referral.store_url_needs_code", "en-US")


async def test_import_reports_by_line_and_credits_the_member(community: Community) -> None:
    c = community
    code = await my_code(c)
    body = "\n".join(
        [
            HEADER,
            f"A1,{code},49.90,EUR,2026-10-01,paid",
            f"A2,{code},-1,EUR,2026-10-01,paid",
            "A3,NOPE-2345,10,EUR,2026-10-01,paid",
        ]
    ).encode()
    rec = await c.h.slash(
        "referral", "import", {"file": ("orders.csv", body)}, user_id=c.h.guild.owner.id
    )
    text = await ephemeral_text(rec)
    assert text.splitlines()[0] == t(
        "referral.import.summary", "en-US", added=1, updated=0, unchanged=0, rejected=2
    )
    assert t("referral.row.amount", "en-US", line=3, value="-1") in text
    assert t("referral.row.unknown_code", "en-US", line=4, value="NOPE-2345") in text
    assert await c.h.bot.services.orders.totals(c.guild_id, c.sponsor) == {"EUR": (1, 4990)}


async def test_import_refusals(community: Community) -> None:
    c = community
    not_mod = await c.h.slash(
        "referral", "import", {"file": ("o.csv", b"x")}, user_id=c.sponsor, locale="da"
    )
    assert await ephemeral_text(not_mod) == t("errors.moderator_required", "da")
    columns = await c.h.slash(
        "referral",
        "import",
        {"file": ("o.csv", b"order_id,code\n1,2\n")},
        user_id=c.h.guild.owner.id,
    )
    assert await ephemeral_text(columns) == t(
        "referral.import.columns", "en-US", columns="amount, currency, created_at, status"
    )
    binary = await c.h.slash(
        "referral", "import", {"file": ("o.csv", b"\xff\xfe\x00bad")}, user_id=c.h.guild.owner.id
    )
    assert await ephemeral_text(binary) == t("referral.import.encoding", "en-US")
    assert await c.h.bot.services.orders.totals(c.guild_id, c.sponsor) == {}
    await reply(await c.h.slash("setup", "show"))
