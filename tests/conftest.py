"""Shared fixtures: a migrated database for services, and the real bot against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.db import Database
from bot.migrate import migrate
from bot.services import Services
from tests.emulator import Emulator
from tests.harness import BotHarness

pytest_plugins = ["tests.emulator.pytest_plugin"]


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock."""
    return FakeClock()


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite database in a temp folder, migrated from empty."""
    database = Database(tmp_path / "test.db")
    await database.open()
    await migrate(database)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    """All services on the test database and clock."""
    return Services.build(db, clock)


@pytest_asyncio.fixture
async def harness(emulator: Emulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The real bot (our composition root) connected to the emulator, with one standard guild."""
    h = BotHarness(emulator, tmp_path)
    try:
        await h.start()
        yield h
    finally:
        await h.stop()
