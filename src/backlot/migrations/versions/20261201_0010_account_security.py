"""account security: verified emails, session generations, mailed link tokens

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTERs, not batch mode: recreating "user" on SQLite would lose the
    # expression index on lower(email).
    op.add_column(
        "user", sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "user", sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
    )
    # Google vouched for these addresses; superusers were made by the operator.
    op.execute(
        'UPDATE "user" SET email_verified = true WHERE is_superuser OR google_sub IS NOT NULL'
    )
    op.create_table(
        "email_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expired_at", UTC_TIME, nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('verify_email', 'password_reset')", name=op.f("ck_email_token_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_email_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_token_token_hash")),
    )
    op.create_index(op.f("ix_email_token_user_id"), "email_token", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_email_token_user_id"), table_name="email_token")
    op.drop_table("email_token")
    op.drop_column("user", "session_generation")
    op.drop_column("user", "email_verified")
