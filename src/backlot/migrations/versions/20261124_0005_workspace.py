"""workspace: rooms and their snapshot history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workspace_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("max_users", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("corporation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "(visibility = 'members') = (corporation_id IS NOT NULL)",
            name=op.f("ck_workspace_room_members_have_corp"),
        ),
        sa.ForeignKeyConstraint(
            ["corporation_id"],
            ["corporation.id"],
            name=op.f("fk_workspace_room_corporation_id_corporation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_workspace_room_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_room")),
        sa.UniqueConstraint("room_id", name=op.f("uq_workspace_room_room_id")),
    )
    op.create_index(op.f("ix_workspace_room_corporation_id"), "workspace_room", ["corporation_id"])
    op.create_table(
        "workspace_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user.id"],
            name=op.f("fk_workspace_snapshot_author_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["workspace_room.id"],
            name=op.f("fk_workspace_snapshot_room_id_workspace_room"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_snapshot")),
        sa.UniqueConstraint("room_id", "version", name=op.f("uq_workspace_snapshot_room_id")),
    )


def downgrade() -> None:
    op.drop_table("workspace_snapshot")
    op.drop_index(op.f("ix_workspace_room_corporation_id"), table_name="workspace_room")
    op.drop_table("workspace_room")
