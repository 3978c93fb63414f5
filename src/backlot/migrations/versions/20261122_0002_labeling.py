"""labeling: projects, files, lock audit trail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "labeling_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("corporation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["corporation_id"],
            ["corporation.id"],
            name=op.f("fk_labeling_project_corporation_id_corporation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labeling_project")),
        sa.UniqueConstraint(
            "corporation_id", "name", name=op.f("uq_labeling_project_corporation_id")
        ),
    )
    op.create_index(
        op.f("ix_labeling_project_corporation_id"), "labeling_project", ["corporation_id"]
    )
    op.create_table(
        "labeling_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["labeling_project.id"],
            name=op.f("fk_labeling_file_project_id_labeling_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labeling_file")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_labeling_file_project_id")),
    )
    op.create_index(op.f("ix_labeling_file_project_id"), "labeling_file", ["project_id"])
    op.create_table(
        "labeling_lock_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["labeling_project.id"],
            name=op.f("fk_labeling_lock_event_project_id_labeling_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labeling_lock_event")),
    )
    op.create_index(
        "ix_labeling_lock_event_project_at", "labeling_lock_event", ["project_id", "at"]
    )


def downgrade() -> None:
    op.drop_table("labeling_lock_event")
    op.drop_table("labeling_file")
    op.drop_table("labeling_project")
