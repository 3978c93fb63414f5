"""accounts: corporation, user, refresh_token

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "corporation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("plan_type", sa.String(length=8), server_default="free", nullable=False),
        sa.Column("plan_expired_at", UTC_TIME, nullable=True),
        *_timestamps(),
        sa.CheckConstraint("plan_type IN ('free', 'paid')", name=op.f("ck_corporation_plan_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporation")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=8), server_default="guest", nullable=False),
        sa.Column("corporation_id", sa.Integer(), nullable=True),
        sa.Column("point", sa.Integer(), server_default="0", nullable=False),
        sa.Column("google_sub", sa.String(length=255), nullable=True),
        sa.Column("is_superuser", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("role IN ('admin', 'guest')", name=op.f("ck_user_role")),
        sa.CheckConstraint("point >= 0", name=op.f("ck_user_point_not_negative")),
        sa.ForeignKeyConstraint(
            ["corporation_id"],
            ["corporation.id"],
            name=op.f("fk_user_corporation_id_corporation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("google_sub", name=op.f("uq_user_google_sub")),
    )
    op.create_index(op.f("ix_user_corporation_id"), "user", ["corporation_id"])
    op.create_index("uq_user_email_lower", "user", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=False),
        sa.Column("expired_at", UTC_TIME, nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=True),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_refresh_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index(op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"])
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"])


def downgrade() -> None:
    op.drop_table("refresh_token")
    op.drop_index("uq_user_email_lower", table_name="user")
    op.drop_table("user")
    op.drop_table("corporation")
