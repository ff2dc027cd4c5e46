"""Composition root: Settings -> Database -> migrate -> services -> Bot -> run.

python -m bot            run the bot
python -m bot migrate    apply migrations and print the schema version
python -m bot backup P   write a consistent copy of the database to P
python -m bot check      validate settings and database, print what would run (no network)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import discord
from pydantic import ValidationError

from bot import __version__
from bot.client import EXTENSIONS, VouchBot, intents
from bot.db import Database
from bot.errors import StartupError
from bot.lock import InstanceLock
from bot.migrate import current_version, discover, migrate
from bot.services import Services
from bot.services.clock import Clock, utcnow
from bot.settings import TOKEN_HELP, Settings

log = logging.getLogger("bot")

EXIT_USAGE = 2
SHUTDOWN_GRACE_SECONDS = 8.0


@asynccontextmanager
async def running_bot(settings: Settings, *, clock: Clock = utcnow) -> AsyncIterator[VouchBot]:
    """Start the bot (lock, database, migrations, services, gateway); close it all on exit."""
    if not settings.token_is_usable or settings.discord_token is None:
        raise StartupError(TOKEN_HELP)
    if settings.webhook_problem:
        raise StartupError(settings.webhook_problem)
    lock = InstanceLock(settings.database_path)
    lock.acquire()
    db = Database(settings.database_path)
    try:
        await db.open()
        version = await migrate(db)
        log.info("database %s at schema version %d", settings.database_path, version)
        if settings.discord_api_base_url:
            discord.http.Route.BASE = settings.discord_api_base_url
        bot = VouchBot(settings, Services.build(db, clock))
        runner = asyncio.create_task(
            bot.start(settings.discord_token.get_secret_value()), name="vouch-bot"
        )
        bot.runner = runner
        try:
            yield bot
        finally:
            if not runner.done():
                await bot.finish_in_flight(SHUTDOWN_GRACE_SECONDS)
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
    finally:
        await db.close()
        lock.release()


async def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM or until the bot stops by itself."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_bot(settings) as bot:
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({bot.runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if bot.runner.done() and (error := bot.runner.exception()) is not None:
            raise error
        log.info("shutting down")


async def run_migrate(settings: Settings) -> int:
    """Apply migrations; print the schema version."""
    with InstanceLock(settings.database_path):
        db = Database(settings.database_path)
        try:
            await db.open()
            version = await migrate(db)
        finally:
            await db.close()
    print(f"database {settings.database_path} is at schema version {version}")
    return 0


def check_backup_paths(settings: Settings, target: Path) -> None:
    """Refuse a missing source or an existing target before anything is opened."""
    if not settings.database_path.exists():
        raise StartupError(f"there is no database at {settings.database_path} to back up")
    if target.exists():
        raise StartupError(f"{target} already exists; choose a new file name")


async def run_backup(settings: Settings, target: Path) -> int:
    """Copy the database with SQLite's online backup API."""
    db = Database(settings.database_path)
    try:
        await db.open()
        version = await current_version(db)
        await db.backup_to(target)
    finally:
        await db.close()
    print(f"backed up {settings.database_path} (schema {version}) to {target}")
    return 0


def run_check(settings: Settings) -> int:
    """Validate settings and the database without touching the network."""
    problems: list[str] = []
    latest = len(discover())
    print(f"vouch {__version__}")
    print(f"token: {'set' if settings.token_is_usable else 'MISSING'}")
    if not settings.token_is_usable:
        problems.append(TOKEN_HELP)
    if settings.webhook_problem:
        problems.append(settings.webhook_problem)
    path = settings.database_path
    if path.exists():
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            problems.append(f"DATABASE_PATH {path} is not a usable SQLite database ({exc})")
            version = -1
        if version > latest:
            problems.append(f"database schema {version} is newer than this code ({latest})")
        elif version >= 0:
            print(f"database: {path} at schema {version}; {latest - version} migration(s) to apply")
    else:
        print(f"database: {path} will be created and migrated to schema {latest}")
    print(f"api: {settings.discord_api_base_url or 'discord.com'}")
    scope = f"guild {settings.command_guild_id}" if settings.command_guild_id else "global"
    print(f"commands: synced {scope}, when changed")
    print(f"extensions: {', '.join(EXTENSIONS)}")
    enabled = sorted(name for name, on in intents() if on)
    print(f"intents: {', '.join(enabled)}")
    print(f"default locale: {settings.default_locale}; log level: {settings.log_level}")
    if settings.webhooks_enabled:
        print(
            f"store webhooks: POST {settings.webhook_host}:{settings.webhook_port}/webhooks/shopify"
        )
    else:
        print("store webhooks: off")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_USAGE if problems else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Vouch, the Discord bot of an invitation-only community. "
        "Settings come from the environment and .env (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,migrate,backup,check}")
    sub.add_parser("run", help="run the bot (the default)", description="Run the bot.")
    sub.add_parser(
        "migrate",
        help="apply migrations and print the schema version",
        description="Apply pending migrations to DATABASE_PATH and print the schema version.",
    )
    backup = sub.add_parser(
        "backup",
        help="write a consistent copy of the database",
        description="Write a consistent copy of DATABASE_PATH with SQLite's online backup API; "
        "safe while the bot runs.",
    )
    backup.add_argument("path", type=Path, help="the new file to write")
    sub.add_parser(
        "check",
        help="validate settings and database, print what would run",
        description="Validate settings and the database and print what would run. No network.",
    )
    return parser


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise StartupError(f"invalid settings: {details}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = _load_settings()
        logging.basicConfig(
            level=settings.log_level_number,
            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        )
        if args.command == "migrate":
            return asyncio.run(run_migrate(settings))
        if args.command == "backup":
            check_backup_paths(settings, args.path)
            return asyncio.run(run_backup(settings, args.path))
        if args.command == "check":
            return run_check(settings)
        if not settings.token_is_usable:
            raise StartupError(TOKEN_HELP)
        asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"vouch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except discord.LoginFailure:
        print(
            "vouch: Discord rejected DISCORD_TOKEN; reset it in the developer portal",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except discord.PrivilegedIntentsRequired:
        print(
            "vouch: enable the Server Members intent for the bot in the developer portal "
            "(Bot -> Privileged Gateway Intents)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
