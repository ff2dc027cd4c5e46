"""/notifications: which DMs a member wants, shown and changed, in their language."""

from __future__ import annotations

from bot.i18n import Text, t
from tests.emulator import Emulator
from tests.harness import BotHarness

from .helpers import ephemeral_text
from .test_privacy import export


def expected(key: str, locale: str, *, sessions: bool, feedback: bool, digest: bool) -> str:
    """The reply text for these settings, built from the catalog the way a reader sees it."""

    def state(on: bool) -> Text:
        return Text("notifications.on" if on else "notifications.off")

    summary = t(
        "notifications.summary",
        locale,
        sessions=state(sessions),
        feedback=state(feedback),
        digest=state(digest),
    )
    return t(key, locale, summary=summary)


async def test_without_options_it_shows_the_defaults(harness: BotHarness) -> None:
    rec = await harness.slash("notifications", user_id=harness.guild.regular.id)
    text = await ephemeral_text(rec)
    assert text == expected(
        "notifications.current", "en-US", sessions=True, feedback=True, digest=False
    )
    assert text == (
        "Here is what Vouch sends you by DM:\n"
        "Session reminders: on · Feedback updates: on · Weekly digest by DM: off"
    )


async def test_turning_sessions_off_is_stored_and_survives_a_restart(harness: BotHarness) -> None:
    user = harness.guild.regular.id
    rec = await harness.slash(
        "notifications", options={"sessions": "off", "digest": "on"}, user_id=user
    )
    assert await ephemeral_text(rec) == expected(
        "notifications.saved", "en-US", sessions=False, feedback=True, digest=True
    )

    bot = await harness.restart()
    assert await bot.services.preferences.notifications(user) == {
        "sessions": False,
        "feedback": True,
        "digest": True,
    }
    rec = await harness.slash("notifications", user_id=user)
    assert await ephemeral_text(rec) == expected(
        "notifications.current", "en-US", sessions=False, feedback=True, digest=True
    )


async def test_a_french_member_reads_it_in_french(harness: BotHarness) -> None:
    rec = await harness.slash("notifications", options={"feedback": "off"}, locale="fr")
    text = await ephemeral_text(rec)
    assert text == expected(
        "notifications.saved", "fr", sessions=True, feedback=False, digest=False
    )
    assert "Rappels de session : oui" in text
    assert text != expected(
        "notifications.saved", "en-US", sessions=True, feedback=False, digest=False
    )


async def test_it_works_in_a_dm_with_the_bot(emulator: Emulator, harness: BotHarness) -> None:
    user = harness.guild.regular.id
    rec = await emulator.slash(None, user, "notifications", options={"digest": "on"}, locale="da")
    assert await ephemeral_text(rec) == expected(
        "notifications.saved", "da", sessions=True, feedback=True, digest=True
    )
    assert await harness.bot.services.preferences.wants(user, "digest")


async def test_the_privacy_export_includes_the_choices(harness: BotHarness) -> None:
    user = harness.guild.regular.id
    rec = await harness.slash("notifications", options={"sessions": "off"}, user_id=user)
    await ephemeral_text(rec)

    document = await export(harness, user)
    choices = document["data"]["preferences"]["notifications"]
    assert choices == {
        "sessions": {"enabled": False, "updated_at": choices["sessions"]["updated_at"]}
    }
