"""Voice states, threads (from a message, without one, forum posts) and event status changes
as a plain discord.py client sees them."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from tests.emulator import ANNOUNCEMENT, FORUM, VOICE, DiscordError, Emulator, Intents
from tests.emulator.client import connected_client

from .helpers import EventLog, make_bot


async def test_voice_states_in_guild_create_and_updates(emulator: Emulator) -> None:
    std = emulator.make_guild()
    lounge = emulator.state.add_channel(std.guild, "Lounge", VOICE)
    stage = await emulator.create_stage_channel(std.id, "Town Hall")
    await emulator.join_voice(std.id, std.owner.id, lounge.id, self_mute=True)
    bot = make_bot()
    log = EventLog(bot, "voice_state_update")
    async with connected_client(emulator, bot):
        guild = bot.get_guild(std.id)
        assert isinstance(guild.get_channel(stage.id), discord.StageChannel)
        owner = guild.get_member(std.owner.id)
        assert owner.voice is not None and owner.voice.channel.id == lounge.id
        assert owner.voice.self_mute and not owner.voice.suppress
        create = next(
            f["d"]
            for s in emulator.gateway.sessions.values()
            for f in s.log
            if f["t"] == "GUILD_CREATE"
        )
        assert "guild_id" not in create["voice_states"][0]
        assert "member" not in create["voice_states"][0]

        await emulator.join_voice(std.id, std.regular.id, lounge.id)
        member, before, after = await log.next("voice_state_update")
        assert member.id == std.regular.id and before.channel is None
        assert after.channel.id == lounge.id and member.voice.channel.id == lounge.id
        session = emulator.state.guilds[std.id].voice_states[std.regular.id].session_id

        await emulator.join_voice(std.id, std.regular.id, stage.id)  # move
        member, before, after = await log.next("voice_state_update")
        assert before.channel.id == lounge.id and after.channel.id == stage.id
        assert after.suppress and isinstance(member.voice.channel, discord.StageChannel)
        assert emulator.state.guilds[std.id].voice_states[std.regular.id].session_id == session

        await emulator.leave_voice(std.id, std.regular.id)
        member, before, after = await log.next("voice_state_update")
        assert after.channel is None and member.voice is None
        assert emulator.voice_channel_of(std.id, std.regular.id) is None
        frame = next(
            f["d"]
            for s in emulator.gateway.sessions.values()
            for f in reversed(s.log)
            if f["t"] == "VOICE_STATE_UPDATE"
        )
        assert frame["channel_id"] is None and frame["member"]["user"]["id"] == str(member.id)
        assert set(frame) >= {"guild_id", "session_id", "deaf", "self_video", "suppress"}

        with pytest.raises(ValueError, match="not voice"):
            await emulator.join_voice(std.id, std.regular.id, std.channel.id)
        await emulator.member_leave(std.id, std.owner.id)  # disconnects first
        member, _, after = await log.next("voice_state_update")
        assert member.id == std.owner.id and after.channel is None


async def test_voice_updates_need_the_voice_states_intent(emulator: Emulator) -> None:
    std = emulator.make_guild()
    lounge = emulator.state.add_channel(std.guild, "Lounge", VOICE)
    await emulator.join_voice(std.id, std.owner.id, lounge.id)
    intents = discord.Intents.default()
    intents.voice_states = False
    bot = discord.Client(intents=intents, guild_ready_timeout=0.05)
    async with connected_client(emulator, bot):
        assert not emulator.bot_has_intent(Intents.GUILD_VOICE_STATES)
        await emulator.join_voice(std.id, std.regular.id, lounge.id)
        frames = [f for s in emulator.gateway.sessions.values() for f in s.log]
        assert "VOICE_STATE_UPDATE" not in [f["t"] for f in frames]
        create = next(f["d"] for f in frames if f["t"] == "GUILD_CREATE")
        assert create["voice_states"] == []
        assert emulator.state.guilds[std.id].voice_states.keys() == {std.owner.id, std.regular.id}


async def test_thread_from_announcement_message(emulator: Emulator) -> None:
    std = emulator.make_guild()
    news = emulator.state.add_channel(std.guild, "announcements", ANNOUNCEMENT)
    bot = make_bot()
    log = EventLog(bot, "thread_create", "thread_member_join")
    async with connected_client(emulator, bot):
        channel = bot.get_channel(news.id)
        assert isinstance(channel, discord.TextChannel) and channel.is_news()
        post = await channel.send("Ask your questions below")
        thread = await post.create_thread(name="Questions", auto_archive_duration=1440)
        (created,) = await log.next("thread_create")
        assert created.id == thread.id == post.id
        assert thread.type is discord.ChannelType.news_thread and thread.parent_id == news.id
        assert bot.get_guild(std.id).get_thread(thread.id) is created
        assert created in bot.get_guild(std.id).threads and created.owner_id == bot.user.id
        assert created.me is not None

        recorded = await emulator.wait_for_thread(news.id)
        assert recorded.id == post.id and recorded.name == "Questions"
        assert emulator.threads_in(news.id) == [recorded]
        assert emulator.state.messages[post.id].flags & 32  # HAS_THREAD

        await thread.send("First question?")
        assert recorded.thread is not None and recorded.thread.message_count == 1
        assert [m.content for m in emulator.thread_messages(thread.id)] == ["First question?"]
        await emulator.user_message(thread.id, std.regular.id, "Mine!")
        (joined,) = await log.next("thread_member_join")
        assert joined.id == std.regular.id and recorded.thread.message_count == 2
        fetched = await bot.fetch_channel(thread.id)
        assert isinstance(fetched, discord.Thread) and fetched.message_count == 2

        emulator.expect_violation("160004")
        with pytest.raises(discord.HTTPException) as info:
            await post.create_thread(name="Again")
        assert info.value.code == 160004
        other = await channel.send("x")
        emulator.expect_violation("name: Must be between 1 and 100")
        with pytest.raises(discord.HTTPException) as info:
            await other.create_thread(name="n" * 101)
        assert info.value.code == 50035


async def test_threads_without_message_forum_posts_and_members(emulator: Emulator) -> None:
    std = emulator.make_guild()
    forum = emulator.state.add_channel(std.guild, "ideas", FORUM)
    bot = make_bot()
    log = EventLog(bot, "thread_create", "thread_member_join", "message")
    async with connected_client(emulator, bot):
        guild = bot.get_guild(std.id)
        general = guild.get_channel(std.channel.id)
        private = await general.create_thread(name="Mods only")
        assert private.type is discord.ChannelType.private_thread  # API v10 default
        await log.next("thread_create")
        await private.add_user(discord.Object(std.regular.id))
        (joined,) = await log.next("thread_member_join")
        stored = emulator.state.channels[private.id].thread
        assert joined.id == std.regular.id and stored is not None
        assert std.regular.id in stored.members

        public = await general.create_thread(name="Open", type=discord.ChannelType.public_thread)
        await log.next("thread_create")
        (notice,) = await log.next("message")
        assert notice.type is discord.MessageType.thread_created and notice.channel.id == general.id

        post = await guild.get_channel(forum.id).create_thread(name="Idea", content="Dark mode")
        (created,) = await log.next("thread_create")
        assert created.id == post.thread.id == post.message.id
        assert post.message.content == "Dark mode" and post.message.channel.id == created.id
        assert created.message_count == 0 and guild.get_thread(created.id) is created
        emulator.expect_violation("message: This field is required")
        with pytest.raises(discord.HTTPException):
            await bot.http.start_thread_without_message(
                forum.id, name="bare", auto_archive_duration=1440, type=11
            )

        human = await emulator.start_thread(std.channel.id, std.regular.id, "From a human")
        (seen,) = await log.next("thread_create")
        assert seen.id == human.id and seen.owner_id == std.regular.id
        assert [t.id for t in emulator.threads_log] == [private.id, public.id, created.id, human.id]

        hidden = await emulator.start_thread(std.channel.id, std.regular.id, "Secret", type=12)
        assert guild.get_thread(hidden.id) is None  # the bot can't see it (no Manage Threads)
        emulator.expect_violation("not visible")
        with pytest.raises(discord.Forbidden):
            await bot.fetch_channel(hidden.id)

        await public.edit(archived=True)
        assert emulator.state.channels[public.id].thread.archived  # type: ignore[union-attr]
        await public.send("revive")
        assert not emulator.state.channels[public.id].thread.archived  # type: ignore[union-attr]
        active = await guild.active_threads()
        assert {t.id for t in active} >= {private.id, public.id, created.id, human.id}


async def test_human_changes_scheduled_event_status(emulator: Emulator) -> None:
    std = emulator.make_guild()
    bot = make_bot()
    log = EventLog(bot, "scheduled_event_update", "scheduled_event_delete")
    async with connected_client(emulator, bot):
        start = discord.utils.utcnow() + dt.timedelta(hours=1)
        event = await emulator.create_scheduled_event(
            std.id, std.owner.id, "Meetup", start=start, end=start + dt.timedelta(hours=1)
        )
        other = await emulator.create_scheduled_event(std.id, std.owner.id, "Later", start=start)
        await emulator.start_event(std.id, event.id)
        before, after = await log.next("scheduled_event_update")
        assert before.status is discord.EventStatus.scheduled
        assert after.status is discord.EventStatus.active and after.id == event.id
        await emulator.end_event(std.id, event.id)
        _, after = await log.next("scheduled_event_update")
        assert after.status is discord.EventStatus.completed
        await emulator.edit_scheduled_event(std.id, other.id, name="Later still")
        _, after = await log.next("scheduled_event_update")
        assert after.name == "Later still"
        await emulator.cancel_event(std.id, other.id)
        _, after = await log.next("scheduled_event_update")
        assert after.status is discord.EventStatus.cancelled
        with pytest.raises(DiscordError):
            await emulator.start_event(std.id, other.id)
        await emulator.delete_scheduled_event(std.id, other.id)
        (deleted,) = await log.next("scheduled_event_delete")
        assert deleted.id == other.id
        assert bot.get_guild(std.id).get_scheduled_event(other.id) is None
