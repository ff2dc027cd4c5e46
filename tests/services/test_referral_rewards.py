"""Referral links, milestones and the reward-code pool, and the figures, on real SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import DomainError
from bot.services import Services
from bot.services.referrals.insight import account_created, period_start
from bot.services.referrals.orders import hash_email
from bot.services.referrals.rewards import REWARD_JOB
from tests.conftest import FakeClock

G = 1
MAYA = 7 << 22  # snowflakes made in 2015: old accounts
HEADER = "order_id,code,amount,currency,created_at,status"


async def member_with_code(services: Services, user_id: int = MAYA, name: str = "Maya") -> str:
    await services.members.add_existing(G, [user_id])
    return (await services.referral_codes.code_for(G, user_id, name)).code


async def paid(services: Services, code: str, *ids: str, status: str = "paid") -> set[int]:
    lines = [HEADER] + [f"{i},{code},10,EUR,2026-10-01,{status}" for i in ids]
    report = await services.orders.import_csv(G, lines)
    assert report.rejected == 0, report.problems
    return report.referrers


async def test_reaching_two_milestones_at_once_gives_two_distinct_codes_once(
    services: Services,
) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 1, role_id=501)
    await services.rewards.set_milestone(G, 2, role_id=502)
    await services.rewards.add_codes(G, ["code", "GIFT-A", "GIFT-B", "GIFT-C"])
    referrers = await paid(services, code, "A1", "A2")
    result = await services.rewards.check(G, referrers)
    assert [(a.orders, a.status) for a in result.new] == [(1, "pending"), (2, "pending")]
    assert {a.code for a in result.new} == {"GIFT-A", "GIFT-B"}
    assert len(await services.jobs.pending(REWARD_JOB)) == 2
    again = await services.rewards.check(G, referrers)  # a replayed import: nothing new
    assert again.new == []
    first = result.new[0].id
    assert await services.rewards.claim_code_send(first) == "GIFT-A"
    assert await services.rewards.claim_code_send(first) is None  # a retry never resends it
    assert await services.rewards.available(G) == 1


async def test_a_refund_below_a_milestone_never_takes_back_and_never_gives_twice(
    services: Services,
) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 2, role_id=502)
    await services.rewards.add_codes(G, ["GIFT-A", "GIFT-B"])
    await services.rewards.check(G, await paid(services, code, "A1", "A2"))
    refunded = await services.rewards.check(G, await paid(services, code, "A2", status="refunded"))
    assert [(a.orders, a.code) for a in refunded.dropped_below] == [(2, "GIFT-A")]
    assert [a.orders for a in await services.rewards.attention(G)] == [2]
    back = await services.rewards.check(G, await paid(services, code, "A3"))
    assert back.new == [] and back.dropped_below == []  # reached again: no second reward
    assert await services.rewards.available(G) == 1
    assert (await services.rewards.awards_of(G, MAYA))[0].below_since is None


async def test_an_empty_pool_is_reported_and_a_refill_pays_what_is_owed(
    services: Services,
) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 1, role_id=501)
    await services.rewards.add_codes(G, ["ONLY-ONE"])
    other = await member_with_code(services, 9 << 22, "Bo")
    await services.rewards.check(G, await paid(services, code, "A1"))
    result = await services.rewards.check(G, await paid(services, other, "B1"))
    assert result.pool_empty
    assert result.new[0].code is None and result.new[0].code_owed
    refill = await services.rewards.add_codes(G, ["ONLY-ONE", "NEXT", "bad code", "x" * 65])
    assert (refill.added, refill.duplicates, refill.rejected) == (1, 1, 2)
    assert [p.line for p in refill.problems] == [3, 4]
    assert [(a.user_id, a.code) for a in refill.given] == [(9 << 22, "NEXT")]
    assert refill.available == 0


async def test_no_pool_means_no_code_owed(services: Services) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 1, role_id=501)
    result = await services.rewards.check(G, await paid(services, code, "A1"))
    assert not result.pool_empty
    assert not result.new[0].code_owed


async def test_a_member_who_left_has_rewards_held_until_released(services: Services) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 1, role_id=501)
    await services.members.record_leave(G, MAYA)
    result = await services.rewards.check(G, await paid(services, code, "A1"))
    assert [a.status for a in result.new] == ["held"]  # the code stays valid for orders
    assert await services.jobs.pending(REWARD_JOB) == []
    with pytest.raises(DomainError) as caught:
        await services.rewards.release(G, MAYA)
    assert caught.value.key == "referral.rewards.release_not_member"
    await services.members.add_existing(G, [MAYA])
    released = await services.rewards.release(G, MAYA)
    assert [a.status for a in released] == ["pending"]
    assert len(await services.jobs.pending(REWARD_JOB)) == 1


async def test_milestone_settings_are_checked(services: Services) -> None:
    for orders in range(1, 11):
        await services.rewards.set_milestone(G, orders, role_id=500 + orders)
    with pytest.raises(DomainError) as too_many:
        await services.rewards.set_milestone(G, 11, role_id=511)
    assert too_many.value.key == "referral.milestone.too_many"
    with pytest.raises(DomainError) as bad:
        await services.rewards.set_milestone(G, 0, role_id=1)
    assert bad.value.key == "referral.milestone.orders_range"
    assert len(await services.rewards.set_milestone(G, 5, role_id=999)) == 10  # a role change
    assert len(await services.rewards.remove_milestone(G, 5)) == 9
    with pytest.raises(DomainError):
        await services.rewards.remove_milestone(G, 5)


async def test_own_orders_by_registered_email_are_not_credited(services: Services) -> None:
    code = await member_with_code(services)
    await services.referral_links.register_email(G, MAYA, " Maya@Example.com ")
    lines = [
        HEADER + ",customer_email,customer_email_sha256",
        f"A1,{code},10,EUR,2026-10-01,paid,maya@example.com,",
        f"A2,{code},10,EUR,2026-10-01,paid,,{hash_email('MAYA@example.com')}",
        f"A3,{code},10,EUR,2026-10-01,paid,friend@example.com,",
        f"A4,{code},10,EUR,2026-10-01,paid,,not-a-hash",
    ]
    report = await services.orders.import_csv(G, lines)
    assert (report.added, report.rejected) == (3, 1)
    assert report.problems[0].key == "referral.row.email_hash"
    assert await services.orders.totals(G, MAYA) == {"EUR": (1, 1000)}
    with pytest.raises(DomainError) as caught:
        await services.referral_links.register_email(G, MAYA, "not an email")
    assert caught.value.key == "referral.me.email_invalid"
    assert (await services.referral_links.profile(G, MAYA)).email_registered


async def test_a_join_through_a_members_link_is_sponsored_and_respects_capacity(
    services: Services,
) -> None:
    await services.members.add_existing(G, [MAYA])
    await services.referral_links.save(G, MAYA, "mayalink")
    outcome = await services.members.record_join(G, 100, kind="invite", code="mayalink")
    assert (outcome.action, outcome.stint.source, outcome.stint.sponsor_id) == (
        "gate",
        "referral",
        MAYA,
    )
    assert await services.members.admission(outcome.stint) == "auto"  # sponsored policy
    await services.membership.update(G, max_members=2)  # Maya and the newcomer: full
    full = await services.members.record_join(G, 101, kind="invite", code="mayalink")
    assert (full.action, full.stint.end_reason, full.stint.sponsor_id) == ("refused", "full", MAYA)
    await services.membership.update(G, unsponsored_admission="refuse", max_members=0)
    allowed = await services.members.record_join(G, 102, kind="invite", code="mayalink")
    assert allowed.action == "gate"  # a link join is sponsored, not "unsponsored"
    assert await services.referral_links.invite_gone(G, "mayalink") == MAYA
    assert await services.referral_links.current(G, MAYA) == (True, None)
    stranger = await services.members.record_join(G, 103, kind="invite", code="mayalink")
    assert stranger.stint.source == "invite"


async def test_stats_flags_and_currencies_never_summed(
    services: Services, clock: FakeClock
) -> None:
    code = await member_with_code(services)
    await services.referral_links.save(G, MAYA, "mayalink")
    old_account = 1 << 22
    young_account = int((clock() - account_created(0)).total_seconds() * 1000 - 3600e3) << 22
    for user in (old_account, young_account, old_account + 1):
        await services.members.record_join(G, user, kind="invite", code="mayalink")
    await services.members.admit(G, old_account)
    await services.members.admit(G, young_account)
    clock.advance(days=2)
    await services.members.record_leave(G, old_account + 1)  # left early
    lines = [
        HEADER,
        f"A1,{code},10,EUR,2026-10-01,paid",
        f"A2,{code},100,DKK,2026-10-01,paid",
        f"A3,{code},5,EUR,2026-10-01,refunded",
    ]
    await services.orders.import_csv(G, lines)
    settings = await services.referral_codes.settings(G)
    stats = await services.referral_insight.stats(G, settings, MAYA)
    j = stats.joins
    assert (j.brought, j.admitted, j.still_here, j.kept, j.left_early, j.young_accounts) == (
        3,
        2,
        2,
        1,
        1,
        1,
    )
    assert stats.orders.revenue == {"DKK": 10000, "EUR": 1000}
    assert (stats.orders.paid, stats.orders.refunded) == (2, 1)
    header, rows = await services.referral_insight.export(G, settings)
    assert header[-2:] == ["revenue_DKK", "revenue_EUR"]
    assert rows[0]["revenue_EUR"] == "10.00" and rows[0]["code"] == code


async def test_leaderboard_ranks_by_paid_orders_then_kept_joins(
    services: Services, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 20, tzinfo=UTC)
    a, b, c = 1 << 22, 2 << 22, 3 << 22
    codes = {m: await member_with_code(services, m, n) for m, n in ((a, "A"), (b, "B"), (c, "C"))}
    await services.referral_links.save(G, b, "blink")
    await services.members.record_join(G, 9 << 22, kind="invite", code="blink")
    await services.members.admit(G, 9 << 22)
    lines = [HEADER]
    lines += [f"A{i},{codes[a]},1,EUR,2026-11-0{i},paid" for i in (1, 2)]
    lines += [f"B{i},{codes[b]},1,EUR,2026-11-0{i},paid" for i in (1, 2)]
    lines += [f"C{i},{codes[c]},1,EUR,2026-10-0{i},paid" for i in (1, 2, 3)]
    await services.orders.import_csv(G, lines)
    settings = await services.referral_codes.settings(G)
    month = await services.referral_insight.leaderboard(G, settings, "month", "Europe/Paris")
    assert [(r.user_id, r.paid_orders, r.kept_joins) for r in month] == [(b, 2, 1), (a, 2, 0)]
    everything = await services.referral_insight.leaderboard(G, settings, "all", "UTC")
    assert [r.user_id for r in everything] == [c, b, a]


def test_period_start_in_the_guilds_time_zone() -> None:
    now = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)  # already June 1st in Paris
    assert period_start("month", now, "Europe/Paris") == datetime(2026, 5, 31, 22, tzinfo=UTC)
    assert period_start("quarter", now, "UTC") == datetime(2026, 4, 1, tzinfo=UTC)
    assert period_start("all", now, "UTC") is None
    assert account_created(0) == datetime(2015, 1, 1, tzinfo=UTC)
    assert account_created(1 << 22) - account_created(0) == timedelta(milliseconds=1)


async def test_privacy_covers_links_preferences_and_rewards(services: Services) -> None:
    code = await member_with_code(services)
    await services.referral_links.save(G, MAYA, "mayalink")
    await services.referral_links.set_announce(G, MAYA, False)
    await services.rewards.set_milestone(G, 1, role_id=501)
    await services.rewards.add_codes(G, ["GIFT-A"])
    await services.rewards.check(G, await paid(services, code, "A1"))
    exported = (await services.privacy.export(G, MAYA))["data"]["referrals"]  # type: ignore[index]
    assert set(exported) == {"code", "link", "preferences", "orders", "rewards"}
    assert exported["rewards"][0]["reward_code"] == "GIFT-A"
    await services.privacy.forget(G, MAYA)
    assert (await services.privacy.export(G, MAYA))["data"]["referrals"] == {}  # type: ignore[index]
    assert await services.jobs.pending(REWARD_JOB) == []
    assert await services.rewards.available(G) == 0  # a given code never returns to the pool


async def test_rearm_gives_pending_awards_their_job_back(services: Services) -> None:
    code = await member_with_code(services)
    await services.rewards.set_milestone(G, 1, role_id=501)
    [award] = (await services.rewards.check(G, await paid(services, code, "A1"))).new
    await services.jobs.cancel(REWARD_JOB, str(award.id))  # claimed by a run that stopped
    assert await services.rewards.rearm() == 1
    assert [job.key for job in await services.jobs.pending(REWARD_JOB)] == [str(award.id)]
    await services.rewards.finish(award.id, "done")
    assert await services.rewards.rearm() == 0
