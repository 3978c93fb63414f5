"""workspace: room creators' flags and quotas; compressed, deduplicated snapshots

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspace_room", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous_edit", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("snapshot_bytes", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_workspace_room_created_by_id"), ["created_by_id"], unique=False
        )
    with op.batch_alter_table("workspace_snapshot", schema=None) as batch_op:
        batch_op.alter_column("xml", existing_type=sa.Text(), nullable=True)
        batch_op.add_column(sa.Column("xml_z", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("stored_bytes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_workspace_snapshot_created_at"), ["created_at"], unique=False
        )
    # Existing plain rows stay as they are (readers take either form); they count
    # towards their room's quota from now on.
    op.execute(
        "UPDATE workspace_snapshot SET size = length(xml), stored_bytes = length(xml) "
        "WHERE xml IS NOT NULL"
    )
    op.execute(
        "UPDATE workspace_room SET snapshot_bytes = (SELECT coalesce(sum(s.stored_bytes), 0) "
        "FROM workspace_snapshot s WHERE s.room_id = workspace_room.id)"
    )


def downgrade() -> None:
    # Compressed rows go back to plain XML, so nothing is lost going down.
    snapshots = sa.table(
        "workspace_snapshot",
        sa.column("id", sa.Integer()),
        sa.column("xml", sa.Text()),
        sa.column("xml_z", sa.LargeBinary()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(snapshots.c.id, snapshots.c.xml_z).where(snapshots.c.xml.is_(None))
    ).all()
    for row_id, packed in rows:
        connection.execute(
            snapshots.update()
            .where(snapshots.c.id == row_id)
            .values(xml=zlib.decompress(packed or b"").decode())
        )
    with op.batch_alter_table("workspace_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_snapshot_created_at"))
        batch_op.drop_column("stored_bytes")
        batch_op.drop_column("size")
        batch_op.drop_column("digest")
        batch_op.drop_column("xml_z")
        batch_op.alter_column("xml", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("workspace_room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_room_created_by_id"))
        batch_op.drop_column("snapshot_bytes")
        batch_op.drop_column("anonymous_edit")
