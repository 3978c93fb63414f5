"""Tables of seed 001's ERD: corporation, user, refresh_token."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from backlot.core.db import Base, Timestamps


class PlanType(StrEnum):
    free = "free"
    paid = "paid"


class Role(StrEnum):
    admin = "admin"
    guest = "guest"


class Corporation(Timestamps, Base):
    __tablename__ = "corporation"
    __table_args__ = (CheckConstraint("plan_type IN ('free', 'paid')", name="plan_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    plan_type: Mapped[str] = mapped_column(String(8), default=PlanType.free)
    plan_expired_at: Mapped[datetime | None]
    # When the periodic job last turned a lapsed paid plan into `free`.
    plan_downgraded_at: Mapped[datetime | None]

    def effective_plan(self, now: datetime) -> PlanType:
        """`paid` only while the paid period runs; computed, so it is never stale."""
        paid_until = self.plan_expired_at if self.plan_type == PlanType.paid else None
        return PlanType.paid if paid_until is not None and paid_until > now else PlanType.free


class User(Timestamps, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'guest')", name="role"),
        CheckConstraint("point >= 0", name="point_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8), default=Role.guest)
    corporation_id: Mapped[int | None] = mapped_column(
        ForeignKey("corporation.id", ondelete="RESTRICT"), index=True
    )
    point: Mapped[int] = mapped_column(default=0)
    google_sub: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    # Proven by following a mailed link (or by Google); an unverified password account
    # is taken over by a federated sign-in for its address (pre-account takeover).
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    # In every access token as `gen`; bumped when the user's sessions must end, so access
    # tokens issued before stop working at once instead of when they expire.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_corporation_admin(self) -> bool:
        return self.role == Role.admin and self.corporation_id is not None


# Emails are stored lower-cased; this index makes case-insensitivity a database rule too.
Index("uq_user_email_lower", func.lower(User.email), unique=True)


class RefreshToken(Base):
    """One issued refresh token, stored as a digest; rotation chains tokens in a family."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    expired_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}


class EmailPurpose(StrEnum):
    verify_email = "verify_email"
    password_reset = "password_reset"  # noqa: S105 - a purpose, not a secret


class EmailToken(Base):
    """A single-use link token sent by mail, stored as a digest; valid for `email` only."""

    __tablename__ = "email_token"
    __table_args__ = (
        CheckConstraint("purpose IN ('verify_email', 'password_reset')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expired_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __mapper_args__ = {"eager_defaults": True}
