"""Small helpers shared by the emulator selftests."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.ext import commands


class FastBot(commands.Bot):
    """discord.py sleeps 5 s before every non-initial IDENTIFY; tests skip that."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def make_bot(**kw: Any) -> commands.Bot:
    """A commands.Bot with members intent and a fast on_ready."""
    intents = discord.Intents.default()
    intents.members = True
    return FastBot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **kw)


class EventLog:
    """Collects bot events into queues so tests await them instead of sleeping."""

    def __init__(self, client: discord.Client, *names: str) -> None:
        self.queues: dict[str, asyncio.Queue[tuple[Any, ...]]] = {n: asyncio.Queue() for n in names}
        for name in names:
            client.add_listener(self._make(name), f"on_{name}")

    def _make(self, name: str) -> Any:
        async def listener(*args: Any) -> None:
            self.queues[name].put_nowait(args)

        return listener

    async def next(self, name: str, timeout: float = 3.0) -> tuple[Any, ...]:
        """The next occurrence of an event."""
        return await asyncio.wait_for(self.queues[name].get(), timeout)
