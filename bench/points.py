"""First views per second on PostgreSQL with two worker processes, each paid exactly once.

`backlot serve --workers 2` on a fresh PostgreSQL database, one corporation with one
small video, and `--viewers` people who have never watched it (rows written straight
into the database and access tokens signed with the server's key, as a sign-in would
give them: argon2 for thousands of sign-ins would take minutes and is not measured
here). Measured in the same run, each set of viewers unseen by the server before (so
every request also loads its viewer once, as a first view in real life does):

- the baseline: the same server's plain authenticated `GET /v1/videos/{id}` (auth, one
  read of the video, JSON), one request per viewer of one set;
- first views: `GET /v1/videos/stream/{id}` with `Range: bytes=0-1023` (auth, the
  video's row, its file, the claim and the points), one per viewer of another set;
- repeat views: the same viewers again (the claim loses; nothing is paid);
- bursts (checked, not timed against the target): viewers whose player opens four
  ranges at once, as players do, against both processes.

After the run the database is checked: every first viewer has exactly one view row of
10 points and a balance of 10; nobody else was paid.

    .venv/bin/python -m bench.points [--viewers 3000] [--concurrency 32]
        [--database-url URL] [--json PATH] [--profile DIR]

With `--profile DIR`, py-spy records each worker process during the first views
(DIR/worker-PID.txt, collapsed stacks) and the functions taking the most samples are
printed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
import httpx
import psutil
from tests.helpers import migrated_pg_database, running_server
from tests.videos.media import encoded

from backlot.core.clock import SystemClock
from backlot.core.security import ACCESS_AUDIENCE, TokenSigner
from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row

SECRET = "benchmark-secret-key-0123456789-0123456789"
PASSWORD = "benchmark password"
TARGET = 500.0  # first views per second (issue #15)
BURST = 4  # ranges a player opens at once
POINTS = 10


@dataclass
class Phase:
    name: str
    rate: float
    latencies: list[float]  # seconds
    cpu_ms: float  # CPU of the server's workers and its PostgreSQL backends, per request

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def _setup(base: str, clip: Path) -> tuple[int, int]:
    """A corporation with one video: (its id, the video's id)."""
    tag = uuid.uuid4().hex[:8]
    admin = {"email": f"admin-{tag}@example.com", "password": PASSWORD}
    with httpx.Client(base_url=base, timeout=120) as http:
        http.post("/v1/auth/register", json={**admin, "corporation_name": tag}).raise_for_status()
        token = http.post("/v1/auth/login", json=admin).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        corporation = http.get("/v1/users/me", headers=headers).json()["corporation_id"]
        with open(clip, "rb") as file:
            made = http.post(
                "/v1/videos",
                files={"file": ("clip.mp4", file, "video/mp4")},
                data={"name": "Clip"},
                headers=headers,
            )
        made.raise_for_status()
    return int(corporation), int(made.json()["id"])


def _clip(path: Path) -> None:
    """A real MP4 (uploads are checked to play); bursts read its first 16 KB."""
    path.write_bytes(encoded("mp4", seconds=3))
    assert path.stat().st_size > BURST * 4096, path.stat().st_size


def _pg(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _viewers(db: str, corporation: int, count: int) -> list[int]:
    """`count` guests of the corporation who have never watched anything."""
    tag = uuid.uuid4().hex[:8]
    connection = await asyncpg.connect(_pg(db))
    try:
        rows = await connection.fetch(
            """
            INSERT INTO "user" (email, display_name, role, corporation_id)
            SELECT 'viewer' || g || '-' || $1 || '@example.com', 'Viewer ' || g, 'guest', $2
            FROM generate_series(1, $3) AS g
            RETURNING id
            """,
            tag,
            corporation,
            count,
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


def _tokens(user_ids: list[int]) -> list[dict[str, str]]:
    """Access tokens as a sign-in issues them (this server's key, session generation 0)."""
    signer = TokenSigner(SECRET, "backlot", SystemClock())
    return [
        {
            "Authorization": "Bearer "
            + signer.issue(str(u), ACCESS_AUDIENCE, timedelta(hours=1), gen=0)
        }
        for u in user_ids
    ]


class Cpu:
    """CPU seconds used so far by the server's workers and by the PostgreSQL backends
    serving its database: what a request costs, whatever else loads the machine."""

    def __init__(self, port: int, db: str) -> None:
        self.port, self.db = port, db
        self.start: dict[int, float] = {}  # CPU seconds at first sight (0: born since)
        self.last: dict[int, float] = {}
        self.calls = 0

    async def _backends(self) -> list[int]:
        connection = await asyncpg.connect(_pg(self.db))
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

    async def used(self) -> float:
        """CPU seconds since the first call of every process seen at any call (a
        backend born and gone between two calls is missed: the pools keep theirs)."""
        for pid in {*_workers(self.port), *await self._backends()}:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            now = times.user + times.system
            self.start.setdefault(pid, now if self.calls == 0 else 0.0)
            self.last[pid] = now
        self.calls += 1
        return sum(self.last[pid] - self.start[pid] for pid in self.last)


async def _load(
    name: str,
    url: str,
    viewers: list[dict[str, str]],
    concurrency: int,
    ranged: bool,
    cpu: Cpu | None = None,
) -> Phase:
    """One request per viewer, `concurrency` at a time; each must answer 200/206."""
    queue = iter(viewers)
    latencies: list[float] = []
    extra = {"Range": "bytes=0-1023"} if ranged else {}

    async def client(http: aiohttp.ClientSession) -> None:
        for headers in queue:
            started = time.perf_counter()
            async with http.get(url, headers={**headers, **extra}) as answer:
                await answer.read()
                assert answer.status in (200, 206), (answer.status, await answer.text())
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        cpu_before = await cpu.used() if cpu else 0.0
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        took = time.perf_counter() - began
        cpu_after = await cpu.used() if cpu else 0.0
    used = (cpu_after - cpu_before) * 1000 / len(viewers)
    return Phase(name, len(viewers) / took, latencies, used)


async def _bursts(url: str, viewers: list[dict[str, str]]) -> None:
    """Each viewer opens BURST ranges at once (a player seeking), 16 viewers at a time."""
    async with aiohttp.ClientSession() as http:

        async def one(headers: dict[str, str], start: int) -> None:
            wanted = {**headers, "Range": f"bytes={start}-{start + 1023}"}
            async with http.get(url, headers=wanted) as answer:
                await answer.read()
                assert answer.status == 206, answer.status

        for first in range(0, len(viewers), 16):
            await asyncio.gather(
                *(
                    one(headers, 4096 * k)
                    for headers in viewers[first : first + 16]
                    for k in range(BURST)
                )
            )


async def _paid(db: str, video: int, payees: list[int], others: list[int]) -> list[str]:
    """What is wrong with the ledger (nothing: an empty list)."""
    connection = await asyncpg.connect(_pg(db))
    try:
        logs = await connection.fetch(
            "SELECT user_id, count(*) AS n, sum(points) AS paid FROM video_view_log"
            " WHERE video_id = $1 GROUP BY user_id",
            video,
        )
        balances = dict(
            await connection.fetch(
                'SELECT id, point FROM "user" WHERE id = ANY($1::int[])', payees + others
            )
        )
    finally:
        await connection.close()
    by_user = {row["user_id"]: (row["n"], row["paid"]) for row in logs}
    wrong = []
    for user in payees:
        if by_user.get(user) != (1, POINTS) or balances.get(user) != POINTS:
            wrong.append(f"viewer {user}: rows/paid {by_user.get(user)}, balance {balances[user]}")
    for user in others:
        if user in by_user or balances.get(user) != 0:
            wrong.append(f"viewer {user} was paid without a view")
    return wrong


async def _profiled(
    folder: Path | None, cpu: Cpu, url: str, viewers: list[dict[str, str]], concurrency: int
) -> Phase:
    with Profile(folder, cpu.port):
        return await _load("first views", url, viewers, concurrency, ranged=True, cpu=cpu)


def _workers(port: int) -> list[int]:
    """The worker processes of `backlot serve --port PORT` (its supervisor's children)."""
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "serve" in command and "--port" in command and str(port) in command:
            workers = [  # not multiprocessing's resource tracker
                child.pid
                for child in process.children()
                if "spawn_main" in " ".join(child.cmdline())
            ]
            return workers or [process.pid]
    return []


class Profile:
    """py-spy recording every worker while a phase runs (collapsed stacks)."""

    def __init__(self, folder: Path | None, port: int) -> None:
        self.folder, self.port = folder, port
        self.recorders: list[subprocess.Popen[bytes]] = []
        self.files: list[Path] = []

    def __enter__(self) -> Profile:
        if self.folder is None:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).with_name("py-spy")
        for pid in _workers(self.port):
            out = self.folder / f"worker-{pid}.txt"
            command = [str(spy), "record", "--pid", str(pid), "--format", "raw", "-o", str(out)]
            self.recorders.append(
                subprocess.Popen(
                    [*command, "--rate", "250", "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            self.files.append(out)
        time.sleep(1)  # attached
        return self

    def __exit__(self, *_: object) -> None:
        for recorder in self.recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in self.recorders:
            recorder.wait(30)
        if self.files:
            _summary(self.files)


def _frame(raw: str) -> str:
    """`function (path/to/file.py:123)` -> `function file.py` (lines of one function merged)."""
    name, _, where = raw.partition(" (")
    return f"{name} {where.rsplit('/', 1)[-1].split(':')[0].rstrip(')')}"


def _summary(files: list[Path], top: int = 25) -> None:
    """Share of samples in which each function is on the stack (inclusive) and on top."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [_frame(f) for f in stack.split(";")]
            n = int(count)
            total += n
            own[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
    if not total:
        print("py-spy: no samples")
        return
    print(f"\npy-spy, first views, {total} samples of the workers (inclusive %, own %)")
    for frame, n in inclusive.most_common(top):
        print(f"{n / total:>6.1%} {own[frame] / total:>6.1%}  {frame}")
    print("own time:")
    for frame, n in own.most_common(12):
        print(f"{n / total:>6.1%}  {frame}")


async def _run(
    base: str, db: str, corporation: int, video: int, args: argparse.Namespace
) -> tuple[list[Phase], int, list[str]]:
    n = args.viewers
    ids = await _viewers(db, corporation, 2 * n + args.bursts)
    plain_ids, first_ids, burst_ids = ids[:n], ids[n : 2 * n], ids[2 * n :]
    plain, first, burst = _tokens(plain_ids), _tokens(first_ids), _tokens(burst_ids)
    item, stream = f"{base}/v1/videos/{video}", f"{base}/v1/videos/stream/{video}"
    # Warm-up, neither timed nor paid: connections, prepared statements, code paths.
    warm = _tokens(await _viewers(db, corporation, 200))
    await _load("warm-up", item, warm, args.concurrency, ranged=False)
    await _load("warm-up", stream, warm, args.concurrency, ranged=True)
    cpu = Cpu(int(base.rsplit(":", 1)[1]), db)
    await cpu.used()
    phases = [
        await _load(
            "plain GET /v1/videos/{id} (baseline)",
            item,
            plain,
            args.concurrency,
            ranged=False,
            cpu=cpu,
        ),
        await _profiled(args.profile, cpu, stream, first, args.concurrency),
        await _load("repeat views", stream, first, args.concurrency, ranged=True, cpu=cpu),
    ]
    await _bursts(stream, burst)
    wrong = await _paid(db, video, first_ids + burst_ids, plain_ids)
    return phases, len(first_ids) + len(burst_ids), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=3000, help="viewers per timed phase")
    parser.add_argument("--bursts", type=int, default=200, help="viewers opening 4 ranges")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", type=Path, help="py-spy the workers' first views here")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    results.add_json_argument(parser)
    args = parser.parse_args()
    env = {"BACKLOT_SECRET_KEY": SECRET, "BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS}
    with (
        tempfile.TemporaryDirectory() as tmp,
        migrated_pg_database(args.database_url, "points") as db,
    ):
        folder = Path(tmp)
        _clip(folder / "clip.mp4")
        env["BACKLOT_DATABASE_URL"] = db
        with running_server(folder, env, "--workers", str(args.workers)) as base:
            corporation, video = _setup(base, folder / "clip.mp4")
            phases, payees, wrong = asyncio.run(_run(base, db, corporation, video, args))

    baseline, first, repeat = phases
    print(
        f"\nviews on PostgreSQL, {args.workers} worker processes, {args.concurrency} concurrent"
        f" clients, {args.viewers} viewers per phase, each unseen by the server before"
    )
    print(
        f"{'requests':<38} {'req/s':>6} {'ratio':>6} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7}"
        f" {'CPU ms/req':>10} {'ratio':>6}"
    )
    for phase in phases:
        print(
            f"{phase.name:<38} {phase.rate:>6.0f} {phase.rate / baseline.rate:>5.2f}x"
            f" {phase.ms(0.5):>7.1f} {phase.ms(0.9):>7.1f} {phase.ms(0.99):>7.1f}"
            f" {phase.cpu_ms:>10.2f} {baseline.cpu_ms / phase.cpu_ms:>5.2f}x"
        )
    print("(CPU: the server's workers and its PostgreSQL backends; ratio: baseline / this)")
    met = first.rate >= TARGET
    print(
        f"first views: {first.rate:.0f}/s, target >= {TARGET:.0f}/s: {'met' if met else 'missed'}"
    )
    if wrong:
        print(f"NOT exactly once ({len(wrong)} viewers):", *wrong[:10], sep="\n  ")
    else:
        print(
            f"exactly once: {payees} viewers ({args.bursts} of them opening {BURST} ranges at"
            f" once) each paid {POINTS} points once; nobody else paid"
        )
    base_name = "plain GET /v1/videos/{id}, same server, same run"
    rows = [
        Row("plain GET /v1/videos/{id} (baseline): requests/s", baseline.rate, "req/s"),
        Row(
            "first views: requests/s",
            first.rate,
            "req/s",
            base_name,
            first.rate / baseline.rate,
            f">= {TARGET:.0f} req/s",
            met,
        ),
        Row(
            "repeat views: requests/s", repeat.rate, "req/s", base_name, repeat.rate / baseline.rate
        ),
    ]
    for phase in phases:
        for q, label in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
            value = phase.ms(q)
            if phase is baseline:
                rows.append(Row(f"{phase.name}: {label}", value, "ms"))
            else:
                rows.append(
                    Row(f"{phase.name}: {label}", value, "ms", base_name, baseline.ms(q) / value)
                )
    for phase in phases:
        if phase is baseline:
            rows.append(Row(f"{phase.name}: server CPU per request", phase.cpu_ms, "CPU ms"))
        else:
            rows.append(
                Row(
                    f"{phase.name}: server CPU per request",
                    phase.cpu_ms,
                    "CPU ms",
                    base_name,
                    baseline.cpu_ms / phase.cpu_ms,
                )
            )
    rows.append(
        Row(
            "viewers paid exactly once",
            payees - len(wrong),
            "viewers",
            target=f"= {payees}",
            met=not wrong,
        )
    )
    results.write(
        args.json,
        "points",
        rows,
        notes=[
            f"{args.workers} worker processes on PostgreSQL, {args.concurrency} concurrent"
            f" clients, {args.viewers} viewers per timed phase, median latency"
            f" {statistics.median(first.latencies) * 1000:.1f} ms for first views",
            "ratios of times are baseline / value (above 1: faster than the baseline)",
            f"CPU per first view (workers and PostgreSQL) {first.cpu_ms:.2f} ms: on"
            f" {results._cpus()} cores at most {results._cpus() * 1000 / first.cpu_ms:.0f}"
            " first views per second, before the load generator and other work on the"
            " machine take their share",
        ],
    )
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
