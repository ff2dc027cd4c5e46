"""Login, READY/GUILD_CREATE, member chunking, RESUME and fresh IDENTIFY."""

from __future__ import annotations

import aiohttp
import discord

from tests.emulator import Emulator
from tests.emulator.client import connected_client

from .helpers import EventLog, make_bot


async def test_login_ready_populates_cache_with_chunked_members(emulator: Emulator) -> None:
    std = emulator.make_guild("Big", locale="fr")
    emulator.populate_members(std.id, 2500)
    async with connected_client(emulator, make_bot()) as bot:
        await emulator.wait_bot_ready()
        guild = bot.get_guild(std.id)
        assert guild is not None and guild.name == "Big"
        assert guild.preferred_locale is discord.Locale.french
        assert guild.member_count == 2503 and len(guild.members) == 2503
        assert guild.chunked
        assert {c.name for c in guild.channels} == {"Text Channels", "general"}
        assert guild.me.top_role.name == "Vouch" and guild.me.top_role.is_bot_managed()
        assert guild.get_member(std.owner.id).guild_permissions.administrator
        assert guild.system_channel is not None and guild.system_channel.name == "general"
        chunks = [
            f
            for s in emulator.gateway.sessions.values()
            for f in s.log
            if f["t"] == "GUILD_MEMBERS_CHUNK"
        ]
        assert [c["d"]["chunk_index"] for c in chunks] == [0, 1, 2]
        assert all(c["d"]["chunk_count"] == 3 and c["d"]["nonce"] for c in chunks)
    assert emulator.calls_matching("GET", r"^/oauth2/applications/@me$")


async def test_small_guild_needs_no_chunk_request(emulator: Emulator) -> None:
    std = emulator.make_guild()
    async with connected_client(emulator, make_bot()) as bot:
        await emulator.wait_bot_ready()
        assert len(bot.get_guild(std.id).members) == 3


async def test_reconnect_resumes_and_replays_missed_events(emulator: Emulator) -> None:
    std = emulator.make_guild()
    bot = make_bot()
    log = EventLog(bot, "member_join", "resumed")
    async with connected_client(emulator, bot):
        emulator.hold_events()
        newcomer = emulator.add_user("late")
        await emulator.member_join(std.id, newcomer)
        assert bot.get_guild(std.id).get_member(newcomer.id) is None
        await emulator.reconnect()
        await log.next("resumed")
        (member,) = await log.next("member_join")
        assert member.id == newcomer.id
        assert emulator.gateway.resume_count == 1 and emulator.gateway.identify_count == 1


async def test_close_then_resume_and_invalid_session_reidentifies(emulator: Emulator) -> None:
    std = emulator.make_guild()
    bot = make_bot()
    log = EventLog(bot, "resumed", "ready")
    async with connected_client(emulator, bot):
        await log.next("ready")
        await emulator.reconnect("close")
        await log.next("resumed")
        await emulator.reconnect("invalidate")
        await log.next("ready")
        assert emulator.gateway.identify_count == 2
        assert bot.get_guild(std.id) is not None


async def test_wire_details_and_violation_bookkeeping(emulator: Emulator) -> None:
    emulator.make_guild()
    async with connected_client(emulator, make_bot()):
        assert emulator.gateway.compressions == ["zlib-stream"]
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emulator.base_url}/users/@me", headers=headers) as resp:
            assert resp.headers["Content-Type"] == "application/json"
        async with session.get(f"{emulator.base_url}/users/@me") as resp:
            assert resp.status == 401
    emulator.violation("something odd")
    assert emulator.unexpected_violations() == ["something odd"]
    emulator.expect_violation("odd")
    assert emulator.unexpected_violations() == []
