"""Recording lock changes: announced at once, written to the audit table in batches.

A lock change is not a database transaction (the lock lives in the lock store), so
nothing waits on the database before it is announced. The audit rows are queued and a
writer task inserts whatever has queued up in one transaction, off the request path:
under load many changes share one commit. Reads of the audit trail call `flush()` first,
so this process's own changes are always visible to them; other processes' changes
follow within a batch. Queued rows survive database errors (retried with backoff) and
are written at shutdown; a hard crash loses at most the rows of the batch in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backlot.core.clock import Clock
from backlot.core.db import unit_of_work
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.models import LabelingProject, LockEvent

log = logging.getLogger("backlot.labeling")
# Core inserts of plain rows: the ORM's unit of work adds nothing for write-only rows.
_TABLE = cast(Table, LockEvent.__table__)

MAX_BATCH = 1000
MAX_QUEUED = 200_000
FLUSH_WAIT_SECONDS = 5.0
# How long the writer lets rows gather before a transaction, unless a reader is waiting:
# a busy project then costs a few commits a second, not one per lock change.
LINGER_SECONDS = 0.05


class LockJournal:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        events: LabelingEvents,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self.events = events
        self._queue: list[dict[str, Any]] = []
        self._queued_total = 0
        self._written_total = 0
        self._progress = asyncio.Condition()
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._writing = asyncio.Lock()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def record_and_announce(self, changes: list[LockChange]) -> None:
        """Queue the audit rows of `changes` and announce them (see events.py)."""
        if not changes:
            return
        now = self._clock.now()
        rows = [
            {
                "project_id": int(change.lock.scope),
                "file_name": change.lock.resource,
                "action": "acquired" if change.reason is None else "released",
                "reason": change.reason,
                "note": change.note,
                "holder_id": int(change.lock.owner),
                "actor_id": change.actor_id,
                "token": change.lock.token,
                "at": now,
            }
            for change in changes
            if change.lock.scope.isdigit()
        ]
        self._enqueue(rows)
        await self.events.announce(changes)

    def _enqueue(self, rows: list[dict[str, Any]]) -> None:
        self._queue.extend(rows)
        self._queued_total += len(rows)
        overflow = len(self._queue) - MAX_QUEUED
        if overflow > 0:
            # Memory is bounded even if the database stays away for long.
            del self._queue[:overflow]
            self._written_total += overflow
            log.error("lock audit queue full: %d oldest rows dropped", overflow)
        self._wake.set()

    async def flush(self) -> None:
        """Wait until every row queued so far is in the database (bounded wait).

        Call it before the reading session starts its transaction: on SQLite the writer
        needs the process's one connection.
        """
        target = self._queued_total
        if self._task is None:
            await self._drain()
            return
        self._urgent.set()
        async with self._progress:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._progress.wait_for(lambda: self._written_total >= target),
                    FLUSH_WAIT_SECONDS,
                )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="labeling-lock-journal")

    async def stop(self) -> None:
        """Write what is queued, then end the writer (the caller bounds the wait)."""
        self._closing = True
        self._urgent.set()
        self._wake.set()
        if self._task is not None:
            try:
                await self._task  # cancelled with us when the caller's time is up
            finally:
                if self._queue:
                    log.error("lock audit: %d rows not written at shutdown", len(self._queue))

    async def _run(self) -> None:
        backoff = 0.1
        while not (self._closing and not self._queue):
            await self._wake.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._urgent.wait(), LINGER_SECONDS)
            self._wake.clear()
            self._urgent.clear()
            try:
                await self._drain()
                backoff = 0.1
            except Exception:
                log.exception("writing the lock audit failed; retrying in %.1f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()

    async def _drain(self) -> None:
        async with self._writing:
            while self._queue:
                batch = self._queue[:MAX_BATCH]
                await self._write(batch)
                del self._queue[: len(batch)]
                self._written_total += len(batch)
                async with self._progress:
                    self._progress.notify_all()
                # Let whoever waits for a database connection have the one just returned
                # (on SQLite, the process's only one) before the next batch takes it
                # again: under a steady stream of changes the writer is never done, and
                # requests reading a user or a project would otherwise wait for seconds.
                await asyncio.sleep(0)

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        try:
            async with unit_of_work(self._sessionmaker) as session:
                await session.execute(insert(_TABLE), rows)
        except IntegrityError:
            # A project deleted meanwhile took its audit trail along; its rows go too.
            async with unit_of_work(self._sessionmaker) as session:
                ids = {row["project_id"] for row in rows}
                alive = set(
                    await session.scalars(
                        select(LabelingProject.id).where(LabelingProject.id.in_(ids))
                    )
                )
                kept = [row for row in rows if row["project_id"] in alive]
                if kept:
                    await session.execute(insert(_TABLE), kept)
