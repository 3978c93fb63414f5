"""The scaled shape: `backlot serve` only enqueues, `backlot worker` (another process)
runs the jobs from the Redis queue; progress crosses processes over the Redis bus. A
worker killed mid-job: the reaper takes the job back and a new worker completes it, or it
fails after its tries; it never stays running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from redis.asyncio import Redis

from tests.analysis.voices import FIXTURES
from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, needs_postgres, needs_redis
from tests.contract.conftest import delete_prefix
from tests.dubbing.flow import practice, short_take, upload, upload_as
from tests.dubbing.test_fairness import CROWD, crowd, overtaken
from tests.helpers import migrated_pg_database, running_server

pytestmark = [needs_postgres, needs_redis]
ATTEMPT = (FIXTURES / "line_high.ogg").read_bytes()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    assert PG_URL is not None
    with migrated_pg_database(PG_URL, "dub") as url:
        yield url


@pytest.fixture
def env(pg_url: str) -> Iterator[dict[str, str]]:
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    yield {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DATABASE_URL": pg_url,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": prefix,
        "BACKLOT_DUBBING_STALE_JOB_SECONDS": "2",
        "BACKLOT_DUBBING_REAPER_INTERVAL_SECONDS": "0.5",
    }

    async def cleanup() -> None:
        redis = Redis.from_url(REDIS_URL)
        await delete_prefix(redis, prefix)
        await redis.aclose()

    anyio.run(cleanup)


@contextmanager
def running_worker(cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")}
    # A session of its own: killing it takes its analysis processes along.
    worker = subprocess.Popen(
        [sys.executable, "-m", "backlot", "worker"],
        cwd=cwd,
        env=clean | env,
        start_new_session=True,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


async def _stream(base: str, url: str, on_event: object = None) -> list[tuple[str, dict]]:
    """(event, data) of the whole stream; `on_event(event)` is called as each arrives."""
    heard: list[tuple[str, dict]] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        http.stream("GET", url) as response,
    ):
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                heard.append((kind, json.loads(line[6:])))
                if on_event is not None:
                    await on_event(kind)  # type: ignore[operator]
    return heard


async def test_a_worker_process_runs_jobs_and_progress_crosses_processes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    with running_server(tmp_path, env) as base, running_worker(tmp_path, env):
        p = await practice(base)
        accepted = await upload(p, ATTEMPT)
        assert accepted.status_code == 202, accepted.text
        heard = await _stream(base, accepted.json()["progress_url"])
        assert heard[-1][0] == "completed", heard
        assert heard[-1][1]["scores"]["overall"] > 50
        jobs = [(await upload(p, ATTEMPT)).json() for _ in range(4)]
        finals = await asyncio.gather(*(_stream(base, j["progress_url"]) for j in jobs))
        assert [f[-1][0] for f in finals] == ["completed"] * 4


async def test_a_killed_worker_loses_no_job(tmp_path: Path, env: dict[str, str]) -> None:
    with running_server(tmp_path, env) as base:
        p = await practice(base)
        killed = asyncio.Event()
        with running_worker(tmp_path, env) as first:

            async def freeze_then_kill(kind: str) -> None:
                if kind == "decoding" and not killed.is_set():
                    os.killpg(first.pid, signal.SIGSTOP)  # mid-job, before it can finish
                    os.killpg(first.pid, signal.SIGKILL)
                    first.wait()
                    killed.set()

            accepted = await upload(p, ATTEMPT)
            stream = asyncio.create_task(
                _stream(base, accepted.json()["progress_url"], freeze_then_kill)
            )
            await asyncio.wait_for(killed.wait(), 30)
        # The reaper notices the silent job, puts it back; a new worker completes it.
        with running_worker(tmp_path, env):
            heard = await asyncio.wait_for(stream, 60)
        kinds = [kind for kind, _ in heard]
        assert kinds[-1] == "completed", heard
        assert "retrying" in kinds
        assert heard[-1][1]["tries"] == 2


async def test_a_job_fails_after_its_tries(tmp_path: Path, env: dict[str, str]) -> None:
    env = {**env, "BACKLOT_DUBBING_MAX_TRIES": "1"}
    with running_server(tmp_path, env) as base:
        p = await practice(base)
        with running_worker(tmp_path, env) as worker:

            async def kill(kind: str) -> None:
                if kind == "decoding" and worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGSTOP)
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()

            accepted = await upload(p, ATTEMPT)
            heard = await asyncio.wait_for(_stream(base, accepted.json()["progress_url"], kill), 60)
        assert heard[-1][0] == "failed"
        assert "the worker stopped" in heard[-1][1]["reason"]
        async with httpx.AsyncClient(base_url=base) as http:
            result = await http.get(accepted.json()["result_url"], headers=p.headers)
        assert result.json()["state"] == "failed"


async def test_worker_jobs_run_round_robin_by_user(tmp_path: Path, env: dict[str, str]) -> None:
    """The scaled twin of test_fairness.py: the Redis stream delivers in order, the worker
    still runs them round robin by user; the limit holds across processes."""
    env = {
        **env,
        "BACKLOT_DUBBING_ANALYSIS_PROCESSES": "1",
        "BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER": str(CROWD),
    }
    with running_server(tmp_path, env) as base, running_worker(tmp_path, env):
        p = await practice(base)
        jobs = await crowd(p)
        refused = await upload(p, ATTEMPT)
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_jobs")
        one = await upload_as(p, p.other, short_take())
        assert one.status_code == 202, one.text
        assert await overtaken(p, jobs, one.json()) <= 2
