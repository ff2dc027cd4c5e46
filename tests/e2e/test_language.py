"""/language: a member's own language, stored and used for the confirmation."""

from __future__ import annotations

from bot.i18n import LOCALE_NAMES, t
from tests.harness import BotHarness

from .helpers import ephemeral_text


async def test_language_is_stored_and_confirmed_in_that_language(harness: BotHarness) -> None:
    user = harness.guild.regular.id
    rec = await harness.slash("language", options={"language": "da"}, user_id=user)

    text = await ephemeral_text(rec)
    assert text == t("language.saved", "da", language="Dansk")
    assert text != t("language.saved", "en-US", language="Dansk")
    assert await harness.bot.services.preferences.language(user) == "da"


async def test_language_can_be_changed_and_survives_a_restart(harness: BotHarness) -> None:
    owner = harness.guild.owner.id
    for code in ("pt-BR", "fr"):
        rec = await harness.slash("language", options={"language": code}, locale="da")
        assert await ephemeral_text(rec) == t("language.saved", code, language=LOCALE_NAMES[code])

    bot = await harness.restart()
    assert await bot.services.preferences.language(owner) == "fr"
    assert await bot.member_locale(owner) == "fr"
