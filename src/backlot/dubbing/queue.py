"""The job queue (DESIGN.md § 6): taskiq's InMemoryBroker embedded (jobs run in the API
process), its Redis stream broker scaled (acknowledged delivery; API processes only
enqueue, `backlot worker` consumes). The queue delivers job ids; the rows are the truth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task

from backlot.core.state import AppState
from backlot.dubbing.dispatch import JobDispatcher
from backlot.dubbing.jobs import JobRunner

log = logging.getLogger("backlot.dubbing")
TASK = "dubbing.analyze"


def build_broker(state: AppState) -> AsyncBroker:
    settings = state.settings
    if settings.redis_url is None:
        # await_inplace=False: a kick returns at once and the job runs beside requests.
        return InMemoryBroker(max_async_tasks=max(4, settings.dubbing_analysis_processes * 2))
    from taskiq_redis import RedisStreamBroker

    # Redelivery only after the longest a job may take in all its tries: a live worker's
    # job is never handed to a second one; a dead worker's is.
    idle_ms = int((settings.dubbing_job_timeout_seconds * settings.dubbing_max_tries + 60) * 1000)
    return RedisStreamBroker(
        settings.redis_url,
        queue_name=f"{settings.redis_prefix}dubbing-jobs",
        consumer_group_name=f"{settings.redis_prefix}dubbing-workers",
        idle_timeout=idle_ms,
        maxlen=100_000,
    )


@dataclass
class DubbingQueue:
    broker: AsyncBroker
    runner: JobRunner
    dispatcher: JobDispatcher
    consuming: bool  # this process runs jobs (embedded, or `backlot worker`)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, state: AppState, *, consume: bool | None = None) -> DubbingQueue:
        settings = state.settings
        broker = build_broker(state)
        runner = JobRunner(state)
        dispatcher = JobDispatcher(
            runner, settings.dubbing_analysis_processes, settings.dubbing_queue_poll_seconds
        )

        async def analyze(job_id: str) -> None:
            # The delivery only wakes the dispatcher, which picks whose turn it is; the
            # job id is the row that needs it, and the reaper redelivers what is lost.
            dispatcher.wake()

        broker.register_task(analyze, task_name=TASK, timeout=settings.dubbing_job_timeout_seconds)
        embedded = settings.redis_url is None
        queue = cls(broker, runner, dispatcher, embedded if consume is None else consume)
        runner.enqueue = queue.enqueue
        return queue

    async def enqueue(self, job_id: str) -> None:
        task = self.broker.find_task(TASK)
        assert task is not None
        await task.kiq(job_id)

    async def start(self) -> None:
        """Connect the broker; while Redis is away the service still starts (`/readyz`
        says so) and keeps trying, and the reaper delivers what could not be queued."""
        self.tasks.append(asyncio.create_task(self._run(await self._connect()), name="dubbing"))
        if self.consuming:
            self.tasks.append(asyncio.create_task(self.dispatcher.run(), name="dubbing-dispatch"))

    async def _connect(self) -> bool:
        try:
            await self.broker.startup()
        except Exception:
            log.warning("the dubbing queue cannot reach its broker; retrying", exc_info=True)
            return False
        return True

    async def _run(self, connected: bool) -> None:
        delay = 0.5
        while not connected:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)
            connected = await self._connect()
        if self.consuming and not isinstance(self.broker, InMemoryBroker):
            await run_receiver_task(self.broker, max_async_tasks=4, run_startup=False)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.dispatcher.stop()
        await self.runner.close()
        await self.broker.shutdown()
