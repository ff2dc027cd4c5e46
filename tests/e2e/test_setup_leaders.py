"""/setup leaders end to end: each setting shown and stored (numbers the reader's way), the
weights, every bad value refused with its localized answer and nothing changed (also a good
value given with a bad one), managers only (even with /setup opened to everyone), a change
that calls for the scale alert posts it, and the charter: edited in a form that survives a
restart, shown in an embed that pings nobody, sent to nominees as saved, and reset to the
localized default (by the option, or by emptying the form)."""

from __future__ import annotations

from datetime import timedelta

import pytest_asyncio

from bot.i18n import format_number, t
from bot.services.clock import iso
from bot.services.leaders.models import LeaderSettings
from tests.harness import BotHarness

from .helpers import ephemeral_text, reply
from .membership_helpers import Community, build_community
from .test_leader_nominations import charter_dm, join, nominated, pinged, posts_in

DEFAULT_WEIGHTS = "breadth 2, consistency 3, introductions 2, attendance 2, feedback 1, tenure 1"


@pytest_asyncio.fixture
async def community(harness: BotHarness) -> Community:
    return await build_community(harness)


def summary(
    locale: str = "en-US",
    *,
    members_per_leader: int = 15,
    alert_at: int = 30,
    retention_days: int = 180,
    review_weeks: int = 4,
    weights: str = DEFAULT_WEIGHTS,
    charter: str | None = None,
) -> str:
    return t(
        "leaders.setup.summary",
        locale,
        members_per_leader=format_number(members_per_leader, locale),
        alert_at=format_number(alert_at, locale),
        retention_days=format_number(retention_days, locale),
        review_weeks=format_number(review_weeks, locale),
        weights=weights,
        charter=charter or t("leaders.setup.charter_default", locale),
    )


async def setup_leaders(
    c: Community,
    options: dict[str, object] | None = None,
    *,
    user_id: int | None = None,
    locale: str = "en-US",
) -> str:
    rec = await c.h.slash("setup", "leaders", options, user_id=user_id, locale=locale)
    text = await ephemeral_text(rec)
    await c.h.settle()
    return text


async def stored(c: Community) -> LeaderSettings:
    return await c.h.bot.services.leader_settings.get(c.guild_id)


async def test_each_setting_and_the_weights(community: Community) -> None:
    c = community
    assert await setup_leaders(c) == summary()  # no option: the settings as they are
    text = await setup_leaders(
        c, {"members_per_leader": 12, "alert_at": 1200, "retention_days": 90, "review_weeks": 2}
    )
    assert text == summary(members_per_leader=12, alert_at=1200, retention_days=90, review_weeks=2)
    text = await setup_leaders(c, {"weights": "Consistency=4, tenure=0,5"}, locale="fr")
    assert text == summary(
        "fr",
        members_per_leader=12,
        alert_at=1200,  # 1 200 in French
        retention_days=90,
        review_weeks=2,
        weights="breadth 2, consistency 4, introductions 2, attendance 2, feedback 1, tenure 0,5",
    )
    settings = await stored(c)
    assert (settings.members_per_leader, settings.alert_at) == (12, 1200)
    assert (settings.retention_days, settings.review_weeks) == (90, 2)
    assert settings.weights == {
        "breadth": 2.0,
        "consistency": 4.0,
        "introductions": 2.0,
        "attendance": 2.0,
        "feedback": 1.0,
        "tenure": 0.5,
    }
    await c.h.restart()
    assert (await stored(c)) == settings


async def test_bad_values_are_refused_and_change_nothing(community: Community) -> None:
    c = community
    await setup_leaders(c, {"members_per_leader": 10, "weights": "feedback=3"})
    before = await stored(c)
    refusals: list[tuple[dict[str, object], str, str]] = [
        ({"members_per_leader": 1}, "leaders.invalid.members_per_leader", "en-US"),
        ({"members_per_leader": 201}, "leaders.invalid.members_per_leader", "fr"),
        ({"alert_at": 1}, "leaders.invalid.alert_at", "en-US"),
        ({"retention_days": 29}, "leaders.invalid.retention_days", "pt-BR"),
        ({"retention_days": 731}, "leaders.invalid.retention_days", "en-US"),
        ({"review_weeks": 0}, "leaders.invalid.review_weeks", "da"),
        ({"review_weeks": 27}, "leaders.invalid.review_weeks", "en-US"),
        # a good value with a bad one: neither is stored
        ({"members_per_leader": 20, "alert_at": 100_001}, "leaders.invalid.alert_at", "en-US"),
        ({"alert_at": 40, "weights": "tenure=11"}, "leaders.invalid.weight", "fr"),
    ]
    bounds: dict[str, dict[str, object]] = {
        "leaders.invalid.members_per_leader": {"low": 2, "high": 200},
        "leaders.invalid.alert_at": {"low": 2, "high": 100_000},
        "leaders.invalid.retention_days": {"low": 30, "high": 730},
        "leaders.invalid.review_weeks": {"low": 1, "high": 26},
        "leaders.invalid.weight": {"name": "tenure", "high": 10},
    }
    for options, key, locale in refusals:
        text = await setup_leaders(c, options, locale=locale)
        assert text == t(key, locale, **bounds[key]), options
    weight_refusals: list[tuple[str, str, dict[str, object]]] = [
        ("vibes=2", "leaders.invalid.weight_name", {"name": "vibes"}),
        ("consistency", "leaders.invalid.weights_format", {}),
        ("consistency=4 please", "leaders.invalid.weights_format", {}),
        ("breadth=-1", "leaders.invalid.weight", {"name": "breadth", "high": 10}),
        (
            "breadth=0 consistency=0 introductions=0 attendance=0 feedback=0 tenure=0",
            "leaders.invalid.weights_zero",
            {},
        ),
    ]
    for weights, key, params in weight_refusals:
        text = await setup_leaders(c, {"weights": weights}, locale="fr")
        assert text == t(key, "fr", **params), weights
    text = await setup_leaders(c, {"alert_at": 40, "charter": "edit"})
    assert text == t("leaders.setup.charter_alone", "en-US")
    # An ordinary member, with /setup opened to everyone by the admins: refused at run time.
    member_tries: list[dict[str, object]] = [{"alert_at": 40}, {"charter": "reset"}, {}]
    for options in member_tries:
        text = await setup_leaders(c, options, user_id=c.sponsor)
        assert text == t("errors.manage_guild_required", "en-US")
    assert await stored(c) == before


async def test_a_smaller_alert_size_posts_the_scale_alert(community: Community) -> None:
    c, emu = community, community.emu
    ids = emu.populate_members(c.guild_id, 3, role_ids=[c.role("member")], prefix="few")
    admitted = iso(c.h.bot.services.clock() - timedelta(days=60))
    async with c.h.bot.services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO member_stint (guild_id, user_id, status, source, joined_at, admitted_at) "
            "VALUES (?, ?, 'member', 'invite', ?, ?)",
            [(c.guild_id, user, admitted, admitted) for user in ids],
        )
    mark = len(emu.messages_log)
    await setup_leaders(c, {"alert_at": 5})
    assert posts_in(c, "leaders", mark) == []  # 4 members: under 5
    text = await setup_leaders(c, {"alert_at": 4, "members_per_leader": 3})
    assert text == summary(alert_at=4, members_per_leader=3)
    [alert] = posts_in(c, "leaders", mark)
    assert alert.content.splitlines()[0] == t(
        "leaders.scale.alert",
        "en-US",
        members="4",
        leaders="0",
        per_leader="3",
        needed="2",
        gap="2",
    )
    assert pinged(alert) == set()


async def test_charter_edited_in_a_form_reset_and_never_pinging(community: Community) -> None:
    c, emu = community, community.emu
    owner = c.h.guild.owner.id
    opened = await c.h.slash("setup", "leaders", {"charter": "edit"}, locale="fr")
    await opened.wait_ack()
    assert opened.modal is not None
    [field] = [child for row in opened.modal["components"] for child in row["components"]]
    assert field["value"] == t("leaders.charter.default", "fr")  # to edit from
    assert field["label"] == t("leaders.charter.field", "fr")
    await c.h.restart()  # the form still works after a restart

    charter = (
        f"<@{c.sponsor}> @everyone <@&{c.role('member')}>: lead with kindness, "
        "listen first, and tell the founders when something is off."
    )
    # Someone without Manage Server submitting the form (a forged or stale one): refused.
    forged = await emu.submit_modal(opened, {"setup:leaders:charter_text": "Mine"}, c.sponsor)
    assert await ephemeral_text(forged) == t("errors.manage_guild_required", "en-US")
    assert (await stored(c)).charter_text is None
    saved = await emu.submit_modal(
        opened, {"setup:leaders:charter_text": charter}, owner, locale="fr"
    )
    shown = await reply(saved)
    assert shown.ephemeral and shown.content == t("leaders.setup.charter_saved", "fr")
    assert shown.embeds[0]["description"] == charter
    assert pinged(shown) == set()
    assert (await stored(c)).charter_text == charter
    length = format_number(len(charter), "en-US")
    assert await setup_leaders(c) == summary(
        charter=t("leaders.setup.charter_custom", "en-US", length=length)
    )

    # A nominee gets the charter as saved, in an embed: nobody is pinged by what it says.
    ana = await join(c)
    await nominated(c, ana)
    dm = charter_dm(c, ana)
    assert dm.embeds[0]["description"] == charter and "@everyone" not in dm.content

    text = await setup_leaders(c, {"charter": "reset"})
    assert text == t("leaders.setup.charter_reset", "en-US") + "\n" + summary()
    assert (await stored(c)).charter_text is None
    # The form again: saved empty, or saved with the default unchanged, stays the default.
    for value in ("", t("leaders.charter.default", "en-US")):
        again = await c.h.slash("setup", "leaders", {"charter": "edit"})
        await again.wait_ack()
        done = await emu.submit_modal(again, {"setup:leaders:charter_text": value}, owner)
        assert await ephemeral_text(done) == t("leaders.setup.charter_reset", "en-US")
        assert (await stored(c)).charter_text is None
