"""Video rules: the corporation's library, soft delete, paid restore, view rewards.

Every query is scoped to the requester's corporation; another corporation's video is 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import Corporation, PlanType, User
from backlot.accounts.principal import Requester, require_corporation_admin
from backlot.core.db import after_commit, insert_ignore, on_rollback
from backlot.core.errors import ProblemError, not_found
from backlot.core.paging import fetch_page
from backlot.core.storage import ObjectInfo, ObjectStore
from backlot.videos.models import VIEW_REWARD_POINTS, Video, VideoViewLog


def _corporation_of(requester: Requester) -> int:
    if requester.corporation_id is None:
        raise not_found("Video")
    return requester.corporation_id


async def get_video(
    session: AsyncSession, *, requester: Requester, video_id: int, deleted: bool = False
) -> Video:
    """The requester's corporation's video; `deleted` says which side of the bin to look in."""
    video = await session.get(Video, video_id)
    if (
        video is None
        or video.corporation_id != requester.corporation_id
        or (video.deleted_at is not None) != deleted
    ):
        raise not_found("Video")
    return video


async def list_videos(
    session: AsyncSession, *, requester: Requester, deleted: bool, limit: int, offset: int
) -> tuple[list[Video], int]:
    if deleted:
        require_corporation_admin(requester)
    if requester.corporation_id is None:
        return [], 0
    stmt: Select[Video] = select(Video).where(Video.corporation_id == requester.corporation_id)
    stmt = stmt.where(Video.deleted_at.is_not(None) if deleted else Video.deleted_at.is_(None))
    stmt = stmt.where(Video.purged_at.is_(None))  # the bin lists what can come back
    return await fetch_page(session, stmt.order_by(Video.id.desc()), limit, offset)


def new_object_key(corporation_id: int) -> str:
    return f"videos/{corporation_id}/{uuid.uuid4().hex}"


async def add_uploaded(
    session: AsyncSession,
    store: ObjectStore,
    *,
    requester: Requester,
    name: str,
    content: ObjectInfo,
) -> Video:
    """The row of a video already in the store; the bytes go if the row does not."""
    require_corporation_admin(requester)
    video = Video(
        corporation_id=_corporation_of(requester),
        name=name,
        object_key=content.key,
        content_type=content.content_type,
        size=content.size,
        uploaded_by_id=requester.id,
    )
    session.add(video)
    on_rollback(session, lambda: store.delete(content.key))
    await session.flush()
    return video


async def add_registered(
    session: AsyncSession, *, requester: Requester, name: str, url: str
) -> Video:
    require_corporation_admin(requester)
    video = Video(
        corporation_id=_corporation_of(requester),
        name=name,
        source_url=url,
        uploaded_by_id=requester.id,
    )
    session.add(video)
    await session.flush()
    return video


async def rename(session: AsyncSession, *, requester: Requester, video_id: int, name: str) -> Video:
    require_corporation_admin(requester)
    video = await get_video(session, requester=requester, video_id=video_id)
    video.name = name
    await session.flush()
    return video


async def soft_delete(
    session: AsyncSession, *, requester: Requester, video_id: int, now: datetime
) -> None:
    require_corporation_admin(requester)
    video = await get_video(session, requester=requester, video_id=video_id)
    video.deleted_at = now
    await session.flush()


async def restore(
    session: AsyncSession, *, requester: Requester, video_id: int, now: datetime
) -> Video:
    """Paid plans only: the plan is read as it is now, never as the last job left it."""
    require_corporation_admin(requester)
    video = await get_video(session, requester=requester, video_id=video_id, deleted=True)
    corporation = await session.get(Corporation, video.corporation_id)
    assert corporation is not None
    if corporation.effective_plan(now) is not PlanType.paid:
        raise ProblemError(
            402,
            "plan_required",
            "Restoring deleted videos needs a paid plan.",
            plan=corporation.effective_plan(now).value,
        )
    if video.purged_at is not None:
        raise _purged()
    # Conditional, so a purge committing meanwhile wins: the row is re-read under its
    # lock and a purged video stays deleted.
    restored = await session.execute(
        update(Video)
        .where(Video.id == video.id, Video.purged_at.is_(None), Video.deleted_at.is_not(None))
        .values(deleted_at=None)
        .execution_options(synchronize_session=False)
    )
    if restored.rowcount != 1:  # type: ignore[attr-defined]
        raise _purged()
    await session.refresh(video)
    return video


def _purged() -> ProblemError:
    return ProblemError(
        410, "video_purged", "This video was deleted too long ago: its file is gone for good."
    )


async def purge_deleted_videos(
    session: AsyncSession, now: datetime, *, store: ObjectStore, retention_days: int
) -> int:
    """Mark the videos deleted more than `retention_days` ago purged, and remove their
    stored bytes once that commits (a failed removal leaves an orphan object, never a
    restorable video without its bytes). Registered URLs have no bytes but the same
    retention. The number purged."""
    purged = await session.execute(
        update(Video)
        .where(
            Video.deleted_at.is_not(None), Video.deleted_at <= now - timedelta(days=retention_days)
        )
        .where(Video.purged_at.is_(None))
        .values(purged_at=now)
        .returning(Video.object_key)
        .execution_options(synchronize_session=False)
    )
    rows = purged.all()
    keys = [key for (key,) in rows if key is not None]

    async def remove() -> None:
        for key in keys:
            await store.delete(key)

    after_commit(session, remove)
    return len(rows)


async def record_view(session: AsyncSession, *, user_id: int, video_id: int) -> bool:
    """The first view of a video by a user pays VIEW_REWARD_POINTS, exactly once.

    The unique (user, video) claim decides among concurrent first views (any process, any
    number of range requests); only the winner adds the points, in SQL, in the same
    transaction. No read-modify-write in Python.
    """
    claim = (
        insert_ignore(session, VideoViewLog)
        .values(user_id=user_id, video_id=video_id, points=VIEW_REWARD_POINTS)
        .returning(VideoViewLog.id)
    )
    won = (await session.execute(claim)).first() is not None
    if won:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(point=User.point + VIEW_REWARD_POINTS)
            .execution_options(synchronize_session=False)
        )
    return won


async def list_view_logs(
    session: AsyncSession, *, requester: Requester, limit: int, offset: int
) -> tuple[list[VideoViewLog], int]:
    """Admins: every view in their corporation; others: their own."""
    stmt: Select[VideoViewLog] = select(VideoViewLog).order_by(VideoViewLog.id.desc())
    if requester.is_corporation_admin:
        stmt = stmt.join(Video).where(Video.corporation_id == requester.corporation_id)
    else:
        stmt = stmt.where(VideoViewLog.user_id == requester.id)
    return await fetch_page(session, stmt, limit, offset)
