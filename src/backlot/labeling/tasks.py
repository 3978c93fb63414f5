"""Background work of the labeling app: the sweeper that turns lapsed locks into
`lock_released (expired)` events. Every process runs one; the lock store hands each
lapsed lock to exactly one sweeper, so no event is doubled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from backlot.core.db import unit_of_work
from backlot.core.locks import LockStore
from backlot.core.state import AppState
from backlot.labeling import service
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.schemas import ReleaseReason

log = logging.getLogger("backlot.labeling")


async def sweep_once(state: AppState, events: LabelingEvents) -> int:
    expired = await state.locks.sweep()
    if not expired:
        return 0
    async with unit_of_work(state.sessionmaker) as session:
        changes = []
        for lock in expired:
            # A project deleted meanwhile has no audit trail left to append to.
            if lock.scope.isdigit() and await service.project_exists(session, int(lock.scope)):
                changes.append(LockChange(lock, ReleaseReason.expired, None))
        service.record(session, state.clock, events, changes)
    return len(expired)


@dataclass
class LabelingRuntime:
    """What the labeling app keeps running in each process."""

    events: LabelingEvents
    presence: LockStore
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, state: AppState) -> None:
        self.tasks.append(asyncio.create_task(self._sweep(state), name="labeling-sweeper"))

    async def _sweep(self, state: AppState) -> None:
        interval = state.settings.lock_sweep_interval_seconds
        while True:
            try:
                await sweep_once(state, self.events)
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
