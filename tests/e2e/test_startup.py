"""Startup: login through DISCORD_API_BASE_URL, localized command sync, no re-sync on restart."""

from __future__ import annotations

from typing import Any

from bot.i18n import catalog, t
from tests.emulator import Emulator, Intents
from tests.harness import BotHarness

from .helpers import reply

COMMANDS = {
    "setup",
    "privacy",
    "language",
    "introduce",
    "introductions",
    "session",
    "notifications",
    "waitlist",
    "members",
    "referral",
    "poll",
    "survey",
    "feedback",
    "leaders",
    "circles",
    "circle",
    "health",
    "digest",
}
TRANSLATED = ("fr", "pt-BR", "da")
SYNC = r"^/applications/\d+/commands$"


def walk(commands: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every command and subcommand, with a dotted key path (setup.show ...)."""
    found: list[tuple[str, dict[str, Any]]] = []

    def visit(prefix: str, item: dict[str, Any]) -> None:
        key = f"{prefix}.{item['name']}" if prefix else item["name"]
        found.append((key, item))
        for option in item.get("options") or []:
            if option["type"] in (1, 2):
                visit(key, option)

    for command in commands:
        visit("", command)
    return found


async def test_logs_in_through_the_configured_api_and_gateway(
    emulator: Emulator, harness: BotHarness
) -> None:
    assert emulator.calls_matching("GET", r"^/gateway/bot$"), "gateway not discovered"
    assert emulator.calls_matching("GET", r"^/oauth2/applications/@me$")
    assert emulator.gateway.identify_count == 1
    assert emulator.bot_has_intent(Intents.GUILD_MEMBERS)
    assert not emulator.bot_has_intent(Intents.MESSAGE_CONTENT)
    assert harness.bot.get_guild(harness.guild.id) is not None


async def test_synced_commands_are_localized_in_every_language(
    emulator: Emulator, harness: BotHarness
) -> None:
    synced = emulator.synced_commands()
    assert {c["name"] for c in synced} == COMMANDS
    for key, command in walk(synced):
        names = command.get("name_localizations") or {}
        descriptions = command.get("description_localizations") or {}
        for locale in TRANSLATED:
            assert names.get(locale) == t(f"cmd.{key}.name", locale), (key, locale)
            assert descriptions.get(locale) == t(f"cmd.{key}.desc", locale), (key, locale)
    # Names differ by language somewhere, so the translator really ran.
    setup = next(c for c in synced if c["name"] == "setup")
    assert setup["name_localizations"]["fr"] != "setup"

    # Options and choices too.
    keys = set(catalog("en-US").messages)
    checked = 0
    for key, command in walk(synced):
        for option in command.get("options") or []:
            if option["type"] in (1, 2):
                continue
            opt = f"opt.{key}.{option['name']}"
            for locale in TRANSLATED:
                assert option["name_localizations"][locale] == t(f"{opt}.name", locale)
                assert option["description_localizations"][locale] == t(f"{opt}.desc", locale)
                checked += 1
            for choice in option.get("choices") or []:
                choice_key = "choice." + choice["name"].lower().replace(" ", "_")
                if choice_key not in keys:
                    continue  # language names are written in their own language
                for locale in TRANSLATED:
                    expected = t(choice_key, locale)
                    assert choice["name_localizations"][locale] == expected
    assert checked >= 3 * 7  # setup channel/role/language/timezone options, /language


async def test_restart_does_not_sync_commands_again(
    emulator: Emulator, harness: BotHarness
) -> None:
    assert len(emulator.calls_matching("PUT", SYNC)) == 1
    creates = emulator.command_creates()
    mark = emulator.mark()

    await harness.restart()

    assert emulator.gateway.identify_count == 2
    assert [c for c in emulator.calls[mark:] if c.matches("PUT", SYNC)] == []
    assert [c for c in emulator.calls[mark:] if c.matches("POST", SYNC)] == []
    assert emulator.command_creates() == creates
    rec = await harness.slash("setup", "show")
    assert (await reply(rec)).embeds

    # A changed command set (here: a stale stored hash) is synced once on the next start.
    key = f"commands:{emulator.application_id}:global"
    await harness.bot.services.meta.put(key, "stale")
    mark = emulator.mark()
    await harness.restart()
    assert len([c for c in emulator.calls[mark:] if c.matches("PUT", SYNC)]) == 1
    assert await harness.bot.services.meta.get(key) not in (None, "stale")


async def test_an_unchanged_command_set_is_not_synced_again(
    emulator: Emulator, harness: BotHarness
) -> None:
    synced = len(emulator.calls_matching("PUT", r"/commands$"))
    assert synced == 1
    await harness.restart()
    assert len(emulator.calls_matching("PUT", r"/commands$")) == synced  # same commands, same texts
