"""Which job runs next, and how many at once. A delivery from the queue only wakes the
dispatcher; when an analysis slot is free it picks from the database, round robin by
user: the user with the fewest jobs running, then the one served least recently, then
that user's oldest queued job. One user's twelve uploads cannot hold back another's one,
in the API process (embedded) as in every `backlot worker` (scaled): the rows decide,
not the order of the queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.dubbing.models import Job, JobState

if TYPE_CHECKING:
    from backlot.dubbing.jobs import JobRunner

log = logging.getLogger("backlot.dubbing")


def _ready(now: datetime) -> Any:
    # heartbeat_at on a queued job is the earliest time it may run (a retry's backoff).
    return (Job.state == JobState.queued.value) & (
        Job.heartbeat_at.is_(None) | (Job.heartbeat_at <= now)
    )


async def next_job_id(session: AsyncSession, now: datetime) -> str | None:
    """The queued job that should run next, fairly across users; None when none waits."""
    waiting = (
        select(Job.user_id, func.min(Job.created_at).label("oldest"))
        .where(_ready(now))
        .group_by(Job.user_id)
        .subquery()
    )
    running = func.sum(case((Job.state == JobState.running.value, 1), else_=0))
    rows = (
        await session.execute(
            select(waiting.c.user_id, waiting.c.oldest, running, func.max(Job.started_at))
            .join(Job, Job.user_id == waiting.c.user_id)
            .group_by(waiting.c.user_id, waiting.c.oldest)
        )
    ).all()
    if not rows:
        return None

    def turn(row: Any) -> tuple[Any, ...]:
        user_id, oldest, busy, served = row
        # Never served comes first; equal keys compare the same types only.
        return (busy or 0, served is not None, served or oldest, oldest, user_id)

    user_id = min(rows, key=turn)[0]
    job_id: str | None = await session.scalar(
        select(Job.id)
        .where(_ready(now), Job.user_id == user_id)
        .order_by(Job.created_at, Job.id)
        .limit(1)
    )
    return job_id


class JobDispatcher:
    """Keeps up to `slots` jobs running in this process (one per analysis process, so the
    pool never queues work of its own in arrival order)."""

    def __init__(self, runner: JobRunner, slots: int, poll_seconds: float) -> None:
        self.runner = runner
        self.slots = slots
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """A job was queued (or a slot freed): look again."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before looking: a wake during the look is kept
            try:
                await self._fill()
            except Exception:  # the database away: try again on the next poll
                log.warning("the dubbing dispatcher could not pick a job", exc_info=True)
            with contextlib.suppress(TimeoutError):
                # Also polls: a delivery that reached a busy process wakes an idle one here.
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _fill(self) -> None:
        while len(self._running) < self.slots:
            job = await self.runner.claim_next()
            if job is None:
                return
            task = asyncio.create_task(self.runner.run_claimed(job), name=f"dubbing-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.wake()

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()  # the job stays running; the reaper takes it back
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
