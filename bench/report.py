"""`make bench`: run every benchmark with `--json`, then write docs/benchmarks.md.

Each benchmark runs as its own process (`python -m bench.NAME --json ...`); its rows
(bench/results.py) are kept in docs/benchmarks/NAME.json next to a plot of them,
docs/benchmarks/NAME.png (throughput, latency percentiles, memory: the baseline measured
in the same run beside Backlot). A benchmark that fails, or does not write `--json` yet,
is listed as "not yet reported" with the reason; the others are still reported.

    .venv/bin/python -m bench.report                 # run them all, write the report
    .venv/bin/python -m bench.report --only points memory
    .venv/bin/python -m bench.report --no-run        # re-write from the kept JSON
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = DOCS / "benchmarks"

# (module, what it measures), in the report's order. A module missing from this
# checkout is left out; one without `--json` yet is "not yet reported".
BENCHMARKS: list[tuple[str, str]] = [
    ("lock_load", "Lock endpoint under load"),
    ("locks", "Lock endpoint and Socket.IO fan-out"),
    ("workspace", "Workspace commits"),
    ("points", "First views and points"),
    ("memory", "Memory"),
    ("streaming", "Video streaming"),
    ("auth_overhead", "Authentication overhead"),
    ("request_costs", "Where a request's time goes"),
    ("analysis", "Dubbing analysis"),
    ("body_memory", "A huge request body"),
]

TIME_UNITS = {"ms", "s", "us", "µs", "CPU ms"}  # ratios: baseline / value
MEMORY_UNITS = {"MB", "KB", "GB", "B"}


@dataclass
class Outcome:
    module: str
    title: str
    document: dict[str, Any] | None = None
    problem: str | None = None  # why it is not reported
    seconds: float = 0.0
    rows: list[dict[str, Any]] = field(default_factory=list)


def _exists(module: str) -> bool:
    return importlib.util.find_spec(f"bench.{module}") is not None


def _writes_json(module: str) -> bool:
    source = (ROOT / "bench" / f"{module}.py").read_text(encoding="utf-8")
    return "--json" in source or "add_json_argument" in source


def _run(module: str, title: str, timeout: float) -> Outcome:
    outcome = Outcome(module, title)
    target = OUT / f"{module}.json"
    if not _writes_json(module):
        outcome.problem = "does not write `--json` yet"
        return outcome
    target.unlink(missing_ok=True)
    print(f"== bench.{module}", flush=True)
    began = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{module}", "--json", str(target)],
            cwd=ROOT,
            timeout=timeout,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        )
    except subprocess.TimeoutExpired:
        outcome.problem = f"did not finish within {timeout:.0f} s"
        return outcome
    outcome.seconds = time.monotonic() - began
    print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        outcome.problem = f"failed (exit {done.returncode}): {last}"
        print(done.stderr[-3000:], file=sys.stderr)
    if target.exists():
        _load(outcome, target)
    elif outcome.problem is None:
        outcome.problem = "wrote no `--json` rows"
    return outcome


def _load(outcome: Outcome, path: Path) -> None:
    outcome.document = json.loads(path.read_text(encoding="utf-8"))
    outcome.rows = outcome.document.get("rows", [])


def _baseline_value(row: dict[str, Any]) -> float | None:
    """The baseline's own figure, from the ratio as bench/results.py defines it:
    value / baseline, or baseline / value for times."""
    ratio = row.get("ratio")
    if not ratio or row.get("baseline") is None:
        return None
    value = float(row["value"])
    return value * ratio if row["unit"] in TIME_UNITS else value / ratio


def _number(value: float | None) -> str:
    if value is None:
        return ""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _met(row: dict[str, Any]) -> str:
    met = row.get("met")
    return "" if met is None else ("**met**" if met else "**missed**")


def _family(unit: str) -> str | None:
    if unit.startswith("CPU"):
        return "CPU per request"
    if unit.endswith("/s"):
        return "throughput"
    if unit in TIME_UNITS:
        return "latency"
    if unit in MEMORY_UNITS:
        return f"memory, {unit}"
    return None


def _plot(outcome: Outcome) -> Path | None:
    """One PNG: a panel per kind of figure, each row's Backlot bar beside its baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: dict[str, list[dict[str, Any]]] = {}
    for row in outcome.rows:
        family = _family(row["unit"])
        if family is not None:
            panels.setdefault(family, []).append(row)
    if not panels:
        return None
    heights = [max(1.6, 0.5 * len(rows) + 0.9) for rows in panels.values()]
    figure, axes = plt.subplots(
        len(panels), 1, figsize=(12, sum(heights)), gridspec_kw={"height_ratios": heights}
    )
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, (family, rows) in zip(axes, panels.items(), strict=True):
        labels, ours, theirs = [], [], []
        for row in rows:
            labels.append(_short(row["measure"]))
            ours.append(float(row["value"]))
            theirs.append(_baseline_value(row))
        positions = list(range(len(rows)))
        width = 0.4
        own = ["baseline" in row["measure"].lower() for row in rows]
        for colour, label, pick in (
            ("#2f6db5", "Backlot", False),
            ("#8c8c8c", "a baseline's own row", True),
        ):
            chosen = [(p, v) for p, v, o in zip(positions, ours, own, strict=True) if o is pick]
            if chosen:
                ax.barh(
                    [p - width / 2 for p, _ in chosen],
                    [v for _, v in chosen],
                    height=width,
                    color=colour,
                    label=label,
                )
        shown = [(p, v) for p, v in zip(positions, theirs, strict=True) if v is not None]
        if shown:
            ax.barh(
                [p + width / 2 for p, _ in shown],
                [v for _, v in shown],
                height=width,
                color="#e3a33b",
                label="baseline, same run",
            )
        for p, row in zip(positions, rows, strict=True):
            if row.get("ratio"):
                ax.text(
                    float(row["value"]),
                    p - width / 2,
                    f"  {row['ratio']:.2f}x",
                    va="center",
                    fontsize=8,
                )
        ax.set_yticks(positions, labels, fontsize=8)
        ax.invert_yaxis()
        units = sorted({row["unit"] for row in rows})
        ax.set_xlabel(f"{family} ({', '.join(units)})")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="x", alpha=0.3)
    figure.suptitle(outcome.title)
    figure.tight_layout()
    path = OUT / f"{outcome.module}.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _short(measure: str, limit: int = 60) -> str:
    return measure if len(measure) <= limit else measure[: limit - 1] + "…"


def _machine() -> list[str]:
    lines = []
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines.append(f"- CPU: {model}, {cpus} cores available to the benchmarks")
    memory = next(
        (
            int(line.split()[1]) / 1024 / 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        None,
    )
    if memory is not None:
        lines.append(f"- Memory: {memory:.1f} GB")
    lines.append(f"- OS: {platform.platform()}")
    lines.append(f"- Python {platform.python_version()} ({platform.python_implementation()})")
    for name, command in (
        (
            "PostgreSQL",
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
        ),
        ("Redis", ["redis-cli", "INFO", "server"]),
        ("nginx", ["nginx", "-v"]),
    ):
        version = _version(command)
        if version:
            lines.append(f"- {name} {version}")
    lines.append(
        "- Clients, servers and databases share these cores: ratios against a baseline "
        "measured in the same run are what the figures mean, not the absolute numbers."
    )
    return lines


def _version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout + done.stderr).strip()
    for line in text.splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1]
        if "nginx/" in line:
            return line.rsplit("nginx/", 1)[1]
    return text.splitlines()[0] if done.returncode == 0 and text else None


def _write(outcomes: list[Outcome], load: tuple[float, float] | None) -> Path:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    md = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.report`) on {now}. Every figure is",
        "measured next to a baseline in the same run; see the README's Benchmarks section",
        "for what each benchmark does and how to run one alone.",
        "",
        "## Machine",
        "",
        *_machine(),
        *(
            [f"- Load average before / after the run: {load[0]:.2f} / {load[1]:.2f}"]
            if load
            else []
        ),
        "",
        "Ratios are as each benchmark states them (bench/results.py): for rates and sizes",
        "Backlot / baseline; for times baseline / Backlot, so above 1 is faster. The",
        "baseline column is derived from the ratio.",
        "",
    ]
    targets = [(o, r) for o in outcomes for r in o.rows if r.get("target")]
    if targets:
        md += ["## Targets", "", "| benchmark | measure | Backlot | ratio | target | |"]
        md += ["|---|---|---:|---:|---|---|"]
        for outcome, row in targets:
            ratio = f"{row['ratio']:.2f}x" if row.get("ratio") else ""
            md.append(
                f"| {outcome.module} | {row['measure']} | {_number(row['value'])} {row['unit']}"
                f" | {ratio} | {row['target']} | {_met(row)} |"
            )
        md.append("")
    missing = [o for o in outcomes if o.problem is not None and not o.rows]
    if missing:
        md += ["## Not yet reported", ""]
        md += [f"- `bench.{o.module}` ({o.title}): {o.problem}" for o in missing]
        md.append("")
    for outcome in outcomes:
        if not outcome.rows:
            continue
        md += [f"## {outcome.title} (`bench.{outcome.module}`)", ""]
        if outcome.problem:
            md += [f"(This run {outcome.problem}; the rows it wrote are shown.)", ""]
        md += ["| measure | Backlot | baseline | ratio | target | |", "|---|---:|---|---:|---|---|"]
        for row in outcome.rows:
            unit = row["unit"]
            base = _baseline_value(row)
            baseline = f"{_number(base)} {unit}: {row['baseline']}" if base is not None else ""
            if base is None and row.get("baseline"):
                baseline = str(row["baseline"])
            ratio = f"{row['ratio']:.2f}x" if row.get("ratio") else ""
            md.append(
                f"| {row['measure']} | {_number(row['value'])} {unit} | {baseline} | {ratio}"
                f" | {row.get('target') or ''} | {_met(row)} |"
            )
        notes = (outcome.document or {}).get("notes", [])
        if notes:
            md += ["", *[f"- {note}" for note in notes]]
        plot = _plot(outcome)
        if plot is not None:
            md += ["", f"![{outcome.title}](benchmarks/{plot.name})"]
        md.append("")
    path = DOCS / "benchmarks.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--no-run", action="store_true", help="report the kept JSON only")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per benchmark")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    outcomes = []
    for module, title in BENCHMARKS:
        if not _exists(module):
            continue
        kept = OUT / f"{module}.json"
        if args.no_run or (args.only and module not in args.only):
            outcome = Outcome(module, title)
            if kept.exists():
                _load(outcome, kept)
            else:
                outcome.problem = (
                    "does not write `--json` yet" if not _writes_json(module) else "not run"
                )
            outcomes.append(outcome)
            continue
        outcomes.append(_run(module, title, args.timeout))
    ran = any(outcome.seconds for outcome in outcomes)
    path = _write(outcomes, (before, os.getloadavg()[0]) if ran else None)
    print(f"\nwrote {path.relative_to(ROOT)}")
    for outcome in outcomes:
        state = outcome.problem or f"{len(outcome.rows)} rows in {outcome.seconds:.0f} s"
        print(f"  bench.{outcome.module}: {state}")


if __name__ == "__main__":
    main()
