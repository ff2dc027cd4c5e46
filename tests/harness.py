"""Runs the real bot, through the composition root, against the emulator; can restart it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import discord
import yarl

from bot.__main__ import running_bot
from bot.client import VouchBot
from bot.services.clock import Clock, utcnow
from bot.settings import Settings
from tests.emulator import Emulator, StandardGuild
from tests.emulator.records import InteractionRecord


class BotHarness:
    """One emulated guild, and our bot connected to it through DISCORD_API_BASE_URL."""

    def __init__(
        self,
        emu: Emulator,
        tmp_path: Path,
        *,
        locale: str = "en-US",
        clock: Clock = utcnow,
    ) -> None:
        self.emu = emu
        self.clock = clock  # the bot's clock; tests may swap in one they move by hand
        self.guild: StandardGuild = emu.make_guild(locale=locale)
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            discord_token=emu.token,
            database_path=tmp_path / "data" / "community.db",
            discord_api_base_url=emu.base_url,
        )
        self._stack: contextlib.AsyncExitStack | None = None
        self._bot: VouchBot | None = None
        self.starts = 0

    @property
    def bot(self) -> VouchBot:
        """The running bot."""
        assert self._bot is not None, "bot is not running"
        return self._bot

    async def start(self, timeout: float = 15.0) -> VouchBot:
        """Start the bot and wait until the emulator and the bot both consider it ready."""
        saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        stack = contextlib.AsyncExitStack()
        stack.callback(self._restore, *saved)
        self.emu.ready_event.clear()
        bot = await stack.enter_async_context(running_bot(self.settings, clock=self.clock))
        self._stack, self._bot = stack, bot
        self.starts += 1
        waiter = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {waiter, bot.runner}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if bot.runner in done:
                bot.runner.result()
            raise TimeoutError("bot did not become ready")
        return bot

    async def stop(self) -> None:
        """Stop the bot as SIGTERM would (in-flight work finishes, database closes)."""
        if self._stack is not None:
            stack, self._stack, self._bot = self._stack, None, None
            await stack.aclose()

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until the bot's running event handlers, commands and clicks have finished."""
        pending = self.bot.in_flight()
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def restart(self) -> VouchBot:
        """Stop, then start again on the same database and emulator."""
        await self.stop()
        return await self.start()

    @staticmethod
    def _restore(base: str, gateway: yarl.URL) -> None:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway

    async def slash(
        self,
        name: str,
        subcommand: Any = None,
        options: dict[str, Any] | None = None,
        *,
        user_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Invoke a slash command in the standard guild (as the owner unless told otherwise)."""
        return await self.emu.slash(
            self.guild.id,
            user_id if user_id is not None else self.guild.owner.id,
            name,
            subcommand,
            options,
            locale=locale,
        )
