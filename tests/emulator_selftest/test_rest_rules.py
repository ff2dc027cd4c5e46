"""REST rules surfaced to the real client: hierarchy, closed DMs, 429 retries, invites, limits."""

from __future__ import annotations

import datetime as dt
import io
import json

import discord
import pytest

from tests.emulator import Emulator
from tests.emulator.client import connected_client

from .helpers import EventLog, make_bot


async def test_role_hierarchy_is_forbidden_50013(emulator: Emulator) -> None:
    std = emulator.make_guild()
    async with connected_client(emulator, make_bot()) as bot:
        guild = bot.get_guild(std.id)
        member = guild.get_member(std.regular.id)
        emulator.expect_violation("50013")
        with pytest.raises(discord.Forbidden) as info:
            await member.add_roles(guild.get_role(std.admin_role.id))
        assert info.value.code == 50013
        await member.add_roles(guild.get_role(std.member_role.id))  # below the bot: fine
        role = await guild.create_role(name="Verified")
        await member.add_roles(role)
        update = await emulator.wait_for_call("PUT", rf"/members/{member.id}/roles/{role.id}$")
        assert update.status == 204 and role.id in std.guild.members[member.id].roles


async def test_dm_to_closed_user_is_forbidden_50007(emulator: Emulator) -> None:
    std = emulator.make_guild()
    emulator.set_dms_open(std.regular.id, False)
    async with connected_client(emulator, make_bot()) as bot:
        emulator.expect_violation("50007")
        user = await bot.fetch_user(std.regular.id)
        with pytest.raises(discord.Forbidden) as info:
            await user.send("hello")
        assert info.value.code == 50007
        owner = await bot.fetch_user(std.owner.id)
        await owner.send("hi", file=discord.File(io.BytesIO(b'{"a": 1}'), "export.json"))
        (dm,) = emulator.dms_to(std.owner.id)
        assert dm.content == "hi" and dm.attachments[0].json() == {"a": 1}


async def test_injected_429_is_retried(emulator: Emulator) -> None:
    std = emulator.make_guild()
    async with connected_client(emulator, make_bot()) as bot:
        fault = emulator.inject_fault("POST", r"^/channels/\d+/messages$", 429, retry_after=0.05)
        sent = await bot.get_channel(std.channel.id).send("after a rate limit")
        assert fault.hits == 1 and sent.content == "after a rate limit"
        statuses = [c.status for c in emulator.calls_matching("POST", r"/messages$")]
        assert statuses == [429, 200]


async def test_join_through_single_use_invite(emulator: Emulator) -> None:
    std = emulator.make_guild()
    bot = make_bot()
    log = EventLog(bot, "invite_create", "invite_delete", "member_join")
    async with connected_client(emulator, bot):
        channel = bot.get_channel(std.channel.id)
        single = await channel.create_invite(max_uses=1, unique=True)
        (created,) = await log.next("invite_create")
        assert created.code == single.code
        multi = await emulator.create_invite(std.channel.id, std.owner.id, max_uses=10)
        await log.next("invite_create")
        emulator.expect_violation("Invalid Form Body")
        with pytest.raises(discord.HTTPException) as info:
            await channel.create_invite(max_age=604801)
        assert info.value.code == 50035
        newcomer = emulator.add_user("newcomer", created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        await emulator.member_join(std.id, newcomer, invite_code=multi.code)
        (member,) = await log.next("member_join")
        assert member.created_at.year == 2020
        uses = {i.code: i.uses for i in await bot.get_guild(std.id).invites()}
        assert uses[multi.code] == 1 and uses[single.code] == 0
        await emulator.member_leave(std.id, newcomer.id)
        joined = await emulator.member_join(std.id, newcomer, invite_code=single.code)
        assert joined.flags & 1  # DID_REJOIN
        (member,) = await log.next("member_join")
        (deleted,) = await log.next("invite_delete")
        assert deleted.code == single.code and member.flags.did_rejoin
        assert single.code not in {i.code for i in await bot.get_guild(std.id).invites()}


async def test_message_limits_and_unknown_routes(emulator: Emulator) -> None:
    std = emulator.make_guild()
    async with connected_client(emulator, make_bot()) as bot:
        channel = bot.get_channel(std.channel.id)
        emulator.expect_violation(r"content: Must be 2000")
        with pytest.raises(discord.HTTPException) as info:
            await channel.send("x" * 2001)
        assert info.value.code == 50035
        emulator.expect_unhandled(r"/stickers$")
        with pytest.raises(discord.NotFound):
            await bot.get_guild(std.id).fetch_stickers()
        assert emulator.unhandled[0].path.endswith("/stickers")


async def test_scheduled_events_and_rsvps(emulator: Emulator) -> None:
    std = emulator.make_guild()
    bot = make_bot()
    log = EventLog(bot, "scheduled_event_user_add")
    async with connected_client(emulator, bot):
        guild = bot.get_guild(std.id)
        start = discord.utils.utcnow() + dt.timedelta(days=1)
        event = await guild.create_scheduled_event(
            name="Meetup",
            start_time=start,
            end_time=start + dt.timedelta(hours=2),
            entity_type=discord.EntityType.external,
            location="Café",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        await emulator.event_subscribe(std.id, event.id, std.regular.id)
        ev, user = await log.next("scheduled_event_user_add")
        assert ev.id == event.id and user.id == std.regular.id
        users = [u async for u in event.users()]
        assert [u.id for u in users] == [std.regular.id]
        started = await event.start()
        assert started.status is discord.EventStatus.active
        body = emulator.calls_matching("POST", "/scheduled-events$")[0].json
        assert json.dumps(body["entity_metadata"]) == '{"location": "Caf\\u00e9"}'
