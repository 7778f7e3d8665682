"""sync: checkpoints, run history, quarantine, push receipts, held runs, scheduler lease

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sync_checkpoints",
        sa.Column("peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("direction IN ('pull', 'push')", name="ck_ckpt_dir"),
        sa.PrimaryKeyConstraint("peer", "direction"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("conflict", sa.Integer(), nullable=False),
        sa.Column("cursor_before", sa.Text(), nullable=True),
        sa.Column("cursor_after", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('running', 'success', 'failed', 'held', 'skipped', 'interrupted')",
            name="ck_sync_runs_outcome",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_runs_peer", ["peer", "direction", "started_at"], unique=False
        )
        batch_op.create_index("ix_sync_runs_started", ["started_at"], unique=False)

    op.create_table(
        "held_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("cursor_before", sa.Text(), nullable=True),
        sa.Column("cursor_after", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("tombstones", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'discarded')", name="ck_held_runs_state"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_runs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_held_runs_one_pending",
            ["peer"],
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )

    op.create_table(
        "push_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("errors", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("push_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_push_receipts_peer_status", ["peer", "status"], unique=False)
        batch_op.create_index("ix_push_receipts_record", ["record_id", "at"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_quarantine_open", ["peer", "resolved_at"], unique=False)
        batch_op.create_index("ix_quarantine_record", ["record_id"], unique=False)

    op.create_table(
        "held_run_pages",
        sa.Column("held_run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("cursor_before", sa.Text(), nullable=True),
        sa.Column("next_cursor", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["held_run_id"],
            ["held_runs.id"],
        ),
        sa.PrimaryKeyConstraint("held_run_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("held_run_pages")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_record")
        batch_op.drop_index("ix_quarantine_open")

    op.drop_table("quarantine")
    with op.batch_alter_table("push_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_push_receipts_record")
        batch_op.drop_index("ix_push_receipts_peer_status")

    op.drop_table("push_receipts")
    with op.batch_alter_table("held_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_held_runs_one_pending",
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )

    op.drop_table("held_runs")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_started")
        batch_op.drop_index("ix_sync_runs_peer")

    op.drop_table("sync_runs")
    op.drop_table("sync_checkpoints")
    op.drop_table("scheduler_lease")
