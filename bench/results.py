"""What a benchmark hands to the report (`make bench` writes docs/benchmarks.md from it).

Each benchmark keeps printing its own table; given `--json PATH` it also writes its rows
there, each one measurement next to the baseline measured in the same run and the target
the issue set, so the report can say met or missed without re-deriving anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One figure: `value` in `unit`, and where there is a baseline, the ratio to it."""

    measure: str  # e.g. "lock endpoint, scaled: requests/s"
    value: float
    unit: str  # "req/s", "ms", "MB", ...
    baseline: str | None = None  # what the ratio is against, e.g. "seed 000 design"
    ratio: float | None = None  # value / baseline value (or baseline / value for times)
    target: str | None = None  # e.g. ">= 1.0x", "<= 150 MB"
    met: bool | None = None  # None when there is no target


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="also write the rows here, for the report")


def write(path: Path | None, benchmark: str, rows: list[Row], notes: Sequence[str] = ()) -> None:
    """Write `rows` of `benchmark` to `path` (nothing when no path was given)."""
    if path is None:
        return
    document = {
        "benchmark": benchmark,
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "rows": [asdict(row) for row in rows],
        "notes": list(notes),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
