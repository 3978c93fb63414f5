"""Engine, session factory, declarative base and the request unit of work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Insert, MetaData, event, func, insert, make_url
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from backlot.core.errors import ProblemError

# Deterministic constraint names, so migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamps:
    """`created_at`/`updated_at` set by the database clock, in UTC."""

    # Read server-made values back with RETURNING, so no lazy load happens after a flush.
    __mapper_args__ = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


async def flush_unique(session: AsyncSession, taken: ProblemError) -> None:
    """Flush; when that breaks a unique constraint (a concurrent request took the name
    first), answer `taken` instead."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise taken from exc


def insert_ignore(session: AsyncSession, table: type[Base]) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table).prefix_with("IGNORE")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by the "begin" hook below, not by the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: concurrent writers (other requests,
        # other worker processes) then wait on busy_timeout instead of failing with
        # SQLITE_BUSY when a read transaction tries to upgrade to a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder (`./var/` on a fresh clone)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def build_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        ensure_sqlite_directory(database_url)
        # One connection per process: requests queue for it in FIFO order instead of
        # contending for SQLite's write lock, whose busy handler backs off in sleeps of
        # up to 100 ms (other processes still wait on busy_timeout).
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def build_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


AfterCommit = Callable[[], Awaitable[object]]
_AFTER_COMMIT = "backlot.after_commit"
_ON_ROLLBACK = "backlot.on_rollback"
log = logging.getLogger("backlot.db")


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once this session's transaction has committed; never on rollback.

    Event publishes and job enqueues go here, so nobody hears of a change that did not
    happen, or before it is visible in the database.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def on_rollback(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` if this session's transaction does not commit.

    For work outside the database done on the transaction's behalf (an object already
    stored for a row being inserted): undone when the row is not.
    """
    session.info.setdefault(_ON_ROLLBACK, []).append(action)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit when the body finishes, roll back when it raises.

    Services only `flush()`; this is the one place that commits.
    """
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            undo = session.info.pop(_ON_ROLLBACK, [])
            await session.rollback()
            for action in undo:
                try:
                    await action()
                except Exception:  # the original error matters more
                    log.exception("undoing work of a rolled-back transaction failed")
            raise
        session.info.pop(_ON_ROLLBACK, None)
        for action in session.info.pop(_AFTER_COMMIT, []):
            try:
                await action()
            except Exception:
                # The change is committed: a failed announcement or enqueue must not turn
                # it into an error answer, nor keep the actions after it from running.
                log.exception("an action after a committed transaction failed")
