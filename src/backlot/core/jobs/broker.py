"""The taskiq wiring both queue backends share: one task per queue whose delivery wakes
the dispatcher, retries delivered later by a timer, a broker connected in the background
(the service starts while the broker is away). The backends only build the broker."""

from __future__ import annotations

import asyncio
import logging
from typing import Generic

from taskiq import AsyncBroker

from backlot.core.jobs.base import C, JobSource, QueueOptions
from backlot.core.jobs.dispatcher import JobDispatcher

log = logging.getLogger("backlot.jobs")
STOP_SECONDS = 2.0


class BrokerJobQueue(Generic[C]):
    def __init__(
        self, broker: AsyncBroker, source: JobSource[C], options: QueueOptions, *, consume: bool
    ) -> None:
        self.broker = broker
        self.options = options
        self._consuming = consume
        self.dispatcher = JobDispatcher(options.name, source, options.slots, options.poll_seconds)
        self._tasks: list[asyncio.Task[None]] = []
        self._later: set[asyncio.Task[None]] = set()

        async def deliver(job_id: str) -> None:
            # The delivery only wakes the dispatcher, which picks whose turn it is; the
            # job id is the row that needs it, and a reaper redelivers what is lost.
            self.dispatcher.wake()

        broker.register_task(
            deliver, task_name=options.task_name, timeout=options.task_timeout_seconds
        )

    @property
    def consuming(self) -> bool:
        return self._consuming

    async def enqueue(self, job_id: str, *, delay: float = 0) -> None:
        if delay > 0:
            task = asyncio.create_task(self._enqueue_later(job_id, delay))
            self._later.add(task)
            task.add_done_callback(self._later.discard)
            return
        deliver = self.broker.find_task(self.options.task_name)
        assert deliver is not None
        await deliver.kiq(job_id)

    async def _enqueue_later(self, job_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.enqueue(job_id)

    async def start(self) -> None:
        name = self.options.name
        self._tasks.append(asyncio.create_task(self._run(await self._connect()), name=name))
        if self.consuming:
            dispatch = asyncio.create_task(self.dispatcher.run(), name=f"{name}-dispatch")
            self._tasks.append(dispatch)

    async def _connect(self) -> bool:
        try:
            await self.broker.startup()
        except Exception:
            log.warning(
                "the %s queue cannot reach its broker; retrying", self.options.name, exc_info=True
            )
            return False
        return True

    async def _run(self, connected: bool) -> None:
        delay = 0.5
        while not connected:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)
            connected = await self._connect()
        if self.consuming:
            await self._receive()

    async def _receive(self) -> None:
        """Take deliveries from the broker (a broker that runs tasks in place has none)."""

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._later]
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: taskiq's stream receiver may not finish cancelling while its read
            # blocks; the process must stop all the same.
            await asyncio.wait(tasks, timeout=STOP_SECONDS)
        self._tasks.clear()
        await self.dispatcher.stop()
        await self.broker.shutdown()
