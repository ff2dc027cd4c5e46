"""Fixtures for end-to-end flows: harness variants (guild locale, bot permissions, extra roles)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest_asyncio

from tests.emulator import Emulator
from tests.harness import BotHarness


class CustomHarness(BotHarness):
    """A BotHarness whose guild is shaped (bot permissions, extra members/roles) before start."""

    def __init__(
        self,
        emu: Emulator,
        tmp_path: Path,
        *,
        locale: str = "en-US",
        bot_permissions: int | None = None,
    ) -> None:
        super().__init__(emu, tmp_path, locale=locale)
        if bot_permissions is not None:
            assert self.guild.bot_role is not None
            # Same effect as make_guild(bot_permissions=...): the bot has not connected yet.
            self.guild.bot_role.permissions = bot_permissions


HarnessFactory = Callable[..., Awaitable[CustomHarness]]


@pytest_asyncio.fixture
async def make_harness(emulator: Emulator, tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    """Build and start a CustomHarness (one per test); it is stopped at teardown."""
    built: list[CustomHarness] = []

    async def build(
        *,
        locale: str = "en-US",
        bot_permissions: int | None = None,
        before_start: Callable[[CustomHarness], None] | None = None,
    ) -> CustomHarness:
        h = CustomHarness(emulator, tmp_path, locale=locale, bot_permissions=bot_permissions)
        if before_start is not None:
            before_start(h)
        built.append(h)
        await h.start()
        return h

    try:
        yield build
    finally:
        for h in built:
            await h.stop()
