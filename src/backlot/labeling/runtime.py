"""What the labeling app keeps running in each process: its lock store and presence, the
lock journal (events and audit trail), the Socket.IO handlers of seed 000's protocol, the
sweeper that turns lapsed locks into `lock_released (expired)` events (every process runs
one; the lock store hands each lapsed lock to exactly one sweeper, so no event is
doubled), and the retention job that bounds the lock audit trail by age (a scheduled job:
one process per tick)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.core.apps import AppHost, ScheduledJob
from backlot.core.background import BackgroundLoops, shut_down
from backlot.core.cache import RowCache
from backlot.core.locks import LockStore, build_lock_store
from backlot.core.presence import Presence
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.models import LabelingProject, LockEvent
from backlot.labeling.realtime import PRESENCE_TTL, LabelingSockets
from backlot.labeling.schemas import ReleaseReason

AUDIT_PRUNE_INTERVAL_SECONDS = 3600.0


async def prune_lock_audit(session: AsyncSession, now: datetime, *, retention: timedelta) -> int:
    """Delete audit rows older than `retention`: locking ever-new names must not grow
    the table without bound."""
    result = await session.execute(
        delete(LockEvent)
        .where(LockEvent.at < now - retention)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class LabelingRuntime:
    def __init__(self, host: AppHost) -> None:
        state = self.state = host.state
        settings, prefix = state.settings, state.settings.redis_prefix
        self.locks: LockStore = build_lock_store(state.redis, state.clock, prefix=prefix)
        self.presence = Presence(
            build_lock_store(state.redis, state.clock, prefix=f"{prefix}presence:"), PRESENCE_TTL
        )
        events = LabelingEvents(state.bus)
        self.journal = LockJournal(state.sessionmaker, state.clock, events)
        # project id -> its corporation (see service.member_project)
        self.projects = RowCache[int](LabelingProject, settings.auth_cache_seconds)
        self.sockets = LabelingSockets(
            host.sio,
            state,
            locks=self.locks,
            journal=self.journal,
            presence=self.presence,
            projects=self.projects,
        )
        self.loops = BackgroundLoops()

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        retention = timedelta(days=self.state.settings.labeling_audit_retention_days)
        return [
            ScheduledJob(
                "labeling.prune_lock_audit",
                AUDIT_PRUNE_INTERVAL_SECONDS,
                partial(prune_lock_audit, retention=retention),
            )
        ]

    async def start(self) -> None:
        self.sockets.start()
        self.journal.start()
        self.loops.repeat(
            "labeling lock sweep",
            self.sweep_once,
            lambda: self.state.settings.lock_sweep_interval_seconds,
        )

    async def sweep_once(self) -> int:
        expired = await self.locks.sweep()
        await self.journal.record_and_announce(
            [LockChange(lock, ReleaseReason.expired, None) for lock in expired]
        )
        await self.presence.sweep()  # lapsed presence needs no announcement
        return len(expired)

    async def stop(self) -> None:
        await shut_down(
            self.sockets.stop(),
            self.loops.stop(),
            self.journal.stop(),  # the audit rows still queued are written here
            self.presence.close(),
            self.locks.close(),
        )
