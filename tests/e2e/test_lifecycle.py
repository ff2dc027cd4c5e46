"""Lifecycle: gateway reconnects, one instance per database, SIGTERM in a real process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Literal

import pytest

from bot.__main__ import running_bot
from bot.errors import InstanceLocked
from bot.i18n import t
from bot.lock import InstanceLock
from bot.migrate import discover
from tests.emulator import Emulator
from tests.harness import BotHarness

from .conftest import HarnessFactory
from .helpers import embed_fields, ephemeral_text, reply


async def assert_answers(h: BotHarness) -> None:
    msg = await reply(await h.slash("setup", "show"))
    assert msg.ephemeral
    assert t("setup.show.timezone", "en-US") in embed_fields(msg)


@pytest.mark.parametrize("mode", ["reconnect", "invalidate"])
async def test_bot_answers_after_gateway_reconnect(
    emulator: Emulator, harness: BotHarness, mode: Literal["reconnect", "invalidate"]
) -> None:
    await emulator.reconnect(mode, timeout=15)  # invalidate: discord.py waits 5 s to IDENTIFY

    if mode == "reconnect":
        assert emulator.gateway.resume_count == 1
        assert emulator.gateway.identify_count == 1
    else:
        assert emulator.gateway.identify_count == 2
    await assert_answers(harness)


async def test_logging_in_is_retried_while_discord_is_unreachable(
    make_harness: HarnessFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discord answers 503 to the first two logins (an outage, or a network that isn't up
    yet): the bot says so in one warning line each time, tries again, and comes up."""
    monkeypatch.setattr("bot.client.LOGIN_RETRY_FIRST", 0.05)
    caplog.set_level(logging.WARNING, logger="bot.client")

    def outage(h: BotHarness) -> None:
        h.emu.inject_fault("GET", r"/users/@me$", 503, times=2)

    h = await make_harness(before_start=outage)
    warnings = [r.getMessage() for r in caplog.records if "cannot reach Discord" in r.getMessage()]
    assert len(warnings) == 2 and "trying again in 0 s" in warnings[0]
    await assert_answers(h)


async def test_second_instance_on_the_same_database_is_refused(harness: BotHarness) -> None:
    with pytest.raises(InstanceLocked, match=str(os.getpid())):
        async with running_bot(harness.settings):
            pytest.fail("a second bot started on the same database")
    await assert_answers(harness)  # the running one is untouched


# -- a real process --------------------------------------------------------------------------


def bot_env(emu: Emulator, db: Path) -> dict[str, str]:
    """Only what the bot needs, so no developer setting or .env leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISCORD_TOKEN": emu.token,
        "DISCORD_API_BASE_URL": emu.base_url,
        "DATABASE_PATH": str(db),
        "LOG_LEVEL": "INFO",
    }


async def spawn(emu: Emulator, workdir: Path, db: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=workdir,
        env=bot_env(emu, db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigterm_stops_cleanly_and_a_second_process_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    std = emulator.make_guild()
    db = tmp_path / "data" / "vouch.db"
    proc = await spawn(emulator, tmp_path, db)
    try:
        await emulator.wait_bot_ready(timeout=20)
        rec = await emulator.slash(
            std.id, std.owner.id, "setup", "timezone", {"timezone": "Europe/Copenhagen"}
        )
        assert await ephemeral_text(rec) == t(
            "setup.timezone.saved", "en-US", timezone="Europe/Copenhagen"
        )

        calls_before = emulator.mark()
        second = await spawn(emulator, tmp_path, db)
        out, err = await asyncio.wait_for(second.communicate(), 15)
        assert second.returncode == 2
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("vouch: another Vouch process")
        assert str(proc.pid) in lines[0]
        assert "Traceback" not in err.decode() and out == b""
        assert emulator.calls[calls_before:] == []  # refused before touching Discord
        assert emulator.gateway.identify_count == 1

        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode()

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(discover())
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = conn.execute("SELECT timezone FROM guild_config WHERE guild_id = ?", (std.id,))
        assert row.fetchone() == ("Europe/Copenhagen",)
    with InstanceLock(db):  # released on exit
        pass
