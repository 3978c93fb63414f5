"""Alembic environment: async engines, batch mode for SQLite, one migrator at a time."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backlot.core.settings import Settings
from backlot.models import Base

config = context.config
target_metadata = Base.metadata
# Any fixed number: all processes migrating one PostgreSQL database agree on it.
_MIGRATION_LOCK_KEY = 4_271_966_113


def _database_url() -> str:
    # From code (backlot.core.migrate) the URL is an attribute; from the alembic CLI it
    # comes from the same settings the service reads.
    url = config.attributes.get("database_url") or Settings().database_url
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes starting at once: the others wait, then find nothing to do.
            context.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_online())
