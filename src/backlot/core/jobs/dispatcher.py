"""Which job runs next in this process, and how many at once. A delivery only wakes the
dispatcher; while a slot is free it asks the app's source to claim the job whose turn it
is, so the rows decide the order, not the queue (an app can be fair across users)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Generic

from backlot.core.jobs.base import C, JobSource, JobTakenBack

log = logging.getLogger("backlot.jobs")


class JobDispatcher(Generic[C]):
    """Keeps up to `slots` jobs of `source` running in this process."""

    def __init__(self, name: str, source: JobSource[C], slots: int, poll_seconds: float) -> None:
        self.name = name
        self.source = source
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
                log.warning("the %s dispatcher could not pick a job", self.name, exc_info=True)
            with contextlib.suppress(TimeoutError):
                # Also polls: a delivery that reached a busy process wakes an idle one here.
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _fill(self) -> None:
        while len(self._running) < self.slots:
            job = await self.source.claim_next()
            if job is None:
                return
            task = asyncio.create_task(self._run(job), name=f"{self.name}-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._finished)

    async def _run(self, job: C) -> None:
        try:
            await self.source.run(job)
        except JobTakenBack:
            log.info("%s job %s was taken back; this run stops", self.name, job.id)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.wake()

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()  # the job stays running; the reaper takes it back
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
