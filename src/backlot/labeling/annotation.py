"""Label sets and annotations, written only under the file's lock (Kleppmann's fencing).

The lock store (Redis or memory) says who holds a file and its fencing token, which
strictly increases per project. A save is checked against the lock, then written in one
database transaction whose conditional UPDATE records the highest token that wrote the
file and refuses a lower one. So a writer whose lock lapsed between its check and its
write cannot overwrite a newer holder who already saved: the database has seen the
newer token and answers `stale_lock`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.principal import Requester, require_corporation_admin
from backlot.core.bus import EventBus
from backlot.core.db import after_commit
from backlot.core.errors import ProblemError, conflict, not_found
from backlot.core.locks import LockStore
from backlot.core.settings import Settings
from backlot.labeling.events import project_channel
from backlot.labeling.models import Annotation, LabelingFile, LabelingProject
from backlot.labeling.schemas import (
    AnnotationRead,
    Author,
    FileState,
    Label,
    PolygonShape,
    RectShape,
)

# --- label sets -----------------------------------------------------------------------


def set_labels(
    project: LabelingProject, *, requester: Requester, labels: list[Label], settings: Settings
) -> None:
    require_corporation_admin(requester)
    if len(labels) > settings.labeling_max_labels:
        raise ProblemError(
            422,
            "too_many_labels",
            f"A label set has at most {settings.labeling_max_labels} labels.",
            limit=settings.labeling_max_labels,
        )
    names = [label.name for label in labels]
    if len(set(names)) != len(names):
        raise ProblemError(422, "duplicate_label", "Each label name may appear once.")
    project.labels = [{"name": label.name, "color": label.color.lower()} for label in labels]


# --- reading --------------------------------------------------------------------------


async def file_by_name(
    session: AsyncSession, *, project: LabelingProject, file_name: str
) -> LabelingFile:
    file = await session.scalar(
        select(LabelingFile).where(
            LabelingFile.project_id == project.id, LabelingFile.name == file_name
        )
    )
    if file is None:
        raise not_found("File")
    return file


def annotation_read(file: LabelingFile, row: Annotation) -> AnnotationRead:
    return AnnotationRead(
        project_id=file.project_id,
        file=file.name,
        version=row.version,
        shapes=row.shapes,
        author=Author(id=row.author_id, name=row.author_name),
        created_at=row.created_at,
        restored_from=row.restored_from,
    )


async def version_of(session: AsyncSession, file: LabelingFile, version: int) -> Annotation:
    row = await session.scalar(
        select(Annotation).where(Annotation.file_id == file.id, Annotation.version == version)
    )
    if row is None:
        raise not_found("Annotation", code="no_annotation")
    return row


async def latest(session: AsyncSession, file: LabelingFile) -> Annotation:
    if file.annotation_version == 0:
        raise not_found("Annotation", code="no_annotation")
    return await version_of(session, file, file.annotation_version)


async def list_versions(
    session: AsyncSession, file: LabelingFile, *, limit: int, offset: int
) -> tuple[list[Annotation], int]:
    where = Annotation.file_id == file.id
    total = int(await session.scalar(select(func.count()).where(where)) or 0)
    rows = await session.scalars(
        select(Annotation)
        .where(where)
        .order_by(Annotation.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


# --- checking shapes ------------------------------------------------------------------


def _bounds(shape: RectShape | PolygonShape) -> tuple[float, float, float, float]:
    if isinstance(shape, RectShape):
        return shape.x, shape.y, shape.x + shape.w, shape.y + shape.h
    xs = [p[0] for p in shape.points]
    ys = [p[1] for p in shape.points]
    return min(xs), min(ys), max(xs), max(ys)


def check_shapes(
    shapes: list[RectShape | PolygonShape],
    *,
    project: LabelingProject,
    file: LabelingFile,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The shapes as stored, or 422 naming the first shape at fault (`index`)."""
    if len(shapes) > settings.labeling_max_shapes:
        raise ProblemError(
            422,
            "too_many_shapes",
            f"An annotation has at most {settings.labeling_max_shapes} shapes.",
            limit=settings.labeling_max_shapes,
        )
    known = {label["name"] for label in project.labels}
    stored = []
    for index, shape in enumerate(shapes):
        if shape.label not in known:
            raise ProblemError(
                422,
                "unknown_label",
                f"Shape {index}: {shape.label} is not in the project's label set.",
                index=index,
                label=shape.label,
            )
        if (
            isinstance(shape, PolygonShape)
            and len(shape.points) > settings.labeling_max_polygon_points
        ):
            raise ProblemError(
                422,
                "too_many_points",
                f"Shape {index}: a polygon has at most "
                f"{settings.labeling_max_polygon_points} points.",
                index=index,
                limit=settings.labeling_max_polygon_points,
            )
        if shape.attributes is not None:
            size = len(json.dumps(shape.attributes, separators=(",", ":")).encode())
            if size > settings.labeling_max_attribute_bytes:
                raise ProblemError(
                    422,
                    "attributes_too_large",
                    f"Shape {index}: attributes take at most "
                    f"{settings.labeling_max_attribute_bytes} bytes as JSON.",
                    index=index,
                    limit=settings.labeling_max_attribute_bytes,
                )
        left, top, right, bottom = _bounds(shape)
        width, height = file.width, file.height
        if (
            left < 0
            or top < 0
            or (width is not None and height is not None and (right > width or bottom > height))
        ):
            raise ProblemError(
                422,
                "shape_outside_image",
                f"Shape {index} lies outside the image"
                + (f" ({width} x {height} pixels)." if width is not None else "."),
                index=index,
                width=width,
                height=height,
            )
        stored.append(shape.model_dump(exclude_none=True))
    return stored


# --- writing under the lock -----------------------------------------------------------


async def check_lock(
    locks: LockStore, *, requester: Requester, project_id: int, file_name: str, token: int
) -> None:
    """409 unless the requester holds the file's lock with this very token."""
    lock = await locks.get(str(project_id), file_name)
    mine = lock is not None and lock.owner == str(requester.id)
    if lock is not None and token < lock.token:
        raise _stale(file_name)
    if lock is None or not mine:
        raise conflict(
            "not_lock_owner", f"Lock {file_name} before saving it: you do not hold its lock."
        )
    if token != lock.token:  # a token never issued to this lock
        raise _stale(file_name)


def _stale(file_name: str) -> ProblemError:
    return conflict(
        "stale_lock",
        f"Your lock on {file_name} was lost (expired or taken over) and someone newer holds "
        "or saved it; reload the file.",
    )


async def write_version(
    session: AsyncSession,
    bus: EventBus,
    *,
    requester: Requester,
    file: LabelingFile,
    token: int,
    shapes: list[dict[str, Any]],
    now: datetime,
    restored_from: int | None = None,
) -> Annotation:
    """Append a version if no higher token has written the file (the fence), atomically."""
    fenced = await session.execute(
        update(LabelingFile)
        .where(
            LabelingFile.id == file.id,
            or_(LabelingFile.annotation_token.is_(None), LabelingFile.annotation_token <= token),
        )
        .values(
            annotation_token=token,
            annotation_version=LabelingFile.annotation_version + 1,
        )
        .returning(LabelingFile.annotation_version)
        .execution_options(synchronize_session=False)
    )
    version = fenced.scalar_one_or_none()
    if version is None:
        raise _stale(file.name)
    row = Annotation(
        file_id=file.id,
        version=version,
        shapes=shapes,
        author_id=requester.id,
        author_name=requester.display_name,
        token=token,
        restored_from=restored_from,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    await session.refresh(file)
    payload = {
        "file": file.name,
        "version": version,
        "author": requester.display_name,
        "author_id": requester.id,
        "state": FileState.labeled.value,
    }
    channel = project_channel(file.project_id)
    after_commit(session, lambda: bus.publish(channel, "annotation_saved", payload))
    return row
