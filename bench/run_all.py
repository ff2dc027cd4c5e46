"""Run the benchmarks (each in its own process) and print a Markdown table for the README.

python -m bench.run_all [--n 1000] [--blocks 5] [--runs 5] [--members 10000] [--bursts 3]
                        [--imports 3] [--sessions 3] [--polls 3] [--health-members 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._common import ROOT, machine

JSON = dict[str, Any]
GOALS = {"p50": 1.5, "rss": 1.3}


def run_bench(module: str, args: list[str], out: Path) -> JSON:
    """Run `python -m bench.<module> ... --json out` from the repository root; load its JSON."""
    cmd = [sys.executable, "-m", f"bench.{module}", *args, "--json", str(out)]
    print(f"$ {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    data: JSON = json.loads(out.read_text(encoding="utf-8"))
    return data


def _row(metric: str, ours: str, baseline: str, ratio: float, goal: float | None = None) -> str:
    verdict = ""
    if goal is not None:
        verdict = f" (goal ≤ {goal}×: {'met' if ratio <= goal else 'NOT met'})"
    return f"| {metric} | {ours} | {baseline} | {ratio:.2f}×{verdict} |"


def table(rt: JSON, sm: JSON, jb: JSON, ri: JSON, ss: JSON, pb: JSON, hb: JSON) -> str:
    """The Markdown table: metric | ours | baseline | ratio."""
    m = machine()
    o, b = rt["ours"], rt["baseline"]
    so, sb = sm["ours"], sm["baseline"]
    cfg, scfg, jcfg = rt["config"], sm["config"], jb["config"]
    jo, jr = jb["ours"], jb["baseline+rest"]
    rcfg = ri["config"]
    rows = max(rcfg["sizes"])
    ro, rp = ri["ours"][str(rows)], ri["parse"][str(rows)]
    sscfg = ss["config"]
    burst = f"{sscfg['rsvps']} RSVPs + {sscfg['upvotes']} upvotes in {sscfg['spread_s']:g} s"
    sbo, sbb = ss["ours"]["all"], ss["baseline"]["all"]
    counted = "all counted once" if ss["ours"]["ok"] else "PROBLEMS, see its output"
    pcfg, pbo, pbb = pb["config"], pb["ours"], pb["baseline"]
    votes = f"{pcfg['votes']:,} poll votes in {pcfg['spread_s']:g} s"
    anon = pb.get("anonymous")
    polls_ok = pbo["ok"] and (anon is None or anon["ok"])
    polled = "all counted once" if polls_ok else "PROBLEMS, see its output"
    anon_note = (
        f" (an anonymous poll too: {'OK' if anon['ok'] else 'PROBLEMS'}, "
        f"ack p99 {anon['p99_ms']:.1f} ms)"
        if anon
        else ""
    )
    lines = [
        f"Benchmarks of {m['date']} on {m['nproc']} CPUs, Python {m['python']} ({m['platform']}).",
        "",
        "| metric | ours | baseline | ratio |",
        "|---|---|---|---|",
        _row(
            "interaction round trip p50",
            f"{o['p50_ms']:.2f} ms",
            f"{b['p50_ms']:.2f} ms",
            rt["ratio"]["p50"],
            GOALS["p50"],
        ),
        _row(
            "interaction round trip p99",
            f"{o['p99_ms']:.2f} ms",
            f"{b['p99_ms']:.2f} ms",
            rt["ratio"]["p99"],
        ),
        _row(
            "startup to emulator ready",
            f"{so['emu_ready_s']:.2f} s",
            f"{sb['emu_ready_s']:.2f} s",
            sm["ratio"]["emu_ready_s"],
        ),
        _row(
            "startup to on_ready",
            f"{so['bot_ready_s']:.2f} s",
            f"{sb['bot_ready_s']:.2f} s",
            sm["ratio"]["bot_ready_s"],
        ),
        _row(
            "RSS after ready",
            f"{so['rss_kib'] / 1024:.1f} MiB",
            f"{sb['rss_kib'] / 1024:.1f} MiB",
            sm["ratio"]["rss_kib"],
            GOALS["rss"],
        ),
        _row(
            "peak RSS (VmHWM)",
            f"{so['hwm_kib'] / 1024:.1f} MiB",
            f"{sb['hwm_kib'] / 1024:.1f} MiB",
            sm["ratio"]["hwm_kib"],
        ),
        _row(
            f"{jcfg['joins']} joins in a burst, all processed",
            f"{jo['median_burst_s']:.2f} s ({jo['median_joins_per_s']:.0f}/s)",
            f"{jr['median_burst_s']:.2f} s ({jr['median_joins_per_s']:.0f}/s)",
            jo["median_burst_s"] / jr["median_burst_s"],
        ),
        _row(
            f"import a {rows:,}-row orders CSV",
            f"{ro['seconds']:.2f} s ({ro['rows_per_s']:,.0f} rows/s)",
            f"{rp['seconds']:.2f} s ({rp['rows_per_s']:,.0f} rows/s)",
            ri["ratio"][str(rows)],
        ),
        _row(
            "re-import of the same file (all unchanged)",
            f"{ro['reimport_seconds']:.2f} s ({ro['reimport_rows_per_s']:,.0f} rows/s)",
            f"{rp['seconds']:.2f} s ({rp['rows_per_s']:,.0f} rows/s)",
            ri["reimport_ratio"],
        ),
        _row(
            f"peak RSS, {rows:,}-row import",
            f"{ro['peak_kib'] / 1024:.1f} MiB",
            f"{rp['peak_kib'] / 1024:.1f} MiB",
            ro["peak_kib"] / rp["peak_kib"],
        ),
        _row(
            f"{burst}, ack p50",
            f"{sbo['p50_ms']:.1f} ms",
            f"{sbb['p50_ms']:.1f} ms",
            ss["ratio"]["p50"],
        ),
        _row(
            f"{burst}, ack p99",
            f"{sbo['p99_ms']:.1f} ms",
            f"{sbb['p99_ms']:.1f} ms",
            ss["ratio"]["p99"],
        ),
        _row(
            f"{votes}, ack p50",
            f"{pbo['p50_ms']:.1f} ms",
            f"{pbb['p50_ms']:.1f} ms",
            pb["ratio"]["p50"],
        ),
        _row(
            f"{votes}, ack p99",
            f"{pbo['p99_ms']:.1f} ms",
            f"{pbb['p99_ms']:.1f} ms",
            pb["ratio"]["p99"],
        ),
        f"| {votes}, poll message edits | {pbo['median_edits']:g} "
        f"(uncoalesced: {pcfg['votes']:,}) | none (no live count) | — |",
        *health_rows(hb),
        "",
        f"Round trip: `/setup show` as the guild owner, emulator dispatch to callback POST "
        f"arrival, {cfg['n']} sequential interactions per bot in {cfg['blocks']} alternating "
        f"blocks (+{cfg['warmup_per_block']} warm-up each), bots in-process with the emulator. "
        f"Startup/memory: one guild with {scfg['members']:,} members, each bot its own process, "
        f"medians of {scfg['runs']} alternating runs; on_ready includes discord.py's 2 s "
        f"`guild_ready_timeout`. Join burst: median of {jcfg['runs']} runs; its baseline also "
        f"lists the invites, adds the role and posts a log line per join (no database). "
        f"Orders import: `OrderLedger.import_csv` streaming the file into a fresh database, "
        f"each size a fresh process, medians of {rcfg['runs']} runs (re-import: "
        f"{rcfg['reimports']}); its baseline parses and validates the same file without a "
        f"database; peak RSS grew {ri['rss_growth_kib']['ours'] / 1024:+.1f} MiB from "
        f"{min(rcfg['sizes']):,} to {rows:,} rows "
        f"({'flat' if ri['flat'] else 'NOT flat'}). "
        f"Session burst: distinct members press RSVP and Upvote, evenly spread, emulator "
        f"dispatch to callback POST arrival, median of {sscfg['runs']} runs; its baseline answers "
        f"both buttons with an ephemeral message and no database; ours: {counted}, failed "
        f"interactions {sum(ss['ours']['failed'])}, announcement edits per burst "
        f"{ss['ours']['median_announcement_patches']:g} (coalesced), question message edits "
        f"{ss['ours']['median_question_edits']:g} (one type-7 update per upvote). "
        f"Poll burst: {pcfg['votes']:,} distinct members each press one of "
        f"{pcfg['options']} options of a named single-choice poll, evenly spread, median of "
        f"{pcfg['runs']} runs; its baseline answers the same buttons with an ephemeral message "
        f"and no database; ours: {polled}{anon_note}, failed interactions "
        f"{sum(pbo['failed'])}, 429s {sum(pbo['http_429'])}, poll message edits per burst "
        f"{pbo['edits']} (live count coalesced every {pcfg['refresh_delay_s']:g} s; "
        f"uncoalesced it would be {pcfg['votes']:,}).",
    ]
    return "\n".join(lines)


def health_rows(hb: JSON) -> list[str]:
    """The community-health rows: compute and render times, and the unrelated command's ack
    latency while /health show runs against it alone."""
    members = hb["config"]["members"]
    m, acks = hb["metrics"], hb["acks"]
    compute = " · ".join(
        f"{m[p]['p50_ms']:.0f}/{m[p]['p99_ms']:.0f} ms" for p in ("week", "month", "quarter")
    )
    warm = hb["charts"]["warm"]
    return [
        f"| /health metrics, {members:,} members + a year, p50/p99 (week · month · quarter) "
        f"| {compute} | — | — |",
        f"| /health both charts, p50/p99 (first: {hb['charts']['first_s']:.2f} s) "
        f"| {warm['p50_ms']:.0f}/{warm['p99_ms']:.0f} ms | — | — |",
        _row(
            "/setup show ack p99 while /health show runs (vs alone)",
            f"{acks['during_health_show']['p99_ms']:.2f} ms",
            f"{acks['baseline']['p99_ms']:.2f} ms",
            acks["ratio_p99"],
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.run_all")
    parser.add_argument("--n", type=int, default=1000, help="measured interactions per bot")
    parser.add_argument("--blocks", type=int, default=5, help="alternating round-trip blocks")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up interactions per block")
    parser.add_argument("--runs", type=int, default=5, help="startup runs per bot")
    parser.add_argument("--members", type=int, default=10_000, help="members for startup")
    parser.add_argument("--bursts", type=int, default=3, help="join-burst runs per bot")
    parser.add_argument("--imports", type=int, default=3, help="orders-import runs per size")
    parser.add_argument("--sessions", type=int, default=3, help="session-burst runs per bot")
    parser.add_argument("--polls", type=int, default=3, help="poll-burst runs per bot")
    parser.add_argument("--health-members", type=int, default=10_000, help="members for health")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vouch-bench-") as tmp:
        rt = run_bench(
            "interaction_roundtrip",
            ["--n", str(args.n), "--blocks", str(args.blocks), "--warmup", str(args.warmup)],
            Path(tmp) / "roundtrip.json",
        )
        sm = run_bench(
            "startup_memory",
            ["--runs", str(args.runs), "--members", str(args.members)],
            Path(tmp) / "startup.json",
        )
        jb = run_bench("join_burst", ["--runs", str(args.bursts)], Path(tmp) / "joins.json")
        ri = run_bench("referral_import", ["--runs", str(args.imports)], Path(tmp) / "import.json")
        ss = run_bench("session_burst", ["--runs", str(args.sessions)], Path(tmp) / "sessions.json")
        pb = run_bench("poll_burst", ["--runs", str(args.polls)], Path(tmp) / "polls.json")
        hb = run_bench("health", ["--members", str(args.health_members)], Path(tmp) / "health.json")
    print()
    print(table(rt, sm, jb, ri, ss, pb, hb))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
