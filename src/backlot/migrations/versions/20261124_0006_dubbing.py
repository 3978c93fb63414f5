"""dubbing: scripts, actors, lines, analysis jobs, bookmarks, webhook deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dubbing_webhook_delivery",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dubbing_webhook_delivery")),
    )
    op.create_table(
        "dubbing_script",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("corporation_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('movie', 'drama')", name=op.f("ck_dubbing_script_kind")),
        sa.ForeignKeyConstraint(
            ["corporation_id"],
            ["corporation.id"],
            name=op.f("fk_dubbing_script_corporation_id_corporation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dubbing_script")),
    )
    with op.batch_alter_table("dubbing_script", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dubbing_script_title"), ["title"], unique=False)

    op.create_table(
        "dubbing_actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["script_id"],
            ["dubbing_script.id"],
            name=op.f("fk_dubbing_actor_script_id_dubbing_script"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dubbing_actor")),
    )
    with op.batch_alter_table("dubbing_actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dubbing_actor_script_id"), ["script_id"], unique=False)

    op.create_table(
        "dubbing_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_time", sa.Float(), nullable=True),
        sa.Column("end_time", sa.Float(), nullable=True),
        sa.Column("audio_key", sa.String(length=300), nullable=True),
        sa.Column("audio_type", sa.String(length=100), nullable=True),
        sa.Column("audio_size", sa.Integer(), nullable=True),
        sa.Column("audio_seconds", sa.Float(), nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["dubbing_actor.id"],
            name=op.f("fk_dubbing_token_actor_id_dubbing_actor"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["script_id"],
            ["dubbing_script.id"],
            name=op.f("fk_dubbing_token_script_id_dubbing_script"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dubbing_token")),
    )
    with op.batch_alter_table("dubbing_token", schema=None) as batch_op:
        batch_op.create_index("ix_dubbing_token_script_order", ["script_id", "order"], unique=False)

    op.create_table(
        "dubbing_bookmark",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["dubbing_token.id"],
            name=op.f("fk_dubbing_bookmark_token_id_dubbing_token"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_dubbing_bookmark_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "token_id", name=op.f("pk_dubbing_bookmark")),
    )
    op.create_table(
        "dubbing_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("audio_key", sa.String(length=300), nullable=False),
        sa.Column("audio_type", sa.String(length=100), nullable=False),
        sa.Column("audio_size", sa.Integer(), nullable=False),
        sa.Column("audio_seconds", sa.Float(), nullable=False),
        sa.Column("analyzer", sa.String(length=16), nullable=False),
        sa.Column("pronunciation_score", sa.Float(), nullable=True),
        sa.Column("intonation_score", sa.Float(), nullable=True),
        sa.Column("emotion_score", sa.Float(), nullable=True),
        sa.Column("timing_score", sa.Float(), nullable=True),
        sa.Column("overall_score", sa.Float(), nullable=True),
        sa.Column("detailed_feedback", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("heartbeat_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["dubbing_token.id"],
            name=op.f("fk_dubbing_job_token_id_dubbing_token"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_dubbing_job_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dubbing_job")),
    )
    with op.batch_alter_table("dubbing_job", schema=None) as batch_op:
        batch_op.create_index("ix_dubbing_job_state_beat", ["state", "heartbeat_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dubbing_job_token_id"), ["token_id"], unique=False)
        batch_op.create_index(
            "ix_dubbing_job_user_created", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dubbing_job", schema=None) as batch_op:
        batch_op.drop_index("ix_dubbing_job_user_created")
        batch_op.drop_index(batch_op.f("ix_dubbing_job_token_id"))
        batch_op.drop_index("ix_dubbing_job_state_beat")

    op.drop_table("dubbing_job")
    op.drop_table("dubbing_bookmark")
    with op.batch_alter_table("dubbing_token", schema=None) as batch_op:
        batch_op.drop_index("ix_dubbing_token_script_order")

    op.drop_table("dubbing_token")
    with op.batch_alter_table("dubbing_actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dubbing_actor_script_id"))

    op.drop_table("dubbing_actor")
    with op.batch_alter_table("dubbing_script", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dubbing_script_title"))

    op.drop_table("dubbing_script")
    op.drop_table("dubbing_webhook_delivery")
