"""The baseline: a minimal discord.py bot with one slash command and no database.

It mirrors what Vouch needs from discord.py and nothing else: the same intents, no mentions,
member chunking at startup, gateway discovery through ``GET /gateway/bot`` when a base URL is
configured, a command-tree sync in ``setup_hook`` and ``/setup show`` answering with an ephemeral
embed. Every other option stays at discord.py's defaults (``guild_ready_timeout`` 2 s included).

Run as a process like ``python -m bot``: ``python bench/baseline_bot.py`` with DISCORD_TOKEN and
DISCORD_API_BASE_URL in the environment (DATABASE_PATH is accepted and ignored). It logs
``ready as <user> in <n> guilds`` at INFO on stderr, as Vouch does, and stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import warnings
from typing import Any

warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)

import discord  # noqa: E402
import yarl  # noqa: E402
from discord import app_commands  # noqa: E402
from discord.ext import commands  # noqa: E402

log = logging.getLogger("baseline")


def baseline_intents() -> discord.Intents:
    """The same intents as Vouch: guilds, members, invites, scheduled events, voice states."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.invites = True
    wanted.guild_scheduled_events = True
    wanted.voice_states = True
    return wanted


def setup_group() -> app_commands.Group:
    """``/setup show``: the same command path as Vouch's, answered without any storage."""
    group = app_commands.Group(
        name="setup", description="Configure the bot for this server", guild_only=True
    )

    @group.command(name="show", description="Show this server's configuration")
    async def show(interaction: discord.Interaction[Any]) -> None:
        guild = interaction.guild
        embed = discord.Embed(title=f"Configuration of {guild.name if guild else '?'}")
        embed.add_field(name="Language", value="English (default)", inline=True)
        embed.add_field(name="Time zone", value="UTC", inline=True)
        embed.add_field(name="Channels", value="**Welcome**: not set", inline=False)
        embed.add_field(name="Roles", value="**Member**: not set", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    return group


class BaselineBot(commands.Bot):
    """A plain commands.Bot; only what a Discord bot with these intents must configure."""

    def __init__(self, *, api_base_url: str | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=baseline_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=True,
        )
        self.api_base_url = api_base_url
        self.tree.add_command(setup_group())

    async def setup_hook(self) -> None:
        """Find the gateway of a non-default API (as Vouch does), then sync the one command."""
        if self.api_base_url:
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.tree.sync()

    async def on_ready(self) -> None:
        """Log readiness with the same line Vouch logs."""
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))


async def serve(token: str, api_base_url: str | None) -> None:
    """Run until SIGINT/SIGTERM or until the bot stops by itself."""
    if api_base_url:
        discord.http.Route.BASE = api_base_url
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bot = BaselineBot(api_base_url=api_base_url)
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="baseline-bot")
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        if runner.done() and not runner.cancelled() and (error := runner.exception()):
            raise error


def main() -> int:
    """Entry point: settings from the environment, logging at INFO like Vouch."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("baseline: DISCORD_TOKEN is not set", file=sys.stderr)
        return 2
    base = (os.environ.get("DISCORD_API_BASE_URL") or "").strip().rstrip("/") or None
    asyncio.run(serve(token, base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
