"""/setup show, channel, role, language, timezone: success, refusals, and who may use it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import Text, t
from tests.emulator import P, Role, User
from tests.harness import BotHarness

from .conftest import CustomHarness, HarnessFactory
from .helpers import embed_fields, ephemeral_text, reply


async def test_show_in_english_then_in_french(harness: BotHarness) -> None:
    rec = await harness.slash("setup", "show")
    msg = await reply(rec)
    assert msg.ephemeral
    assert msg.embeds[0]["title"] == t("setup.show.title", "en-US", guild="Vouch Test")
    fields = embed_fields(msg)
    language = t("setup.show.language_default", "en-US", language="English")
    assert fields[t("setup.show.language", "en-US")] == language
    assert fields[t("setup.show.timezone", "en-US")] == "UTC"
    channels = fields[t("setup.show.channels", "en-US")]
    assert f"**{t('purpose.welcome', 'en-US')}**: {t('setup.show.not_set', 'en-US')}" in channels

    # The same command in French: the whole embed comes from the French catalog.
    msg = await reply(await harness.slash("setup", "show", locale="fr"))
    assert msg.ephemeral
    assert msg.embeds[0]["title"] == t("setup.show.title", "fr", guild="Vouch Test")
    assert msg.embeds[0]["title"] != t("setup.show.title", "en-US", guild="Vouch Test")
    fields = embed_fields(msg)
    assert set(fields) == {
        t(f"setup.show.{key}", "fr") for key in ("language", "timezone", "channels", "roles")
    }
    language = t("setup.show.language_default", "fr", language="English")
    assert fields[t("setup.show.language", "fr")] == language
    roles = fields[t("setup.show.roles", "fr")]
    assert f"**{t('purpose.newcomer', 'fr')}**: {t('setup.show.not_set', 'fr')}" in roles


async def test_channel_is_saved_and_shown(harness: BotHarness) -> None:
    general = harness.guild.channel
    rec = await harness.slash(
        "setup", "channel", {"purpose": "welcome", "channel": general.id}, locale="fr"
    )
    assert await ephemeral_text(rec) == t(
        "setup.channel.saved", "fr", purpose=t("purpose.welcome", "fr"), channel=f"<#{general.id}>"
    )
    config = await harness.bot.services.config.get(harness.guild.id)
    assert dict(config.channels) == {"welcome": general.id}

    shown = embed_fields(await reply(await harness.slash("setup", "show")))
    channels = shown[t("setup.show.channels", "en-US")]
    assert f"**{t('purpose.welcome', 'en-US')}**: <#{general.id}>" in channels


@dataclass
class RoleFixture:
    """Roles and a non-owner manager added to the standard guild before the bot starts."""

    low: Role
    admin: Role
    manage_server: Role
    ban: Role
    above_bot: Role
    manager_role: Role
    manager: User


async def start_with_roles(make_harness: HarnessFactory) -> tuple[CustomHarness, RoleFixture]:
    """Roles (low to high): @everyone, Low, Manager, 3 dangerous, Member, bot, AboveBot, Admin."""
    holder: list[RoleFixture] = []

    def shape(h: CustomHarness) -> None:
        emu, guild = h.emu, h.guild.guild
        low = emu.state.add_role(guild, "Low", 0, position=1)
        manager_role = emu.state.add_role(guild, "Manager", P.MANAGE_GUILD, position=2)
        admin = emu.state.add_role(guild, "Admins2", P.ADMINISTRATOR, position=3)
        manage_server = emu.state.add_role(
            guild, "Mods", P.MANAGE_GUILD | P.MANAGE_ROLES, position=3
        )
        ban = emu.state.add_role(guild, "Bouncers", P.BAN_MEMBERS, position=3)
        assert h.guild.bot_role is not None
        above_bot = emu.state.add_role(guild, "AboveBot", 0, position=h.guild.bot_role.position + 1)
        manager = emu.add_user("manager", global_name="Manager")
        emu.state.add_member(guild, manager.id, [manager_role.id])
        holder.append(RoleFixture(low, admin, manage_server, ban, above_bot, manager_role, manager))

    h = await make_harness(before_start=shape)
    return h, holder[0]


async def test_role_saved_by_owner_and_by_a_manager(make_harness: HarnessFactory) -> None:
    h, roles = await start_with_roles(make_harness)
    assert roles.low.position < roles.manager_role.position

    rec = await h.slash("setup", "role", {"purpose": "newcomer", "role": roles.low.id})
    assert await ephemeral_text(rec) == t(
        "setup.role.saved",
        "en-US",
        purpose=t("purpose.newcomer", "en-US"),
        role=f"<@&{roles.low.id}>",
    )
    rec = await h.slash(
        "setup",
        "role",
        {"purpose": "member", "role": roles.low.id},
        user_id=roles.manager.id,
        locale="da",
    )
    assert await ephemeral_text(rec) == t(
        "setup.role.saved", "da", purpose=t("purpose.member", "da"), role=f"<@&{roles.low.id}>"
    )
    config = await h.bot.services.config.get(h.guild.id)
    assert dict(config.roles) == {"newcomer": roles.low.id, "member": roles.low.id}


async def test_unsafe_roles_are_refused_and_nothing_is_stored(
    make_harness: HarnessFactory,
) -> None:
    h, roles = await start_with_roles(make_harness)
    std = h.guild
    assert std.bot_role is not None
    assert roles.manager_role.position < std.member_role.position < std.bot_role.position
    assert roles.above_bot.position > std.bot_role.position
    # (role, invoker, locale, key, params)
    cases: list[tuple[Role, int, str, str, dict[str, object]]] = [
        (std.guild.roles[std.id], std.owner.id, "fr", "setup.role.everyone", {}),
        (std.bot_role, std.owner.id, "en-US", "setup.role.managed", {"role": "Vouch"}),
        (
            roles.admin,
            std.owner.id,
            "fr",
            "setup.role.dangerous",
            {"role": "Admins2", "permissions": Text("permission.administrator")},
        ),
        (
            roles.manage_server,
            std.owner.id,
            "pt-BR",
            "setup.role.dangerous",
            {
                "role": "Mods",
                "permissions": (Text("permission.manage_guild"), Text("permission.manage_roles")),
            },
        ),
        (
            roles.ban,
            std.owner.id,
            "da",
            "setup.role.dangerous",
            {"role": "Bouncers", "permissions": Text("permission.ban_members")},
        ),
        (roles.above_bot, std.owner.id, "fr", "setup.role.above_bot", {"role": "AboveBot"}),
        (
            std.member_role,
            roles.manager.id,
            "fr",
            "setup.role.above_you",
            {"role": "Member"},
        ),
    ]
    for role, invoker, locale, key, params in cases:
        rec = await h.slash(
            "setup", "role", {"purpose": "member", "role": role.id}, user_id=invoker, locale=locale
        )
        assert await ephemeral_text(rec) == t(key, locale, **params), (role.name, key)
    config = await h.bot.services.config.get(h.guild.id)
    assert dict(config.roles) == {}


async def test_non_manager_is_refused_and_nothing_changes(harness: BotHarness) -> None:
    regular = harness.guild.regular.id
    general = harness.guild.channel.id
    attempts = [
        ("show", None),
        ("channel", {"purpose": "welcome", "channel": general}),
        ("role", {"purpose": "member", "role": harness.guild.member_role.id}),
        ("timezone", {"timezone": "Europe/Paris"}),
        ("language", {"language": "fr"}),
        ("auto", None),
    ]
    for subcommand, options in attempts:
        rec = await harness.slash("setup", subcommand, options, user_id=regular, locale="fr")
        assert await ephemeral_text(rec) == t("errors.manage_guild_required", "fr"), subcommand
    config = await harness.bot.services.config.get(harness.guild.id)
    assert (config.locale, config.timezone, dict(config.channels), dict(config.roles)) == (
        None,
        "UTC",
        {},
        {},
    )
    assert not harness.emu.calls_matching("POST", r"^/guilds/\d+/(roles|channels)$")


async def test_timezone_valid_then_invalid_in_french(harness: BotHarness) -> None:
    rec = await harness.slash("setup", "timezone", {"timezone": "Europe/Paris"}, locale="fr")
    assert await ephemeral_text(rec) == t("setup.timezone.saved", "fr", timezone="Europe/Paris")

    rec = await harness.slash("setup", "timezone", {"timezone": "Mars/Olympus"}, locale="fr")
    assert await ephemeral_text(rec) == t("setup.timezone.invalid", "fr", value="Mars/Olympus")
    config = await harness.bot.services.config.get(harness.guild.id)
    assert config.timezone == "Europe/Paris"


async def test_language_fr_then_show_in_english_says_francais(harness: BotHarness) -> None:
    rec = await harness.slash("setup", "language", {"language": "fr"})
    assert await ephemeral_text(rec) == t("setup.language.saved", "en-US", language="Français")
    assert (await harness.bot.services.config.get(harness.guild.id)).locale == "fr"

    fields = embed_fields(await reply(await harness.slash("setup", "show")))
    assert fields[t("setup.show.language", "en-US")] == "Français"
