"""Video rules: the corporation's library, soft delete, paid restore, view rewards.

Every query is scoped to the requester's corporation; another corporation's video is 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import Corporation, PlanType, User
from backlot.accounts.principal import Requester, require_corporation_admin
from backlot.core.db import after_commit, insert_ignore, on_rollback
from backlot.core.errors import ProblemError, not_found
from backlot.core.paging import fetch_page
from backlot.core.storage import ObjectInfo, ObjectStore
from backlot.videos.models import VIEW_REWARD_POINTS, Video, VideoUploadKey, VideoViewLog


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
    duration_seconds: float | None = None,
    poster_key: str | None = None,
) -> Video:
    """The row of a video already in the store; the bytes (and poster) go if the row
    does not."""
    require_corporation_admin(requester)
    video = Video(
        corporation_id=_corporation_of(requester),
        name=name,
        object_key=content.key,
        content_type=content.content_type,
        size=content.size,
        uploaded_by_id=requester.id,
        duration_seconds=duration_seconds,
        poster_key=poster_key,
    )
    session.add(video)

    async def remove() -> None:
        await store.delete(content.key)
        if poster_key is not None:
            await store.delete(poster_key)

    on_rollback(session, remove)
    await session.flush()
    return video


def idempotency_conflict() -> ProblemError:
    return ProblemError(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used for another upload (another name or file).",
    )


async def claim_upload_key(
    session: AsyncSession,
    *,
    requester: Requester,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> Video | None:
    """Claim `key` for the requester's upload about to be made: None when claimed (the
    caller adds the video and `bind_upload_key`s it in the same transaction), else the
    video an earlier use of the key made. The unique (user, key) insert decides between
    concurrent retries: the loser waits for the winner's commit, then reads its video."""
    await session.execute(
        delete(VideoUploadKey).where(
            VideoUploadKey.user_id == requester.id,
            VideoUploadKey.key == key,
            VideoUploadKey.created_at <= now - ttl,
        )
    )
    return await _earlier(session, requester, key, fingerprint)


async def _earlier(
    session: AsyncSession, requester: Requester, key: str, fingerprint: str
) -> Video | None:
    row = (
        await session.execute(
            select(VideoUploadKey).where(
                VideoUploadKey.user_id == requester.id, VideoUploadKey.key == key
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise idempotency_conflict()
    video = await session.get(Video, row.video_id)
    assert video is not None  # the key's row goes with its video (cascade)
    return video


async def bind_upload_key(
    session: AsyncSession,
    *,
    requester: Requester,
    key: str,
    fingerprint: str,
    video: Video,
    now: datetime,
    store: ObjectStore,
) -> Video | None:
    """Record that `key` made `video`; if a concurrent retry recorded it first, `video`
    is undone (row now, bytes after the commit) and that retry's video is the answer."""
    claim = (
        insert_ignore(session, VideoUploadKey)
        .values(
            user_id=requester.id,
            key=key,
            fingerprint=fingerprint,
            video_id=video.id,
            created_at=now,
        )
        .returning(VideoUploadKey.id)
    )
    if (await session.execute(claim)).first() is not None:
        return None
    earlier = await _earlier(session, requester, key, fingerprint)
    assert earlier is not None
    keys = [k for k in (video.object_key, video.poster_key) if k is not None]
    await session.delete(video)
    await session.flush()

    async def remove() -> None:
        for k in keys:
            await store.delete(k)

    after_commit(session, remove)
    return earlier


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
        .returning(Video.object_key, Video.poster_key)
        .execution_options(synchronize_session=False)
    )
    rows = purged.all()
    keys = [key for row in rows for key in row if key is not None]

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
