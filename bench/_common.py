"""Shared helpers: percentiles, machine description, the audioop warning, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def quiet_audioop() -> None:
    """discord.py imports the deprecated stdlib `audioop` on 3.11; that warning is noise here."""
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sample."""
    return float(statistics.median(values))


def ratio(ours: float, baseline: float) -> float:
    """ours / baseline (inf when the baseline is zero)."""
    return ours / baseline if baseline else float("inf")


def machine() -> dict[str, Any]:
    """Date, CPU count, Python and platform of this run."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(terse=True),
    }


def write_json(path: str | None, data: dict[str, Any]) -> None:
    """Write results as JSON when a path was given."""
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
