"""foundation: users, listings, revisions, review decisions, change log

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index("ix_change_log_record", ["record_id", "seq"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("auth_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'focal_point', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("uq_users_email", ["email"], unique=True)

    op.create_table(
        "listings",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("source_peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("name_km", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("province", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("sectors", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("isic_sections", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("size_class", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("legal_form", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("women_owned", sa.Boolean(), nullable=True),
        sa.Column("youth_owned", sa.Boolean(), nullable=True),
        sa.Column("share_public", sa.Boolean(), nullable=False),
        sa.Column("share_hub", sa.Boolean(), nullable=False),
        sa.Column("share_peers", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'withdrawn')", name="ck_listings_state"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_change_seq", ["change_seq"], unique=True)
        batch_op.create_index("ix_listings_origin", ["origin"], unique=False)
        batch_op.create_index("ix_listings_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_listings_province", ["province"], unique=False)

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("source_peer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("changed_fields", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "NOT (state IN ('approved', 'rejected', 'changes_requested')) OR reviewer_id IS NOT NULL",
            name="ck_revisions_decision_has_reviewer",
        ),
        sa.CheckConstraint("kind IN ('new', 'edit', 'remote', 'import')", name="ck_revisions_kind"),
        sa.CheckConstraint(
            "state IN ('draft', 'pending', 'changes_requested', 'approved', 'published', 'rejected', 'superseded')",
            name="ck_revisions_state",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.create_index("ix_revisions_listing", ["listing_id", "number"], unique=False)
        batch_op.create_index("ix_revisions_state", ["state", "submitted_at"], unique=False)
        batch_op.create_index(
            "uq_revisions_one_open",
            ["listing_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('draft', 'pending', 'changes_requested')"),
            postgresql_where=sa.text("state IN ('draft', 'pending', 'changes_requested')"),
        )

    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('approve', 'request_changes', 'reject')",
            name="ck_review_decisions_decision",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_review_decisions_listing", ["listing_id"], unique=False)

    op.execute("INSERT INTO change_counter (id, value) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decisions_listing")

    op.drop_table("review_decisions")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_revisions_one_open",
            sqlite_where=sa.text("state IN ('draft', 'pending', 'changes_requested')"),
            postgresql_where=sa.text("state IN ('draft', 'pending', 'changes_requested')"),
        )
        batch_op.drop_index("ix_revisions_state")
        batch_op.drop_index("ix_revisions_listing")

    op.drop_table("revisions")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_province")
        batch_op.drop_index("ix_listings_owner")
        batch_op.drop_index("ix_listings_origin")
        batch_op.drop_index("ix_listings_change_seq")

    op.drop_table("listings")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_email")

    op.drop_table("users")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index("ix_change_log_record")

    op.drop_table("change_log")
    op.drop_table("change_counter")
