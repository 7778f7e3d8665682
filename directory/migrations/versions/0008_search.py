"""search: word columns, facet columns, full-text indexes (FTS5 / tsvector + pg_trgm), backfill

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS = ("search_names", "search_text", "hs_codes", "export_markets", "registration_number")


def upgrade() -> None:
    from directory.search.index import create_search_index, rebuild_search_index

    op.add_column("listings", sa.Column("search_names", sa.Text(), nullable=True))
    op.add_column("listings", sa.Column("hs_codes", sa.Text(), nullable=True))
    op.add_column("listings", sa.Column("export_markets", sa.Text(), nullable=True))
    op.add_column(
        "listings",
        sa.Column(
            "registration_number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True
        ),
    )
    op.create_index("ix_listings_registration", "listings", ["registration_number"])
    op.create_index("ix_listings_created", "listings", ["created_at", "id"])
    conn = op.get_bind()
    _backfill(conn)
    create_search_index(conn)
    rebuild_search_index(conn)


def _backfill(conn) -> None:
    """Fill the new columns of every published listing from its stored document."""
    from directory.records import listing_columns, parse_json
    from directory.services.changes import isic_sections

    sections = isic_sections()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{c} = {mark}" for c in NEW_COLUMNS)
    sql = f"UPDATE listings SET {assignments} WHERE id = {mark}"
    rows = conn.exec_driver_sql(
        "SELECT id, document FROM listings WHERE state = 'published' AND document IS NOT NULL"
    ).all()
    for start in range(0, len(rows), 1000):
        batch = []
        for rid, document in rows[start : start + 1000]:
            cols = listing_columns(parse_json(document), sections)
            batch.append((*(cols[c] for c in NEW_COLUMNS), rid))
        conn.exec_driver_sql(sql, batch)


def downgrade() -> None:
    from directory.search.index import drop_search_index

    drop_search_index(op.get_bind())
    op.drop_index("ix_listings_created", table_name="listings")
    op.drop_index("ix_listings_registration", table_name="listings")
    for column in ("registration_number", "export_markets", "hs_codes", "search_names"):
        op.drop_column("listings", column)
