"""A job row's lifecycle, the same for every app whose table has these columns:
queued → running → completed | failed, tries, a heartbeat while running, back-off before
a retry, and a reaper for rows whose worker went silent. Every change is a conditional
update, so a delivery that comes twice runs once and a row the reaper took back is not
written by the run that lost it; each change is published (progress streams read it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import String, Text, func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.clock import Clock
from backlot.core.db import after_commit, unit_of_work


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


TERMINAL = frozenset({JobState.completed.value, JobState.failed.value})
MAX_BACKOFF_SECONDS = 30


class JobRow:
    """The columns of a job's lifecycle (a mixin of an app's job table)."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default=JobState.queued.value)
    stage: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    tries: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    # While running, the worker's last sign of life; while queued, the earliest time the
    # job may run (a retry's back-off).
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


R = TypeVar("R", bound=JobRow)
Publish = Callable[[R], Awaitable[None]]
Enqueue = Callable[[str], Awaitable[None]]
Pick = Callable[[AsyncSession, datetime], Awaitable[str | None]]


def backoff_seconds(tries: int) -> float:
    """1 s, 2 s, 4 s ... between tries, at most MAX_BACKOFF_SECONDS."""
    return float(min(2 ** (tries - 1), MAX_BACKOFF_SECONDS))


@dataclass(frozen=True)
class RetryPlan:
    """What became of a failed try: queued again after `delay` seconds, or failed."""

    retried: bool
    delay: float = 0


class JobRows(Generic[R]):
    """The lifecycle of the rows of `model`, each change published through `publish`."""

    def __init__(
        self,
        model: type[R],
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        publish: Publish[R],
    ) -> None:
        self.model = model
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.publish = publish

    async def claim(self, job_id: str, *, stage: str, progress: int) -> R | None:
        """Running under this process, one more try; None when another delivery has it or
        it is finished."""
        model, now = self.model, self.clock.now()
        async with unit_of_work(self.sessionmaker) as session:
            claimed = await session.execute(
                update(model)
                .where(model.id == job_id, model.state == JobState.queued.value)
                .values(
                    state=JobState.running.value,
                    stage=stage,
                    progress=progress,
                    tries=model.tries + 1,
                    started_at=now,
                    heartbeat_at=now,
                )
                .returning(model.id)
            )
            if claimed.first() is None:
                return None
            job = await session.get(model, job_id, populate_existing=True)
        assert job is not None
        await self.publish(job)
        return job

    async def claim_next(self, pick: Pick, *, stage: str, progress: int) -> R | None:
        """Claim the job `pick` says is next, or None when none waits. Another process
        may claim the same one first: then the next one is tried."""
        for _ in range(5):
            async with unit_of_work(self.sessionmaker) as session:
                job_id = await pick(session, self.clock.now())
            if job_id is None:
                return None
            job = await self.claim(job_id, stage=stage, progress=progress)
            if job is not None:
                return job
        return None  # lost every race: the dispatcher looks again on its next wake

    async def advance(self, job_id: str, **values: Any) -> R | None:
        """Change a running job (a heartbeat too); None when it is no longer running."""
        async with unit_of_work(self.sessionmaker) as session:
            job = await session.get(self.model, job_id)
            if job is None or job.state != JobState.running.value:
                return None  # taken back by the reaper meanwhile
            job.heartbeat_at = self.clock.now()
            for name, value in values.items():
                setattr(job, name, value)
        await self.publish(job)
        return job

    async def hold(self, job_id: str, until: datetime) -> None:
        """Count a running job alive until `until` (no worker beats for it meanwhile)."""
        model = self.model
        async with unit_of_work(self.sessionmaker) as session:
            await session.execute(
                update(model)
                .where(model.id == job_id, model.state == JobState.running.value)
                .values(heartbeat_at=until)
            )

    async def heartbeat(self, job_id: str, every: float) -> None:
        """Beat for a running job every `every` seconds, until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self.hold(job_id, self.clock.now())

    async def fail(self, job_id: str, reason: str) -> R | None:
        return await self.advance(
            job_id,
            state=JobState.failed.value,
            stage="failed",
            error=reason,
            finished_at=self.clock.now(),
        )

    async def retry_or_fail(
        self, job_id: str, *, tries: int, max_tries: int, reason: str
    ) -> RetryPlan:
        """After a transient failure: queued again after a back-off, or failed once out of
        tries. The caller delivers a retried job after `delay`."""
        if tries >= max_tries:
            await self.fail(job_id, f"{reason} (after {tries} tries)")
            return RetryPlan(retried=False)
        delay = backoff_seconds(tries)
        job = await self.advance(
            job_id,
            state=JobState.queued.value,
            stage="retrying",
            progress=0,
            error=reason,
            # No dispatcher takes it before its back-off is over.
            heartbeat_at=self.clock.now() + timedelta(seconds=delay),
        )
        return RetryPlan(retried=job is not None, delay=delay)


@dataclass(frozen=True)
class Reaped(Generic[R]):
    requeued: list[R]
    failed: list[R]
    delivered: set[str]  # the requeued ones and the queued ones nobody picked up

    def __str__(self) -> str:
        return f"requeued {len(self.delivered)}, failed {len(self.failed)}"


async def reap_stale_jobs(
    session: AsyncSession,
    now: datetime,
    *,
    model: type[R],
    stale_seconds: float,
    max_tries: int,
    enqueue: Enqueue,
    publish: Publish[R],
) -> Reaped[R]:
    """Jobs whose worker went silent go back to the queue, or fail once out of tries;
    queued jobs nobody picked up are delivered again. Once this commits, the job streams
    hear of each change and the queue gets the deliveries."""
    stale = now - timedelta(seconds=stale_seconds)
    silent = (model.state == JobState.running.value) & (model.heartbeat_at < stale)

    async def take_back(spent: bool, values: dict[str, Any]) -> list[R]:
        tries = model.tries >= max_tries if spent else model.tries < max_tries
        rows = await session.scalars(
            update(model).where(silent, tries).values(**values).returning(model)
        )
        return list(rows)

    requeued = await take_back(
        False, {"state": JobState.queued.value, "stage": "retrying", "error": "the worker stopped"}
    )
    failed = await take_back(
        True,
        {
            "state": JobState.failed.value,
            "stage": "failed",
            "error": f"the worker stopped ({max_tries} tries)",
            "finished_at": now,
        },
    )
    forgotten = await session.scalars(
        update(model)
        .where(
            model.state == JobState.queued.value,
            model.created_at < stale,
            model.heartbeat_at.is_(None) | (model.heartbeat_at < stale),
        )
        .values(heartbeat_at=now)  # marks the redelivery, so the next tick waits again
        .returning(model.id)
    )
    reaped = Reaped(requeued, failed, {job.id for job in requeued} | set(forgotten))

    async def announce() -> None:
        for job in [*reaped.requeued, *reaped.failed]:
            await publish(job)
        for job_id in reaped.delivered:
            await enqueue(job_id)

    after_commit(session, announce)
    return reaped
