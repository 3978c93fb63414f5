"""One contract, every job queue backend (in-process and Redis stream): deliveries wake
a consuming process's dispatcher, which runs its source's jobs, so many at once; delayed
deliveries wait; a job taken back stops quietly; stopping cancels what runs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from backlot.core.jobs import JobQueue, JobTakenBack, QueueOptions, build_job_queue
from tests.conftest import REDIS_URL
from tests.contract.conftest import BACKENDS, delete_prefix

WAIT = 5.0


@dataclass(frozen=True)
class FakeJob:
    id: str


@dataclass
class FakeJobs:
    """A job source over an in-memory "table": ids become claimable when added."""

    waiting: list[str] = field(default_factory=list)
    hold: bool = False  # runs wait for `release` before they end
    taken_back: set[str] = field(default_factory=set)
    ran: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def claim_next(self) -> FakeJob | None:
        return FakeJob(self.waiting.pop(0)) if self.waiting else None

    async def run(self, job: FakeJob) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self._changed()
        try:
            if job.id in self.taken_back:
                raise JobTakenBack(job.id)
            if self.hold:
                await self.release.wait()
            self.ran.append(job.id)
        except asyncio.CancelledError:
            self.cancelled.append(job.id)
            raise
        finally:
            self.running -= 1
            await self._changed()

    async def _changed(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, done: Callable[[], bool]) -> None:
        async def wait() -> None:
            async with self.changed:
                await self.changed.wait_for(done)

        await asyncio.wait_for(wait(), WAIT)


def options(slots: int, poll_seconds: float) -> QueueOptions:
    return QueueOptions(
        name="contract",
        task_name="contract.run",
        slots=slots,
        poll_seconds=poll_seconds,
        task_timeout_seconds=30,
        redelivery_seconds=60,
    )


Pair = Callable[..., Awaitable[tuple[JobQueue, JobQueue]]]


@pytest.fixture(params=BACKENDS)
async def queues(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    """Started (producer, consumer) pairs of one backend: an API process that enqueues
    and a worker that runs the jobs (embedded, one process is both)."""
    started: list[JobQueue] = []
    redis_url = None if request.param == "memory" else REDIS_URL
    prefix = f"test-{uuid.uuid4().hex[:8]}:"

    async def pair(
        source: FakeJobs, *, slots: int = 2, poll_seconds: float = 30
    ) -> tuple[JobQueue, JobQueue]:
        opts = options(slots, poll_seconds)
        consumer = build_job_queue(redis_url, source, opts, prefix=prefix, consume=True)
        await consumer.start()  # first: a stream's consumers get what comes after them
        started.append(consumer)
        if redis_url is None:
            await asyncio.sleep(0.05)  # the dispatcher's first look, before any job is added
            return consumer, consumer
        producer = build_job_queue(redis_url, source, opts, prefix=prefix)
        await producer.start()
        started.append(producer)
        await asyncio.sleep(0.05)  # the dispatcher's first look, before any job is added
        return producer, consumer

    yield pair
    for queue in reversed(started):  # producers first
        await queue.stop()
    if redis_url is not None:
        redis = Redis.from_url(redis_url)
        await delete_prefix(redis, prefix)
        await redis.aclose()


async def test_a_delivery_wakes_the_consumer_that_runs_the_job(queues: Pair) -> None:
    jobs = FakeJobs()
    producer, consumer = await queues(jobs)  # polls every 30 s: only a delivery wakes it
    assert consumer.consuming
    jobs.waiting.append("a")
    await producer.enqueue("a")
    await jobs.until(lambda: jobs.ran == ["a"])


async def test_no_more_jobs_run_at_once_than_slots(queues: Pair) -> None:
    jobs = FakeJobs(hold=True)
    producer, _ = await queues(jobs, slots=2)
    jobs.waiting.extend(["a", "b", "c", "d", "e"])
    await producer.enqueue("a")
    await jobs.until(lambda: jobs.running == 2)
    await asyncio.sleep(0.2)
    assert jobs.running == 2 and jobs.waiting == ["c", "d", "e"]
    jobs.release.set()  # a freed slot takes the next without another delivery
    await jobs.until(lambda: sorted(jobs.ran) == ["a", "b", "c", "d", "e"])
    assert jobs.most_at_once == 2


async def test_a_delayed_delivery_waits_its_delay(queues: Pair) -> None:
    jobs = FakeJobs()
    producer, _ = await queues(jobs)
    jobs.waiting.append("a")
    await producer.enqueue("a", delay=0.5)
    await asyncio.sleep(0.2)
    assert jobs.ran == []
    await jobs.until(lambda: jobs.ran == ["a"])


async def test_a_job_taken_back_stops_quietly_and_the_next_runs(queues: Pair) -> None:
    jobs = FakeJobs(taken_back={"a"})
    producer, _ = await queues(jobs, slots=1)
    jobs.waiting.extend(["a", "b"])
    await producer.enqueue("a")
    await jobs.until(lambda: jobs.ran == ["b"])
    assert jobs.cancelled == []


async def test_an_idle_consumer_polls_without_a_delivery(queues: Pair) -> None:
    """A delivery may reach a busy process: an idle one still finds the job."""
    jobs = FakeJobs()
    await queues(jobs, poll_seconds=0.2)
    jobs.waiting.append("a")
    await jobs.until(lambda: jobs.ran == ["a"])


async def test_stopping_cancels_running_jobs_and_pending_deliveries(queues: Pair) -> None:
    jobs = FakeJobs(hold=True)
    producer, consumer = await queues(jobs)
    jobs.waiting.append("a")
    await producer.enqueue("a")
    await jobs.until(lambda: jobs.running == 1)
    jobs.waiting.append("b")
    await producer.enqueue("b", delay=0.3)
    for queue in dict.fromkeys([producer, consumer]):
        await queue.stop()
    assert jobs.cancelled == ["a"]
    await asyncio.sleep(0.5)
    assert jobs.waiting == ["b"]  # its delivery went with the queue
