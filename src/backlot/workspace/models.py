"""Tables of the workspace app: rooms and the durable history of their workspace."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.db import Base


class Visibility(StrEnum):
    public = "public"  # anyone with a nickname
    members = "members"  # members of one corporation, with their access token


class WorkspaceRoom(Base):
    __tablename__ = "workspace_room"
    __table_args__ = (
        CheckConstraint(
            "(visibility = 'members') = (corporation_id IS NOT NULL)", name="members_have_corp"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    max_users: Mapped[int]
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.public.value)
    corporation_id: Mapped[int | None] = mapped_column(
        ForeignKey("corporation.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Whether visitors without an account may lock and commit (a public room's creator
    # decides); otherwise they only watch.
    anonymous_edit: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bytes its stored snapshots take, kept in step by every insert and by the retention
    # job, so the quota check is one conditional UPDATE.
    snapshot_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The last commit's number: commits bump it in SQL, so two processes never share one.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class WorkspaceSnapshot(Base):
    """The whole workspace as one commit left it; the latest one is what joiners load."""

    __tablename__ = "workspace_snapshot"
    __table_args__ = (UniqueConstraint("room_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("workspace_room.id", ondelete="CASCADE"))
    version: Mapped[int]
    # Rows from before 0008 hold plain `xml`; newer ones zlib-compressed `xml_z`.
    xml: Mapped[str | None] = mapped_column(Text)
    xml_z: Mapped[bytes | None] = mapped_column(LargeBinary)
    digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the XML
    size: Mapped[int] = mapped_column(default=0, server_default="0")  # characters of XML
    stored_bytes: Mapped[int] = mapped_column(default=0, server_default="0")
    author: Mapped[str] = mapped_column(String(64))  # nickname at the time
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    restored_from: Mapped[int | None]  # the version a restore copied
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)

    __mapper_args__ = {"eager_defaults": True}
