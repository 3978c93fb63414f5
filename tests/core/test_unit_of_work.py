"""One transaction per request or job: commit on success, nothing left on error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backlot.accounts.models import Corporation
from backlot.core.db import (
    after_commit,
    build_engine,
    build_sessionmaker,
    on_rollback,
    unit_of_work,
)


async def _count(database_url: str) -> int:
    engine = build_engine(database_url)
    try:
        async with build_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Corporation)) or 0)
    finally:
        await engine.dispose()


async def test_error_after_flush_leaves_nothing(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    try:
        with pytest.raises(RuntimeError):  # noqa: PT012 - the raise is the point
            async with unit_of_work(sessionmaker) as session:
                session.add(Corporation(name="Ghost"))
                await session.flush()
                assert (await session.scalar(select(func.count()).select_from(Corporation))) == 1
                raise RuntimeError("fails after the flush")
        assert await _count(database_url) == 0

        async with unit_of_work(sessionmaker) as session:
            session.add(Corporation(name="Kept"))
        assert await _count(database_url) == 1
    finally:
        await engine.dispose()


async def test_naive_datetimes_are_refused(database_url: str) -> None:
    """UTC everywhere: a naive datetime is a bug that must not be stored silently."""
    from datetime import datetime

    from sqlalchemy.exc import StatementError

    engine = build_engine(database_url)
    try:
        with pytest.raises(StatementError):
            async with unit_of_work(build_sessionmaker(engine)) as session:
                session.add(Corporation(name="N", plan_expired_at=datetime(2030, 1, 1)))
    finally:
        await engine.dispose()


async def test_timestamps_come_back_in_utc(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        async with unit_of_work(build_sessionmaker(engine)) as session:
            corporation = Corporation(name="T")
            session.add(corporation)
            await session.flush()
            assert corporation.created_at.utcoffset() is not None
            assert corporation.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    finally:
        await engine.dispose()


async def test_after_commit_runs_only_after_a_commit(database_url: str) -> None:
    from backlot.core.bus import build_bus
    from backlot.core.db import after_commit

    bus = build_bus(None)
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    seen_by_action: list[int] = []
    try:
        with pytest.raises(RuntimeError):  # noqa: PT012 - the raise is the point
            async with unit_of_work(sessionmaker) as session:
                session.add(Corporation(name="Rolled back"))
                after_commit(session, lambda: bus.publish("corp", "created", {}))
                raise RuntimeError("rollback")
        assert await bus.last_seq("corp") == 0  # nothing announced for a rolled-back change

        async def announce() -> None:
            # By now the row is visible to other sessions: the commit happened first.
            seen_by_action.append(await _count(database_url))
            await bus.publish("corp", "created", {})

        async with unit_of_work(sessionmaker) as session:
            session.add(Corporation(name="Kept"))
            after_commit(session, announce)
            assert await bus.last_seq("corp") == 0  # not before the commit
        assert await bus.last_seq("corp") == 1
        assert seen_by_action == [1]
    finally:
        await engine.dispose()


async def test_rollback_actions_run_only_when_nothing_commits(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    ran: list[str] = []

    async def undo(what: str) -> None:
        ran.append(what)

    try:
        with pytest.raises(RuntimeError):  # noqa: PT012 - the raise is the point
            async with unit_of_work(sessionmaker) as session:
                on_rollback(session, lambda: undo("first"))
                after_commit(session, lambda: undo("announced"))
                raise RuntimeError("the row failed")
        async with unit_of_work(sessionmaker) as session:
            on_rollback(session, lambda: undo("second"))
            session.add(Corporation(name="Kept"))
        assert ran == ["first"]
    finally:
        await engine.dispose()


async def test_a_failing_after_commit_action_fails_nothing_else(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The transaction is committed: an action after it that raises (a bus down, a queue
    away) must neither turn the request into an error nor skip the actions after it."""
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    ran: list[str] = []

    async def broken() -> None:
        raise ConnectionError("the bus is away")

    async def announce() -> None:
        ran.append("announced")

    try:
        async with unit_of_work(sessionmaker) as session:
            session.add(Corporation(name="Kept"))
            after_commit(session, broken)
            after_commit(session, announce)
        assert ran == ["announced"]
        assert await _count(database_url) == 1
        assert "after a committed transaction" in caplog.text
    finally:
        await engine.dispose()
