"""The lock endpoint under the wrk shape of issue #15, against seed 000's design in one run.

4 load processes (`--threads`), 32 keep-alive connections (`--connections`) split among
them, each connection its own user locking a fresh file name with `"switch": true` as fast
as answers come back, for `--seconds`. The load generator writes raw HTTP/1.1 on asyncio
(uvloop) so it costs the two cores little. Servers, one after the other on the same Redis:

- seed 000's design (`bench/seed_minimal.py`: FastAPI + one Redis `SET NX`, no auth, no
  rules, no events, no audit): the baseline;
- Backlot embedded (SQLite, in-process locks and bus);
- Backlot scaled (Redis + PostgreSQL), `--workers` processes (1 by default).

Backlot runs with everything on: Bearer auth, one file per user (the switch releases the
previous file), fencing tokens, events on the project channel with `--observers` Socket.IO
clients joined to the project counting what reaches them, and the lock audit trail.
Prints req/s, p50, p99, p99/p50, timeouts (answers slower than 2 s, as wrk counts them)
and the ratio to the seed measured in the same run.

    .venv/bin/python -m bench.lock_load [--seconds 10] [--only seed,embedded,scaled]
        [--redis-url URL] [--database-url URL] [--observers 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import anyio
import orjson
from sqlalchemy import make_url
from tests.helpers import (
    create_pg_database,
    drop_pg_database,
    free_port,
    running_process,
    running_server,
)

from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.loadgen import run_load
from bench.locks import SECRET, _team

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"embedded": 1.5, "scaled": 1.0}


@dataclass
class Outcome:
    name: str
    rate: float
    p50: float  # ms
    p99: float  # ms
    timeouts: int
    errors: int
    answered: int
    events: int = 0


# --- Socket.IO observers: raw Engine.IO v4 over a WebSocket, counting lock events ------


class Observers:
    """Clients joined to the project, counting the lock events that reach them."""

    def __init__(self) -> None:
        self.events = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self, base: str, token: str, project_id: int, count: int) -> None:
        self._session = aiohttp.ClientSession()
        joined = [asyncio.get_running_loop().create_future() for _ in range(count)]
        for future in joined:
            self._tasks.append(asyncio.create_task(self._run(base, token, project_id, future)))
        await asyncio.wait_for(asyncio.gather(*joined), 30)

    async def _run(
        self, base: str, token: str, project_id: int, joined: asyncio.Future[None]
    ) -> None:
        assert self._session is not None
        url = f"{base.replace('http', 'ws', 1)}/socket.io/?EIO=4&transport=websocket"
        async with self._session.ws_connect(url) as ws:
            opened = await ws.receive_str()
            assert opened.startswith("0"), opened
            await ws.send_str("40" + orjson.dumps({"token": token}).decode())
            async for message in ws:
                text = message.data
                if not isinstance(text, str):
                    continue
                if text.startswith('42["lock_'):
                    self.events += 1
                elif text == "2":
                    await ws.send_str("3")
                elif text.startswith("40"):
                    await ws.send_str(
                        "421" + orjson.dumps(["join_project", {"project_id": project_id}]).decode()
                    )
                elif text.startswith("431"):
                    answer = orjson.loads(text[3:])[0]
                    if not answer.get("ok"):
                        joined.set_exception(RuntimeError(f"join refused: {answer}"))
                        return
                    joined.set_result(None)
                elif text.startswith("44"):
                    joined.set_exception(RuntimeError(f"socket refused: {text}"))
                    return

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


# --- one server under load ---------------------------------------------------------


def _summary(
    name: str, latencies: list[float], tally: dict[str, int], seconds: float, events: int = 0
) -> Outcome:
    ordered = sorted(latencies)
    if not ordered:
        raise RuntimeError(f"{name}: no answers")
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Outcome(
        name,
        len(ordered) / seconds,
        statistics.median(ordered) * 1000,
        p99 * 1000,
        tally["timeouts"],
        tally["errors"],
        len(ordered),
        events,
    )


def measure_seed(base: str, args: argparse.Namespace) -> Outcome:
    users = [("", f"u{i}") for i in range(args.connections)]
    latencies, tally = run_load(
        base,
        "/lock",
        users,
        1,
        seed=True,
        processes=args.threads,
        seconds=args.seconds,
    )
    return _summary("seed 000 design (baseline)", latencies, tally, args.seconds)


def measure_backlot(name: str, base: str, args: argparse.Namespace) -> Outcome:
    async def prepare() -> tuple[int, list[str]]:
        return await _team(base, args.connections + 1)

    project_id, tokens = asyncio.run(prepare())
    users = [(f"Authorization: Bearer {token}\r\n", "") for token in tokens[1:]]

    async def observed() -> tuple[list[float], dict[str, int], int]:
        observers = Observers()
        if args.observers:
            await observers.start(base, tokens[0], project_id, args.observers)
        if args.pause:
            print(f"load on {base}", flush=True)
        try:
            latencies, tally = await asyncio.to_thread(
                run_load,
                base,
                "/v1/labeling/lock",
                users,
                project_id,
                seed=False,
                processes=args.threads,
                seconds=args.seconds,
            )
            # events still on their way: wait until none came for a second (30 s at most)
            deadline, last = time.monotonic() + 30, -1
            while observers.events != last and time.monotonic() < deadline:
                last = observers.events
                await asyncio.sleep(1.0)
            return latencies, tally, observers.events
        finally:
            await observers.stop()

    latencies, tally, events = asyncio.run(observed())
    return _summary(name, latencies, tally, args.seconds, events)


@contextmanager
def _seed_server(redis_url: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.seed_minimal:app", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    with running_process(command, ROOT, {"BENCH_REDIS_URL": redis_url}, port) as base:
        yield base


@contextmanager
def _pg_database(server_url: str) -> Iterator[str]:
    name = f"bench_lock_load_{uuid.uuid4().hex[:8]}"
    url = anyio.run(create_pg_database, server_url, name)
    try:
        yield url
    finally:
        anyio.run(drop_pg_database, server_url, name)


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {"BACKLOT_SECRET_KEY": SECRET, "BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS, **extra}


def measure(args: argparse.Namespace) -> list[Outcome]:
    outcomes: list[Outcome] = []
    wanted = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        if "seed" in wanted:
            with _seed_server(args.redis_url) as base:
                outcomes.append(measure_seed(base, args))
        if "embedded" in wanted:
            (Path(tmp) / "e").mkdir()
            with running_server(Path(tmp) / "e", _env({})) as base:
                _announce(base, "embedded", args)
                outcomes.append(measure_backlot("Backlot embedded", base, args))
        if "scaled" in wanted:
            (Path(tmp) / "s").mkdir()
            with ExitStack() as stack:
                database = stack.enter_context(_pg_database(args.database_url))
                env = _env(
                    {
                        "BACKLOT_REDIS_URL": args.redis_url,
                        "BACKLOT_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
                        "BACKLOT_DATABASE_URL": database,
                    }
                )
                workers = ["--workers", str(args.workers)] if args.workers > 1 else []
                base = stack.enter_context(running_server(Path(tmp) / "s", env, *workers))
                _announce(base, "scaled", args)
                label = "Backlot scaled (Redis + PostgreSQL)"
                if args.workers > 1:
                    label += f", {args.workers} processes"
                outcomes.append(measure_backlot(label, base, args))
    return outcomes


def _announce(base: str, shape: str, args: argparse.Namespace) -> None:
    if args.pause:  # time to attach py-spy to the server
        print(f"{shape} server at {base}; starting in {args.pause} s", flush=True)
        time.sleep(args.pause)


# --- report ------------------------------------------------------------------------


def _rows(outcomes: list[Outcome], observers: int) -> list[results.Row]:
    seed = next((o for o in outcomes if o.name.startswith("seed")), None)
    rows: list[results.Row] = []
    for outcome in outcomes:
        shape = (
            "seed" if outcome is seed else ("embedded" if "embedded" in outcome.name else "scaled")
        )
        label = f"lock endpoint, {outcome.name}"
        if outcome is seed or seed is None:
            rows.append(results.Row(f"{label}: requests/s", round(outcome.rate), "req/s"))
        else:
            ratio = outcome.rate / seed.rate
            target = TARGETS[shape]
            rows.append(
                results.Row(
                    f"{label}: requests/s",
                    round(outcome.rate),
                    "req/s",
                    baseline="seed 000 design",
                    ratio=round(ratio, 2),
                    target=f">= {target}x",
                    met=ratio >= target,
                )
            )
        rows.append(results.Row(f"{label}: p50", round(outcome.p50, 2), "ms"))
        rows.append(results.Row(f"{label}: p99", round(outcome.p99, 2), "ms"))
        if outcome is not seed:
            spread = outcome.p99 / outcome.p50
            rows.append(
                results.Row(
                    f"{label}: p99 / p50",
                    round(spread, 1),
                    "x",
                    target="<= 10x",
                    met=spread <= 10,
                )
            )
            rows.append(
                results.Row(
                    f"{label}: timeouts (> 2 s)",
                    outcome.timeouts,
                    "requests",
                    target="0",
                    met=outcome.timeouts == 0,
                )
            )
            if observers:
                rows.append(
                    results.Row(
                        f"{label}: lock events received by {observers} Socket.IO client(s)",
                        outcome.events,
                        "events",
                    )
                )
    return rows


def report(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    seed = next((o for o in outcomes if o.name.startswith("seed")), None)
    print(
        f"\nPOST lock, switch: true, fresh file per request; {args.threads} load processes, "
        f"{args.connections} connections (one user each), {args.seconds:g} s; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'server':<44} {'req/s':>7} {'vs seed':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'p99/p50':>8} {'timeouts':>8} {'errors':>6} {'events':>8}"
    )
    for o in outcomes:
        ratio = f"{o.rate / seed.rate:.2f}x" if seed else "-"
        print(
            f"{o.name:<44} {o.rate:>7.0f} {ratio:>8} {o.p50:>8.2f} {o.p99:>8.2f} "
            f"{o.p99 / o.p50:>7.1f}x {o.timeouts:>8} {o.errors:>6} {o.events:>8}"
        )
    if args.observers:
        print(
            f"events: lock_acquired + lock_released received by {args.observers} Socket.IO "
            "client(s) joined to the project (two per answered lock that switched)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4, help="load processes")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--observers", type=int, default=1, help="Socket.IO clients")
    parser.add_argument("--workers", type=int, default=1, help="scaled server processes")
    parser.add_argument("--only", default="seed,embedded,scaled")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server; the benchmark makes (and drops) its own database there",
    )
    parser.add_argument("--pause", type=float, default=0, help="seconds to wait before load")
    results.add_json_argument(parser)
    args = parser.parse_args()
    make_url(args.database_url)  # fail early on a bad URL
    outcomes = measure(args)
    report(outcomes, args)
    results.write(
        args.json,
        "lock_load",
        _rows(outcomes, args.observers),
        notes=[
            f"{args.threads} load processes, {args.connections} connections, "
            f"{args.seconds:g} s per server, {args.observers} Socket.IO observer(s)"
        ],
    )


if __name__ == "__main__":
    main()
