"""Workspace: COMMIT -> COMMIT_APPLY latency with 100 clients in one room, and commits
per second into one room, against a bare `websockets` broadcast server doing the same
fan-out (bench/bare_ws.py) in the same run. Backlot embedded (SQLite, one process) and
scaled (PostgreSQL + Redis, two processes with the clients split between them).

    .venv/bin/python -m bench.workspace [--clients 100] [--rounds 60] [--committers 10]
        [--each 20] [--redis-url URL] [--database-url URL] [--json PATH]

Targets (issue 15): commits per second into one room >= 0.5x bare, COMMIT -> COMMIT_APPLY
p50 <= 2x bare embedded and <= 3x scaled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import websockets
from tests.helpers import free_port, migrated_pg_database, running_process, running_server
from websockets.asyncio.client import ClientConnection

from bench import results
from bench.lifted import LIFTED_LIMITS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-0123456789-0123456789"
# A workspace of about 2 KB, as the page sends with every commit.
XML = (
    "<xml>"
    + "".join(
        f'<block type="math_number" id="b{i}" x="{i * 10}" y="{i * 20}">'
        f'<field name="NUM">{i}</field></block>'
        for i in range(25)
    )
    + "</xml>"
)
EVENT = {"type": "move", "blockId": "b1", "oldCoordinate": "0, 0", "newCoordinate": "10, 20"}
WARM_UP = 5


class Room:
    """`count` clients connected to `urls` in turn; records when each sees each commit."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.seen: dict[str, list[float]] = {}
        self.done: dict[str, asyncio.Event] = {}
        self.readers: list[asyncio.Task[None]] = []

    async def open(self, urls: list[str], count: int) -> None:
        for index in range(count):
            ws = await websockets.connect(urls[index % len(urls)], max_size=None)
            json.loads(await ws.recv())  # INIT_STATE
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            if '"t":"COMMIT_APPLY"' not in str(raw):
                continue
            block = json.loads(raw)["payload"]["blockId"]
            times = self.seen.setdefault(block, [])
            times.append(time.perf_counter())
            if len(times) == len(self.sockets):
                self.done.setdefault(block, asyncio.Event()).set()

    async def commit(self, index: int, block: str) -> float:
        """Send a commit from socket `index`; when every socket has it, its start time."""
        self.done.setdefault(block, asyncio.Event())
        started = time.perf_counter()
        payload = {"blockId": block, "events": [EVENT], "workspaceXml": XML}
        await self.sockets[index].send(json.dumps({"t": "COMMIT", "payload": payload}))
        await asyncio.wait_for(self.done[block].wait(), 30)
        return started

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for reader in self.readers:
            reader.cancel()


async def latency(urls: list[str], clients: int, rounds: int) -> list[float]:
    room = Room()
    await room.open(urls, clients)
    latencies: list[float] = []
    try:
        for round_ in range(WARM_UP + rounds):
            block = f"lat-{round_}"
            started = await room.commit(0, block)
            if round_ >= WARM_UP:
                latencies += [seen - started for seen in room.seen[block]]
    finally:
        await room.close()
    return latencies


async def throughput(urls: list[str], clients: int, committers: int, each: int) -> float:
    room = Room()
    await room.open(urls, clients)

    async def committer(index: int) -> None:
        for n in range(each):
            await room.commit(index, f"tp-{index}-{n}")

    try:
        await committer(0)  # warm-up
        began = time.perf_counter()
        await asyncio.gather(*(committer(i) for i in range(committers)))
        return committers * each / (time.perf_counter() - began)
    finally:
        await room.close()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def _socket_urls(bases: list[str], room: str) -> list[str]:
    return [
        f"{base.replace('http://', 'ws://')}/ws/workspace/{room}/?nickname=bench" for base in bases
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--committers", type=int, default=10)
    parser.add_argument("--each", type=int, default=20, help="commits per committer")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument(
        "--shapes",
        default="embedded,scaled",
        help="which Backlot shapes to measure, comma-separated (the baseline always runs)",
    )
    results.add_json_argument(parser)
    args = parser.parse_args()
    quiet = {
        "BACKLOT_SECRET_KEY": SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        **LIFTED_LIMITS,
        "BACKLOT_WORKSPACE_DEFAULT_MAX_USERS": "1000",
        # A load generator sends faster than a person; the limits are not measured here.
        "BACKLOT_WORKSPACE_MESSAGES_PER_SECOND": "100000",
        "BACKLOT_WORKSPACE_MESSAGE_BURST": "100000",
    }
    measured: dict[str, tuple[list[float], float]] = {}
    with (
        migrated_pg_database(args.database_url, "bench") as db,
        tempfile.TemporaryDirectory() as tmp,
        ExitStack() as stack,
    ):
        folder = Path(tmp)
        port = free_port()
        bare = stack.enter_context(
            running_process([sys.executable, "-m", "bench.bare_ws", str(port)], ROOT, {}, port)
        )
        bare_url = [bare.replace("http://", "ws://") + "/"]
        measured["bare websockets (baseline)"] = (
            asyncio.run(latency(bare_url, args.clients, args.rounds)),
            asyncio.run(throughput(bare_url, args.clients, args.committers, args.each)),
        )
        shapes = set(args.shapes.split(","))
        if "embedded" in shapes:
            (folder / "e").mkdir()
            embedded = stack.enter_context(running_server(folder / "e", quiet))
            measured["backlot embedded"] = (
                asyncio.run(latency(_socket_urls([embedded], "lat"), args.clients, args.rounds)),
                asyncio.run(
                    throughput(
                        _socket_urls([embedded], "tp"), args.clients, args.committers, args.each
                    )
                ),
            )
        if "scaled" not in shapes:
            return report(args, measured)
        (folder / "s").mkdir()
        scaled_env = {
            **quiet,
            "BACKLOT_REDIS_URL": args.redis_url,
            "BACKLOT_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
            "BACKLOT_DATABASE_URL": db,
        }
        scaled = [stack.enter_context(running_server(folder / "s", scaled_env)) for _ in range(2)]
        measured["backlot scaled, 2 processes"] = (
            asyncio.run(latency(_socket_urls(scaled, "lat"), args.clients, args.rounds)),
            asyncio.run(
                throughput(_socket_urls(scaled, "tp"), args.clients, args.committers, args.each)
            ),
        )

    report(args, measured)


BARE = "bare websockets (baseline)"
# Per measured shape: the most its p50 may be, as a multiple of the bare p50.
P50_TARGETS = {"backlot embedded": 2.0, "backlot scaled, 2 processes": 3.0}
RATE_TARGET = 0.5  # commits per second, at least this multiple of bare


def report(args: argparse.Namespace, measured: dict[str, tuple[list[float], float]]) -> None:
    base_latencies, base_rate = measured[BARE]
    base_p50 = _ms(base_latencies, 0.5)
    print(
        f"\nCOMMIT -> COMMIT_APPLY at all {args.clients} clients of one room, "
        f"{args.rounds} commits of {len(XML)} B XML, one at a time"
    )
    print(f"{'server':<30} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs bare':>12}")
    for name, (values, _) in measured.items():
        p50 = _ms(values, 0.5)
        print(f"{name:<30} {p50:>8.2f} {_ms(values, 0.99):>8.2f} {p50 / base_p50:>11.2f}x")
    print(
        f"\ncommits per second into one room: {args.committers} committers x {args.each}, "
        f"each waiting for its commit to reach all {args.clients} clients"
    )
    print(f"{'server':<30} {'commits/s':>10} {'vs bare':>8}")
    for name, (_, rate) in measured.items():
        print(f"{name:<30} {rate:>10.0f} {rate / base_rate:>7.2f}x")
    print(f"(median latency of the baseline {statistics.median(base_latencies) * 1000:.2f} ms)")
    rows = [
        results.Row("commit -> apply, bare websockets: p50", base_p50, "ms"),
        results.Row("commits into one room, bare websockets", base_rate, "commits/s"),
    ]
    for name, (values, rate) in measured.items():
        if name == BARE:
            continue
        p50, limit = _ms(values, 0.5), P50_TARGETS[name]
        rows += [
            results.Row(
                f"commit -> apply, {name}: p50",
                p50,
                "ms",
                baseline="bare websockets p50",
                ratio=p50 / base_p50,
                target=f"<= {limit:g}x",
                met=p50 / base_p50 <= limit,
            ),
            results.Row(f"commit -> apply, {name}: p99", _ms(values, 0.99), "ms"),
            results.Row(
                f"commits into one room, {name}",
                rate,
                "commits/s",
                baseline="bare websockets",
                ratio=rate / base_rate,
                target=f">= {RATE_TARGET:g}x",
                met=rate / base_rate >= RATE_TARGET,
            ),
        ]
    notes = [
        f"{args.clients} clients in one room, {len(XML)} B of workspace XML per commit; "
        f"latency over {args.rounds} commits one at a time; rate with {args.committers} "
        f"committers x {args.each}, each waiting for its commit to reach every client.",
        "Scaled: PostgreSQL + Redis, two processes, the clients split between them.",
    ]
    results.write(args.json, "workspace", rows, notes)


if __name__ == "__main__":
    main()
