"""The one database connection, its pragmas, and serialized write transactions."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import DatabaseError

Params = Sequence[Any] | dict[str, Any]
Row = sqlite3.Row

BUSY_TIMEOUT_MS = 5_000
_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous = FULL",
)


class Transaction:
    """The handle a unit of writes runs its statements through."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the last inserted row id."""
        cursor = await self._conn.execute(sql, params)
        row_id = cursor.lastrowid or 0
        await cursor.close()
        return row_id

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter rows in one call."""
        await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query, in one trip to the database thread (each trip costs ~100 µs)."""
        rows: list[Row] = list(await self._conn.execute_fetchall(sql, params))
        return rows


class Database:
    """Owns the single aiosqlite connection; one writer at a time through `transaction()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._in_tx: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
            f"tx-{id(self)}", default=None
        )

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection (raises if `open()` was not called)."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open the connection, creating the folder, and apply the pragmas."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"DATABASE_PATH {self.path}: cannot create its folder ({exc.strerror})"
            ) from exc
        try:
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            for pragma in _PRAGMAS:
                await self._conn.execute(pragma)
            # Touch the schema so a corrupt or non-SQLite file fails here, not later.
            await self._conn.execute("SELECT count(*) FROM sqlite_master")
        except sqlite3.DatabaseError as exc:
            await self.close()
            raise DatabaseError(_explain(self.path, exc)) from exc

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """`BEGIN IMMEDIATE` ... `COMMIT`, or `ROLLBACK` on error; never await Discord inside."""
        current = self._in_tx.get()
        if current is not None:  # nested unit of work: join the outer transaction
            yield current
            return
        async with self._lock:
            tx = Transaction(self.conn)
            token = self._in_tx.set(tx)
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
            finally:
                self._in_tx.reset(token)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Read the first row; waits for any running write transaction so reads are never dirty."""
        current = self._in_tx.get()
        if current is not None:
            return await current.fetch_one(sql, params)
        async with self._lock:
            return await Transaction(self.conn).fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Read all rows; waits for any running write transaction so reads are never dirty."""
        current = self._in_tx.get()
        if current is not None:
            return await current.fetch_all(sql, params)
        async with self._lock:
            return await Transaction(self.conn).fetch_all(sql, params)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[aiosqlite.Connection]:
        """The raw connection with no other unit of work running (for migrations)."""
        async with self._lock:
            yield self.conn

    async def backup_to(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API (safe while the bot runs)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            dest = await aiosqlite.connect(target)
            try:
                await self.conn.backup(dest)
            finally:
                await dest.close()


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"DATABASE_PATH {path} is not a valid SQLite database ({text})"
    if "unable to open" in text or "readonly" in text:
        return f"DATABASE_PATH {path} cannot be opened for writing ({text})"
    return f"DATABASE_PATH {path}: {text}"
