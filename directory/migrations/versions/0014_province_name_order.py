"""listings by province in name order: one index for both (replaces ix_listings_province)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

A search filtered by province is shown in name order. With an index on province
alone, SQLite read every listing of the province (20,000 rows at 100,000 listings,
whole documents) to sort them for a page of 20: 110 ms. Ordered by name within the
province, the page is read straight off the index. The province alone (browse
counts, stats) uses the index's first column, so the write path keeps one index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = (
    "CREATE INDEX ix_listings_province_name ON listings (province, coalesce(name_en, name_km), id)"
)


def upgrade() -> None:
    op.get_bind().exec_driver_sql(INDEX)
    op.drop_index("ix_listings_province", table_name="listings")


def downgrade() -> None:
    op.create_index("ix_listings_province", "listings", ["province"])
    op.get_bind().exec_driver_sql("DROP INDEX ix_listings_province_name")
