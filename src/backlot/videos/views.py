"""Streaming a video: reading its row and paying the viewer's first view, cheaply.

Every GET of a stream reads the video, and a viewer's first one pays the reward, so this
is the app's hot path. On PostgreSQL it runs on a pool of its own (as large as the
shared one, connections opened as needed) whose connections are in autocommit: a
checkout's liveness ping is one round trip (the shared pool's is three: BEGIN, the
ping, ROLLBACK), and each statement commits by itself, so
the read and the payment are one round trip each, with no BEGIN/COMMIT and no ORM unit
of work. The payment stays exactly once: `record_view`'s claim insert and its points
are one statement (`PAY_FIRST_VIEW`), hence one transaction, and the unique (user,
video) claim still decides among concurrent first views.

Elsewhere (SQLite, one connection per process) each is a short transaction of the shared
session factory, as `service.get_video` and `service.record_view`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.dml import ReturningUpdate

from backlot.accounts.models import User
from backlot.accounts.principal import Requester
from backlot.core.db import unit_of_work
from backlot.core.errors import not_found
from backlot.videos import service
from backlot.videos.models import VIEW_REWARD_POINTS, Video, VideoViewLog


@dataclass(frozen=True, slots=True)
class Streamable:
    """What streaming a video needs of its row."""

    id: int
    name: str
    object_key: str | None
    source_url: str | None
    content_type: str | None
    uploaded_by_id: int | None


# A live (not deleted) video of the requester's corporation; another's is not found.
STREAMABLE = select(
    Video.id,
    Video.name,
    Video.object_key,
    Video.source_url,
    Video.content_type,
    Video.uploaded_by_id,
).where(
    Video.id == bindparam("video_id"),
    Video.corporation_id == bindparam("corporation_id"),
    Video.deleted_at.is_(None),
)


def _pay_first_view() -> ReturningUpdate[int]:
    """`service.record_view` as one PostgreSQL statement: the claim insert and, only
    when it inserted, the points (`point + 10` in SQL, never read and written back). The
    loser of concurrent claims waits for the winner's commit, then inserts nothing."""
    claim = (
        pg_insert(VideoViewLog)
        .values(
            user_id=bindparam("user_id"),
            video_id=bindparam("video_id"),
            points=VIEW_REWARD_POINTS,
        )
        .on_conflict_do_nothing()
        .returning(VideoViewLog.user_id)
        .cte("claim")
    )
    return (
        update(User)
        .where(User.id.in_(select(claim.c.user_id)))
        .values(point=User.point + VIEW_REWARD_POINTS)
        .returning(User.id)
    )


PAY_FIRST_VIEW = _pay_first_view()


def build_views_engine(engine: AsyncEngine, pool_size: int) -> AsyncEngine | None:
    """The autocommit pool for `viewing` on PostgreSQL (None elsewhere). Connections
    open as needed, up to `pool_size` kept and as many more at a peak."""
    if engine.dialect.name != "postgresql":
        return None
    return create_async_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


class Viewing:
    """Reading a video to stream and paying its first view, for one request."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        connection: AsyncConnection | None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._connection = connection

    async def streamable(self, *, requester: Requester, video_id: int) -> Streamable:
        """The requester's corporation's live video (404 otherwise)."""
        if self._connection is None:
            async with unit_of_work(self._sessionmaker) as session:
                video = await service.get_video(session, requester=requester, video_id=video_id)
                return Streamable(
                    video.id,
                    video.name,
                    video.object_key,
                    video.source_url,
                    video.content_type,
                    video.uploaded_by_id,
                )
        if requester.corporation_id is None:
            raise not_found("Video")
        found = await self._connection.execute(
            STREAMABLE, {"video_id": video_id, "corporation_id": requester.corporation_id}
        )
        row = found.first()
        if row is None:
            raise not_found("Video")
        return Streamable(*row)

    async def pay(self, *, user_id: int, video_id: int) -> bool:
        """`service.record_view`: True when this was the user's first view of the video
        (10 points paid), False when an earlier one was."""
        if self._connection is None:
            async with unit_of_work(self._sessionmaker) as session:
                return await service.record_view(session, user_id=user_id, video_id=video_id)
        paid = await self._connection.execute(
            PAY_FIRST_VIEW, {"user_id": user_id, "video_id": video_id}
        )
        return paid.first() is not None


@asynccontextmanager
async def viewing(
    views_engine: AsyncEngine | None, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Viewing]:
    """A `Viewing`. With the views engine, its connection goes back to the pool when the
    block ends: hold it while the answer is prepared, never while bytes flow."""
    if views_engine is None:
        yield Viewing(sessionmaker, None)
        return
    async with views_engine.connect() as connection:
        yield Viewing(sessionmaker, connection)
