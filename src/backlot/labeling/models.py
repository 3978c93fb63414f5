"""Tables of the labeling app: projects, their files, annotations and the lock audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.db import Base, Timestamps


class LabelingProject(Timestamps, Base):
    __tablename__ = "labeling_project"
    __table_args__ = (UniqueConstraint("corporation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    corporation_id: Mapped[int] = mapped_column(
        ForeignKey("corporation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The label set, [{"name", "color"}] in order; replaced whole by its admins.
    labels: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")


class LabelingFile(Base):
    __tablename__ = "labeling_file"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("labeling_project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    # Set for uploaded images; a file registered by name has no content of its own.
    object_key: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    # Pixel size of an uploaded image, read from its header (None when unreadable).
    width: Mapped[int | None]
    height: Mapped[int | None]
    # The latest annotation's version (0: none) and the highest fencing token that wrote
    # one: a save with a lower token is refused in the same transaction (annotations.py).
    annotation_version: Mapped[int] = mapped_column(default=0, server_default="0")
    annotation_token: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class LockEvent(Base):
    """Who took or lost which lock, when and why; append-only, partitionable by time."""

    __tablename__ = "labeling_lock_event"
    __table_args__ = (
        Index("ix_labeling_lock_event_project_at", "project_id", "at"),
        # The retention job deletes by age across projects.
        Index("ix_labeling_lock_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("labeling_project.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))  # acquired | released (+ reason)
    reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))  # an admin's why, for `forced`
    holder_id: Mapped[int | None]  # whose lock it was (no FK: users may be deleted)
    actor_id: Mapped[int | None]  # who did it; None for the system (expiry, disconnect)
    token: Mapped[int]
    at: Mapped[datetime]


class Annotation(Base):
    """One saved version of a file's shapes; every version is kept."""

    __tablename__ = "labeling_annotation"
    __table_args__ = (UniqueConstraint("file_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("labeling_file.id", ondelete="CASCADE"))
    version: Mapped[int]
    shapes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    author_id: Mapped[int | None]  # no FK: users may be deleted, their work stays
    author_name: Mapped[str] = mapped_column(String(100))
    token: Mapped[int] = mapped_column(BigInteger)
    restored_from: Mapped[int | None]  # the version this one copies, for a restore
    created_at: Mapped[datetime]
