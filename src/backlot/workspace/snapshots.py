"""How snapshots are stored: compressed, never twice in a row the same, within the room's
quota, and thinned with age by a periodic job.

A commit that carries the same XML as the room's latest snapshot stores nothing (joiners
load the same workspace either way). The room's `snapshot_bytes` counts what its rows take
compressed; the quota check and the count move together in one conditional UPDATE, so two
processes cannot both squeeze past the limit.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.core.errors import ProblemError, not_found
from backlot.core.settings import Settings
from backlot.workspace.models import WorkspaceRoom, WorkspaceSnapshot

HOUR = 3600
DAY = 24 * HOUR


def quota_exceeded(quota: int) -> ProblemError:
    return ProblemError(
        413,
        "quota_exceeded",
        f"The room's saved history is full ({quota} bytes); nothing was stored.",
        quota_bytes=quota,
    )


def digest_of(xml: str) -> str:
    return hashlib.sha256(xml.encode()).hexdigest()


@dataclass(frozen=True)
class Packed:
    """A workspace as stored: its digest, its compressed bytes and its length in
    characters (made before the room's turn, so the turn does not wait for zlib)."""

    digest: str
    data: bytes
    size: int


def pack(xml: str) -> Packed:
    raw = xml.encode()
    return Packed(hashlib.sha256(raw).hexdigest(), zlib.compress(raw, 6), len(xml))


# What one commit of a batch asks to store: its snapshot (None: the commit has none),
# author nickname, author user id and the version it restores.
BatchItem = tuple[Packed | None, str, int | None, int | None]


@dataclass(frozen=True)
class StoredBatch:
    """Per commit of the batch, its version or why it took none (`quota_exceeded`);
    and (index, version) of the newest snapshot stored, if any."""

    outcomes: list[int | ProblemError]
    latest: tuple[int, int] | None


async def store_batch(
    session: AsyncSession, room_pk: int, items: list[BatchItem], *, quota: int
) -> StoredBatch:
    """Number the commits of a batch in order and store their snapshots, in the caller's
    transaction, with a fixed number of statements however long the batch.

    The room's row is locked first (PostgreSQL `FOR UPDATE`; SQLite's write lock is taken
    at BEGIN), so its version, byte count and latest digest stay as read until the commit:
    each commit then gets the next version, and its snapshot is stored unless it repeats
    the latest one. A commit whose snapshot would pass the room's quota gets
    `quota_exceeded` and no version; the others in the batch go on."""
    latest_digest = (
        select(WorkspaceSnapshot.digest)
        .where(WorkspaceSnapshot.room_id == room_pk)
        .order_by(WorkspaceSnapshot.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    # Core statements on the session's connection: the ORM adds nothing to these rows.
    connection = await session.connection()
    row = (
        await connection.execute(
            select(WorkspaceRoom.version, WorkspaceRoom.snapshot_bytes, latest_digest)
            .where(WorkspaceRoom.id == room_pk)
            .with_for_update(of=WorkspaceRoom)
        )
    ).one_or_none()
    if row is None:
        raise not_found("Room", code="room_not_found")
    version, used, last = int(row[0]), int(row[1]), row[2]
    first_version, first_used = version, used
    outcomes: list[int | ProblemError] = []
    rows: list[dict[str, Any]] = []
    latest: tuple[int, int] | None = None
    for index, (packed, author, author_user_id, restored_from) in enumerate(items):
        if packed is not None and packed.digest != last:
            if used + len(packed.data) > quota:
                outcomes.append(quota_exceeded(quota))
                continue
            used += len(packed.data)
            last = packed.digest
            version += 1
            latest = (index, version)
            rows.append(
                {
                    "room_id": room_pk,
                    "version": version,
                    "xml": None,
                    "xml_z": packed.data,
                    "digest": packed.digest,
                    "size": packed.size,
                    "stored_bytes": len(packed.data),
                    "author": author[:64],
                    "author_user_id": author_user_id,
                    "restored_from": restored_from,
                }
            )
        else:
            version += 1
        outcomes.append(version)
    if version > first_version:
        await connection.execute(
            update(WorkspaceRoom)
            .where(WorkspaceRoom.id == room_pk)
            .values(
                version=WorkspaceRoom.version + (version - first_version),
                snapshot_bytes=WorkspaceRoom.snapshot_bytes + (used - first_used),
            )
        )
    if rows:
        # A Core insert: on the commit path, the ORM's flush would cost more than the write.
        await connection.execute(insert(WorkspaceSnapshot), rows)
    return StoredBatch(outcomes, latest)


def xml_of(snapshot: WorkspaceSnapshot) -> str:
    """Either form: compressed (0008 on) or plain (rows written before)."""
    if snapshot.xml_z is not None:
        return zlib.decompress(snapshot.xml_z).decode()
    return snapshot.xml or ""


async def store_snapshot(
    session: AsyncSession,
    room_pk: int,
    version: int,
    xml: str,
    author: str,
    author_user_id: int | None,
    *,
    quota: int,
    restored_from: int | None = None,
) -> bool:
    """Store the snapshot of commit `version`; False when it repeats the latest one.
    Raises `quota_exceeded` (the caller's transaction then stores nothing at all)."""
    digest = digest_of(xml)
    latest = await session.scalar(
        select(WorkspaceSnapshot.digest)
        .where(WorkspaceSnapshot.room_id == room_pk)
        .order_by(WorkspaceSnapshot.version.desc())
        .limit(1)
    )
    if latest == digest:
        return False
    packed = zlib.compress(xml.encode(), 6)
    counted = await session.scalar(
        update(WorkspaceRoom)
        .where(
            WorkspaceRoom.id == room_pk,
            WorkspaceRoom.snapshot_bytes + len(packed) <= quota,
        )
        .values(snapshot_bytes=WorkspaceRoom.snapshot_bytes + len(packed))
        .returning(WorkspaceRoom.id)
    )
    if counted is None:
        raise quota_exceeded(quota)
    # A Core insert: on the commit path, the ORM's flush would cost more than the write.
    await session.execute(
        insert(WorkspaceSnapshot).values(
            room_id=room_pk,
            version=version,
            xml=None,
            xml_z=packed,
            digest=digest,
            size=len(xml),
            stored_bytes=len(packed),
            author=author[:64],
            author_user_id=author_user_id,
            restored_from=restored_from,
        )
    )
    return True


def _bucket(created_at: datetime, hourly_from: datetime) -> tuple[str, int]:
    stamp = int(created_at.timestamp())
    if created_at >= hourly_from:
        return "hour", stamp // HOUR
    return "day", stamp // DAY


async def thin_snapshots(session: AsyncSession, now: datetime, settings: Settings) -> int:
    """The retention policy, for every room: keep every snapshot of the last
    `keep_all_hours`, then the newest of each hour for `keep_hourly_days`, then the
    newest of each day. The room's latest snapshot is the newest of its bucket, so it
    always stays. Returns how many rows went."""
    keep_all_from = now - timedelta(hours=settings.workspace_snapshot_keep_all_hours)
    hourly_from = min(
        keep_all_from, now - timedelta(days=settings.workspace_snapshot_keep_hourly_days)
    )
    rows = (
        await session.execute(
            select(
                WorkspaceSnapshot.id,
                WorkspaceSnapshot.room_id,
                WorkspaceSnapshot.created_at,
                WorkspaceSnapshot.stored_bytes,
            )
            .where(WorkspaceSnapshot.created_at < keep_all_from)
            .order_by(WorkspaceSnapshot.room_id, WorkspaceSnapshot.version.desc())
        )
    ).all()
    seen: set[tuple[int, str, int]] = set()
    doomed: list[int] = []
    freed: dict[int, int] = defaultdict(int)
    for row_id, room_pk, created_at, stored in rows:  # newest first within a room
        bucket = (room_pk, *_bucket(created_at, hourly_from))
        if bucket in seen:
            doomed.append(row_id)
            freed[room_pk] += stored
        else:
            seen.add(bucket)
    for start in range(0, len(doomed), 500):
        chunk = doomed[start : start + 500]
        await session.execute(delete(WorkspaceSnapshot).where(WorkspaceSnapshot.id.in_(chunk)))
    for room_pk, size in freed.items():
        await session.execute(
            update(WorkspaceRoom)
            .where(WorkspaceRoom.id == room_pk)
            .values(snapshot_bytes=WorkspaceRoom.snapshot_bytes - size)
        )
    return len(doomed)
