"""Running an unmodified discord.py client against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl

from .server import Emulator

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def pointed_at(emu: Emulator) -> Iterator[None]:
    """Temporarily point discord.py's Route.BASE and DEFAULT_GATEWAY at the emulator."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = emu.base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def connected_client(
    emu: Emulator, client: ClientT, *, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Start `client` against `emu`, wait for its on_ready, and close it cleanly on exit.

    Pass ``guild_ready_timeout=0.05`` to the client, or on_ready comes 2 s after the last
    GUILD_CREATE.
    """
    with pointed_at(emu):
        task = asyncio.create_task(client.start(emu.token), name="emulated-discord-client")
        try:
            waiter = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait(
                {task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if waiter not in done:
                waiter.cancel()
                if task in done:
                    task.result()
                raise TimeoutError("client did not become ready")
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout)
