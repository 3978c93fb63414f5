"""Labeling locks: throughput and latency, against baselines measured in the same run.

1. Lock + unlock round trips through REST (each concurrent worker is its own user on its
   own file), for Backlot embedded, Backlot with Redis, and `bench/seed_minimal.py` (only
   seed 000: FastAPI + one Redis SET NX, no auth, no per-user rule, no audit, no
   broadcast). Also the bare lock store calls (acquire + release) for scale.
2. Fan-out: time from sending a REST lock to receipt of `lock_acquired` by each of N
   connected Socket.IO clients, next to a bare python-socketio server emitting the same
   event to the same number of clients.

    make bench-locks      # or: .venv/bin/python -m bench.locks [--redis-url URL] [--clients N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import socketio
from redis.asyncio import Redis
from tests.helpers import free_port, running_process, running_server

from backlot.core.clock import SystemClock
from backlot.core.locks import build_lock_store
from bench.lifted import LIFTED_LIMITS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-0123456789-0123456789"
PASSWORD = "benchmark password"


def _summary(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(ordered) / seconds, statistics.median(ordered) * 1000, p99 * 1000


async def _timed(workers: int, rounds: int, step: Callable[[int], Awaitable[None]]) -> tuple:
    """Each worker runs one untimed warm-up step (connections, caches, first compiles);
    the clock starts when all have, so every path is measured warm."""
    latencies: list[float] = []
    warm = 0
    ready = asyncio.Event()
    began = 0.0

    async def worker(index: int) -> None:
        nonlocal warm, began
        await step(index)
        warm += 1
        if warm == workers:
            began = time.perf_counter()
            ready.set()
        await ready.wait()
        for _ in range(rounds):
            started = time.perf_counter()
            await step(index)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker(i) for i in range(workers)))
    return _summary(latencies, time.perf_counter() - began)


async def bare_store(redis_url: str | None, workers: int, rounds: int) -> tuple:
    redis = Redis.from_url(redis_url) if redis_url else None
    store = build_lock_store(redis, SystemClock(), prefix="bench-store:")
    ttl = timedelta(seconds=60)

    async def step(index: int) -> None:
        await store.acquire("1", f"file{index}", f"user{index}", ttl, max_per_owner=1)
        await store.release("1", f"file{index}", f"user{index}")

    try:
        return await _timed(workers, rounds, step)
    finally:
        if redis is not None:
            await redis.aclose()


async def _team(base: str, users: int) -> tuple[int, list[str]]:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        admin = {"email": f"admin-{tag}@example.com", "password": PASSWORD}
        await http.post("/v1/auth/register", json={**admin, "corporation_name": tag})
        token = (await http.post("/v1/auth/login", json=admin)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        project = await http.post("/v1/labeling/projects", json={"name": "B"}, headers=headers)
        tokens = [token]
        for index in range(users - 1):
            user = {"email": f"bench{index}-{tag}@example.com", "password": PASSWORD}
            await http.post("/v1/users", json=user, headers=headers)
            tokens.append((await http.post("/v1/auth/login", json=user)).json()["access_token"])
    return project.json()["id"], tokens


# The load generator is aiohttp, not httpx: it shares the two cores with the servers, and
# httpx's own cost per request would dominate what is measured.
async def backlot_rest(base: str, workers: int, rounds: int) -> tuple:
    project, tokens = await _team(base, workers)
    async with aiohttp.ClientSession(base) as http:

        async def step(index: int) -> None:
            body = {"project_id": project, "file_name": f"file{index}.jpg"}
            headers = {"Authorization": f"Bearer {tokens[index]}"}
            async with http.post("/v1/labeling/lock", json=body, headers=headers) as locked:
                text = await locked.text()
            async with http.post("/v1/labeling/unlock", json=body, headers=headers) as unlocked:
                await unlocked.read()
            assert locked.status == 200 and unlocked.status == 204, text

        return await _timed(workers, rounds, step)


async def seed_rest(base: str, workers: int, rounds: int) -> tuple:
    async with aiohttp.ClientSession(base) as http:

        async def step(index: int) -> None:
            body = {"project_id": 1, "file_name": f"file{index}.jpg", "user_id": f"u{index}"}
            async with http.post("/lock", json=body) as locked:
                text = await locked.text()
            async with http.post("/unlock", json=body) as unlocked:
                await unlocked.read()
            assert locked.status == 200, text

        return await _timed(workers, rounds, step)


async def _clients(
    base: str,
    count: int,
    auth: dict[str, Any] | None,
    join: int | None,
    received: dict[int, list[float]],
) -> list[socketio.AsyncClient]:
    clients = []
    for index in range(count):
        client = socketio.AsyncClient(reconnection=False)

        def record(data: dict[str, Any], index: int = index) -> None:
            received.setdefault(data["round"] if "round" in data else data["token"], []).append(
                time.perf_counter()
            )

        client.on("lock_acquired", record)
        await client.connect(base, auth=auth, transports=["websocket"])
        if join is not None:
            await client.call("join_project", {"project_id": join})
        clients.append(client)
    return clients


async def _wait_for(received: dict[int, list[float]], key: int, count: int) -> None:
    deadline = time.perf_counter() + 30
    while len(received.get(key, [])) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.002)


async def backlot_fanout(base: str, count: int, rounds: int) -> list[float]:
    project, tokens = await _team(base, 1)
    received: dict[int, list[float]] = {}
    clients = await _clients(base, count, {"token": tokens[0]}, project, received)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for round_ in range(rounds):
                body = {"project_id": project, "file_name": "hot.jpg"}
                started = time.perf_counter()
                response = await http.post("/v1/labeling/lock", json=body, headers=headers)
                token = response.json()["token"]
                await _wait_for(received, token, count)
                latencies += [t - started for t in received.get(token, [])]
                await http.post("/v1/labeling/unlock", json=body, headers=headers)
                await asyncio.sleep(0.05)
                del round_
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients))
    return latencies


async def bare_fanout(base: str, count: int, rounds: int) -> list[float]:
    received: dict[int, list[float]] = {}
    clients = await _clients(base, count, None, None, received)
    latencies: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for round_ in range(rounds):
                payload = {
                    "file": "hot.jpg",
                    "user": "Ada",
                    "user_id": 1,
                    "token": round_,
                    "expires_at": "2030-01-01T00:00:00+00:00",
                    "seq": round_,
                    "round": round_,
                }
                started = time.perf_counter()
                await http.post("/emit", json=payload)
                await _wait_for(received, round_, count)
                latencies += [t - started for t in received.get(round_, [])]
                await asyncio.sleep(0.05)
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients))
    return latencies


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--fanout-rounds", type=int, default=20)
    args = parser.parse_args()
    quiet = {"BACKLOT_SECRET_KEY": SECRET, "BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS}
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        for shape in ("e", "s"):
            (Path(tmp) / shape).mkdir()
        embedded = stack.enter_context(running_server(Path(tmp) / "e", quiet))
        scaled_env = {
            "BACKLOT_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
            **quiet,
            "BACKLOT_REDIS_URL": args.redis_url,
            "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/s/backlot.db",
        }
        scaled = stack.enter_context(running_server(Path(tmp) / "s", scaled_env))
        port = free_port()
        seed = stack.enter_context(
            running_process(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.seed_minimal:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                ROOT,
                {"BENCH_REDIS_URL": args.redis_url},
                port,
            )
        )
        port = free_port()
        bare = stack.enter_context(
            running_process(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.bare_socketio:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                ROOT,
                {},
                port,
            )
        )
        w, r = args.workers, args.rounds
        rows.append(("store: memory acquire+release", *asyncio.run(bare_store(None, w, r))))
        rows.append(
            ("store: redis acquire+release", *asyncio.run(bare_store(args.redis_url, w, r)))
        )
        rows.append(("REST seed-minimal (baseline)", *asyncio.run(seed_rest(seed, w, r))))
        rows.append(("REST backlot embedded", *asyncio.run(backlot_rest(embedded, w, r))))
        rows.append(("REST backlot redis", *asyncio.run(backlot_rest(scaled, w, r))))
        fan_bare = asyncio.run(bare_fanout(bare, args.clients, args.fanout_rounds))
        fan_backlot = asyncio.run(backlot_fanout(embedded, args.clients, args.fanout_rounds))

    baseline = rows[2][1]
    print(f"\nlock + unlock round trips, {w} concurrent workers x {r} rounds")
    print(f"{'path':<32} {'rt/s':>8} {'vs seed':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, rate, p50, p99 in rows:
        print(f"{name:<32} {rate:>8.0f} {rate / baseline:>7.2f}x {p50:>8.2f} {p99:>8.2f}")
    print(
        f"\nREST lock -> lock_acquired at {args.clients} Socket.IO clients, "
        f"{args.fanout_rounds} rounds"
    )
    print(f"{'server':<32} {'p50 ms':>8} {'p99 ms':>8} {'received':>9}")
    expected = args.clients * args.fanout_rounds
    for name, values in (
        ("bare python-socketio (baseline)", fan_bare),
        ("backlot embedded", fan_backlot),
    ):
        print(
            f"{name:<32} {_ms(values, 0.5):>8.1f} {_ms(values, 0.99):>8.1f} "
            f"{len(values):>5}/{expected}"
        )
    ratio = _ms(fan_backlot, 0.5) / _ms(fan_bare, 0.5)
    print(f"backlot / bare at p50: {ratio:.2f}x")


if __name__ == "__main__":
    main()
