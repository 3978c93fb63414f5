"""Video streaming throughput, against nginx serving the same file in the same run; and
concurrent first views per second with the points transaction on PostgreSQL.

1. A 200 MB video in the local object store, read through
   - nginx serving the file directly (the baseline),
   - Backlot streaming it itself (uvicorn, no proxy),
   - nginx in front of Backlot, Backlot streaming (deploy/nginx.conf, no X-Accel),
   - nginx in front of Backlot with X-Accel-Redirect (Backlot authorizes, nginx sends),
   as whole-file reads by 1 client and 4 MB range reads by 16 concurrent clients.
2. First views (each a claim row + `point = point + 10`) per second by 16 concurrent
   clients on PostgreSQL, next to repeat views (the claim loses, nothing is paid).

    .venv/bin/python -m bench.streaming [--size-mb 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import httpx
from tests.helpers import migrated_pg_database, running_server
from tests.nginx import running_nginx

from bench.lifted import LIFTED_LIMITS

SECRET = "benchmark-secret-key-0123456789-0123456789"
PASSWORD = "benchmark password"
MB = 1024 * 1024
CLIENTS = 16
RANGE = 4 * MB


def _video(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with open(path, "wb") as file:
        file.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
        for _ in range(size // MB):
            file.write(block)


def _team(base: str, users: int) -> tuple[dict[str, str], list[dict[str, str]]]:
    tag = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=base, timeout=600) as http:
        admin = {"email": f"admin-{tag}@example.com", "password": PASSWORD}
        http.post("/v1/auth/register", json={**admin, "corporation_name": tag}).raise_for_status()
        token = http.post("/v1/auth/login", json=admin).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        viewers = []
        for index in range(users):
            user = {"email": f"viewer{index}-{tag}@example.com", "password": PASSWORD}
            http.post("/v1/users", json=user, headers=headers).raise_for_status()
            login = http.post("/v1/auth/login", json=user).json()["access_token"]
            viewers.append({"Authorization": f"Bearer {login}"})
    return headers, viewers


def _upload(base: str, headers: dict[str, str], path: Path, name: str) -> int:
    with httpx.Client(base_url=base, timeout=600) as http, open(path, "rb") as file:
        made = http.post(
            "/v1/videos",
            files={"file": (path.name, file, "video/mp4")},
            data={"name": name},
            headers=headers,
        )
        made.raise_for_status()
        return int(made.json()["id"])


async def _whole(url: str, headers: dict[str, str]) -> float:
    async with aiohttp.ClientSession() as http:
        began, got = time.perf_counter(), 0
        async with http.get(url, headers=headers) as answer:
            assert answer.status == 200, answer.status
            async for chunk in answer.content.iter_chunked(MB):
                got += len(chunk)
        return got / MB / (time.perf_counter() - began)


async def _ranges(url: str, headers: dict[str, str], size: int, reads: int) -> float:
    rng = random.Random(7)
    offsets = [rng.randrange(0, size - RANGE) for _ in range(reads)]
    got = 0

    async def client(mine: list[int]) -> None:
        nonlocal got
        async with aiohttp.ClientSession() as http:
            for start in mine:
                wanted = {**headers, "Range": f"bytes={start}-{start + RANGE - 1}"}
                async with http.get(url, headers=wanted) as answer:
                    assert answer.status == 206, answer.status
                    got += len(await answer.read())

    began = time.perf_counter()
    await asyncio.gather(*(client(offsets[i::CLIENTS]) for i in range(CLIENTS)))
    return got / MB / (time.perf_counter() - began)


async def _views(
    base: str, video: int, viewers: list[dict[str, str]], method: str = "GET"
) -> float:
    async def view(http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        wanted = {**headers, "Range": "bytes=0-1023"}
        url = f"{base}/v1/videos/stream/{video}"
        async with http.request(method, url, headers=wanted) as answer:
            assert answer.status in (200, 206), answer.status
            await answer.read()

    async with aiohttp.ClientSession() as http:
        began = time.perf_counter()
        for start in range(0, len(viewers), CLIENTS):
            await asyncio.gather(*(view(http, h) for h in viewers[start : start + CLIENTS]))
        return len(viewers) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--range-reads", type=int, default=96)
    parser.add_argument("--viewers", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    size = args.size_mb * MB
    quiet = {"BACKLOT_SECRET_KEY": SECRET, "BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS}
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        _video(folder / "film.mp4", size)
        plain = stack.enter_context(running_server(folder, quiet))
        accel_env = {**quiet, "BACKLOT_VIDEO_ACCEL_REDIRECT_PREFIX": "/_protected/objects/"}
        (folder / "accel").mkdir()
        accel_env["BACKLOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/var/backlot.db"
        accel_env["BACKLOT_STORAGE_URL"] = str(folder / "var" / "objects")
        accel = stack.enter_context(running_server(folder / "accel", accel_env))
        (folder / "n1").mkdir()
        (folder / "n2").mkdir()
        direct = "location /direct/ { alias " + f"{folder}/" + "; }"
        objects = folder / "var" / "objects"
        via_nginx = stack.enter_context(running_nginx(plain, objects, folder / "n1", direct))
        via_accel = stack.enter_context(running_nginx(accel, objects, folder / "n2"))
        admin, viewers = _team(plain, 1)
        video = _upload(plain, admin, folder / "film.mp4", "Film")
        stream = f"/v1/videos/stream/{video}"
        paths = [
            ("nginx, the file directly (baseline)", f"{via_nginx}/direct/film.mp4", {}),
            ("backlot streams", f"{plain}{stream}", viewers[0]),
            ("nginx -> backlot streams", f"{via_nginx}{stream}", viewers[0]),
            ("nginx -> backlot X-Accel-Redirect", f"{via_accel}{stream}", viewers[0]),
        ]
        for _name, url, headers in paths:
            asyncio.run(_whole(url, headers))  # warm-up: page cache, connections
        # Rounds interleave the paths and the median is kept: two cores are shared by
        # the clients, the servers and nginx, so one run alone is noisy.
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in paths}
        for _ in range(args.rounds):
            for name, url, headers in paths:
                whole = asyncio.run(_whole(url, headers))
                ranged = asyncio.run(_ranges(url, headers, size, args.range_reads))
                samples[name].append((whole, ranged))
        for name, _, _ in paths:
            wholes, ranges = zip(*samples[name], strict=True)
            rows.append((name, statistics.median(wholes), statistics.median(ranges)))

        (folder / "pg").mkdir()
        with migrated_pg_database(args.database_url, "bench") as db:
            pg_env = {**quiet, "BACKLOT_DATABASE_URL": db}
            with running_server(folder / "pg", pg_env, "--workers", "2") as pg:
                padmin, pviewers = _team(pg, args.viewers)
                small = folder / "small.mp4"
                _video(small, MB)
                clip = _upload(pg, padmin, small, "Clip")
                asyncio.run(_views(pg, clip, pviewers, "HEAD"))  # warm caches; not a view
                first = asyncio.run(_views(pg, clip, pviewers))
                repeat = asyncio.run(_views(pg, clip, pviewers))

    baseline_whole, baseline_ranged = rows[0][1], rows[0][2]
    print(
        f"\n{args.size_mb} MB video: 1 client whole file; {CLIENTS} clients x 4 MB ranges;"
        f" median of {args.rounds} rounds"
    )
    print(f"{'path':<38} {'whole MB/s':>10} {'ratio':>6} {'ranges MB/s':>11} {'ratio':>6}")
    for name, whole, ranged in rows:
        print(
            f"{name:<38} {whole:>10.0f} {whole / baseline_whole:>5.2f}x"
            f" {ranged:>11.0f} {ranged / baseline_ranged:>5.2f}x"
        )
    print(f"\nviews on PostgreSQL, 2 worker processes, {CLIENTS} concurrent clients")
    print(f"{'kind':<38} {'views/s':>10}")
    print(f"{'repeat views (claim loses; baseline)':<38} {repeat:>10.0f}")
    print(f"{'first views (claim + points)':<38} {first:>10.0f}  {first / repeat:.2f}x")


if __name__ == "__main__":
    main()
