"""Startup time and resident memory: OURS (``python -m bot``) vs the BASELINE, one process each.

The emulator runs in this (parent) process with one guild of 10,000 extra members; each bot is a
separate child process (so VmRSS is the bot's alone), started with DISCORD_TOKEN,
DISCORD_API_BASE_URL and DATABASE_PATH in its environment and a temporary working directory (no
.env is read). Runs alternate baseline, ours, baseline, ours...; each run gets a fresh emulator and
temporary directory (so OURS starts on a new database and syncs its commands, as on a first start).

Per run: time from spawning the process to (a) the emulator's ready (READY, every GUILD_CREATE
sent and the member chunks answered) and (b) the bot's own on_ready (its ``ready as`` log line on
stderr; discord.py waits ``guild_ready_timeout`` = 2 s after the last GUILD_CREATE, for both);
then, after a settle time, VmRSS sampled a few times (max reported) and VmHWM (peak); then SIGTERM
and the time to exit.

    python -m bench.startup_memory [--runs 5] [--members 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import ROOT, machine, median, quiet_audioop, ratio, write_json

quiet_audioop()

from tests.emulator import Emulator  # noqa: E402

JSON = dict[str, Any]
BOTS = ("baseline", "ours")
READY_LINE = re.compile(r"ready as .* in \d+ guilds")
SETTINGS_ENV = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DISCORD_API_BASE_URL",
    "COMMAND_GUILD_ID",
    "LOG_LEVEL",
    "DEFAULT_LOCALE",
)
READY_TIMEOUT = 60.0
EXIT_TIMEOUT = 20.0


def command(which: str) -> list[str]:
    """The child's command line."""
    if which == "ours":
        return [sys.executable, "-m", "bot"]
    return [sys.executable, str(ROOT / "bench" / "baseline_bot.py")]


def child_env(emu: Emulator, tmp: Path) -> dict[str, str]:
    """This environment without any of the bot's settings, plus the emulator's."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(
        DISCORD_TOKEN=emu.token,
        DISCORD_API_BASE_URL=emu.base_url,
        DATABASE_PATH=str(tmp / "community.db"),
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in KiB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


@dataclass
class Run:
    """Figures of one bot process."""

    which: str
    emu_ready_s: float = 0.0
    bot_ready_s: float = 0.0
    rss_kib: int = 0
    hwm_kib: int = 0
    exit_s: float = 0.0
    exit_code: int | None = None
    stderr_tail: list[str] = field(default_factory=list)


async def _read_stderr(
    stream: asyncio.StreamReader, ready: asyncio.Future[float], lines: list[str]
) -> None:
    while raw := await stream.readline():
        line = raw.decode(errors="replace").rstrip()
        lines.append(line)
        if not ready.done() and READY_LINE.search(line):
            ready.set_result(time.perf_counter())


async def one_run(which: str, members: int, settle: float, samples: int) -> Run:
    """Emulator with a big guild; spawn the bot; time readiness; sample memory; SIGTERM."""
    result = Run(which)
    with tempfile.TemporaryDirectory(prefix=f"vouch-bench-{which}-") as tmpdir:
        tmp = Path(tmpdir)
        async with Emulator() as emu:
            guild = emu.make_guild()
            emu.populate_members(guild.id, members)
            loop = asyncio.get_running_loop()
            bot_ready: asyncio.Future[float] = loop.create_future()
            lines: list[str] = []
            start = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                *command(which),
                cwd=tmp,
                env=child_env(emu, tmp),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            assert proc.stderr is not None
            reader = asyncio.create_task(_read_stderr(proc.stderr, bot_ready, lines))
            exited = asyncio.create_task(proc.wait())
            emu_ready = asyncio.create_task(emu.ready_event.wait())
            try:
                done, _ = await asyncio.wait(
                    {emu_ready, exited}, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED"
                )
                if emu_ready not in done:
                    raise RuntimeError(f"{which}: emulator never ready:\n" + "\n".join(lines))
                result.emu_ready_s = time.perf_counter() - start
                watched: set[asyncio.Future[Any]] = {bot_ready, exited}
                finished, _ = await asyncio.wait(
                    watched, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED"
                )
                if bot_ready not in finished:
                    raise RuntimeError(f"{which}: no 'ready as' line:\n" + "\n".join(lines))
                result.bot_ready_s = bot_ready.result() - start
                await asyncio.sleep(settle)
                for _ in range(samples):
                    status = proc_status(proc.pid)
                    result.rss_kib = max(result.rss_kib, status["VmRSS"])
                    result.hwm_kib = max(result.hwm_kib, status["VmHWM"])
                    await asyncio.sleep(0.2)
                stop = time.perf_counter()
                proc.send_signal(signal.SIGTERM)
                result.exit_code = await asyncio.wait_for(exited, EXIT_TIMEOUT)
                result.exit_s = time.perf_counter() - stop
            finally:
                emu_ready.cancel()
                if proc.returncode is None:
                    proc.kill()
                await exited
                await reader
            result.stderr_tail = lines[-5:]
            problems = emu.unexpected_violations() + [
                f"unhandled {c.method} {c.path}" for c in emu.unexpected_unhandled()
            ]
            if problems:
                raise RuntimeError(f"{which}: emulator reported {problems}")
    return result


def summarize(runs: list[Run]) -> JSON:
    """Medians (and the individual values) of one bot's runs."""
    keys = ("emu_ready_s", "bot_ready_s", "rss_kib", "hwm_kib", "exit_s")
    out: JSON = {k: median([getattr(r, k) for r in runs]) for k in keys}
    out["runs"] = [{k: getattr(r, k) for k in (*keys, "exit_code")} for r in runs]
    return out


async def run(runs: int, members: int, settle: float, samples: int) -> JSON:
    """Alternate baseline and ours `runs` times each."""
    results: dict[str, list[Run]] = {name: [] for name in BOTS}
    for index in range(runs):
        for which in BOTS:
            r = await one_run(which, members, settle, samples)
            results[which].append(r)
            print(
                f"  run {index + 1}/{runs} {which:8s} emulator ready {r.emu_ready_s:5.2f}s "
                f"on_ready {r.bot_ready_s:5.2f}s RSS {r.rss_kib / 1024:6.1f} MiB "
                f"peak {r.hwm_kib / 1024:6.1f} MiB exit {r.exit_s:4.2f}s (code {r.exit_code})",
                flush=True,
            )
    ours, base = summarize(results["ours"]), summarize(results["baseline"])
    return {
        "machine": machine(),
        "config": {"runs": runs, "members": members, "settle_s": settle, "samples": samples},
        "ours": ours,
        "baseline": base,
        "ratio": {
            k: ratio(ours[k], base[k])
            for k in ("emu_ready_s", "bot_ready_s", "rss_kib", "hwm_kib", "exit_s")
        },
    }


def report(result: JSON) -> None:
    """Print the medians."""
    ours, base, r = result["ours"], result["baseline"], result["ratio"]
    members = result["config"]["members"]
    print(f"\nstartup and memory (1 guild, {members:,} members; medians of {len(ours['runs'])})")
    print(f"{'':26s} {'ours':>10s} {'baseline':>10s} {'ratio':>7s}")
    print(
        f"{'to emulator ready':26s} {ours['emu_ready_s']:9.2f}s {base['emu_ready_s']:9.2f}s "
        f"{r['emu_ready_s']:6.2f}x"
    )
    print(
        f"{'to on_ready':26s} {ours['bot_ready_s']:9.2f}s {base['bot_ready_s']:9.2f}s "
        f"{r['bot_ready_s']:6.2f}x"
    )
    print(
        f"{'VmRSS after ready':26s} {ours['rss_kib'] / 1024:7.1f}MiB "
        f"{base['rss_kib'] / 1024:7.1f}MiB {r['rss_kib']:6.2f}x"
    )
    print(
        f"{'VmHWM (peak)':26s} {ours['hwm_kib'] / 1024:7.1f}MiB "
        f"{base['hwm_kib'] / 1024:7.1f}MiB {r['hwm_kib']:6.2f}x"
    )
    print(
        f"{'SIGTERM to exit':26s} {ours['exit_s']:9.2f}s {base['exit_s']:9.2f}s {r['exit_s']:6.2f}x"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup_memory")
    parser.add_argument("--runs", type=int, default=5, help="runs per bot (alternating)")
    parser.add_argument("--members", type=int, default=10_000, help="extra guild members")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after on_ready")
    parser.add_argument("--samples", type=int, default=5, help="VmRSS samples, 0.2 s apart")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.runs, args.members, args.settle, max(1, args.samples)))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
