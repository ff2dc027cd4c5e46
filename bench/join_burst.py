"""Join burst: the emulator fires N member joins back to back; how fast does the bot keep up?

Each run uses a fresh in-process emulator and guild, and (for OURS) a fresh temporary database
through the real composition root (``running_bot``) after ``/setup auto`` and
``/setup membership max_members:0`` as the owner. Before the burst a human (the owner) creates
`--singles` single-use invites and one reusable invite; the bot has stored all of them. Then N new
users join back to back (a fixed shuffled mix: one through each single-use invite, `--reusable`
through the reusable invite, the rest without an invite), each ``await emu.member_join`` right
after the previous one: the emulator dispatches as fast as it can while the bot, in the same
event loop, processes.

Processed: OURS when the PUT of the Newcomer role for that user reaches the emulator's HTTP
layer (the bot has attributed and recorded the join by then); the BASELINE (bench/baseline_bot.py,
nothing on join) when discord.py calls ``on_member_join``; BASELINE+REST is the baseline plus a
listener doing the Discord side of ours without a database: list the invites under a per-guild
lock, add the Newcomer role, post one log line. Throughput = N / (last processed - first dispatch).

Also reported for OURS: REST calls per join by route (every call from first dispatch until the
bot's event handlers are done), the time spent in ``services.invites.attribute_join`` +
``services.members.record_join`` per join (wrapped at runtime in this process; wall time, so it
includes waiting for the single database connection), and whether the recorded attribution
matches the invite each user really used.

    python -m bench.join_burst [--joins 500] [--singles 100] [--reusable 300] [--runs 3] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import machine, median, percentile, quiet_audioop, ratio, write_json

quiet_audioop()

import discord  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.typedefs import Handler  # noqa: E402
from discord.ext import commands  # noqa: E402

from bench.interaction_roundtrip import started  # noqa: E402
from bot.client import VouchBot  # noqa: E402
from bot.services.attribution import Attribution, InviteState  # noqa: E402
from bot.services.membership.members import JoinOutcome  # noqa: E402
from tests.emulator import Emulator, InteractionRecord, Message, StandardGuild, User  # noqa: E402
from tests.emulator.state import TEXT  # noqa: E402

JSON = dict[str, Any]
BOTS = ("baseline", "baseline+rest", "ours")
SETTLE_TIMEOUT = 10.0
POLL = 0.05
ROLE_PUT = re.compile(r"^/api/v10/guilds/\d+/members/(\d+)/roles/(\d+)$")
IN_FLIGHT = ("discord.py: on_",)
IDS = re.compile(r"/\d+")


class Processed:
    """Arrival times (perf_counter) of the users a run is waiting for; an event once all came."""

    def __init__(self, expected: set[int]) -> None:
        self.expected = expected
        self.at: dict[int, float] = {}
        self.done = asyncio.Event()

    def hit(self, user_id: int) -> None:
        """Stamp the first arrival of a user's completion."""
        if user_id in self.expected and user_id not in self.at:
            self.at[user_id] = time.perf_counter()
            if len(self.at) == len(self.expected):
                self.done.set()


class BurstEmulator(Emulator):
    """The emulator, plus a stamp when the PUT of the watched role reaches its HTTP layer."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.role_put: Processed | None = None
        self.watched_role = 0

    def _build_app(self) -> web.Application:
        app = super()._build_app()

        @web.middleware
        async def stamp(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.method == "PUT" and self.role_put is not None:
                match = ROLE_PUT.match(request.path)
                if match and int(match[2]) == self.watched_role:
                    self.role_put.hit(int(match[1]))
            return await handler(request)

        app.middlewares.insert(0, stamp)
        return app


@dataclass
class DbTimes:
    """attribute_join and record_join wall times (seconds), per join, as the bot awaited them."""

    attribute: list[float] = field(default_factory=list)
    record: list[float] = field(default_factory=list)
    per_join: dict[int, float] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


def instrument(bot: VouchBot) -> DbTimes:
    """Wrap this bot's attribute_join and record_join (instance attributes, this process only)."""
    times = DbTimes()
    members, tracker = bot.services.members, bot.services.invites
    record_join, attribute_join = members.record_join, tracker.attribute_join
    # The handler awaits attribute_join, then record_join, in one task: carry the first over.
    pending: contextvars.ContextVar[float] = contextvars.ContextVar("attribute_s", default=0.0)

    async def timed_attribute(guild_id: int, invites: Sequence[InviteState]) -> Attribution:
        start = time.perf_counter()
        result = await attribute_join(guild_id, invites)
        elapsed = time.perf_counter() - start
        pending.set(elapsed)
        times.attribute.append(elapsed)
        times.reasons[result.reason] += 1
        return result

    async def timed_record(guild_id: int, user_id: int, **kw: Any) -> JoinOutcome:
        start = time.perf_counter()
        outcome = await record_join(guild_id, user_id, **kw)
        elapsed = time.perf_counter() - start
        times.record.append(elapsed)
        times.per_join[user_id] = elapsed + pending.get()
        times.outcomes[outcome.action] += 1
        pending.set(0.0)
        return outcome

    members.record_join = timed_record  # type: ignore[method-assign]
    tracker.attribute_join = timed_attribute  # type: ignore[method-assign]
    return times


def naive_listener(
    role_id: int, channel_id: int
) -> Callable[[discord.Member], Coroutine[Any, Any, None]]:
    """BASELINE+REST's on_member_join: Vouch's Discord calls per join, no database, no logic."""
    lock = asyncio.Lock()

    async def on_member_join(member: discord.Member) -> None:
        async with lock:  # Vouch lists one guild's invites in join order, too
            await member.guild.invites()
        await member.add_roles(discord.Object(role_id), reason="baseline")
        channel = member.guild.get_channel(channel_id)
        if isinstance(channel, discord.TextChannel):
            await channel.send(f"{member} joined")

    return on_member_join


async def reply(rec: InteractionRecord, timeout: float = 10.0) -> Message:
    """The message the invoker ends up seeing (the followup after a defer)."""
    ack = await rec.wait_ack(timeout)
    if ack.type == 5:
        return await rec.wait_followup(1, timeout)
    return await rec.wait_response(timeout)


async def configure(emu: Emulator, guild: StandardGuild, bot: VouchBot) -> int:
    """``/setup auto`` and ``/setup membership max_members:0`` as the owner; the Newcomer role."""
    await reply(await emu.slash(guild.id, guild.owner.id, "setup", "auto"))
    await reply(
        await emu.slash(guild.id, guild.owner.id, "setup", "membership", {"max_members": 0})
    )
    config = await bot.services.config.get(guild.id)
    return config.roles["newcomer"]


async def settle(deadline: float, check: Callable[[], Awaitable[bool]]) -> None:
    """Bounded wait, checking every 50 ms, then until the bot's event handlers are done."""
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the bot did not settle")
        await asyncio.sleep(POLL)
    while pending := [
        t for t in asyncio.all_tasks() if not t.done() and t.get_name().startswith(IN_FLIGHT)
    ]:
        await asyncio.wait(pending, timeout=max(0.0, deadline - time.perf_counter()))
        if time.perf_counter() > deadline:
            raise TimeoutError("event handlers still running")


def route(method: str, path: str) -> str:
    """A call's route with ids folded: GET /guilds/{id}/invites."""
    return f"{method} {IDS.sub('/{id}', path)}"


@dataclass
class Plan:
    """Who joins through what, in dispatch order."""

    joins: list[tuple[User, str | None]]
    singles: set[str]
    reusable: str


async def make_plan(
    emu: Emulator, guild: StandardGuild, n: int, singles: int, reusable: int, seed: int
) -> Plan:
    """Create the invites (INVITE_CREATE each) and N fresh users, shuffled into a mix."""
    channel = guild.channel.id
    single_codes = [
        (await emu.create_invite(channel, guild.owner.id, max_uses=1)).code for _ in range(singles)
    ]
    shared = (await emu.create_invite(channel, guild.owner.id, max_uses=0)).code
    codes: list[str | None] = [*single_codes, *([shared] * reusable)]
    codes += [None] * (n - len(codes))
    random.Random(seed).shuffle(codes)
    return Plan([(emu.add_user(), code) for code in codes], set(single_codes), shared)


@dataclass
class RunResult:
    """One burst against one bot."""

    joins_per_s: float
    dispatch_s: float
    burst_s: float
    received_s: float
    processed: int
    rest: Counter[str] = field(default_factory=Counter)
    db: DbTimes | None = None
    check: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def correctness(bot: VouchBot, guild_id: int, plan: Plan) -> dict[str, int]:
    """Compare the recorded invite code of each join with the invite the user really used."""
    rows = await bot.services.db.fetch_all(
        "SELECT user_id, source, invite_code FROM member_stint WHERE guild_id = ?", (guild_id,)
    )
    recorded = {int(r["user_id"]): r["invite_code"] for r in rows}
    check: Counter[str] = Counter()
    for user, used in plan.joins:
        if user.id not in recorded:
            check["missing"] += 1
            continue
        check["recorded"] += 1
        code = recorded[user.id]
        if code is None:
            check["unknown"] += 1
        elif code != used:
            check["wrong"] += 1
        elif code in plan.singles:
            check["exact_single_use"] += 1
        else:
            check["exact_reusable"] += 1
    for key in ("recorded", "missing", "exact_single_use", "exact_reusable", "unknown", "wrong"):
        check.setdefault(key, 0)
    check["used_single_use"] = sum(1 for _, used in plan.joins if used in plan.singles)
    check["used_reusable"] = sum(1 for _, used in plan.joins if used == plan.reusable)
    check["used_none"] = sum(1 for _, used in plan.joins if used is None)
    return dict(check)


async def burst(which: str, n: int, singles: int, reusable: int, seed: int) -> RunResult:
    """Fresh emulator, guild (and database); the invites, then N joins back to back."""
    gc.collect()
    with tempfile.TemporaryDirectory(prefix=f"vouch-bench-join-{which}-") as tmp:
        emu = BurstEmulator()
        async with emu:
            guild = emu.make_guild()
            role_id = channel_id = 0
            if which == "baseline+rest":
                role_id = emu.state.add_role(guild.guild, "Newcomer", 0, position=1).id
                log = emu.state.add_channel(guild.guild, "log", TEXT, parent_id=guild.category.id)
                channel_id = log.id
            async with started(which.split("+")[0], emu, Path(tmp)) as client:
                assert isinstance(client, commands.Bot)
                times: DbTimes | None = None
                if isinstance(client, VouchBot):
                    role_id = await configure(emu, guild, client)
                    times = instrument(client)
                elif which == "baseline+rest":
                    client.add_listener(naive_listener(role_id, channel_id), "on_member_join")
                plan = await make_plan(emu, guild, n, singles, reusable, seed)
                bot = client if isinstance(client, VouchBot) else None

                async def stored() -> bool:  # ours has every invite in its snapshot
                    if bot is None:
                        return True
                    known = {i.code for i in await bot.services.invites.snapshot(guild.id)}
                    return plan.singles | {plan.reusable} <= known

                await settle(time.perf_counter() + SETTLE_TIMEOUT, stored)
                expected = {user.id for user, _ in plan.joins}
                received = Processed(expected)

                async def on_member_join(member: discord.Member) -> None:
                    received.hit(member.id)

                client.add_listener(on_member_join, "on_member_join")
                processed = received if which == "baseline" else Processed(expected)
                emu.role_put, emu.watched_role = processed, role_id
                mark = emu.mark()
                start = time.perf_counter()
                for user, code in plan.joins:
                    await emu.member_join(guild.id, user, invite_code=code)
                dispatched = time.perf_counter()
                timeout = max(60.0, n * 0.2)
                try:
                    await asyncio.wait_for(processed.done.wait(), timeout)
                except TimeoutError:
                    print(f"  {which}: only {len(processed.at)}/{n} processed in {timeout:.0f} s")
                last = max(processed.at.values(), default=dispatched)
                got = max(received.at.values(), default=dispatched)

                async def nothing_left() -> bool:
                    return True

                await settle(time.perf_counter() + SETTLE_TIMEOUT * 3, nothing_left)
                rest = Counter(route(c.method, c.path) for c in emu.calls[mark:])
                check = await correctness(bot, guild.id, plan) if bot is not None else {}
            problems = emu.unexpected_violations() + [
                f"unhandled {c.method} {c.path}" for c in emu.unexpected_unhandled()
            ]
    return RunResult(
        joins_per_s=len(processed.at) / (last - start),
        dispatch_s=dispatched - start,
        burst_s=last - start,
        received_s=got - start,
        processed=len(processed.at),
        rest=rest,
        db=times,
        check=check,
        problems=problems,
    )


async def run(n: int, singles: int, reusable: int, runs: int) -> JSON:
    """`runs` rounds, each bot once per round (order rotating); medians and ours' details."""
    results: dict[str, list[RunResult]] = {name: [] for name in BOTS}
    for index in range(runs):
        order = BOTS[index % len(BOTS) :] + BOTS[: index % len(BOTS)]
        for which in order:
            result = await burst(which, n, singles, reusable, seed=index)
            results[which].append(result)
            print(
                f"  run {index + 1}/{runs} {which:13s} {result.joins_per_s:8.1f} joins/s "
                f"(dispatch {result.dispatch_s:.2f} s, all received {result.received_s:.2f} s, "
                f"all processed {result.burst_s:.2f} s)",
                flush=True,
            )
            for problem in result.problems:
                print(f"    emulator: {problem}")
    summary: JSON = {
        name: {
            "joins_per_s": [r.joins_per_s for r in rs],
            "median_joins_per_s": median([r.joins_per_s for r in rs]),
            "median_burst_s": median([r.burst_s for r in rs]),
            "median_dispatch_s": median([r.dispatch_s for r in rs]),
            "median_received_s": median([r.received_s for r in rs]),
            "processed": [r.processed for r in rs],
        }
        for name, rs in results.items()
    }
    ours = results["ours"]
    rest: Counter[str] = Counter()
    for r in ours:
        rest.update(r.rest)
    per_join = [t * 1000 for r in ours if r.db for t in r.db.per_join.values()]
    attribute = [t * 1000 for r in ours if r.db for t in r.db.attribute]
    record = [t * 1000 for r in ours if r.db for t in r.db.record]
    reasons: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for r in ours:
        if r.db:
            reasons.update(r.db.reasons)
            outcomes.update(r.db.outcomes)
    total = n * len(ours)
    base = summary["baseline"]["median_joins_per_s"]
    naive = summary["baseline+rest"]["median_joins_per_s"]
    mine = summary["ours"]["median_joins_per_s"]
    return {
        "machine": machine(),
        "config": {"joins": n, "singles": singles, "reusable": reusable, "runs": runs},
        **summary,
        "ours_rest_per_join": sum(rest.values()) / total,
        "ours_rest_by_route": {k: v / total for k, v in rest.most_common()},
        "ours_db_ms": {
            "per_join_p50": percentile(per_join, 50),
            "per_join_p99": percentile(per_join, 99),
            "attribute_p50": percentile(attribute, 50),
            "attribute_p99": percentile(attribute, 99),
            "record_p50": percentile(record, 50),
            "record_p99": percentile(record, 99),
            "n": len(per_join),
        },
        "ours_attribution_reasons": dict(reasons.most_common()),
        "ours_outcomes": dict(outcomes),
        "ours_check": [r.check for r in ours],
        "ratio": {
            "ours_vs_baseline": ratio(mine, base),
            "ours_vs_baseline_rest": ratio(mine, naive),
        },
    }


def report(result: JSON) -> None:
    """Print the figures."""
    cfg = result["config"]
    print(
        f"\njoin burst: {cfg['joins']} joins back to back ({cfg['singles']} single-use invites, "
        f"{cfg['reusable']} one reusable invite, the rest none), median of {cfg['runs']} runs"
    )
    print(f"{'':14s} {'joins/s':>9s} {'all processed':>14s} {'received':>9s} {'dispatch':>9s}")
    for name in BOTS:
        s = result[name]
        print(
            f"{name:14s} {s['median_joins_per_s']:9.1f} {s['median_burst_s']:12.2f} s "
            f"{s['median_received_s']:7.2f} s {s['median_dispatch_s']:7.2f} s"
        )
    r = result["ratio"]
    print(
        f"ours / baseline (nothing on join): {r['ours_vs_baseline']:.2f}x joins/s; "
        f"ours / baseline+rest (same Discord calls, no database): "
        f"{r['ours_vs_baseline_rest']:.2f}x"
    )
    print(f"\nours: REST calls per join {result['ours_rest_per_join']:.2f}")
    for name, per in result["ours_rest_by_route"].items():
        print(f"  {per:6.3f}  {name}")
    db = result["ours_db_ms"]
    print(
        f"ours: attribute_join + record_join per join (n={db['n']}): "
        f"p50 {db['per_join_p50']:.2f} ms, p99 {db['per_join_p99']:.2f} ms "
        f"(attribute_join p50 {db['attribute_p50']:.2f} / p99 {db['attribute_p99']:.2f} ms, "
        f"record_join p50 {db['record_p50']:.2f} / p99 {db['record_p99']:.2f} ms; wall time)"
    )
    print(f"ours: attribution reasons {result['ours_attribution_reasons']}")
    print(f"ours: record_join outcomes {result['ours_outcomes']}")
    for index, check in enumerate(result["ours_check"], 1):
        print(
            f"ours run {index}: recorded {check['recorded']}/{cfg['joins']} "
            f"(missing {check['missing']}); exact single-use {check['exact_single_use']}"
            f"/{check['used_single_use']}, exact reusable {check['exact_reusable']}"
            f"/{check['used_reusable']}, unknown {check['unknown']} "
            f"(of which {check['used_none']} used no invite), WRONG invite {check['wrong']}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.join_burst")
    parser.add_argument("--joins", type=int, default=500, help="joins per burst")
    parser.add_argument("--singles", type=int, default=100, help="single-use invites used")
    parser.add_argument("--reusable", type=int, default=300, help="joins via the reusable invite")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each bot once per round)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.singles + args.reusable > args.joins or min(args.singles, args.reusable) < 0:
        parser.error("--singles + --reusable must not exceed --joins")
    if args.runs < 1 or args.joins < 1:
        parser.error("--runs and --joins must be at least 1")
    result = asyncio.run(run(args.joins, args.singles, args.reusable, args.runs))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
