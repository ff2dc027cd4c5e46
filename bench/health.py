"""Community health at scale: 10,000 members and a year of history.

The issue: "A benchmark: 10,000 members and a year of history. Report the /health compute time,
the chart render time and the digest build time, and show the event loop isn't blocked:
measure the ack latency of an unrelated command while a chart renders."

One run, seeded. An in-process emulator guild gets `--members` members (10,000) and 30 people
in the gate. A fresh database (migrated like the bot's) then gets a year of history up to now:
2,000 members recorded at setup a year ago, the others admitted through the year by every
source (a third through introductions, with their introductions), 2,000 more who joined and
left (a fifth within 30 days), engagement signals per member and day (a fifth of the members
active about every other day, the rest less: ~450,000 rows), 4,000 NPS answers on three
questions, 6,000 referred orders in EUR, USD and DKK (some refunded), 70 leaders with circles
and 15,000 check-ins; and daily snapshots for the year: the older half written directly, the
last 183 days stored by `Snapshots.catch_up` as on a first install (timed).

Then, on that database, in this process:
- the metrics: `HealthService.period_report` for a week (x20), a month (x10) and a quarter (x10),
  p50/p99; one day's snapshot (`Snapshots.compute`, x20); the export rows; the digest's
  contents for the week (`DigestService.preview`, x10);
- the charts: `chart_points` and both PNGs of the quarter view, the first render (it starts the
  charts process) and then x10 warm, p50/p99;
- the event loop: an asyncio heartbeat (sleep 5 ms, lateness measured) idle, while charts render
  back to back, and while quarter reports are computed back to back.
Then the real bot (composition root, same database) connects to the emulator: `/setup show` is
sent as the owner every 50 ms, 60 times alone (baseline) and 60 times while the owner runs
`/health show period:quarter` back to back (the metrics, the snapshot catch-up check and two
chart renders each time); ack latency = emulator dispatch to the callback POST's arrival, as in
bench/interaction_roundtrip.py. Also reported: each /health show's own ack (its defer) and the
time to its answer with the charts, and `/digest preview` (x5): its ack and the whole digest.

    python -m bench.health [--members 10000] [--seed 7] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import machine, percentile, quiet_audioop, ratio, write_json

quiet_audioop()

from bench.interaction_roundtrip import StampingEmulator, started  # noqa: E402
from bot.charts import shutdown_charts  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.migrate import migrate  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.services.clock import iso  # noqa: E402
from bot.services.health.snapshots import CATCH_UP_DAYS  # noqa: E402
from cogs.health._charts import health_charts  # noqa: E402

JSON = dict[str, Any]
SOURCES = (
    ("introduction",) * 35
    + ("referral",) * 25
    + ("invite",) * 10
    + ("vanity",) * 15
    + ("unknown",) * 15
)
KINDS = ("message",) * 14 + ("vote", "vote", "rsvp_kept", "feedback_item", "feedback_upvote")
CURRENCIES = ("EUR",) * 12 + ("USD",) * 5 + ("DKK",) * 3


def summary(samples: Sequence[float]) -> JSON:
    """p50/p99/max in milliseconds of samples in seconds."""
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
    }


async def timed(n: int, work: Callable[[], Awaitable[object]]) -> JSON:
    """Run `work` n times; the summary of its wall times."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return summary(samples)


# -- the history -------------------------------------------------------------------------------
async def build_history(
    db: Database, guild_id: int, members: list[int], gate: list[int], now: datetime, seed: int
) -> JSON:
    """A year of a 10,000-member community; returns the row counts."""
    rnd = random.Random(seed)
    year_ago = now - timedelta(days=365)
    stints: list[tuple[Any, ...]] = []
    intros: list[tuple[Any, ...]] = []
    admitted_at: dict[int, datetime] = {}

    def stint(user: int, source: str, admitted: datetime, left: datetime | None) -> None:
        intro_id = None
        if source == "introduction":
            intro_id = len(intros) + 1
            created = admitted - timedelta(hours=rnd.uniform(2, 96))
            intros.append(
                (intro_id, guild_id, rnd.choice(members[:2000]), "used", iso(created), user)
            )
        stints.append(
            (
                guild_id,
                user,
                "left" if left else "member",
                source,
                intro_id,
                iso(admitted),
                iso(admitted),
                iso(left) if left else None,
                "left" if left else None,
            )
        )

    for user in members[:2000]:  # recorded at setup, a year ago
        stint(user, "existing", year_ago + timedelta(hours=1), None)
        admitted_at[user] = year_ago
    for user in members[2000:]:
        when = year_ago + timedelta(seconds=rnd.uniform(3600, 365 * 86400 - 3600))
        stint(user, rnd.choice(SOURCES), when, None)
        admitted_at[user] = when
    for index in range(2000):  # joined and left (ids the guild no longer has)
        user = 900_000_000_000_000_000 + index
        when = year_ago + timedelta(seconds=rnd.uniform(3600, 360 * 86400))
        stay = timedelta(days=rnd.uniform(1, 29) if index % 5 == 0 else rnd.uniform(30, 200))
        stint(user, rnd.choice(SOURCES), when, min(when + stay, now - timedelta(hours=1)))
    for _ in range(1000):  # introductions that expired
        created = year_ago + timedelta(days=rnd.uniform(1, 364))
        intros.append(
            (len(intros) + 1, guild_id, rnd.choice(members), "expired", iso(created), None)
        )
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO introduction (id, guild_id, sponsor_id, newcomer_name, why, status, "
            "created_at, newcomer_id) VALUES (?, ?, ?, 'N', 'W', ?, ?, ?)",
            intros,
        )
        await tx.executemany(
            "INSERT INTO member_stint (guild_id, user_id, status, source, introduction_id, "
            "joined_at, admitted_at, left_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stints,
        )
        await tx.executemany(
            "INSERT INTO member_stint (guild_id, user_id, status, source, joined_at) "
            "VALUES (?, ?, 'pending', 'unknown', ?)",
            [(guild_id, u, iso(now - timedelta(hours=rnd.uniform(1, 72)))) for u in gate],
        )

    # Engagement: per member, days active drawn from their admission to today.
    today = now.date()
    signals: dict[tuple[int, str, str, int], int] = {}
    for user in members:
        level = rnd.random()
        p = 0.5 if level < 0.2 else 0.15 if level < 0.5 else 0.03
        first = max(admitted_at[user].date(), today - timedelta(days=364))
        span = (today - first).days + 1
        for offset in rnd.sample(range(span), k=min(span, int(span * p))):
            day = (first + timedelta(days=offset)).isoformat()
            for _ in range(rnd.choice((1, 1, 2))):
                kind = rnd.choice(KINDS)
                channel = rnd.randrange(1, 6) if kind == "message" else 0
                key = (user, day, kind, channel)
                signals[key] = signals.get(key, 0) + rnd.randint(1, 5)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(guild_id, u, d, k, c, n) for (u, d, k, c), n in signals.items()],
        )

    # NPS, orders, leaders.
    async with db.transaction() as tx:
        polls = []
        for product in (None, "Boots", "Bags"):
            polls.append(
                await tx.execute(
                    "INSERT INTO poll (guild_id, kind, question, product, author_id, created_at) "
                    "VALUES (?, 'nps', 'Recommend us?', ?, ?, ?)",
                    (guild_id, product, members[0], iso(year_ago)),
                )
            )
        votes = {
            (rnd.choice(polls), str(rnd.choice(members))): (
                min(10, max(0, round(rnd.gauss(7.5, 2.2)))),
                iso(year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400))),
            )
            for _ in range(4000)
        }
        await tx.executemany(
            "INSERT INTO poll_vote (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
            [(poll, voter, score, at) for (poll, voter), (score, at) in votes.items()],
        )
        referrers = rnd.sample(members, 800)
        await tx.executemany(
            "INSERT INTO referral_code (guild_id, user_id, code, created_at) VALUES (?, ?, ?, ?)",
            [(guild_id, u, f"C{u}", iso(year_ago)) for u in referrers],
        )
        await tx.executemany(  # half of them opted in to being named among top referrers
            "INSERT INTO referral_member (guild_id, user_id, showcase, updated_at) "
            "VALUES (?, ?, 1, ?)",
            [(guild_id, u, iso(year_ago)) for u in referrers[::2]],
        )
        orders = []
        for index in range(6000):
            when = iso(year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400)))
            roll = rnd.random()
            status = "refunded" if roll < 0.05 else "cancelled" if roll < 0.07 else "paid"
            orders.append(
                (
                    guild_id,
                    f"o{index}",
                    rnd.choice(referrers),
                    rnd.randint(1500, 25000),
                    rnd.choice(CURRENCIES),
                    when,
                    status,
                    int(rnd.random() < 0.02),
                    when,
                    when,
                )
            )
        await tx.executemany(
            "INSERT INTO referral_order (guild_id, order_id, code, referrer_id, amount_minor, "
            "currency, ordered_at, status, self_referral, source, import_id, imported_at, "
            "updated_at) VALUES (?, ?, 'C', ?, ?, ?, ?, ?, ?, 'csv', 'bench', ?, ?)",
            orders,
        )
        await tx.execute(
            "INSERT INTO leader_settings (guild_id, retention_days, updated_at) VALUES (?, 730, ?)",
            (guild_id, iso(year_ago)),
        )
        leaders = rnd.sample(members[:4000], 70)
        circles = []
        for index, leader in enumerate(leaders):
            since = year_ago + timedelta(days=rnd.uniform(0, 300))
            await tx.execute(
                "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
                (guild_id, leader, iso(since)),
            )
            circles.append(
                await tx.execute(
                    "INSERT INTO circle (guild_id, name, leader_id, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (guild_id, f"Circle {index}", leader, iso(since)),
                )
            )
        people = [u for u in members if u not in set(leaders)][:7000]
        placed = [
            (u, circles[i % len(circles)], leaders[i % len(leaders)]) for i, u in enumerate(people)
        ]
        await tx.executemany(
            "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
            "VALUES (?, ?, ?, ?)",
            [(guild_id, u, c, iso(year_ago)) for u, c, _ in placed],
        )
        await tx.executemany(
            "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (
                    guild_id,
                    c,
                    leader,
                    u,
                    iso(year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400))),
                )
                for u, c, leader in rnd.choices(placed, k=15000)
            ],
        )
    return {
        "stints": len(stints) + len(gate),
        "introductions": len(intros),
        "engagement_rows": len(signals),
        "nps_answers": len(votes),
        "orders": len(orders),
        "circle_members": len(placed),
        "checkins": 15000,
    }


async def old_snapshots(db: Database, guild_id: int, first: date, last: date) -> int:
    """Snapshot rows for the older half-year, written directly (aggregates only)."""
    rows = []
    day, members = first, 2000
    while day <= last:
        joined = 22
        members += joined - 4
        rows.append(
            (
                guild_id,
                day.isoformat(),
                members,
                8,
                joined,
                0,
                4,
                1,
                8,
                6,
                2,
                3,
                3,
                10,
                members // 6,
                members // 20,
                5,
                3,
                2,
                15,
                1,
                70,
                7000,
                3000,
                iso(datetime.now(UTC)),
            )
        )
        day += timedelta(days=1)
    marks = ", ".join("?" * 25)
    async with db.transaction() as tx:
        await tx.executemany(f"INSERT INTO health_daily VALUES ({marks})", rows)
        await tx.executemany(
            "INSERT INTO health_daily_sales VALUES (?, ?, ?, ?, ?)",
            [(guild_id, r[1], cur, 5, 50000) for r in rows for cur in ("DKK", "EUR", "USD")],
        )
    return len(rows)


# -- the event loop ----------------------------------------------------------------------------
async def heartbeat_during(work: Callable[[], Awaitable[object]] | None, seconds: float) -> JSON:
    """Lateness of a 5 ms asyncio sleep, looped for `seconds` while `work` runs back to back
    (None: idle). A blocked loop shows as lateness."""
    stop = asyncio.Event()
    lateness: list[float] = []

    async def beat() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lateness.append(time.perf_counter() - start - 0.005)

    async def busy() -> int:
        done = 0
        while not stop.is_set() and work is not None:
            await work()
            done += 1
        return done

    beater = asyncio.create_task(beat())
    worker = asyncio.create_task(busy())
    await asyncio.sleep(seconds)
    stop.set()
    await beater
    done = await worker
    return {**summary(lateness), "work_done": done}


# -- the bot through the emulator --------------------------------------------------------------
async def acks_while(
    emu: StampingEmulator, guild: Any, n: int, background: Callable[[], Awaitable[None]] | None
) -> tuple[JSON, Any]:
    """`/setup show` every 50 ms, n times, while `background` runs back to back; ack latency."""
    stop = asyncio.Event()
    results: list[Any] = []

    async def loop_background() -> None:
        while not stop.is_set() and background is not None:
            results.append(await background())

    runner = asyncio.create_task(loop_background())
    await asyncio.sleep(0.2 if background else 0)
    samples = []
    for _ in range(n):
        rec = await emu.slash(guild.id, guild.owner.id, "setup", "show")
        ack = await rec.wait_ack(timeout=10.0)
        if ack.type != 4:
            raise RuntimeError(f"unexpected acknowledgement {ack!r}")
        samples.append(emu.callback_at[rec.id] - emu.sent_at[rec.id])
        await asyncio.sleep(0.05)
    stop.set()
    await runner
    return summary(samples), results


async def digest_week(services: Services, guild_id: int, people: Sequence[int], seed: int) -> JSON:
    """A busy week for the digest: 5 polls closed (300 votes each, so 5 charts), 30 feedback
    items moved to shipped or planned, and 8 upcoming founder sessions."""
    rng = random.Random(seed)
    owner = people[0]
    for number in range(5):
        poll = await services.polls.create_poll(
            guild_id, owner, question=f"Poll {number}?", options="Tan;Black;Olive;Navy"
        )
        for person in rng.sample(list(people), 300):
            await services.polls.vote(guild_id, poll.id, person, rng.randrange(4), [])
        await services.polls.close(guild_id, poll.id)
    for number in range(30):
        item = await services.board.submit(
            guild_id, rng.choice(people), "Boots", f"Idea {number}", "Details"
        )
        status = "shipped" if number % 2 else "planned"
        await services.board.set_status(guild_id, item.id, owner, status)
    start = services.clock() + timedelta(days=2)
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
            "audience, created_at, updated_at) VALUES (?, 'ama', ?, ?, ?, ?, 'all', ?, ?)",
            [
                (
                    guild_id,
                    f"AMA {number}",
                    owner,
                    iso(start + timedelta(days=number)),
                    iso(start + timedelta(days=number, hours=1)),
                    iso(start),
                    iso(start),
                )
                for number in range(8)
            ],
        )
    return {"polls": 5, "votes": 1500, "feedback_moved": 30, "sessions": 8}


async def digest_preview(emu: StampingEmulator, guild: Any, charts: int) -> JSON:
    """`/digest preview` as the owner: its ack (the defer) and the time to the whole digest,
    that is until every poll's chart (`charts` PNGs) has arrived."""
    begin = time.perf_counter()
    rec = await emu.slash(guild.id, guild.owner.id, "digest", "preview")
    await rec.wait_ack(timeout=10.0)
    await rec.wait_followup(1, timeout=120.0)
    deadline = begin + 120.0

    def pngs() -> int:
        return sum(
            attachment.data.startswith(b"\x89PNG")
            for message in rec.followups
            for attachment in message.attachments
        )

    while pngs() < charts:
        if rec.failed or time.perf_counter() > deadline:
            raise RuntimeError(f"/digest preview: {pngs()} of {charts} charts")
        await asyncio.sleep(0.002)
    return {
        "ack": emu.callback_at[rec.id] - emu.sent_at[rec.id],
        "answer": time.perf_counter() - begin,
        "messages": len(rec.followups),
        "charts": pngs(),
    }


async def run(members: int, seed: int) -> JSON:
    """Build the history, measure the service and charts, then the bot through the emulator."""
    result: JSON = {"machine": machine(), "config": {"members": members, "seed": seed}}
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="vouch-bench-health-") as tmp:
        emu = StampingEmulator()
        async with emu:
            guild = emu.make_guild()
            people = emu.populate_members(guild.id, members + 30)
            path = Path(tmp) / "data" / "community.db"
            db = Database(path)
            await db.open()
            await migrate(db)
            start = time.perf_counter()
            counts = await build_history(
                db, guild.id, people[:members], people[members:], now, seed
            )
            counts["build_s"] = time.perf_counter() - start
            yesterday = now.date() - timedelta(days=1)
            first_caught = yesterday - timedelta(days=CATCH_UP_DAYS - 1)
            counts["snapshots_written"] = await old_snapshots(
                db, guild.id, now.date() - timedelta(days=365), first_caught - timedelta(days=1)
            )
            result["history"] = counts
            print(f"history: {counts}", flush=True)

            services = Services.build(db)
            health = services.health
            start = time.perf_counter()
            caught = await health.snapshots.catch_up(guild.id)
            result["catch_up"] = {"days": len(caught), "s": time.perf_counter() - start}
            print(f"catch-up of {len(caught)} days: {result['catch_up']['s']:.1f} s", flush=True)
            metrics = {
                period: await timed(n, lambda p=period: health.period_report(guild.id, p))
                for period, n in (("week", 20), ("month", 10), ("quarter", 10))
            }
            metrics["one_day_snapshot"] = await timed(
                20, lambda: health.snapshots.compute(guild.id, yesterday)
            )
            metrics["export_rows"] = await timed(5, lambda: health.export(guild.id))
            metrics["chart_points_quarter"] = await timed(
                10, lambda: health.chart_points(guild.id, "quarter")
            )
            result["digest_week"] = await digest_week(services, guild.id, people[:members], seed)
            metrics["digest_content"] = await timed(10, lambda: services.digest.preview(guild.id))
            result["metrics"] = metrics
            for name, figures in metrics.items():
                print(
                    f"  {name:22s} p50 {figures['p50_ms']:8.1f} ms  p99 "
                    f"{figures['p99_ms']:8.1f} ms",
                    flush=True,
                )

            points = await health.chart_points(guild.id, "quarter")

            async def charts() -> None:
                await health_charts(points, True, "fr")

            start = time.perf_counter()
            await charts()
            result["charts"] = {
                "first_s": time.perf_counter() - start,
                "warm": await timed(10, charts),
                "points": len(points),
            }
            print(
                f"  charts (both) first {result['charts']['first_s']:.2f} s, warm p50 "
                f"{result['charts']['warm']['p50_ms']:.0f} ms",
                flush=True,
            )

            async def quarter() -> None:
                await health.period_report(guild.id, "quarter")

            result["heartbeat"] = {
                "idle": await heartbeat_during(None, 2.0),
                "rendering_charts": await heartbeat_during(charts, 3.0),
                "computing_quarter": await heartbeat_during(quarter, 3.0),
            }
            for name, beat in result["heartbeat"].items():
                print(
                    f"  heartbeat {name:18s} lateness p50 {beat['p50_ms']:.2f} ms p99 "
                    f"{beat['p99_ms']:.2f} ms max {beat['max_ms']:.1f} ms "
                    f"({beat['work_done']} done)",
                    flush=True,
                )
            await db.close()

            async with started("ours", emu, Path(tmp)) as bot:
                await asyncio.sleep(1.0)
                await bot.jobs.drain()  # startup jobs (the snapshot check) first
                for _ in range(10):  # warm-up
                    await (await emu.slash(guild.id, guild.owner.id, "setup", "show")).wait_ack()

                async def dashboard() -> JSON:
                    begin = time.perf_counter()
                    rec = await emu.slash(
                        guild.id, guild.owner.id, "health", "show", {"period": "quarter"}
                    )
                    await rec.wait_ack(timeout=10.0)
                    followup = await rec.wait_followup(1, timeout=120.0)
                    if len(followup.attachments) != 2 or rec.failed:
                        raise RuntimeError("/health show did not answer with two charts")
                    return {
                        "ack": emu.callback_at[rec.id] - emu.sent_at[rec.id],
                        "answer": time.perf_counter() - begin,
                    }

                alone, _ = await acks_while(emu, guild, 60, None)
                busy, shows = await acks_while(emu, guild, 60, dashboard)
                charts = int(result["digest_week"]["polls"])
                previews = [await digest_preview(emu, guild, charts) for _ in range(5)]
                problems = emu.unexpected_violations()
            result["acks"] = {
                "baseline": alone,
                "during_health_show": busy,
                "ratio_p50": ratio(busy["p50_ms"], alone["p50_ms"]),
                "ratio_p99": ratio(busy["p99_ms"], alone["p99_ms"]),
                "health_show_ack": summary([s["ack"] for s in shows]),
                "health_show_answer": summary([s["answer"] for s in shows]),
                "digest_preview_ack": summary([p["ack"] for p in previews]),
                "digest_preview_answer": summary([p["answer"] for p in previews]),
                "digest_preview_shape": {
                    "messages": previews[-1]["messages"],
                    "charts": previews[-1]["charts"],
                },
                "problems": [str(p) for p in problems],
            }
    await shutdown_charts()
    return result


def report(result: JSON) -> None:
    """Print the figures."""
    a = result["acks"]
    print("\n/setup show ack latency (dispatch -> callback POST)")
    for name in ("baseline", "during_health_show"):
        print(
            f"  {name:20s} p50 {a[name]['p50_ms']:7.2f} ms  p99 {a[name]['p99_ms']:7.2f} ms  "
            f"max {a[name]['max_ms']:7.2f} ms"
        )
    print(f"  ratio p50 {a['ratio_p50']:.2f}x  p99 {a['ratio_p99']:.2f}x")
    print(
        f"/health show (quarter) x{a['health_show_answer']['n']}: ack p50 "
        f"{a['health_show_ack']['p50_ms']:.1f} ms; answer with two charts p50 "
        f"{a['health_show_answer']['p50_ms']:.0f} ms, p99 "
        f"{a['health_show_answer']['p99_ms']:.0f} ms"
    )
    print(
        f"/digest preview x{a['digest_preview_answer']['n']}: ack p50 "
        f"{a['digest_preview_ack']['p50_ms']:.1f} ms; whole digest p50 "
        f"{a['digest_preview_answer']['p50_ms']:.0f} ms, p99 "
        f"{a['digest_preview_answer']['p99_ms']:.0f} ms"
    )
    if a["problems"]:
        print(f"emulator problems: {a['problems']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.health")
    parser.add_argument("--members", type=int, default=10_000, help="members now")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.members < 2100:
        parser.error("--members must be at least 2,100")
    result = asyncio.run(run(args.members, args.seed))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
