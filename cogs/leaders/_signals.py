"""Engagement signals from Discord activity (who wrote where and when, never the text), the
daily upkeep of the signals, and /leaders optout.

Messages: the bot has the (non-privileged) guild messages intent and never the message content
one, so Discord sends it the author, the channel and the time of each message with empty text.
Counted: people in the guild writing in a guild channel. Not counted: bots, webhooks, system
messages (joins, pins, boosts...), DMs, and, at the flush, anyone who is not an admitted member
right then (people still in the gate, who left, or who have no member record such as a founder
without the member role). Messages in a thread or a forum post count under the thread's parent
channel: one row per channel and day, however many threads. The day is the UTC day the bot saw
the message, on the bot's clock. Edits and deletions change nothing: it counts taking part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.jobs import Job
from bot.services.leaders.signals import UPKEEP_JOB, UPKEEP_KEY, MessageTally, next_upkeep
from cogs.sessions._kit import guild_member

log = logging.getLogger(__name__)

#: How often the counted messages are written (one executemany per interval).
FLUSH_SECONDS = 15.0


def counted_channel(message: discord.Message) -> int | None:
    """The channel a message counts under, or None when it does not count (see the module
    docstring). Reads metadata only."""
    if message.guild is None or message.webhook_id is not None or message.author.bot:
        return None
    if message.is_system() or not isinstance(message.author, discord.Member):
        return None
    channel = message.channel
    if isinstance(channel, discord.Thread):
        return channel.parent_id or channel.id
    return channel.id


class SignalCommands(commands.Cog):
    """Mixed into the /leaders group."""

    bot: VouchBot

    @app_commands.command(
        name="optout", description="Don't suggest me as a leader (undo: suggest me again)"
    )
    @app_commands.describe(undo="Suggest me again (turn leader suggestions back on)")
    async def optout_command(
        self, interaction: discord.Interaction[VouchBot], undo: bool = False
    ) -> None:
        """For any member, for themself; repeating it changes nothing and says so."""
        guild, member = guild_member(interaction)
        signals = self.bot.services.signals
        locale = interaction.locale
        if undo:
            if await signals.optin(guild.id, member.id):
                text = t("leaders.optin.done", locale)
            else:
                text = t("leaders.optin.already", locale)
        elif await signals.optout(guild.id, member.id):
            text = t("leaders.optout.done", locale)
        else:
            text = t("leaders.optout.already", locale)
        await interaction.response.send_message(text, ephemeral=True)


class SignalRunner(commands.Cog):
    """Listens to activity and keeps the daily aggregates within their retention window.

    Message counts wait in memory (`MessageTally`) and are written every `FLUSH_SECONDS` and
    when the cog unloads (the bot's clean shutdown unloads it before the database closes). A
    crash loses at most one interval of message counts; everything else is written with the
    record it counts.
    """

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.tally = MessageTally(bot.services.signals, bot.services.clock)
        self.interval = FLUSH_SECONDS
        self._stopping = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        """Start the flush loop; the daily upkeep is a durable job (armed when ready)."""
        self.bot.jobs.register(UPKEEP_JOB, self.run_upkeep)
        self._stopping.clear()
        self._flusher = asyncio.create_task(self._flush_every_interval(), name="vouch-signals")

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Arm the daily upkeep when it is missing, due now: a first start catches up at once
        (an armed one is never moved; a long downtime leaves it overdue, so it runs now)."""
        if not await self.services.jobs.pending(UPKEEP_JOB):
            await self.services.jobs.schedule(UPKEEP_JOB, UPKEEP_KEY, self.services.clock())
            self.bot.jobs.poke()

    async def cog_unload(self) -> None:
        """Stop the loop (a flush under way completes), then write what is left."""
        self.bot.jobs.unregister(UPKEEP_JOB)
        self._stopping.set()
        if self._flusher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

    async def flush(self) -> int:
        """Write the counted messages now; how many rows went (0 after a failure, which keeps
        them for the next flush)."""
        try:
            return await self.tally.flush()
        except Exception:
            log.exception("could not write %d message counts; kept", self.tally.pending)
            return 0

    async def _flush_every_interval(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._stopping.wait()
            if not self._stopping.is_set():
                await self.flush()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Count the message by its author, channel and day (the text is never read)."""
        channel_id = counted_channel(message)
        if channel_id is not None and message.guild is not None:
            self.tally.add(message.guild.id, message.author.id, channel_id)

    @commands.Cog.listener()
    async def on_member_data_forgotten(self, guild_id: int, user_id: int) -> None:
        """A privacy forget: counts not yet written for that member are dropped too."""
        self.tally.discard(guild_id, user_id)

    async def run_upkeep(self, job: Job) -> None:
        """Arm tomorrow's run first (a failing run never stops the next), then prune rows past
        each guild's retention window and credit introductions that stayed."""
        await self.services.jobs.schedule(
            UPKEEP_JOB, UPKEEP_KEY, next_upkeep(self.services.clock())
        )
        for done in await self.services.signals.upkeep():
            if done.pruned or done.introductions:
                log.info(
                    "guild %s: %d old signal rows pruned, %d introductions that stayed",
                    done.guild_id,
                    done.pruned,
                    done.introductions,
                )
