"""Background work of the labeling app: the sweeper that turns lapsed locks into
`lock_released (expired)` events. Every process runs one; the lock store hands each
lapsed lock to exactly one sweeper, so no event is doubled."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from backlot.core.background import BackgroundLoops
from backlot.core.cache import RowCache
from backlot.core.locks import LockStore
from backlot.core.state import AppState
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.schemas import ReleaseReason


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
    loops: BackgroundLoops = field(default_factory=BackgroundLoops)

    @property
    def events(self) -> LabelingEvents:
        return self.journal.events

    def start(self, state: AppState) -> None:
        self.journal.start()
        self.loops.repeat(
            "labeling lock sweep",
            partial(self._sweep, state),
            lambda: state.settings.lock_sweep_interval_seconds,
        )

    async def _sweep(self, state: AppState) -> None:
        await sweep_once(state, self.journal)
        await self.presence.sweep()  # lapsed presence needs no announcement

    async def stop(self) -> None:
        await self.loops.stop()
        await self.journal.stop()
