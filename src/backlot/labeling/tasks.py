"""Background work of the labeling app: the sweeper that turns lapsed locks into
`lock_released (expired)` events (every process runs one; the lock store hands each
lapsed lock to exactly one sweeper, so no event is doubled), and the retention job that
bounds the lock audit trail by age (a scheduled job: one process per tick)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.core.background import BackgroundLoops
from backlot.core.cache import RowCache
from backlot.core.locks import LockStore
from backlot.core.state import AppState
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.models import LockEvent
from backlot.labeling.schemas import ReleaseReason

AUDIT_PRUNE_INTERVAL_SECONDS = 3600.0


async def sweep_once(state: AppState, journal: LockJournal) -> int:
    expired = await state.locks.sweep()
    await journal.record([LockChange(lock, ReleaseReason.expired, None) for lock in expired])
    return len(expired)


async def prune_lock_audit(session: AsyncSession, now: datetime, *, retention: timedelta) -> int:
    """Delete audit rows older than `retention`: locking ever-new names must not grow
    the table without bound."""
    result = await session.execute(
        delete(LockEvent)
        .where(LockEvent.at < now - retention)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
