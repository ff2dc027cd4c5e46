"""Referred-orders import: rows per second and peak RSS of a CSV of 10k, 50k and 100k rows.

The files are generated on disk first (header ``order_id,code,amount,currency,created_at,status``):
orders of `--members` members whose codes were made by ``ReferralCodes.code_for`` (seeded, so
every database gets the same codes), amounts in EUR/USD/DKK/BRL, dates in the past year, 90% paid,
7% refunded, 3% cancelled, and about 1% bad rows (an unknown code, a negative amount or a date in
the future, a third each) so the reject path runs too.

Every measurement is a fresh child process (so ``ru_maxrss`` is that size's own peak):

* OURS: a fresh database in the temporary folder, migrated, the members' codes made, then
  ``OrderLedger.import_csv`` fed the open file object (iterated line by line, as the service
  streams it; batches of 500 rows, one transaction each) and timed. In the first `--reimports`
  rounds the largest file is then imported a second time into the same database, in the same
  process (every good row unchanged: the re-import; the peak RSS reported is the first import's).
* PARSE-ONLY: the same file through ``csv.DictReader`` and the same per-row validation
  (``parse_row``), no database: the floor ours is compared with.

Sizes and kinds alternate within each round; medians of `--runs` rounds. Reported per size: rows/s
(file rows, good and bad, per second of import), wall time, peak RSS and what the import added
to the RSS of the ready process; and the peak RSS growth from the smallest to the largest file
(flat: within a few MiB).

    python -m bench.referral_import [--sizes 10000,50000,100000] [--runs 3] [--reimports 1]
                                    [--members 200] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench._common import ROOT, machine, median, ratio, write_json

JSON = dict[str, Any]
GUILD = 1_180_000_000_000_000_001
FIRST_MEMBER = 1_190_000_000_000_000_000
KINDS = ("ours", "parse")
HEADER = ("order_id", "code", "amount", "currency", "created_at", "status")
CURRENCIES = (("EUR", 0.45), ("USD", 0.25), ("DKK", 0.2), ("BRL", 0.1))
STATUSES = (("paid", 0.90), ("refunded", 0.07), ("cancelled", 0.03))
OFFSETS = tuple(
    timezone(timedelta(hours=h)) for h in (-3, 1, 2)
)  # Brazil, Denmark in winter/summer
BAD_SHARE = 0.01
FLAT_MIB = 4.0
NAMES = (
    "Maya", "Noor", "Léa", "Mathias", "Sofie", "João", "Ana Clara", "Lucas", "Emma", "Oliver",
    "Chloé", "Freja", "Gabriel", "Zoë", "Kasper", "Beatriz", "Théo", "Ida", "Pedro", "Amara",
)  # fmt: skip


@dataclass(frozen=True)
class Expected:
    """What an import of a generated file must report."""

    rows: int
    good: int
    unknown_code: int
    negative: int
    future: int

    @property
    def bad(self) -> int:
        """Rows the import must reject."""
        return self.unknown_code + self.negative + self.future


def _weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def generate(path: Path, rows: int, codes: Sequence[str], now: datetime, seed: int) -> Expected:
    """Write an orders CSV of `rows` lines (plus the header) like a store export."""
    rng = random.Random(seed)
    counts = {"good": 0, "unknown_code": 0, "negative": 0, "future": 0}
    # Popular referrers bring most orders (a long tail, as in real programs).
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(codes))]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for index in range(rows):
            currency = _weighted(rng, CURRENCIES)
            major = rng.lognormvariate(4.0, 0.7) * (6.5 if currency == "DKK" else 1.0)
            amount = f"{major:.2f}" if rng.random() < 0.8 else f"{round(major)}"
            created = now - timedelta(seconds=rng.randrange(60, 365 * 86_400))
            code = rng.choices(codes, weights)[0]
            if rng.random() < 0.1:
                code = f" {code.lower()}"  # typed by a customer: case and spaces don't matter
            kind = "good"
            if rng.random() < BAD_SHARE:
                kind = rng.choice(("unknown_code", "negative", "future"))
                if kind == "unknown_code":
                    code = f"NOPE-{rng.randrange(10_000):04d}"
                elif kind == "negative":
                    amount = f"-{amount}"
                else:
                    created = now + timedelta(days=rng.randrange(2, 90))
            counts[kind] += 1
            stamp = created.replace(microsecond=0)
            if rng.random() < 0.7:
                created_at = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:  # the shop's local time with its offset
                created_at = stamp.astimezone(rng.choice(OFFSETS)).isoformat()
            writer.writerow(
                (
                    f"#{1_000_001 + index}",
                    code,
                    amount,
                    currency,
                    created_at,
                    _weighted(rng, STATUSES),
                )
            )
    return Expected(rows, **counts)


# -- children --------------------------------------------------------------------------------


def _rss_kib() -> int:
    """This process's current VmRSS (KiB)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def warm_up(now: datetime) -> None:
    """Load babel's currency data (on the first valid row) before measuring, in both kinds."""
    from bot.services.referrals.orders import OrderRow, parse_row

    row: dict[str, str | None] = dict(
        zip(HEADER, ("#1", "WARM-2345", "1.00", "EUR", "2024-01-01", "paid"), strict=True)
    )
    assert isinstance(parse_row(2, row, now), OrderRow)


def _peak_kib() -> int:
    """This process's peak RSS so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def make_codes(db_path: Path, members: int, seed: int) -> list[str]:
    """A fresh migrated database with `members` members' codes; the codes, in member order."""
    from bot.db import Database
    from bot.migrate import migrate
    from bot.services.referrals.codes import ReferralCodes

    db = Database(db_path)
    await db.open()
    try:
        await migrate(db)
        maker = ReferralCodes(db, rng=random.Random(seed))
        codes = []
        for index in range(members):
            name = NAMES[index % len(NAMES)]
            codes.append((await maker.code_for(GUILD, FIRST_MEMBER + index, name)).code)
    finally:
        await db.close()
    return codes


def child_parse(csv_path: Path) -> JSON:
    """PARSE-ONLY: csv.DictReader and parse_row over the file, no database."""
    from bot.services.clock import utcnow
    from bot.services.referrals.orders import RowProblem, parse_row

    now = utcnow()
    warm_up(now)
    gc.collect()
    ready = _rss_kib()
    good = rejected = 0
    start = time.perf_counter()
    with open(csv_path, encoding="utf-8", newline="") as lines:
        reader = csv.DictReader(lines)
        for raw in reader:
            if isinstance(parse_row(reader.line_num, raw, now), RowProblem):
                rejected += 1
            else:
                good += 1
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "ready_rss_kib": ready,
        "peak_kib": _peak_kib(),
        "good": good,
        "rejected": rejected,
    }


async def child_ours(
    csv_path: Path, db_path: Path, members: int, seed: int, reimport: bool
) -> JSON:
    """OURS: a fresh database with the codes, then OrderLedger.import_csv over the open file."""
    from bot.db import Database
    from bot.services.clock import utcnow
    from bot.services.referrals.orders import ImportReport, OrderLedger

    await make_codes(db_path, members, seed)
    warm_up(utcnow())
    db = Database(db_path)
    await db.open()
    ledger = OrderLedger(db)

    async def timed() -> tuple[float, ImportReport]:
        start = time.perf_counter()
        # The service iterates the file object in the event loop: that is what is measured.
        with open(csv_path, encoding="utf-8", newline="") as lines:  # noqa: ASYNC230
            report = await ledger.import_csv(GUILD, lines)
        return time.perf_counter() - start, report

    def counts(report: ImportReport) -> JSON:
        return {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "referrers": len(report.referrers),
        }

    try:
        gc.collect()
        ready = _rss_kib()
        elapsed, report = await timed()
        result: JSON = {
            "seconds": elapsed,
            "ready_rss_kib": ready,
            "peak_kib": _peak_kib(),
            **counts(report),
        }
        if reimport:
            elapsed, report = await timed()
            result["reimport"] = {"seconds": elapsed, "peak_kib": _peak_kib(), **counts(report)}
    finally:
        await db.close()
    return result


def child_main(args: argparse.Namespace) -> int:
    """Run one measurement and print its JSON on stdout."""
    csv_path = Path(args.csv)
    if args.child == "parse":
        result = child_parse(csv_path)
    else:
        db_path = Path(args.db)
        result = asyncio.run(child_ours(csv_path, db_path, args.members, args.seed, args.reimport))
        result["db_bytes"] = db_path.stat().st_size
    print(json.dumps(result))
    return 0


# -- parent ----------------------------------------------------------------------------------


def spawn(
    kind: str, csv_path: Path, db_path: Path, members: int, seed: int, reimport: bool
) -> JSON:
    """One child process; its JSON result."""
    cmd = [sys.executable, "-m", "bench.referral_import", "--child", kind, "--csv", str(csv_path)]
    cmd += ["--db", str(db_path), "--members", str(members), "--seed", str(seed)]
    if reimport:
        cmd.append("--reimport")
    done = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    result: JSON = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check(kind: str, size: int, result: JSON, want: Expected) -> list[str]:
    """Counts an import must report for a generated file."""
    problems = []
    got: tuple[int, ...]
    wanted: tuple[int, ...]
    if kind == "parse":
        got = (result["good"], result["rejected"])
        # parse_row cannot know the unknown codes: those pass parsing.
        wanted = (want.good + want.unknown_code, want.negative + want.future)
    else:
        got = (result["added"], result["unchanged"], result["rejected"])
        wanted = (want.good, 0, want.bad)
        if "reimport" in result:
            again = result["reimport"]
            if (again["added"], again["updated"], again["unchanged"], again["rejected"]) != (
                0,
                0,
                want.good,
                want.bad,
            ):
                problems.append(f"{kind} {size} re-import counts {again}, expected unchanged")
    if got != wanted:
        problems.append(f"{kind} {size}: got {got}, expected {wanted}")
    return problems


def run(sizes: Sequence[int], runs: int, reimports: int, members: int, seed: int) -> JSON:
    """Generate the files, then `runs` rounds of every size and kind in fresh processes; the
    first `reimports` rounds also re-import the largest file."""
    largest = max(sizes)
    results: dict[str, dict[int, list[JSON]]] = {k: {s: [] for s in sizes} for k in KINDS}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vouch-bench-referral-") as tmpdir:
        tmp = Path(tmpdir)
        started = time.perf_counter()
        codes = asyncio.run(make_codes(tmp / "codes.db", members, seed))
        now = datetime.now(UTC)
        files: dict[int, tuple[Path, Expected]] = {}
        for size in sizes:
            path = tmp / f"orders-{size}.csv"
            files[size] = (path, generate(path, size, codes, now, seed + size))
        print(
            f"  generated {len(sizes)} files ({', '.join(f'{s:,}' for s in sizes)} rows, "
            f"{files[largest][0].stat().st_size / 2**20:.1f} MiB for {largest:,}) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        plan = [(kind, size) for size in sizes for kind in KINDS]
        for index in range(runs):
            order = plan if index % 2 == 0 else plan[::-1]
            for kind, size in order:
                path, want = files[size]
                db_path = tmp / f"run{index}-{size}.db"
                twice = kind == "ours" and size == largest and index < reimports
                result = spawn(kind, path, db_path, members, seed, twice)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db_path}{suffix}").unlink(missing_ok=True)
                problems += check(kind, size, result, want)
                results[kind][size].append(result)
                extra = ""
                if "reimport" in result:
                    again = result["reimport"]
                    extra = f", re-import {size / again['seconds']:8.0f} rows/s"
                print(
                    f"  run {index + 1}/{runs} {kind:5s} {size:>7,} rows "
                    f"{size / result['seconds']:8.0f} rows/s ({result['seconds']:.2f} s), "
                    f"peak RSS {result['peak_kib'] / 1024:.1f} MiB{extra}",
                    flush=True,
                )
        expected = {size: vars(files[size][1]) for size in sizes}
    summary: JSON = {}
    for kind in KINDS:
        summary[kind] = {}
        for size in sizes:
            rs = results[kind][size]
            summary[kind][str(size)] = {
                "rows_per_s": median([size / r["seconds"] for r in rs]),
                "seconds": median([r["seconds"] for r in rs]),
                "peak_kib": median([r["peak_kib"] for r in rs]),
                "added_kib": median([r["peak_kib"] - r["ready_rss_kib"] for r in rs]),
                "runs": rs,
            }
    big = summary["ours"][str(largest)]
    small = min(sizes)
    reimport_s = [r["reimport"]["seconds"] for r in big["runs"] if "reimport" in r]
    big["reimport_rows_per_s"] = median([largest / seconds for seconds in reimport_s])
    big["reimport_seconds"] = median(reimport_s)
    parse_s = summary["parse"][str(largest)]["seconds"]
    growth = {
        kind: (summary[kind][str(largest)]["peak_kib"] - summary[kind][str(small)]["peak_kib"])
        for kind in KINDS
    }
    return {
        "machine": machine(),
        "config": {
            "sizes": list(sizes),
            "runs": runs,
            "reimports": min(reimports, runs),
            "members": members,
            "seed": seed,
        },
        "expected": expected,
        **summary,
        "rss_growth_kib": growth,
        "flat": growth["ours"] <= FLAT_MIB * 1024,
        "ratio": {  # wall time ours / parse-only (how many times slower than parsing alone)
            str(size): ratio(
                summary["ours"][str(size)]["seconds"], summary["parse"][str(size)]["seconds"]
            )
            for size in sizes
        },
        "reimport_ratio": ratio(big["reimport_seconds"], parse_s),
        "problems": problems,
    }


def report(result: JSON) -> None:
    """Print the figures."""
    cfg = result["config"]
    sizes = cfg["sizes"]
    largest, small = max(sizes), min(sizes)
    print(
        f"\nreferral import: orders CSV of {cfg['members']} members' codes, ~1% bad rows, "
        f"each measurement a fresh process, median of {cfg['runs']} runs"
    )
    print(
        f"{'':16s} {'rows':>8s} {'rows/s':>9s} {'wall':>8s} {'peak RSS':>10s} "
        f"{'import +RSS':>12s} {'ours÷parse':>11s}"
    )
    for size in sizes:
        for kind, label in (("ours", "ours (import)"), ("parse", "parse-only")):
            s = result[kind][str(size)]
            rel = f"{result['ratio'][str(size)]:10.2f}x" if kind == "ours" else ""
            print(
                f"{label:16s} {size:8,} {s['rows_per_s']:9.0f} {s['seconds']:6.2f} s "
                f"{s['peak_kib'] / 1024:6.1f} MiB {s['added_kib'] / 1024:8.1f} MiB {rel:>11s}"
            )
    big = result["ours"][str(largest)]
    runs = f"{cfg['reimports']} run{'s' if cfg['reimports'] > 1 else ''}"
    print(
        f"{'ours (re-import)':16s} {largest:8,} {big['reimport_rows_per_s']:9.0f} "
        f"{big['reimport_seconds']:6.2f} s {'':10s} {'':12s} {result['reimport_ratio']:10.2f}x"
        f"  (every good row unchanged; {runs})"
    )
    growth = result["rss_growth_kib"]
    print(
        f"peak RSS growth {small:,} -> {largest:,} rows: ours {growth['ours'] / 1024:+.1f} MiB, "
        f"parse-only {growth['parse'] / 1024:+.1f} MiB "
        f"({'flat' if result['flat'] else 'NOT flat'}: limit {FLAT_MIB:g} MiB)"
    )
    for problem in result["problems"]:
        print(f"  WRONG COUNTS: {problem}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.referral_import")
    parser.add_argument("--sizes", default="10000,50000,100000", help="rows per file, commas")
    parser.add_argument("--runs", type=int, default=3, help="rounds (every size and kind once)")
    parser.add_argument(
        "--reimports", type=int, default=1, help="rounds that also re-import the largest file"
    )
    parser.add_argument("--members", type=int, default=200, help="members with a code")
    parser.add_argument("--seed", type=int, default=1, help="seed of the codes and the files")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--reimport", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",")})
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas")
    if min(args.runs, args.reimports, args.members) < 1 or not sizes or sizes[0] < 1:
        parser.error("--runs, --reimports, --members and every size must be at least 1")
    result = run(sizes, args.runs, args.reimports, args.members, args.seed)
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
