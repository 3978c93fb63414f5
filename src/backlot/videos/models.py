"""Tables of the videos app: the library and who watched what (the points ledger)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.db import Base, Timestamps

VIEW_REWARD_POINTS = 10


class Video(Timestamps, Base):
    __tablename__ = "video"
    __table_args__ = (
        # Stored bytes or an external URL (seed 001's file_path), never both or neither.
        CheckConstraint("(object_key IS NULL) <> (source_url IS NULL)", name="one_source"),
        Index("ix_video_corporation_deleted", "corporation_id", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    corporation_id: Mapped[int] = mapped_column(ForeignKey("corporation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    object_key: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(2048))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]
    # Set when a deleted video's stored bytes were removed after the retention period:
    # the row stays (its view log is the points ledger) but can never be restored.
    purged_at: Mapped[datetime | None]
    # Read with PyAV at upload: seconds of media, and the object key of a small JPEG.
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    poster_key: Mapped[str | None] = mapped_column(String(300))


class VideoUploadKey(Base):
    """An `Idempotency-Key` a user sent with an upload, and the video it made.

    Unique per (user, key): two concurrent retries race on the insert and one wins; the
    other answers the winner's video. `fingerprint` (the name and the file's SHA-256)
    tells a retry from another upload reusing the key. Rows past the configured lifetime
    no longer count and are replaced by the next use of the key.
    """

    __tablename__ = "video_upload_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class VideoViewLog(Base):
    """A user's first view of a video: the claim that pays the reward, once.

    Unique per (user, video), so concurrent first views race on the insert and exactly
    one wins; `points` is what that view paid, so a balance is the sum of its rows.
    """

    __tablename__ = "video_view_log"
    __table_args__ = (UniqueConstraint("user_id", "video_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(default=VIEW_REWARD_POINTS)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}
