"""pytest fixtures: `emulator` (fails the test on unexpected violations or unhandled routes)."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .server import Emulator

# discord.py imports the stdlib `audioop`, deprecated since 3.11: with `-W error` that import
# fails. Import it once here with that single warning silenced so later imports hit the cache.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A started Emulator on 127.0.0.1:<random>; checks violations at teardown."""
    emu = Emulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    problems = [f"violation: {v}" for v in emu.unexpected_violations()]
    problems += [f"unhandled route: {c.method} {c.path}" for c in emu.unexpected_unhandled()]
    if problems:
        pytest.fail("Discord emulator reported:\n  " + "\n  ".join(problems), pytrace=False)
