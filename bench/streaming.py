"""Video streaming throughput, against nginx serving the same file in the same run.

1. A 200 MB video in the local object store, read through
   - nginx serving the file directly (the baseline),
   - Backlot streaming it itself (uvicorn, no proxy),
   - nginx in front of Backlot, Backlot streaming (deploy/nginx.conf, no X-Accel),
   - nginx in front of Backlot with X-Accel-Redirect (Backlot authorizes, nginx sends),
   as whole-file reads by 1 client and 4 MB range reads by 16 concurrent clients.

First views per second (the points paid once) are measured by bench/points.py.

    .venv/bin/python -m bench.streaming [--size-mb 200] [--rounds 3] [--json PATH]
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
from tests.helpers import running_server
from tests.nginx import running_nginx
from tests.videos.media import encoded

from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row

SECRET = "benchmark-secret-key-0123456789-0123456789"
PASSWORD = "benchmark password"
MB = 1024 * 1024
CLIENTS = 16
RANGE = 4 * MB


def _video(path: Path, size: int) -> None:
    """A real MP4 (uploads are checked to play) padded to `size` with bytes players and
    FFmpeg ignore after its end: what is measured is bytes served."""
    block = os.urandom(MB)
    clip = encoded("mp4", seconds=1)
    with open(path, "wb") as file:
        file.write(clip)
        for _ in range((size - len(clip)) // MB):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--range-reads", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    results.add_json_argument(parser)
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
    targets = {"backlot streams": 0.75, "nginx -> backlot X-Accel-Redirect": 1.0}
    table = []
    for name, whole, ranged in rows[1:]:
        for kind, value, base in (
            ("1 client, whole file", whole, baseline_whole),
            (f"{CLIENTS} clients, 4 MB ranges", ranged, baseline_ranged),
        ):
            floor = targets.get(name)
            table.append(
                Row(
                    f"{name}: {kind}",
                    value,
                    "MB/s",
                    "nginx serving the file directly, same run",
                    value / base,
                    None if floor is None else f">= {floor:.2f}x",
                    None if floor is None else value / base >= floor,
                )
            )
    baseline_rows = [
        Row("nginx, the file directly (baseline): 1 client, whole file", baseline_whole, "MB/s"),
        Row(
            f"nginx, the file directly (baseline): {CLIENTS} clients, 4 MB ranges",
            baseline_ranged,
            "MB/s",
        ),
    ]
    results.write(
        args.json,
        "streaming",
        baseline_rows + table,
        notes=[f"{args.size_mb} MB video, median of {args.rounds} interleaved rounds"],
    )


if __name__ == "__main__":
    main()
