"""Jobs port and its backends; `build_job_queue` picks one from the settings.

The queue (`JobQueue`: memory.py, redis.py) delivers ids and dispatches them to an app's
`JobSource`; the rows (rows.py) are the truth about each job's lifecycle."""

from __future__ import annotations

from backlot.core.jobs.base import (
    C,
    ClaimedJob,
    JobQueue,
    JobSource,
    JobTakenBack,
    QueueOptions,
)
from backlot.core.jobs.rows import (
    TERMINAL,
    JobRow,
    JobRows,
    JobState,
    Reaped,
    RetryPlan,
    reap_stale_jobs,
)

__all__ = [
    "TERMINAL",
    "ClaimedJob",
    "JobQueue",
    "JobRow",
    "JobRows",
    "JobSource",
    "JobState",
    "JobTakenBack",
    "QueueOptions",
    "Reaped",
    "RetryPlan",
    "build_job_queue",
    "reap_stale_jobs",
]


def build_job_queue(
    redis_url: str | None,
    source: JobSource[C],
    options: QueueOptions,
    *,
    prefix: str = "",
    consume: bool = False,
) -> JobQueue:
    """The Redis-stream queue when the service has Redis (scaled shape; only processes
    that `consume` run jobs), else the in-process one (which always runs them)."""
    match redis_url:
        case None:
            from backlot.core.jobs.memory import MemoryJobQueue

            return MemoryJobQueue(source, options)
        case _:
            from backlot.core.jobs.redis import RedisJobQueue

            return RedisJobQueue(redis_url, source, options, prefix=prefix, consume=consume)
