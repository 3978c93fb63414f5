"""Dubbing's speed. 1. The built-in analyzer: CPU seconds per second of audio (real-time
factor) on 2, 5 and 15 s clips, against decoding the same clip (work every analyzer must
do). 2. Upload to `completed` (over SSE) for 20 concurrent uploads, embedded (jobs in
the API process) and scaled (PostgreSQL + Redis, one `backlot worker`), against the same
20 analyses run back to back in this process (the work alone, no service around it).

    .venv/bin/python -m bench.analysis [--rounds 5] [--uploads 20] [--redis-url URL]
        [--database-url URL] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from tests.analysis.voices import FIXTURES, LINE, stretched, voice
from tests.dubbing.flow import events, practice, upload, wav_bytes
from tests.dubbing.test_worker import running_worker
from tests.helpers import migrated_pg_database, running_server

from backlot.analysis import SAMPLE_RATE, analyze, decode
from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row


def _clip(seconds: float) -> np.ndarray:
    line = voice("line_low")
    repeated = np.tile(line, int(np.ceil(seconds * SAMPLE_RATE / line.size)))
    return repeated[: int(seconds * SAMPLE_RATE)]


def _cpu(action: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        action()  # type: ignore[operator]
        times.append(time.process_time() - started)
    return statistics.median(times)


async def _uploads(base: str, count: int) -> tuple[list[float], float]:
    """Seconds from each upload's start to its `completed` event; and the wall time."""
    p = await practice(base)
    attempt = (FIXTURES / "line_high.ogg").read_bytes()

    async def one() -> float:
        started = time.perf_counter()
        accepted = await upload(p, attempt)
        assert accepted.status_code == 202, accepted.text
        heard = await events(base, accepted.json()["progress_url"], timeout=300)
        assert heard[-1]["event"] == "completed", heard[-1]
        return time.perf_counter() - started

    await one()  # warm: the analysis processes import their stack
    began = time.perf_counter()
    latencies = await asyncio.gather(*(one() for _ in range(count)))
    return list(latencies), time.perf_counter() - began


def _end_to_end(args: argparse.Namespace) -> list[Row]:
    reference, attempt = decode(FIXTURES / "line_low.ogg"), decode(FIXTURES / "line_high.ogg")
    analyze(reference, attempt, LINE)
    began = time.perf_counter()
    for _ in range(args.uploads):
        analyze(reference, attempt, LINE)
    alone = time.perf_counter() - began
    quiet = {
        "BACKLOT_SECRET_KEY": "benchmark-secret-key-0123456789-0123456789",
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DUBBING_ANALYSIS_PROCESSES": "2",
        **LIFTED_LIMITS,
    }
    rows: list[tuple[str, list[float], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "e").mkdir()
        with running_server(folder / "e", quiet) as base:
            rows.append(("embedded", *asyncio.run(_uploads(base, args.uploads))))
        (folder / "s").mkdir()
        with migrated_pg_database(args.database_url, "bench") as db:
            scaled = {
                **quiet,
                "BACKLOT_DATABASE_URL": db,
                "BACKLOT_REDIS_URL": args.redis_url,
                "BACKLOT_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
            }
            with running_server(folder / "s", scaled) as base, running_worker(folder / "s", scaled):
                rows.append(("scaled, 1 worker", *asyncio.run(_uploads(base, args.uploads))))
    print(
        f"\n{args.uploads} concurrent uploads of a 4 s line to `completed` over SSE; "
        f"2 analysis processes; baseline: the {args.uploads} analyses back to back here"
    )
    print(f"{'shape':<18} {'p50 s':>7} {'p95 s':>7} {'wall s':>7} {'jobs/s':>7} {'wall/alone':>11}")
    print(
        f"{'alone (baseline)':<18} {'':>7} {'':>7} {alone:>7.2f} {args.uploads / alone:>7.1f} {1:>10.2f}x"
    )
    base = "the same analyses back to back in one process, same run"
    table = [Row("analyses alone (baseline): jobs/s", args.uploads / alone, "jobs/s")]
    for name, latencies, wall in rows:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(
            f"{name:<18} {statistics.median(ordered):>7.2f} {p95:>7.2f} {wall:>7.2f} "
            f"{args.uploads / wall:>7.1f} {wall / alone:>10.2f}x"
        )
        table += [
            Row(f"{name}: jobs/s", args.uploads / wall, "jobs/s", base, alone / wall),
            Row(f"{name}: upload to completed, p50", statistics.median(ordered), "s"),
            Row(f"{name}: upload to completed, p95", p95, "s"),
        ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    results.add_json_argument(parser)
    args = parser.parse_args()
    table = []
    print(f"\nCPU seconds per audio second (median of {args.rounds}), one core")
    print(f"{'clip':>6} {'decode':>9} {'analyze':>9} {'analyze/decode':>15}")
    for seconds in (2.0, 5.0, 15.0):
        reference = _clip(seconds)
        attempt = stretched(reference, 1.1)
        encoded = wav_bytes(attempt)
        decoding = _cpu(lambda encoded=encoded: decode(encoded), args.rounds) / seconds
        scoring = (
            _cpu(lambda r=reference, a=attempt: analyze(r, a, "the quick brown fox"), args.rounds)
            / seconds
        )
        print(f"{seconds:>5.0f}s {decoding:>9.4f} {scoring:>9.4f} {scoring / decoding:>14.0f}x")
        table += [
            Row(f"decode a {seconds:.0f} s clip (baseline): CPU s per audio s", decoding, "RTF"),
            Row(
                f"analyze a {seconds:.0f} s clip: CPU s per audio s",
                scoring,
                "RTF",
                "decoding the same clip",
                scoring / decoding,
            ),
        ]
    table += _end_to_end(args)
    results.write(
        args.json,
        "analysis",
        table,
        notes=[
            f"{args.uploads} concurrent uploads, 2 analysis processes; analysis CPU is the"
            f" median of {args.rounds} rounds",
            "CPU s per audio s: below 1 is faster than real time; its ratio is analyze /"
            " decode (how many decodes one analysis costs)",
        ],
    )


if __name__ == "__main__":
    main()
