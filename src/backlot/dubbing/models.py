"""Tables of the dubbing app: the catalogue (scripts, actors, lines), attempts and their
analysis jobs, bookmarks, and the webhook deliveries already applied."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.db import Base, Timestamps
from backlot.core.jobs import JobRow


class ScriptKind(StrEnum):
    movie = "movie"
    drama = "drama"


class Script(Timestamps, Base):
    __tablename__ = "dubbing_script"
    __table_args__ = (CheckConstraint("kind IN ('movie', 'drama')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    # Whose it is: None, a superuser's, shared with everyone; else this corporation's
    # alone (its members see it, its admins edit it, others get 404).
    corporation_id: Mapped[int | None] = mapped_column(
        ForeignKey("corporation.id", ondelete="SET NULL")
    )
    attempts: Mapped[int] = mapped_column(default=0)  # for ?sort=popular


class Actor(Base):
    __tablename__ = "dubbing_actor"

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(
        ForeignKey("dubbing_script.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))


class Line(Timestamps, Base):
    """Seed 003's token: one line of a script, spoken by an actor, with its audio."""

    __tablename__ = "dubbing_token"
    __table_args__ = (Index("ix_dubbing_token_script_order", "script_id", "order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("dubbing_script.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("dubbing_actor.id", ondelete="SET NULL")
    )
    order: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    start_time: Mapped[float | None] = mapped_column(Float)
    end_time: Mapped[float | None] = mapped_column(Float)
    audio_key: Mapped[str | None] = mapped_column(String(300))
    audio_type: Mapped[str | None] = mapped_column(String(100))
    audio_size: Mapped[int | None]
    audio_seconds: Mapped[float | None] = mapped_column(Float)


class Job(JobRow, Base):
    """One attempt at a line and its analysis (seed 003's AnalysisResult): the database
    row is the truth about the job, whichever process runs it (its lifecycle columns are
    core's `JobRow`)."""

    __tablename__ = "dubbing_job"
    __table_args__ = (
        Index("ix_dubbing_job_user_created", "user_id", "created_at"),
        Index("ix_dubbing_job_state_beat", "state", "heartbeat_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_id: Mapped[int] = mapped_column(
        ForeignKey("dubbing_token.id", ondelete="CASCADE"), index=True
    )
    audio_key: Mapped[str] = mapped_column(String(300))
    audio_type: Mapped[str] = mapped_column(String(100))
    audio_size: Mapped[int]
    audio_seconds: Mapped[float] = mapped_column(Float)
    analyzer: Mapped[str] = mapped_column(String(16), default="builtin")
    pronunciation_score: Mapped[float | None] = mapped_column(Float)
    intonation_score: Mapped[float | None] = mapped_column(Float)
    emotion_score: Mapped[float | None] = mapped_column(Float)
    timing_score: Mapped[float | None] = mapped_column(Float)
    overall_score: Mapped[float | None] = mapped_column(Float)
    detailed_feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __mapper_args__ = {"eager_defaults": True}


class Bookmark(Base):
    __tablename__ = "dubbing_bookmark"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    token_id: Mapped[int] = mapped_column(
        ForeignKey("dubbing_token.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class WebhookDelivery(Base):
    """A webhook id already applied: a repeat is answered 200 and not applied again."""

    __tablename__ = "dubbing_webhook_delivery"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
