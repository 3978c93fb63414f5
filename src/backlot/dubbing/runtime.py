"""What the dubbing app keeps running in each process: its job queue (and, embedded, the
dispatcher that runs the jobs), and the scheduled reaper that takes back stale jobs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from backlot.core.apps import AppHost, ScheduledJob
from backlot.dubbing.jobs import reap_stale_jobs
from backlot.dubbing.queue import DubbingQueue


class DubbingRuntime:
    def __init__(self, host: AppHost) -> None:
        self.state = host.state
        self.queue = DubbingQueue.build(host.state)

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        settings = self.state.settings
        reap = partial(
            reap_stale_jobs,
            settings=settings,
            enqueue=self.queue.enqueue,
            publish=self.queue.runner.publish,
        )
        return [
            ScheduledJob("dubbing.reap_stale_jobs", settings.dubbing_reaper_interval_seconds, reap)
        ]

    async def start(self) -> None:
        await self.queue.start()

    async def stop(self) -> None:
        await self.queue.stop()
