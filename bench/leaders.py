"""Leader suggestions and circle plans at scale: 2,000 members and 90 days of signals.

The issue: "Benchmark: 2,000 members, 90 days of synthetic signals (about 1 million daily rows
in engagement_daily). Report the time of /leaders suggest and /circles plan, p50 and p99, and
the database size. Both must answer within the 3 s acknowledgement: defer in the commands."

One run, seeded. An in-process emulator guild gets `--members` members (accounts three years
old, so the referral integrity rule flags only what the data says); a fresh database (migrated
like the bot's) gets the community of bench/_leaders_data.py: stints over two years (100
members of less than 30 days), ~1 million engagement_daily rows over 90 days, 26 sessions with
their attendance, 400 feedback items with 4,000 upvotes, 25 leaders, opt-outs and declines.
Reported: the rows and the database size (after a WAL checkpoint).

Then, on that database, in this process:
- the services: `LeaderSuggestions.suggest(count=10)` (the whole ranking, 10 kept), the same
  with the Discord join dates of the 800 members recorded at setup, the scale alert's claim,
  and `CircleService.plan(...)` (it stores the plan each time), `--runs` times each, p50/p99;
- the event loop: an asyncio heartbeat (sleep 5 ms, lateness measured) idle, and while
  suggestions, then plans, are computed back to back.
Then the real bot (composition root, same database) connects to the emulator, and the owner
runs `/leaders suggest count:10` and `/circles plan` `--runs` times each: the ack (dispatch to
the callback POST, the defer) and the whole answer (dispatch to the followup); and `/setup show`
every 50 ms, 60 times alone and 60 times while `/leaders suggest` runs back to back (ack
latency, as in bench/interaction_roundtrip.py).

    python -m bench.leaders [--members 2000] [--seed 7] [--runs 20] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import machine, quiet_audioop, ratio, write_json

quiet_audioop()

from bench._leaders_data import build_community, existing_joined, old_account  # noqa: E402
from bench.health import acks_while, heartbeat_during, summary, timed  # noqa: E402
from bench.interaction_roundtrip import StampingEmulator, started  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.migrate import migrate  # noqa: E402
from bot.services import Services  # noqa: E402
from tests.emulator.state import Member  # noqa: E402

JSON = dict[str, Any]


def populate(emu: StampingEmulator, guild_id: int, count: int, now: datetime) -> list[int]:
    """`count` members whose accounts are three years old (no events: before the bot
    connects)."""
    guild = emu.state.guilds[guild_id]
    created = old_account(now)
    ids = []
    for index in range(count):
        user = emu.state.add_user(f"lead{index}", created_at=created)
        guild.members[user.id] = Member(guild_id, user.id, [], now - timedelta(days=400))
        ids.append(user.id)
    return ids


def database_size(path: Path) -> JSON:
    """The file's size after folding the WAL in, and its rows per table of interest."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    wal = path.with_name(path.name + "-wal")
    return {
        "file_mb": path.stat().st_size / 2**20,
        "pages_mb": pages * page_size / 2**20,
        "wal_mb": wal.stat().st_size / 2**20 if wal.exists() else 0.0,
    }


async def command(emu: StampingEmulator, guild: Any, name: str, sub: str, options: Any) -> JSON:
    """One deferred command as the owner: its ack and the time to its answer."""
    begin = time.perf_counter()
    rec = await emu.slash(guild.id, guild.owner.id, name, sub, options)
    ack = await rec.wait_ack(timeout=10.0)
    answer = await rec.wait_followup(1, timeout=60.0)
    if ack.type != 5 or rec.failed or not answer.content:
        raise RuntimeError(f"/{name} {sub} did not defer and answer ({ack!r})")
    return {
        "ack": emu.callback_at[rec.id] - emu.sent_at[rec.id],
        "answer": time.perf_counter() - begin,
        "first_line": answer.content.splitlines()[0],
    }


async def run(members: int, seed: int, runs: int) -> JSON:
    """Build the community, measure the services, then the bot through the emulator."""
    result: JSON = {
        "machine": machine(),
        "config": {"members": members, "seed": seed, "runs": runs},
    }
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="vouch-bench-leaders-") as tmp:
        emu = StampingEmulator()
        async with emu:
            guild = emu.make_guild()
            people = populate(emu, guild.id, members, now)
            path = Path(tmp) / "data" / "community.db"
            db = Database(path)
            await db.open()
            await migrate(db)
            start = time.perf_counter()
            counts = await build_community(db, guild.id, people, now, seed)
            counts["build_s"] = time.perf_counter() - start
            result["data"] = counts
            await db.close()
            result["database"] = database_size(path)
            print(f"data: {counts}", flush=True)
            print(
                f"database: {result['database']['file_mb']:.1f} MB "
                f"({counts['engagement_rows']:,} engagement_daily rows)",
                flush=True,
            )

            db = Database(path)
            await db.open()
            services = Services.build(db)
            suggestions, circles = services.leader_suggestions, services.circles
            joined = existing_joined(people, now)
            owner = guild.owner.id
            sample = await suggestions.suggest(guild.id, 10, joined=joined)
            result["suggestions"] = {
                "eligible": sample.eligible,
                "excluded": vars(sample.excluded),
                "sessions_held": sample.sessions_held,
                "top_scores": [round(s.score, 1) for s in sample.top],
            }
            plan = await circles.plan(guild.id, by=owner)
            result["plan"] = {"circles": len(plan.circles), "members": plan.members}
            services_times = {
                "suggest": await timed(runs, lambda: suggestions.suggest(guild.id, 10)),
                "suggest_with_join_dates": await timed(
                    runs, lambda: suggestions.suggest(guild.id, 10, joined=joined)
                ),
                "claim_alert": await timed(runs, lambda: suggestions.claim_alert(guild.id)),
                "circles_plan": await timed(runs, lambda: circles.plan(guild.id, by=owner)),
            }
            result["services"] = services_times
            for name, figures in services_times.items():
                print(
                    f"  {name:24s} p50 {figures['p50_ms']:7.1f} ms  p99 "
                    f"{figures['p99_ms']:7.1f} ms",
                    flush=True,
                )

            async def suggest_once() -> None:
                await suggestions.suggest(guild.id, 10)

            async def plan_once() -> None:
                await circles.plan(guild.id, by=owner)

            result["heartbeat"] = {
                "idle": await heartbeat_during(None, 2.0),
                "suggesting": await heartbeat_during(suggest_once, 3.0),
                "planning": await heartbeat_during(plan_once, 3.0),
            }
            for name, beat in result["heartbeat"].items():
                print(
                    f"  heartbeat {name:11s} lateness p50 {beat['p50_ms']:.2f} ms p99 "
                    f"{beat['p99_ms']:.2f} ms max {beat['max_ms']:.1f} ms "
                    f"({beat['work_done']} done)",
                    flush=True,
                )
            await db.close()

            async with started("ours", emu, Path(tmp)) as client:
                bot: Any = client  # the VouchBot
                await asyncio.sleep(1.0)
                await bot.jobs.drain()  # startup work first
                for _ in range(10):  # warm-up
                    await (await emu.slash(guild.id, owner, "setup", "show")).wait_ack()
                suggest_runs = [
                    await command(emu, guild, "leaders", "suggest", {"count": 10})
                    for _ in range(runs)
                ]
                plan_runs = [
                    await command(emu, guild, "circles", "plan", None) for _ in range(runs)
                ]

                async def suggest_command() -> None:
                    await command(emu, guild, "leaders", "suggest", {"count": 10})

                alone, _ = await acks_while(emu, guild, 60, None)
                busy, _ = await acks_while(emu, guild, 60, suggest_command)
                problems = emu.unexpected_violations()
            result["commands"] = {
                "suggest_ack": summary([r["ack"] for r in suggest_runs]),
                "suggest_answer": summary([r["answer"] for r in suggest_runs]),
                "suggest_first_line": suggest_runs[0]["first_line"],
                "plan_ack": summary([r["ack"] for r in plan_runs]),
                "plan_answer": summary([r["answer"] for r in plan_runs]),
                "setup_show_ack_alone": alone,
                "setup_show_ack_during_suggest": busy,
                "ratio_p50": ratio(busy["p50_ms"], alone["p50_ms"]),
                "ratio_p99": ratio(busy["p99_ms"], alone["p99_ms"]),
                "problems": [str(p) for p in problems],
            }
    return result


def report(result: JSON) -> None:
    """Print the figures."""
    c = result["commands"]
    print("\nthrough the emulator (the real bot, as the owner)")
    for name in ("suggest", "plan"):
        label = "/leaders suggest count:10" if name == "suggest" else "/circles plan"
        print(
            f"  {label:26s} ack p50 {c[f'{name}_ack']['p50_ms']:6.1f} ms p99 "
            f"{c[f'{name}_ack']['p99_ms']:6.1f} ms; answer p50 "
            f"{c[f'{name}_answer']['p50_ms']:6.0f} ms p99 {c[f'{name}_answer']['p99_ms']:6.0f} ms"
        )
    print("/setup show ack latency (dispatch -> callback POST)")
    for label, name in (
        ("alone", "setup_show_ack_alone"),
        ("during suggest", "setup_show_ack_during_suggest"),
    ):
        print(
            f"  {label:20s} p50 {c[name]['p50_ms']:7.2f} ms  "
            f"p99 {c[name]['p99_ms']:7.2f} ms  max {c[name]['max_ms']:7.2f} ms"
        )
    print(f"  ratio p50 {c['ratio_p50']:.2f}x  p99 {c['ratio_p99']:.2f}x")
    if c["problems"]:
        print(f"emulator problems: {c['problems']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.leaders")
    parser.add_argument("--members", type=int, default=2_000, help="members now")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=20, help="timed calls of each")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.members < 1_000:
        parser.error("--members must be at least 1,000")
    result = asyncio.run(run(args.members, args.seed, args.runs))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
