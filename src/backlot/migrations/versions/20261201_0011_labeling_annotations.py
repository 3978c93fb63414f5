"""labeling: label sets, image sizes, annotations with their versions and fencing token

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("labeling_project") as batch:
        batch.add_column(sa.Column("labels", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("labeling_file") as batch:
        batch.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("annotation_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("annotation_token", sa.BigInteger(), nullable=True))
    op.create_table(
        "labeling_annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("shapes", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["labeling_file.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("labeling_annotation")
    with op.batch_alter_table("labeling_file") as batch:
        batch.drop_column("annotation_token")
        batch.drop_column("annotation_version")
        batch.drop_column("height")
        batch.drop_column("width")
    with op.batch_alter_table("labeling_project") as batch:
        batch.drop_column("labels")
