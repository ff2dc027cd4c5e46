"""Which DMs a member wants: defaults, choices, fan-out lookup, and the privacy registry."""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.preferences import PreferenceService
from tests.conftest import FakeClock

DEFAULTS = {"sessions": True, "feedback": True, "digest": False}


async def test_without_a_choice_the_defaults_apply(db: Database) -> None:
    preferences = PreferenceService(db)
    assert await preferences.notifications(7) == DEFAULTS
    assert PreferenceService.DEFAULT_ON == DEFAULTS
    assert PreferenceService.NOTIFICATION_KINDS == ("sessions", "feedback", "digest")
    for kind, default in DEFAULTS.items():
        assert await preferences.wants(7, kind) is default


async def test_a_choice_is_stored_and_can_be_changed_back(db: Database, clock: FakeClock) -> None:
    preferences = PreferenceService(db, clock)
    settings = await preferences.set_notification(7, "sessions", False)
    assert settings == {"sessions": False, "feedback": True, "digest": False}
    assert await preferences.set_notification(7, "digest", True) == {
        "sessions": False,
        "feedback": True,
        "digest": True,
    }
    assert not await preferences.wants(7, "sessions")
    await preferences.set_notification(7, "sessions", True)
    assert await preferences.wants(7, "sessions")
    assert await preferences.notifications(8) == DEFAULTS  # someone else keeps the defaults


async def test_several_kinds_change_together(db: Database) -> None:
    preferences = PreferenceService(db)
    settings = await preferences.set_notifications(7, {"feedback": False, "digest": True})
    assert settings == {"sessions": True, "feedback": False, "digest": True}


async def test_an_unknown_kind_is_refused_and_nothing_is_stored(db: Database) -> None:
    preferences = PreferenceService(db)
    with pytest.raises(DomainError) as refused:
        await preferences.set_notifications(7, {"digest": True, "spam": True})
    assert refused.value.key == "notifications.unknown_kind"
    assert refused.value.params == {"kind": "spam"}
    assert await preferences.notifications(7) == DEFAULTS
    with pytest.raises(DomainError):
        await preferences.wanting([7], "spam")


async def test_wanting_picks_the_members_who_want_a_kind(db: Database) -> None:
    preferences = PreferenceService(db)
    members = [*range(1_000, 1_500), 1_000]  # hundreds, with a duplicate
    await preferences.set_notification(1_001, "sessions", False)
    await preferences.set_notification(1_002, "digest", True)
    await preferences.set_notification(1_003, "digest", False)
    await preferences.set_notification(9, "digest", True)  # not among the members asked about

    assert await preferences.wanting(members, "sessions") == set(members) - {1_001}
    assert await preferences.wanting(members, "digest") == {1_002}
    assert await preferences.wanting(members, "feedback") == set(members)
    assert await preferences.wanting([], "sessions") == set()
    big = 2**62  # snowflakes are 64-bit
    await preferences.set_notification(big, "digest", True)
    assert await preferences.wanting({big, 1_002}, "digest") == {big, 1_002}


async def test_export_and_forget_cover_the_choices(services: Services) -> None:
    preferences = services.preferences
    assert (await services.privacy.export(1, 7))["data"]["preferences"] == {}  # type: ignore[index]

    await preferences.set_notifications(7, {"sessions": False, "digest": True})
    await preferences.set_notification(8, "feedback", False)
    document = await services.privacy.export(1, 7)
    assert document["data"]["preferences"] == {  # type: ignore[index]
        "notifications": {
            "digest": {"enabled": True, "updated_at": "2026-11-02T12:00:00+00:00"},
            "sessions": {"enabled": False, "updated_at": "2026-11-02T12:00:00+00:00"},
        }
    }

    report = await services.privacy.forget(1, 7)
    assert report.deleted["preferences"] == 2
    assert await preferences.notifications(7) == DEFAULTS
    assert (await services.privacy.export(1, 7))["data"]["preferences"] == {}  # type: ignore[index]
    assert await preferences.notifications(8) == {**DEFAULTS, "feedback": False}
