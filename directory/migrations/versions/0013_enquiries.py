"""enquiries: buyer enquiries, their exchange messages, limits, blocked senders, saved searches

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enquiry_counters",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("enquiry_counters", schema=None) as batch_op:
        batch_op.create_index("ix_enquiry_counters_until", ["until"], unique=False)

    op.create_table(
        "enquiry_messages",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("enquiry_uid", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("from_node", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("to_node", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("next_hop", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_from", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'received', 'failed')", name="ck_enquiry_messages_state"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enquiry_messages", schema=None) as batch_op:
        batch_op.create_index("ix_enquiry_messages_created", ["created_at"], unique=False)
        batch_op.create_index("ix_enquiry_messages_enquiry", ["enquiry_uid"], unique=False)
        batch_op.create_index(
            "ix_enquiry_messages_outbox", ["next_hop", "state", "created_at"], unique=False
        )

    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("mailed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index("ix_saved_searches_email", ["email"], unique=False)

    op.create_table(
        "enquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("listing_origin", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sender_node", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sender_ref", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("hs_code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("target_market", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("sender_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("sender_user_id", sa.Integer(), nullable=True),
        sa.Column("sender_contact", sa.Text(), nullable=True),
        sa.Column("owner_contact", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("refusal", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("province", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('unconfirmed', 'new', 'read', 'answered', 'declined', 'expired', 'refused')",
            name="ck_enquiries_state",
        ),
        sa.ForeignKeyConstraint(
            ["sender_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.create_index("ix_enquiries_created", ["created_at"], unique=False)
        batch_op.create_index("ix_enquiries_listing", ["listing_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_enquiries_origin_state", ["listing_origin", "state"], unique=False
        )
        batch_op.create_index("uq_enquiries_uid", ["uid"], unique=True)

    op.create_table(
        "enquiry_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_ref", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enquiry_blocks", schema=None) as batch_op:
        batch_op.create_index("uq_enquiry_blocks_ref", ["sender_ref"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("enquiry_blocks", schema=None) as batch_op:
        batch_op.drop_index("uq_enquiry_blocks_ref")

    op.drop_table("enquiry_blocks")
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_index("uq_enquiries_uid")
        batch_op.drop_index("ix_enquiries_origin_state")
        batch_op.drop_index("ix_enquiries_listing")
        batch_op.drop_index("ix_enquiries_created")

    op.drop_table("enquiries")
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_searches_email")

    op.drop_table("saved_searches")
    with op.batch_alter_table("enquiry_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiry_messages_outbox")
        batch_op.drop_index("ix_enquiry_messages_enquiry")
        batch_op.drop_index("ix_enquiry_messages_created")

    op.drop_table("enquiry_messages")
    with op.batch_alter_table("enquiry_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiry_counters_until")

    op.drop_table("enquiry_counters")
