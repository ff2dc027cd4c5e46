"""The Database object and the migration runner, on real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.db import Database
from bot.errors import DatabaseError
from bot.migrate import MIGRATIONS_DIR, MigrationError, current_version, discover, migrate


async def open_db(path: Path) -> Database:
    db = Database(path)
    await db.open()
    return db


async def test_pragmas_are_set(db: Database) -> None:
    assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
    assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await db.fetch_one("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
    assert (await db.fetch_one("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]


async def test_migrates_from_empty_to_latest_and_is_idempotent(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.db")
    try:
        latest = len(discover())
        assert await migrate(db) == latest
        assert await current_version(db) == latest
        assert await migrate(db) == latest
        tables = {r["name"] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert {"guild_config", "guild_channel", "guild_role", "user_pref", "bot_meta"} <= tables
    finally:
        await db.close()


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


async def test_failed_migration_leaves_previous_version_intact(tmp_path: Path) -> None:
    folder = write_migrations(
        tmp_path / "m",
        {
            "0001_first.sql": "CREATE TABLE a (x INTEGER) STRICT;",
            "0002_broken.sql": "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (9);",
        },
    )
    db = await open_db(tmp_path / "b.db")
    try:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql failed"):
            await migrate(db, folder)
        assert await current_version(db) == 1
        names = {r["name"] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert "a" in names
        assert "b" not in names  # the half of 0002 that ran was rolled back
        async with db.transaction() as tx:  # the connection is usable afterwards
            await tx.execute("INSERT INTO a VALUES (1)")
    finally:
        await db.close()


def test_gap_in_migrations_is_refused(tmp_path: Path) -> None:
    folder = write_migrations(
        tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}
    )
    with pytest.raises(MigrationError, match="gap: missing 0002"):
        discover(folder)


def test_misnamed_and_duplicate_migrations_are_refused(tmp_path: Path) -> None:
    bad = write_migrations(tmp_path / "bad", {"1_initial.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="name must look like"):
        discover(bad)
    dup = write_migrations(tmp_path / "dup", {"0001_a.sql": "", "0001_b.sql": ""})
    with pytest.raises(MigrationError, match="share number 1"):
        discover(dup)


def test_project_migrations_are_contiguous() -> None:
    migrations = discover(MIGRATIONS_DIR)
    assert [m.number for m in migrations] == list(range(1, len(migrations) + 1))


async def test_database_from_newer_version_is_refused(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "new.db")
    try:
        await db.conn.execute("PRAGMA user_version = 999")
        with pytest.raises(MigrationError, match="newer than this code"):
            await migrate(db)
        assert await current_version(db) == 999
    finally:
        await db.close()


async def test_non_sqlite_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DatabaseError, match="not a valid SQLite database"):
        await open_db(path)
    assert path.read_bytes().startswith(b"this is not")


async def test_unwritable_folder_is_refused_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot create its folder"):
        await open_db(blocker / "sub" / "db.sqlite")


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    async def failing_unit() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_meta (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing_unit()
    assert await db.fetch_one("SELECT * FROM bot_meta WHERE key = 'k'") is None


async def test_concurrent_transactions_do_not_lose_updates(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_meta (key, value) VALUES ('n', '0')")

    async def bump() -> None:
        async with db.transaction() as tx:
            row = await tx.fetch_one("SELECT value FROM bot_meta WHERE key = 'n'")
            assert row is not None
            await asyncio.sleep(0)  # let the other coroutines try to interleave
            await tx.execute("UPDATE bot_meta SET value = ? WHERE key = 'n'", (int(row[0]) + 1,))

    await asyncio.gather(*(bump() for _ in range(50)))
    row = await db.fetch_one("SELECT value FROM bot_meta WHERE key = 'n'")
    assert row is not None
    assert row[0] == "50"


async def test_nested_transaction_joins_the_outer_one(db: Database) -> None:
    async def failing_units() -> None:
        async with db.transaction() as outer:
            await outer.execute("INSERT INTO bot_meta (key, value) VALUES ('a', '1')")
            async with db.transaction() as inner:
                await inner.execute("INSERT INTO bot_meta (key, value) VALUES ('b', '2')")
            raise RuntimeError("undo both")

    with pytest.raises(RuntimeError):
        await failing_units()
    assert await db.fetch_all("SELECT * FROM bot_meta") == []


async def test_backup_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_meta (key, value) VALUES ('k', 'v')")
    target = tmp_path / "backups" / "copy.db"
    await db.backup_to(target)
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT value FROM bot_meta WHERE key = 'k'").fetchone() == ("v",)
        assert copy.execute("PRAGMA user_version").fetchone()[0] == len(discover())


def schema(path: Path) -> dict[str, object]:
    """Every table's columns and every index's columns, as SQLite reports them (comments and
    formatting aside)."""
    with sqlite3.connect(path) as conn:
        names = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
        found: dict[str, object] = {}
        for kind, name, table in names:
            if kind == "table":
                found[name] = conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall()
            elif kind == "index":
                found[name] = (table, conn.execute(f"PRAGMA index_xinfo('{name}')").fetchall())
        return found


async def test_a_database_that_ran_the_pre_release_0009_is_repaired(tmp_path: Path) -> None:
    """0009_leaders.sql landed once in a pre-release form and was changed afterwards: a
    database migrated then ends with exactly the schema of a fresh one, rows kept."""
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        for migration in discover()[:8]:
            conn.executescript(migration.path.read_text(encoding="utf-8"))
        fixture = Path(__file__).parent.parent / "fixtures" / "0009_leaders_prerelease.sql"
        conn.executescript(fixture.read_text(encoding="utf-8"))
        conn.execute(
            "INSERT INTO leader_sync (guild_id, every, next_starts_at, host_id, created_at, "
            "updated_at) VALUES (1, 'week', '2026-11-30T18:00:00+00:00', 7, 'x', 'y')"
        )
        conn.execute("PRAGMA user_version = 9")
    db = await open_db(old)
    try:
        assert await migrate(db) == len(discover())
        assert await migrate(db) == len(discover())  # repaired once
        row = await db.fetch_one("SELECT anchor_local, timezone FROM leader_sync")
        assert row is not None and tuple(row) == ("2026-11-30T18:00:00", "UTC")
    finally:
        await db.close()
    fresh = await open_db(tmp_path / "fresh.db")
    try:
        await migrate(fresh)
    finally:
        await fresh.close()
    assert schema(old) == schema(tmp_path / "fresh.db")
