"""Tables of the labeling app: projects, their files, and the lock audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, func
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
    holder_id: Mapped[int | None]  # whose lock it was (no FK: users may be deleted)
    actor_id: Mapped[int | None]  # who did it; None for the system (expiry, disconnect)
    token: Mapped[int]
    at: Mapped[datetime]
