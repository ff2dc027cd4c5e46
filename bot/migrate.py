"""Applies `migrations/NNNN_name.sql` in order, each atomically with its version number."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.db import Database
from bot.errors import DatabaseError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    number: int
    name: str
    path: Path


class MigrationError(DatabaseError):
    """The migrations folder or a migration is broken; nothing past the last good one applies."""


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in order; refuses misnamed files, duplicates and gaps."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration {path.name}: name must look like 0001_initial.sql")
        number = int(match["number"])
        if number in found:
            raise MigrationError(
                f"migrations {found[number].path.name} and {path.name} share number {number}"
            )
        found[number] = Migration(number, match["name"], path)
    expected = list(range(1, len(found) + 1))
    if sorted(found) != expected:
        missing = sorted(set(range(1, max(found, default=0) + 1)) - set(found))
        raise MigrationError(
            f"migrations folder {folder} has a gap: missing "
            + ", ".join(f"{n:04d}" for n in missing)
        )
    return [found[n] for n in expected]


async def current_version(db: Database) -> int:
    """The schema version stored in the database (`PRAGMA user_version`)."""
    row = await db.fetch_one("PRAGMA user_version")
    return int(row[0]) if row else 0


async def migrate(db: Database, folder: Path = MIGRATIONS_DIR) -> int:
    """Bring the schema up to date; returns the version now in the database."""
    migrations = discover(folder)
    latest = len(migrations)
    version = await current_version(db)
    if version > latest:
        raise MigrationError(
            f"database {db.path} is at schema version {version}, newer than this code "
            f"(knows {latest}): upgrade the bot, or restore a backup"
        )
    for migration in migrations[version:]:
        await _apply(db, migration)
        log.info("applied migration %04d_%s", migration.number, migration.name)
    await _repair(db, folder)
    return latest


#: Databases that applied a migration before its final form (a landed file was later changed):
#: the repair script, and the test that tells such a database (true: it needs the repair).
_REPAIRS = (
    (
        "0009_leaders_prerelease.sql",
        "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'leader_sync') = 1 "
        "AND (SELECT count(*) FROM sqlite_master WHERE name = 'engagement_credit') = 0",
    ),
)


async def _repair(db: Database, folder: Path) -> None:
    """Bring a database that ran a pre-release migration to the schema a fresh one has."""
    for name, needed in _REPAIRS:
        row = await db.fetch_one(needed)
        if not (row and row[0]):
            continue
        sql = (folder / "repairs" / name).read_text(encoding="utf-8")
        await _run_atomically(db, f"{sql}\n;", f"repair {name}")
        log.info("repaired the schema with %s", name)


async def _apply(db: Database, migration: Migration) -> None:
    sql = migration.path.read_text(encoding="utf-8")
    await _run_atomically(
        db, f"{sql}\n;PRAGMA user_version = {migration.number};", f"migration {migration.path.name}"
    )


async def _run_atomically(db: Database, sql: str, what: str) -> None:
    """Run a script in one transaction: all of it lands, or none of it."""
    # executescript commits any open transaction first, so the script runs inside its own
    # BEGIN ... COMMIT (with the version bump, for a migration).
    async with db.exclusive() as conn:
        try:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nCOMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(f"{what} failed and was rolled back: {exc}") from exc
