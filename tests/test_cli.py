"""`python -m bot` and its subcommands, run as real processes (no network is needed)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.migrate import discover
from bot.settings import TOKEN_PLACEHOLDER

LATEST = len(discover())


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the program in an empty folder (so no .env is read) with a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    base.update({"DATABASE_PATH": str(tmp_path / "data" / "community.db"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("token", [None, "", TOKEN_PLACEHOLDER])
def test_missing_or_placeholder_token_is_one_clear_line(tmp_path: Path, token: str | None) -> None:
    env = {} if token is None else {"DISCORD_TOKEN": token}
    result = run(tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0]
    assert "discord.com/developers/applications" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_token_from_dotenv_is_never_printed(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=super-secret-value\nLOG_LEVEL=LOUD\n")
    result = run(tmp_path, "check")
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr
    assert "super-secret-value" not in result.stdout + result.stderr


def test_migrate_prints_the_schema_version(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert f"schema version {LATEST}" in result.stdout
    with sqlite3.connect(tmp_path / "data" / "community.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_backup_writes_a_consistent_copy(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    with sqlite3.connect(tmp_path / "data" / "community.db") as conn:
        conn.execute("INSERT INTO bot_meta (key, value) VALUES ('k', 'v')")
    result = run(tmp_path, "backup", "copy.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT value FROM bot_meta").fetchall() == [("v",)]
    again = run(tmp_path, "backup", "copy.db")
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_backup_without_a_database_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "backup", "copy.db")
    assert result.returncode == 2
    assert "no database" in result.stderr
    assert not (tmp_path / "copy.db").exists()


def test_check_reports_without_network(tmp_path: Path) -> None:
    result = run(tmp_path, "check", DISCORD_TOKEN="abc.def.ghi")
    assert result.returncode == 0, result.stderr
    assert "token: set" in result.stdout
    assert f"will be created and migrated to schema {LATEST}" in result.stdout
    assert "cogs.setup" in result.stdout
    assert "message_content" not in result.stdout
    assert not (tmp_path / "data" / "community.db").exists()  # check creates nothing


def test_check_refuses_a_corrupt_database(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "community.db").write_bytes(b"garbage" * 500)
    result = run(tmp_path, "check", DISCORD_TOKEN="abc.def.ghi")
    assert result.returncode == 2
    assert "not a usable SQLite database" in result.stderr


def test_corrupt_database_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "community.db").write_bytes(b"garbage" * 500)
    result = run(tmp_path, "migrate")
    assert result.returncode == 2
    assert "not a valid SQLite database" in result.stderr
    assert "Traceback" not in result.stderr


def test_newer_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with sqlite3.connect(tmp_path / "data" / "community.db") as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    result = run(tmp_path, "migrate")
    assert result.returncode == 2
    assert "newer than this code" in result.stderr


def test_unwritable_database_path_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = run(tmp_path, "migrate", DATABASE_PATH=str(tmp_path / "blocker" / "db.sqlite"))
    assert result.returncode == 2
    assert "DATABASE_PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_settings_are_named(tmp_path: Path) -> None:
    result = run(tmp_path, "check", DEFAULT_LOCALE="klingon", COMMAND_GUILD_ID="abc")
    assert result.returncode == 2
    assert "DEFAULT_LOCALE" in result.stderr
    assert "COMMAND_GUILD_ID" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["migrate"], ["backup"], ["check"]])
def test_help(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path, *command, "--help")
    assert result.returncode == 0
    assert "usage: python -m bot" in result.stdout
