"""The Redis-stream queue (scaled shape): taskiq-redis's RedisStreamBroker, acknowledged
delivery; API processes only enqueue, `backlot worker` processes consume."""

from __future__ import annotations

from taskiq.api import run_receiver_task
from taskiq_redis import RedisStreamBroker

from backlot.core.jobs.base import C, JobSource, QueueOptions
from backlot.core.jobs.broker import BrokerJobQueue


class RedisJobQueue(BrokerJobQueue[C]):
    def __init__(
        self,
        redis_url: str,
        source: JobSource[C],
        options: QueueOptions,
        *,
        prefix: str = "",
        consume: bool,
    ) -> None:
        broker = RedisStreamBroker(
            redis_url,
            queue_name=f"{prefix}{options.name}-jobs",
            consumer_group_name=f"{prefix}{options.name}-workers",
            idle_timeout=int(options.redelivery_seconds * 1000),
            maxlen=100_000,
        )
        super().__init__(broker, source, options, consume=consume)

    async def _receive(self) -> None:
        await run_receiver_task(self.broker, max_async_tasks=4, run_startup=False)
