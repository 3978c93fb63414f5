"""Periodic jobs that run once per tick however many processes run them.

Every process runs the same loop; before a tick's work, each tries to insert the row
(job, tick) into `scheduled_run`. The primary key lets exactly one insert win, on any
database and with no Redis, so exactly one process does the work of each tick, and the
table records when each tick ran. (APScheduler 3 cannot share a job store between
processes; this needs no job store.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import BigInteger, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.background import BackgroundLoops
from backlot.core.clock import Clock
from backlot.core.db import Base, insert_ignore, unit_of_work

Job = Callable[[AsyncSession, datetime], Awaitable[object]]


class ScheduledRun(Base):
    __tablename__ = "scheduled_run"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    tick: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ran_at: Mapped[datetime]
    result: Mapped[str | None] = mapped_column(String(200))


async def claim_tick(session: AsyncSession, job: str, tick: int, now: datetime) -> bool:
    stmt = insert_ignore(session, ScheduledRun).values(job=job, tick=tick, ran_at=now)
    claimed = await session.execute(stmt.returning(ScheduledRun.tick))
    return claimed.first() is not None


async def run_tick(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, name: str, every: float, job: Job
) -> bool:
    """Claim this tick of `name` and run `job` in the same transaction; False if another
    process has it (or had it)."""
    now = clock.now()
    tick = int(now.timestamp() // every)
    async with unit_of_work(sessionmaker) as session:
        if not await claim_tick(session, name, tick, now):
            return False
        result = await job(session, now)
        if result is not None:
            run = await session.get(ScheduledRun, (name, tick))
            if run is not None:
                run.result = str(result)[:200]
        return True


@dataclass
class Scheduler:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    jobs: list[tuple[str, float, Job]] = field(default_factory=list)
    loops: BackgroundLoops = field(default_factory=BackgroundLoops)

    def add(self, name: str, every_seconds: float, job: Job) -> None:
        self.jobs.append((name, every_seconds, job))

    def start(self) -> None:
        for name, every, job in self.jobs:
            self.loops.repeat(
                f"scheduled job {name}",
                partial(run_tick, self.sessionmaker, self.clock, name, every, job),
                partial(self._to_next_tick, every),
            )

    def _to_next_tick(self, every: float) -> float:
        # Sleep to the next tick boundary, so processes' ticks line up.
        return every - (self.clock.now().timestamp() % every) + 0.01

    async def stop(self) -> None:
        await self.loops.stop()
