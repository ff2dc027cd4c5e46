"""/setup auto: roles and channels with the right overwrites, named in the guild's language."""

from __future__ import annotations

import pytest

from bot.i18n import Text, t
from bot.services.guild_config import CHANNEL_PURPOSES, ROLE_PURPOSES
from tests.emulator import Emulator, P
from tests.emulator.state import CATEGORY, TEXT, Channel, Overwrite
from tests.harness import BotHarness

from .conftest import CustomHarness, HarnessFactory
from .helpers import ephemeral_text


def overwrite_for(channel: Channel, target_id: int) -> Overwrite | None:
    """The channel's overwrite for a role or member, if any."""
    return next((o for o in channel.overwrites if o.id == target_id), None)


async def run_auto(h: BotHarness, locale: str = "en-US") -> str:
    rec = await h.slash("setup", "auto", locale=locale)
    ack = await rec.wait_ack()
    assert ack.type == 5 and ack.ephemeral  # deferred: creating 11 things takes a while
    return await ephemeral_text(rec)


async def test_creates_roles_and_channels_newcomers_see_only_welcome(
    emulator: Emulator, harness: BotHarness
) -> None:
    guild = harness.guild.guild
    text = await run_auto(harness)

    config = await harness.bot.services.config.get(guild.id)
    assert set(config.roles) == set(ROLE_PURPOSES)
    assert set(config.channels) == set(CHANNEL_PURPOSES)
    for purpose, role_id in config.roles.items():
        role = guild.roles[role_id]
        assert role.name == t(f"role.{purpose}", "en-US")
        assert role.permissions == 0
        assert f"<@&{role_id}>" in text
    for purpose, channel_id in config.channels.items():
        channel = emulator.state.channels[channel_id]
        assert channel.guild_id == guild.id
        assert channel.name == t(f"channel.{purpose}", "en-US")
        assert f"<#{channel_id}>" in text
    failure_prefix = t("setup.auto.failed", "en-US", what="\0", permission="").split("\0")[0]
    assert failure_prefix not in text

    # A member holding only the Newcomer role sees the welcome channel and nothing else.
    newcomer = emulator.add_user("newbie")
    emulator.state.add_member(guild, newcomer.id, [config.roles["newcomer"]])
    welcome = config.channels["welcome"]
    for channel in emulator.state.guild_channels(guild):
        sees = bool(emulator.state.channel_permissions(channel, newcomer.id) & P.VIEW_CHANNEL)
        assert sees == (channel.id == welcome), f"newcomer and #{channel.name}: sees={sees}"
        if channel.id != welcome and channel.parent_id is None:
            ow = overwrite_for(channel, config.roles["newcomer"])
            assert ow is not None and ow.deny & P.VIEW_CHANNEL, channel.name

    # Leaders and log are closed to @everyone, open to the roles that run the community.
    regular = harness.guild.regular.id
    for purpose in ("leaders", "log"):
        channel = emulator.state.channels[config.channels[purpose]]
        everyone = overwrite_for(channel, guild.id)
        assert everyone is not None and everyone.deny & P.VIEW_CHANNEL
        assert not emulator.state.channel_permissions(channel, regular) & P.VIEW_CHANNEL
        founder = overwrite_for(channel, config.roles["founder"])
        assert founder is not None and founder.allow & P.VIEW_CHANNEL
    leaders = emulator.state.channels[config.channels["leaders"]]
    assert overwrite_for(leaders, config.roles["leader"]) is not None
    log = emulator.state.channels[config.channels["log"]]
    assert overwrite_for(log, config.roles["leader"]) is None
    # Ordinary members still read the open channels.
    intro = emulator.state.channels[config.channels["introductions"]]
    assert emulator.state.channel_permissions(intro, regular) & P.VIEW_CHANNEL


async def test_second_run_has_nothing_to_create(emulator: Emulator, harness: BotHarness) -> None:
    await run_auto(harness)
    roles_before = len(harness.guild.guild.roles)
    channels_before = len(harness.guild.guild.channel_ids)
    mark = emulator.mark()

    assert await run_auto(harness, locale="fr") == t("setup.auto.nothing", "fr")
    assert len(harness.guild.guild.roles) == roles_before
    assert len(harness.guild.guild.channel_ids) == channels_before
    changes = [
        c
        for c in emulator.calls[mark:]
        if c.method in ("POST", "PUT", "PATCH", "DELETE")
        and c.path.startswith(("/guilds/", "/channels/"))
    ]
    assert changes == []


@pytest.mark.parametrize(
    ("missing", "permission"),
    [(P.MANAGE_ROLES, "manage_roles"), (P.MANAGE_CHANNELS, "manage_channels")],
    ids=["no-manage-roles", "no-manage-channels"],
)
async def test_missing_permission_is_named_for_each_thing_not_created(
    emulator: Emulator, make_harness: HarnessFactory, missing: int, permission: str
) -> None:
    h = await make_harness(bot_permissions=P.BOT_DEFAULT & ~missing)
    text = await run_auto(h, locale="fr")

    config = await h.bot.services.config.get(h.guild.id)
    if missing == P.MANAGE_ROLES:
        refused = [t(f"role.{p}", "en-US") for p in ROLE_PURPOSES]
        assert dict(config.roles) == {}
        assert set(config.channels) == set(CHANNEL_PURPOSES)
    else:
        refused = [f"#{t(f'channel.{p}', 'en-US')}" for p in CHANNEL_PURPOSES]
        assert dict(config.channels) == {}
        assert set(config.roles) == set(ROLE_PURPOSES)
    for what in refused:
        line = t("setup.auto.failed", "fr", what=what, permission=Text(f"permission.{permission}"))
        assert line in text.splitlines(), (line, text)
    # The bot checked its own permissions instead of collecting 403s from Discord.
    forbidden_route = (
        r"^/guilds/\d+/roles$" if missing == P.MANAGE_ROLES else r"^/guilds/\d+/channels$"
    )
    assert emulator.calls_matching("POST", forbidden_route) == []


async def test_names_follow_the_guild_language(
    emulator: Emulator, make_harness: HarnessFactory
) -> None:
    h = await make_harness(locale="fr")
    text = await run_auto(h, locale="en-US")  # the invoker reads English; the guild is French

    config = await h.bot.services.config.get(h.guild.id)
    guild = h.guild.guild
    role_names = {p: guild.roles[r].name for p, r in config.roles.items()}
    channel_names = {p: emulator.state.channels[c].name for p, c in config.channels.items()}
    assert role_names == {p: t(f"role.{p}", "fr") for p in ROLE_PURPOSES}
    assert channel_names == {p: t(f"channel.{p}", "fr") for p in CHANNEL_PURPOSES}
    assert role_names["newcomer"] != t("role.newcomer", "en-US")
    roles_line = t(
        "setup.auto.roles",
        "en-US",
        roles=", ".join(f"<@&{config.roles[p]}>" for p in ROLE_PURPOSES),
    )
    assert roles_line in text.splitlines()


def visible_to_newcomer(emulator: Emulator, h: BotHarness, newcomer_role: int) -> set[str]:
    """Names of the guild's text channels a member holding only the Newcomer role can see."""
    guild = h.guild.guild
    newbie = emulator.add_user()
    emulator.state.add_member(guild, newbie.id, [newcomer_role])
    return {
        str(c.name)
        for c in emulator.state.guild_channels(guild)
        if c.type == TEXT and emulator.state.channel_permissions(c, newbie.id) & P.VIEW_CHANNEL
    }


async def test_channel_in_a_category_is_hidden_whatever_the_listing_order(
    emulator: Emulator, make_harness: HarnessFactory
) -> None:
    def lounge_listed_after_its_channel(h: CustomHarness) -> None:
        guild = h.guild.guild
        lounge = emulator.state.add_channel(guild, "Lounge", CATEGORY)
        chat = emulator.state.add_channel(guild, "chat", TEXT, parent_id=lounge.id)
        # GUILD_CREATE lists channels in no particular order; here the child comes first.
        guild.channel_ids.remove(lounge.id)
        guild.channel_ids.insert(guild.channel_ids.index(chat.id) + 1, lounge.id)

    h = await make_harness(before_start=lounge_listed_after_its_channel)
    await run_auto(h)

    config = await h.bot.services.config.get(h.guild.id)
    visible = visible_to_newcomer(emulator, h, config.roles["newcomer"])
    assert visible == {t("channel.welcome", "en-US")}


async def test_auto_setup_does_not_depend_on_gateway_timing(
    emulator: Emulator, harness: BotHarness
) -> None:
    rec = await harness.slash("setup", "auto")
    await rec.wait_ack()
    emulator.hold_events()  # Discord may answer REST before the gateway event arrives
    text = (await rec.wait_followup()).text()
    await emulator.reconnect("reconnect")  # deliver what was held

    config = await harness.bot.services.config.get(harness.guild.id)
    assert set(config.roles) == set(ROLE_PURPOSES), text
    visible = visible_to_newcomer(emulator, harness, config.roles["newcomer"])
    assert visible == {t("channel.welcome", "en-US")}
    leaders = emulator.state.channels[config.channels["leaders"]]
    assert overwrite_for(leaders, config.roles["leader"]) is not None
