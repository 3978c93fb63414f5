"""videos: library, view log (points ledger), scheduled runs, plan downgrades

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("corporation") as batch:
        batch.add_column(sa.Column("plan_downgraded_at", UTC_TIME, nullable=True))
    op.create_table(
        "video",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("corporation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("object_key", sa.String(length=300), nullable=True),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "(object_key IS NULL) <> (source_url IS NULL)", name=op.f("ck_video_one_source")
        ),
        sa.ForeignKeyConstraint(
            ["corporation_id"],
            ["corporation.id"],
            name=op.f("fk_video_corporation_id_corporation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_video_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video")),
    )
    op.create_index("ix_video_corporation_deleted", "video", ["corporation_id", "deleted_at"])
    op.create_table(
        "video_view_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["video.id"],
            name=op.f("fk_video_view_log_video_id_video"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_video_view_log_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_view_log")),
        sa.UniqueConstraint("user_id", "video_id", name=op.f("uq_video_view_log_user_id")),
    )
    op.create_index(op.f("ix_video_view_log_video_id"), "video_view_log", ["video_id"])
    op.create_table(
        "scheduled_run",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("tick", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ran_at", UTC_TIME, nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("job", "tick", name=op.f("pk_scheduled_run")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_run")
    op.drop_index(op.f("ix_video_view_log_video_id"), table_name="video_view_log")
    op.drop_table("video_view_log")
    op.drop_index("ix_video_corporation_deleted", table_name="video")
    op.drop_table("video")
    with op.batch_alter_table("corporation") as batch:
        batch.drop_column("plan_downgraded_at")
