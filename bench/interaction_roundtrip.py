"""Interaction round trip: emulator dispatches ``/setup show`` -> the bot's callback POST arrives.

Both bots run in this process against a fresh in-process emulator per block (same guild setup):
OURS through the real composition root (``running_bot``, fresh temp database) and the BASELINE
(bench/baseline_bot.py, no database). Blocks alternate in ABBA order to spread the machine's
drift over both. Interactions are strictly sequential: the next one is dispatched only after the
previous one was acknowledged and the bot's command task finished.

The clock starts just before the emulator serialises and sends INTERACTION_CREATE and stops when
the callback request reaches the emulator's HTTP layer (an outermost middleware), so the
emulator's own dispatch work is included for both bots; its callback handling is not.

    python -m bench.interaction_roundtrip [--n 1000] [--warmup 50] [--blocks 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import machine, median, percentile, quiet_audioop, ratio, write_json

quiet_audioop()

import discord  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.typedefs import Handler  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bench.baseline_bot import BaselineBot  # noqa: E402
from bot.__main__ import running_bot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.emulator import Emulator, InteractionRecord, StandardGuild  # noqa: E402

JSON = dict[str, Any]
READY_TIMEOUT = 30.0
BOTS = ("baseline", "ours")


class StampingEmulator(Emulator):
    """The emulator, plus a timestamp per dispatched interaction and per arriving callback."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sent_at: dict[int, float] = {}
        self.callback_at: dict[int, float] = {}

    def _build_app(self) -> web.Application:
        app = super()._build_app()

        @web.middleware
        async def stamp(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.method == "POST" and request.path.endswith("/callback"):
                now = time.perf_counter()
                # /api/v10/interactions/{id}/{token}/callback
                self.callback_at.setdefault(int(request.path.split("/")[-3]), now)
            return await handler(request)

        app.middlewares.insert(0, stamp)
        return app

    async def _send(self, payload: JSON, source_message_id: int | None = None) -> InteractionRecord:
        self.sent_at[int(payload["id"])] = time.perf_counter()
        return await super()._send(payload, source_message_id)


@dataclass
class Series:
    """Round trips (seconds) of one bot, pooled and per block."""

    samples: list[float] = field(default_factory=list)
    block_p50: list[float] = field(default_factory=list)
    cycles: list[float] = field(default_factory=list)

    def summary(self) -> JSON:
        """p50/p99/mean in milliseconds."""
        ms = [s * 1000 for s in self.samples]
        return {
            "n": len(ms),
            "p50_ms": percentile(ms, 50),
            "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99),
            "mean_ms": sum(ms) / len(ms),
            "max_ms": max(ms),
            "block_p50_ms": [b * 1000 for b in self.block_p50],
            "median_block_p50_ms": median(self.block_p50) * 1000,
            "cycle_mean_ms": sum(self.cycles) / len(self.cycles) * 1000,
        }


@contextlib.contextmanager
def _restored_discord_globals() -> Iterator[None]:
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def _wait_ready(emu: Emulator, client: discord.Client, runner: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait(
        {waiter, runner}, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED"
    )
    if waiter not in done:
        waiter.cancel()
        if runner in done:
            runner.result()
        raise TimeoutError("bot did not become ready")
    await emu.wait_bot_ready(READY_TIMEOUT)


@contextlib.asynccontextmanager
async def started(which: str, emu: Emulator, tmp: Path) -> AsyncIterator[discord.Client]:
    """Start OURS (composition root) or the BASELINE against `emu`; stop it on exit."""
    with _restored_discord_globals():
        if which == "ours":
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                discord_token=SecretStr(emu.token),
                database_path=tmp / "data" / "community.db",
                discord_api_base_url=emu.base_url,
            )
            async with running_bot(settings) as bot:
                await _wait_ready(emu, bot, bot.runner)
                yield bot
            return
        discord.http.Route.BASE = emu.base_url
        baseline = BaselineBot(api_base_url=emu.base_url)
        async with baseline:
            runner = asyncio.create_task(baseline.start(emu.token), name="baseline-bot")
            try:
                await _wait_ready(emu, baseline, runner)
                yield baseline
            finally:
                await baseline.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner


def _command_tasks() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and t.get_name().startswith(("CommandTree-invoker", "discord.py: on_"))
    ]


async def one(emu: StampingEmulator, guild: StandardGuild) -> tuple[float, float]:
    """One sequential `/setup show` as the owner: (round trip, full cycle) in seconds."""
    start = time.perf_counter()
    rec = await emu.slash(guild.id, guild.owner.id, "setup", "show")
    ack = await rec.wait_ack(timeout=10.0)
    while pending := _command_tasks():  # the bot finishes the command before the next dispatch
        await asyncio.wait(pending)
    cycle = time.perf_counter() - start
    if ack.type != 4 or not ack.ephemeral:
        raise RuntimeError(f"unexpected acknowledgement {ack!r}")
    return emu.callback_at[rec.id] - emu.sent_at[rec.id], cycle


async def block(which: str, n: int, warmup: int, series: Series) -> None:
    """Fresh emulator, guild and bot; `warmup` unmeasured interactions, then `n` measured."""
    gc.collect()
    with tempfile.TemporaryDirectory(prefix=f"vouch-bench-{which}-") as tmp:
        emu = StampingEmulator()
        async with emu:
            guild = emu.make_guild()
            async with started(which, emu, Path(tmp)):
                for _ in range(warmup):
                    await one(emu, guild)
                measured: list[float] = []
                for _ in range(n):
                    round_trip, cycle = await one(emu, guild)
                    measured.append(round_trip)
                    series.cycles.append(cycle)
            problems = emu.unexpected_violations() + [
                f"unhandled {c.method} {c.path}" for c in emu.unexpected_unhandled()
            ]
            if problems:
                raise RuntimeError(f"{which}: emulator reported {problems}")
    series.samples.extend(measured)
    series.block_p50.append(percentile(measured, 50))


async def run(n: int, warmup: int, blocks: int) -> JSON:
    """Alternate blocks ABBA; return the summary of both bots and the ratios."""
    per_block = [n // blocks + (1 if i < n % blocks else 0) for i in range(blocks)]
    series = {name: Series() for name in BOTS}
    for index, count in enumerate(per_block):
        order = BOTS if index % 2 == 0 else BOTS[::-1]
        for which in order:
            await block(which, count, warmup, series[which])
            print(
                f"  block {index + 1}/{blocks} {which:8s} n={count} "
                f"p50={series[which].block_p50[-1] * 1000:.2f} ms",
                flush=True,
            )
    ours, base = series["ours"].summary(), series["baseline"].summary()
    return {
        "machine": machine(),
        "config": {"n": n, "warmup_per_block": warmup, "blocks": blocks},
        "ours": ours,
        "baseline": base,
        "ratio": {
            "p50": ratio(ours["p50_ms"], base["p50_ms"]),
            "p99": ratio(ours["p99_ms"], base["p99_ms"]),
            "median_block_p50": ratio(ours["median_block_p50_ms"], base["median_block_p50_ms"]),
        },
    }


def report(result: JSON) -> None:
    """Print the figures."""
    ours, base, r = result["ours"], result["baseline"], result["ratio"]
    print("\ninteraction round trip (/setup show, dispatch -> callback POST arrives)")
    print(f"{'':24s} {'ours':>10s} {'baseline':>10s} {'ratio':>7s}")
    for label, key, rkey in (
        ("p50 (pooled)", "p50_ms", "p50"),
        ("p99 (pooled)", "p99_ms", "p99"),
        ("median of block p50s", "median_block_p50_ms", "median_block_p50"),
    ):
        print(f"{label:24s} {ours[key]:8.2f}ms {base[key]:8.2f}ms {r[rkey]:6.2f}x")
    for label, key in (("p90", "p90_ms"), ("mean", "mean_ms"), ("max", "max_ms")):
        print(
            f"{label:24s} {ours[key]:8.2f}ms {base[key]:8.2f}ms {ratio(ours[key], base[key]):6.2f}x"
        )
    cycle_ours, cycle_base = ours["cycle_mean_ms"], base["cycle_mean_ms"]
    print(
        f"{'full cycle mean':24s} {cycle_ours:8.2f}ms {cycle_base:8.2f}ms "
        f"{ratio(cycle_ours, cycle_base):6.2f}x"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.interaction_roundtrip")
    parser.add_argument("--n", type=int, default=1000, help="measured interactions per bot")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured ones per block")
    parser.add_argument("--blocks", type=int, default=5, help="alternating blocks per bot")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.n < args.blocks or args.blocks < 1:
        parser.error("--n must be at least --blocks, and --blocks at least 1")
    result = asyncio.run(run(args.n, args.warmup, args.blocks))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
