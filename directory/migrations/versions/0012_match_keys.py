"""duplicates: blocking keys of every listing, and pairs declared not the same business

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

Backfill: the keys of every published document and of every revision waiting for
review (``directory/services/match_keys.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_match_keys",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("listing_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("key", "listing_id"),
        sqlite_with_rowid=False,  # the primary key is the table: one B-tree less to write
    )
    op.create_index("ix_listing_match_keys_listing", "listing_match_keys", ["listing_id"])
    op.create_table(
        "distinct_pairs",
        sa.Column("listing_a", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("listing_b", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("listing_a < listing_b", name="ck_distinct_pairs_order"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("listing_a", "listing_b"),
    )
    op.create_index("ix_distinct_pairs_b", "distinct_pairs", ["listing_b"])
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    from directory.records import parse_json
    from directory.services.match_keys import match_keys, store_match_keys

    keys: dict[str, set[str]] = {}
    published = conn.exec_driver_sql(
        "SELECT id, document FROM listings WHERE state = 'published' AND document IS NOT NULL"
    )
    pending = conn.exec_driver_sql(
        "SELECT listing_id, document FROM revisions WHERE state = 'pending'"
    )
    for rid, document in [*published.all(), *pending.all()]:
        keys.setdefault(rid, set()).update(match_keys(parse_json(document)))
    store_match_keys(conn, keys, fresh=True)


def downgrade() -> None:
    op.drop_index("ix_distinct_pairs_b", table_name="distinct_pairs")
    op.drop_table("distinct_pairs")
    op.drop_index("ix_listing_match_keys_listing", table_name="listing_match_keys")
    op.drop_table("listing_match_keys")
