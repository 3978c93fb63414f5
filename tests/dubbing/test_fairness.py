"""One user cannot crowd the others out (embedded shape: the queue and runner of the API
process, one analysis process): at most BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER jobs
queued or running per user, the next upload refused with nothing kept; and the jobs run
round robin by user, so one who queued many does not make another wait for all of them.
The scaled shape's twin is in test_worker.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.analysis.voices import FIXTURES
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import Practice, lifetime, practice, short_take, upload_as
from tests.dubbing.test_jobs import objects, rows
from tests.helpers import running_server

CROWD = 8  # user A's jobs, which is also the limit
LONG = (FIXTURES / "line_high.ogg").read_bytes()  # four seconds: scored slower than sent


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fairness")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DUBBING_ANALYSIS_PROCESSES": "1",
        "BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER": str(CROWD),
    }
    with running_server(folder, env) as base:
        yield base


async def crowd(p: Practice) -> list[dict[str, str]]:
    """User A (p.headers) queues CROWD jobs at once, all accepted."""
    sent = await asyncio.gather(*(upload_as(p, p.headers, LONG) for _ in range(CROWD)))
    assert [r.status_code for r in sent] == [202] * CROWD, [r.text for r in sent]
    return [r.json() for r in sent]


async def overtaken(p: Practice, crowd: list[dict[str, str]], one: dict[str, str]) -> int:
    """How many of the crowd's jobs still waiting when the other user's one was queued
    finished before it (after it all have finished)."""
    theirs = await asyncio.gather(*(lifetime(p, p.headers, job) for job in crowd))
    queued, done = await lifetime(p, p.other, one)
    waiting = [end for _, end in theirs if end > queued]
    assert len(waiting) >= CROWD // 2, "the crowd was scored before the other user came"
    return sum(1 for end in waiting if end < done)


async def test_one_user_may_not_queue_more_than_the_limit(server: str, folder: Path) -> None:
    p = await practice(server)
    jobs = await crowd(p)
    before = rows(folder, "dubbing_job"), objects(folder)
    refused = await upload_as(p, p.headers, short_take())
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_jobs"), refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert (rows(folder, "dubbing_job"), objects(folder)) == before  # nothing kept
    # Another user is not held to A's count; and once A's jobs are done, A may go on.
    other = await upload_as(p, p.other, short_take())
    assert other.status_code == 202, other.text
    await overtaken(p, jobs, other.json())
    again = await upload_as(p, p.headers, short_take())
    assert again.status_code == 202, again.text
    await lifetime(p, p.headers, again.json())


async def test_jobs_run_round_robin_by_user(server: str) -> None:
    p = await practice(server)
    jobs = await crowd(p)
    one = await upload_as(p, p.other, short_take())
    assert one.status_code == 202, one.text
    # FIFO would run all of A's first; round robin runs B's as soon as a slot frees.
    assert await overtaken(p, jobs, one.json()) <= 2
