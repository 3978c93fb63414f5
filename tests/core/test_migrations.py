"""Alembic is the only way the schema is made: head matches the models, and
upgrade -> downgrade -> upgrade works on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from backlot.core import migrate
from backlot.models import Base
from tests.conftest import PG_URL, needs_postgres
from tests.helpers import create_pg_database, drop_pg_database


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _diff(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()


async def _round_trip(url: str) -> None:
    expected = set(Base.metadata.tables)
    await anyio.to_thread.run_sync(migrate.upgrade, url)
    assert await _tables(url) == expected
    assert await _diff(url) == []  # the migrations build exactly what the models declare
    await anyio.to_thread.run_sync(migrate.downgrade, url, "base")
    assert await _tables(url) == set()
    await anyio.to_thread.run_sync(migrate.upgrade, url)
    assert await _tables(url) == expected


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_round_trip_sqlite(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'backlot.db'}")


@needs_postgres
async def test_round_trip_postgresql() -> None:
    assert PG_URL is not None
    name = f"backlot_migrations_{uuid.uuid4().hex[:10]}"
    url = await create_pg_database(PG_URL, name)
    try:
        await _round_trip(url)
    finally:
        await drop_pg_database(PG_URL, name)


def test_one_head() -> None:
    assert len(migrate.head_revisions()) == 1
