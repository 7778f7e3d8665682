"""trust: ownership claims, freshness (confirmed_at, lapsed, reminders), bounced mail

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lapsed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", UTC_TIME(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_bounced_at", UTC_TIME(), nullable=True))
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", UTC_TIME(), nullable=False),
        sa.Column("decided_at", UTC_TIME(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'approved', 'refused')", name="ck_claims_state"),
        sa.CheckConstraint(
            "role IN ('owner', 'manager', 'employee', 'representative')", name="ck_claims_role"
        ),
        sa.CheckConstraint(
            "state = 'pending' OR decided_at IS NOT NULL", name="ck_claims_decision_has_time"
        ),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.ForeignKeyConstraint(["claimant_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_claims_one_pending",
        "claims",
        ["listing_id", "claimant_id"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_claims_state", "claims", ["state", "created_at"])
    op.create_table(
        "freshness_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("period_start", UTC_TIME(), nullable=False),
        sa.Column("created_at", UTC_TIME(), nullable=False),
        sa.Column("sent_to", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.CheckConstraint("kind IN ('before', 'expiry')", name="ck_freshness_reminders_kind"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_freshness_reminders",
        "freshness_reminders",
        ["listing_id", "kind", "period_start"],
        unique=True,
    )
    # a lapsed record is marked in its document; none is before this revision
    op.execute("UPDATE listings SET lapsed = false WHERE state = 'published'")


def downgrade() -> None:
    op.drop_index("uq_freshness_reminders", table_name="freshness_reminders")
    op.drop_table("freshness_reminders")
    op.drop_index("ix_claims_state", table_name="claims")
    op.drop_index("uq_claims_one_pending", table_name="claims")
    op.drop_table("claims")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("mail_bounced_at")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("lapsed")
