"""Guild configuration, the purpose-role rule and the setup plan, without Discord."""

from __future__ import annotations

import pytest

from bot.errors import DomainError
from bot.services import Services
from bot.services.guild_config import GuildConfig, validate_timezone
from bot.services.roles import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    MANAGE_GUILD,
    RoleFacts,
    check_purpose_role,
)
from bot.services.setup_plan import plan_setup


async def test_defaults_before_anything_is_set(services: Services) -> None:
    config = await services.config.get(1)
    assert config == GuildConfig(guild_id=1)


async def test_channels_and_roles_are_scoped_per_guild(services: Services) -> None:
    await services.config.set_channel(1, "welcome", 100)
    await services.config.set_role(1, "member", 200)
    await services.config.set_channel(2, "welcome", 300)
    one, two = await services.config.get(1), await services.config.get(2)
    assert dict(one.channels) == {"welcome": 100}
    assert dict(one.roles) == {"member": 200}
    assert dict(two.channels) == {"welcome": 300}
    assert dict(two.roles) == {}


async def test_setting_a_purpose_again_replaces_it(services: Services) -> None:
    await services.config.set_channel(1, "log", 100)
    await services.config.set_channel(1, "log", 101)
    assert (await services.config.get(1)).channels["log"] == 101


async def test_unknown_purpose_is_refused(services: Services) -> None:
    with pytest.raises(DomainError) as caught:
        await services.config.set_channel(1, "memes", 100)
    assert caught.value.key == "setup.purpose.unknown"
    with pytest.raises(DomainError):
        await services.config.set_role(1, "admin", 100)
    assert await services.config.get(1) == GuildConfig(guild_id=1)


async def test_language_and_timezone(services: Services) -> None:
    assert await services.config.set_language(1, "pt_BR") == "pt-BR"
    assert await services.config.set_timezone(1, " Europe/Copenhagen ") == "Europe/Copenhagen"
    config = await services.config.get(1)
    assert (config.locale, config.timezone) == ("pt-BR", "Europe/Copenhagen")


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../../etc/passwd", "europe/paris", "X" * 300]
)
async def test_invalid_timezone_changes_nothing(services: Services, name: str) -> None:
    await services.config.set_timezone(1, "Europe/Paris")
    with pytest.raises(DomainError) as caught:
        await services.config.set_timezone(1, name)
    assert caught.value.key == "setup.timezone.invalid"
    assert len(str(caught.value.params["value"])) <= 64
    assert (await services.config.get(1)).timezone == "Europe/Paris"


def test_validate_timezone_accepts_utc() -> None:
    assert validate_timezone("UTC") == "UTC"


async def test_unsupported_language_is_refused(services: Services) -> None:
    with pytest.raises(DomainError) as caught:
        await services.config.set_language(1, "klingon")
    assert caught.value.key == "language.unsupported"


async def test_deleted_channel_and_role_are_forgotten(services: Services) -> None:
    await services.config.set_channel(1, "welcome", 100)
    await services.config.set_channel(1, "log", 100)
    await services.config.set_role(1, "member", 200)
    await services.config.forget_channel(1, 100)
    await services.config.forget_role(1, 200)
    config = await services.config.get(1)
    assert dict(config.channels) == {}
    assert dict(config.roles) == {}


def role(**overrides: object) -> RoleFacts:
    values: dict[str, object] = {
        "role_id": 5,
        "name": "Member",
        "position": 3,
        "permissions": 0,
        "is_default": False,
        "managed": False,
    }
    values.update(overrides)
    return RoleFacts(**values)  # type: ignore[arg-type]


def refusal(facts: RoleFacts, *, bot: int = 10, invoker: int = 10, owner: bool = False) -> str:
    with pytest.raises(DomainError) as caught:
        check_purpose_role(
            facts, bot_top_position=bot, invoker_top_position=invoker, invoker_is_owner=owner
        )
    return caught.value.key


def test_safe_role_below_both_is_accepted() -> None:
    check_purpose_role(role(), bot_top_position=10, invoker_top_position=10, invoker_is_owner=False)


def test_role_refusals() -> None:
    assert refusal(role(is_default=True, position=0)) == "setup.role.everyone"
    assert refusal(role(managed=True)) == "setup.role.managed"
    for bit in (ADMINISTRATOR, MANAGE_GUILD, BAN_MEMBERS):
        assert refusal(role(permissions=bit)) == "setup.role.dangerous"
    assert refusal(role(position=10)) == "setup.role.above_bot"
    assert refusal(role(position=11), owner=True) == "setup.role.above_bot"
    assert refusal(role(position=5), invoker=5) == "setup.role.above_you"


def test_owner_may_use_roles_above_their_own_top_role() -> None:
    check_purpose_role(
        role(position=5), bot_top_position=10, invoker_top_position=1, invoker_is_owner=True
    )


def test_plan_lists_unset_and_stale_purposes() -> None:
    config = GuildConfig(guild_id=1, channels={"welcome": 10, "log": 99}, roles={"member": 20})
    plan = plan_setup(config, existing_role_ids={20}, existing_channel_ids={10})
    assert plan.missing_roles == ("newcomer", "leader", "founder", "moderator")
    assert plan.missing_channels == ("introductions", "announcements", "feedback", "leaders", "log")
    assert not plan.complete


async def test_cached_config_follows_every_write(services: Services) -> None:
    first = await services.config.get(1)
    assert await services.config.get(1) is first  # served from memory
    await services.config.set_channel(1, "welcome", 100)
    await services.config.set_role(1, "member", 200)
    await services.config.set_timezone(1, "Europe/Paris")
    after = await services.config.get(1)
    assert (dict(after.channels), dict(after.roles), after.timezone) == (
        {"welcome": 100},
        {"member": 200},
        "Europe/Paris",
    )
    await services.config.forget_role(1, 200)
    await services.config.forget_channel(1, 100)
    assert await services.config.get(1) == GuildConfig(guild_id=1, timezone="Europe/Paris")


async def test_a_read_racing_a_write_is_not_cached_stale(services: Services) -> None:
    import asyncio

    reader = asyncio.create_task(services.config.get(1))
    await asyncio.sleep(0)  # the reader has started its queries
    await services.config.set_channel(1, "log", 5)
    await reader
    assert (await services.config.get(1)).channels == {"log": 5}
