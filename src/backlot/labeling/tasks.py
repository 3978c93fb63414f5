"""Background work of the labeling app: the sweeper that turns lapsed locks into
`lock_released (expired)` events. Every process runs one; the lock store hands each
lapsed lock to exactly one sweeper, so no event is doubled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from backlot.core.cache import RowCache
from backlot.core.locks import LockStore
from backlot.core.state import AppState
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.schemas import ReleaseReason

log = logging.getLogger("backlot.labeling")


async def sweep_once(state: AppState, journal: LockJournal) -> int:
    expired = await state.locks.sweep()
    await journal.record([LockChange(lock, ReleaseReason.expired, None) for lock in expired])
    return len(expired)


@dataclass
class LabelingRuntime:
    """What the labeling app keeps running in each process."""

    journal: LockJournal
    presence: LockStore
    projects: RowCache[int]  # project id -> its corporation (see service.member_project)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def events(self) -> LabelingEvents:
        return self.journal.events

    def start(self, state: AppState) -> None:
        self.journal.start()
        self.tasks.append(asyncio.create_task(self._sweep(state), name="labeling-sweeper"))

    async def _sweep(self, state: AppState) -> None:
        interval = state.settings.lock_sweep_interval_seconds
        while True:
            try:
                await sweep_once(state, self.journal)
                await self.presence.sweep()  # lapsed presence needs no announcement
            except asyncio.CancelledError:
                raise
            except Exception:  # keep sweeping: a failed round is retried on the next tick
                log.exception("lock sweep failed")
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        await self.journal.stop()
