"""The privacy registry and the member preferences it covers."""

from __future__ import annotations

import pytest

from bot.db import Transaction
from bot.errors import DomainError
from bot.services import Services


async def test_export_and_forget_the_language(services: Services) -> None:
    assert await services.preferences.set_language(7, "da") == "da"
    document = await services.privacy.export(1, 7)
    assert document["user_id"] == "7"
    assert document["data"] == {
        "preferences": {"language": {"locale": "da", "updated_at": "2026-11-02T12:00:00+00:00"}},
        "membership": {},
        "referrals": {},
        "sessions": {},
        "session_questions": {},
        "office_hours": {},
        "polls": {},
        "feedback": {},
        "engagement": {},
        "leaders": {},
        "circles": {},
        "circle_checkins": {},
        "digest": {},
    }
    report = await services.privacy.forget(1, 7)
    assert report.deleted == {
        "preferences": 1,
        "membership": 0,
        "referrals": 0,
        "sessions": 0,
        "session_questions": 0,
        "office_hours": 0,
        "polls": 0,
        "feedback": 0,
        "engagement": 0,
        "leaders": 0,
        "circles": 0,
        "circle_checkins": 0,
        "digest": 0,
    }
    assert report.total == 1
    assert await services.preferences.language(7) is None
    assert (await services.privacy.export(1, 7))["data"] == {
        "preferences": {},
        "membership": {},
        "referrals": {},
        "sessions": {},
        "session_questions": {},
        "office_hours": {},
        "polls": {},
        "feedback": {},
        "engagement": {},
        "leaders": {},
        "circles": {},
        "circle_checkins": {},
        "digest": {},
    }


async def test_forget_touches_only_that_member(services: Services) -> None:
    await services.preferences.set_language(7, "fr")
    await services.preferences.set_language(8, "da")
    await services.privacy.forget(1, 7)
    assert await services.preferences.language(8) == "da"


async def test_unsupported_language_is_refused(services: Services) -> None:
    with pytest.raises(DomainError):
        await services.preferences.set_language(7, "xx")
    assert await services.preferences.language(7) is None


class Failing:
    name = "failing"

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        return {}

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        raise RuntimeError("storage failed")


async def test_forget_is_all_or_nothing(services: Services) -> None:
    await services.preferences.set_language(7, "fr")
    services.privacy.register(Failing())
    with pytest.raises(RuntimeError):
        await services.privacy.forget(1, 7)
    assert await services.preferences.language(7) == "fr"


def test_a_provider_registers_once(services: Services) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        services.privacy.register(services.preferences)
    assert services.privacy.names == [
        "preferences",
        "membership",
        "referrals",
        "sessions",
        "session_questions",
        "office_hours",
        "polls",
        "feedback",
        "engagement",
        "leaders",
        "circles",
        "circle_checkins",
        "digest",
    ]


async def test_dm_language_prefers_the_choice_then_the_client(services: Services) -> None:
    assert await services.preferences.dm_language(7) is None
    await services.preferences.saw_locale(7, "pt-BR")
    await services.preferences.saw_locale(7, "pt-BR")  # unchanged: no second write
    assert await services.preferences.dm_language(7) == "pt-BR"
    await services.preferences.set_language(7, "da")
    assert await services.preferences.dm_language(7) == "da"
    await services.preferences.saw_locale(7, "xx-unknown")  # not a language of ours: ignored
    report = await services.privacy.forget(1, 7)
    assert report.deleted["preferences"] == 2
    assert await services.preferences.dm_language(7) is None
