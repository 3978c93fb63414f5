"""What the dubbing app keeps running in a process: its job queue (DESIGN.md § 6) with
the analysis jobs it dispatches, and the reaper of jobs whose worker went silent."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from backlot.core.apps import AppHost, ScheduledJob
from backlot.core.background import shut_down
from backlot.core.jobs import JobQueue, QueueOptions, build_job_queue, reap_stale_jobs
from backlot.core.state import AppState
from backlot.dubbing.models import Job
from backlot.dubbing.tasks import AnalysisJobs

TASK = "dubbing.analyze"


class DubbingRuntime:
    def __init__(self, state: AppState, *, consume: bool = False) -> None:
        """`consume`: this process runs jobs from the Redis queue (`backlot worker`); the
        embedded queue always runs its jobs in the process."""
        settings = state.settings
        self.settings = settings
        self.jobs = AnalysisJobs(state)
        options = QueueOptions(
            name="dubbing",
            task_name=TASK,
            # One job per analysis process, so the pool never queues work of its own in
            # arrival order.
            slots=settings.dubbing_analysis_processes,
            poll_seconds=settings.dubbing_queue_poll_seconds,
            task_timeout_seconds=settings.dubbing_job_timeout_seconds,
            # Redelivery only after the longest a job may take in all its tries: a live
            # worker's job is never handed to a second one; a dead worker's is.
            redelivery_seconds=settings.dubbing_job_timeout_seconds * settings.dubbing_max_tries
            + 60,
        )
        self.queue: JobQueue = build_job_queue(
            settings.redis_url, self.jobs, options, prefix=settings.redis_prefix, consume=consume
        )
        self.jobs.queue = self.queue

    @classmethod
    def from_host(cls, host: AppHost) -> DubbingRuntime:
        return cls(host.state)

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        reap = partial(
            reap_stale_jobs,
            model=Job,
            stale_seconds=self.settings.dubbing_stale_job_seconds,
            max_tries=self.settings.dubbing_max_tries,
            enqueue=self.queue.enqueue,
            publish=self.jobs.publish,
        )
        every = self.settings.dubbing_reaper_interval_seconds
        return [ScheduledJob("dubbing.reap_stale_jobs", every, reap)]

    async def start(self) -> None:
        await self.queue.start()

    async def stop(self) -> None:
        # The queue waits up to its own STOP_SECONDS for the receiver to let go.
        await shut_down(self.queue.stop(), self.jobs.close(), step_seconds=5.0)
