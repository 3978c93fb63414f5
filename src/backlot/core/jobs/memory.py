"""The in-process queue (embedded shape): taskiq's InMemoryBroker; jobs run in the API
process beside its requests."""

from __future__ import annotations

from taskiq import InMemoryBroker

from backlot.core.jobs.base import C, JobSource, QueueOptions
from backlot.core.jobs.broker import BrokerJobQueue


class MemoryJobQueue(BrokerJobQueue[C]):
    def __init__(self, source: JobSource[C], options: QueueOptions) -> None:
        # await_inplace=False: a kick returns at once and the delivery runs beside requests.
        broker = InMemoryBroker(max_async_tasks=max(4, options.slots * 2))
        # The only process there is: it always runs its jobs.
        super().__init__(broker, source, options, consume=True)
