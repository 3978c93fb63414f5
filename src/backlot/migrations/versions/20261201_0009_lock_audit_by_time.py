"""labeling: lock audit rows by time, for the retention job

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_labeling_lock_event_at", "labeling_lock_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_labeling_lock_event_at", table_name="labeling_lock_event")
