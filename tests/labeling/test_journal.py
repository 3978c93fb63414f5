"""The lock journal: announced at once, audit rows written in batches, nothing lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backlot.accounts.models import Corporation
from backlot.app import create_app
from backlot.core.bus.memory import MemoryEventBus
from backlot.core.clock import FrozenClock
from backlot.core.db import build_engine, build_sessionmaker, unit_of_work
from backlot.core.locks import Lock
from backlot.core.scheduling import ScheduledRun
from backlot.core.settings import Settings
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.models import LabelingProject, LockEvent
from backlot.labeling.schemas import ReleaseReason


async def _projects(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    async with unit_of_work(sessionmaker) as session:
        corporation = Corporation(name="Journal")
        session.add(corporation)
        await session.flush()
        projects = [
            LabelingProject(corporation_id=corporation.id, name=f"p{i}") for i in range(count)
        ]
        session.add_all(projects)
        await session.flush()
        return [p.id for p in projects]


def _change(project: int, file: str, token: int, reason: ReleaseReason | None) -> LockChange:
    lock = Lock(
        scope=str(project),
        resource=file,
        owner="7",
        token=token,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        info={"name": "Ada"},
    )
    return LockChange(lock, reason, 7)


async def _count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(LockEvent)) or 0)


async def test_rows_are_batched_flushed_and_drained_at_stop(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    bus = MemoryEventBus(window=1000)
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    journal = LockJournal(sessionmaker, clock, LabelingEvents(bus))
    try:
        (project,) = await _projects(sessionmaker, 1)
        journal.start()
        for token in range(1, 301):
            await journal.record_and_announce([_change(project, f"f{token}.jpg", token, None)])
        # Announced at once, in order, before any row needs to be written.
        events = await bus.since(f"labeling.project.{project}", 0)
        assert events is not None and [e.data["token"] for e in events] == list(range(1, 301))
        await journal.flush()
        assert await _count(sessionmaker) == 300
        for token in range(301, 351):
            await journal.record_and_announce(
                [_change(project, "x.jpg", token, ReleaseReason.unlocked)]
            )
        await journal.stop()
        assert await _count(sessionmaker) == 350
        async with sessionmaker() as session:
            reasons = set(await session.scalars(select(LockEvent.reason)))
        assert reasons == {None, "unlocked"}
    finally:
        await engine.dispose()


async def test_rows_of_a_deleted_project_are_dropped_not_the_batch(
    database_url: str,
) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    journal = LockJournal(sessionmaker, clock, LabelingEvents(MemoryEventBus(window=10)))
    try:
        kept, gone = await _projects(sessionmaker, 2)
        async with unit_of_work(sessionmaker) as session:
            project = await session.get(LabelingProject, gone)
            await session.delete(project)
        await journal.record_and_announce(
            [_change(kept, "a.jpg", 1, None), _change(gone, "b.jpg", 1, None)]
        )
        await journal.flush()  # no writer task: flush writes itself
        async with sessionmaker() as session:
            rows = list(await session.scalars(select(LockEvent.project_id)))
        assert rows == [kept]
    finally:
        await engine.dispose()


async def test_a_database_outage_delays_rows_but_loses_none(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    failing = {"left": 2}
    real = sessionmaker

    class Flaky:
        def __call__(self) -> AsyncSession:
            if failing["left"] > 0:
                failing["left"] -= 1
                raise ConnectionError("database away")
            return real()

    journal = LockJournal(Flaky(), clock, LabelingEvents(MemoryEventBus(window=10)))  # type: ignore[arg-type]
    try:
        (project,) = await _projects(sessionmaker, 1)
        journal.start()
        await journal.record_and_announce([_change(project, "a.jpg", 1, None)])
        await asyncio.sleep(0.5)  # two failed attempts, backoff 0.1 s then 0.2 s
        await journal.flush()
        assert failing["left"] == 0
        assert await _count(sessionmaker) == 1
        await journal.stop()
    finally:
        await engine.dispose()


async def test_audit_rows_older_than_the_retention_are_deleted_by_the_scheduler(
    settings: Settings, clock: FrozenClock
) -> None:
    """Locking ever-new names grows the audit trail; the periodic job bounds it by age."""
    settings.labeling_audit_retention_days = 30
    engine = build_engine(settings.database_url)
    sessionmaker = build_sessionmaker(engine)
    try:
        (project,) = await _projects(sessionmaker, 1)
        ages = {"old.jpg": timedelta(days=31), "recent.jpg": timedelta(days=29)}
        async with unit_of_work(sessionmaker) as session:
            for name, age in ages.items():
                session.add(
                    LockEvent(
                        project_id=project,
                        file_name=name,
                        action="acquired",
                        holder_id=7,
                        token=1,
                        at=clock.now() - age,
                    )
                )
        application = create_app(settings, clock)
        async with application.router.lifespan_context(application):
            for _ in range(200):  # the first tick runs as the scheduler starts
                async with sessionmaker() as session:
                    ran = await session.scalar(
                        select(ScheduledRun.result).where(
                            ScheduledRun.job == "labeling.prune_lock_audit"
                        )
                    )
                if ran is not None:
                    break
                await asyncio.sleep(0.05)
        assert ran == "1"
        async with sessionmaker() as session:
            assert list(await session.scalars(select(LockEvent.file_name))) == ["recent.jpg"]
    finally:
        await engine.dispose()
