"""listings: whether some published version was public (only those are OAI-PMH items)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Backfill: the current public sharing, widened by the sharing of every published
revision (own records keep their history there). A withdrawn replica has no
history here; it stays an item (a deleted one), as harvesters may hold it from
before this column existed.
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ... ADD COLUMN, as in 0006: a batch copy of listings would drop a
    # table that revisions and the change log point at
    op.add_column(
        "listings",
        sa.Column("shared_public_ever", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE listings SET shared_public_ever = share_public"))
    conn.execute(
        sa.text(
            "UPDATE listings SET shared_public_ever = :yes WHERE state = 'withdrawn' AND NOT EXISTS"
            " (SELECT 1 FROM revisions r WHERE r.listing_id = listings.id)"
        ),
        {"yes": True},
    )
    rows = conn.execute(
        sa.text(
            "SELECT listing_id, document FROM revisions WHERE state IN ('approved', 'published')"
        )
    )
    public = {lid for lid, doc in rows if (orjson.loads(doc).get("sharing") or {}).get("public")}
    if public:
        conn.execute(
            sa.text("UPDATE listings SET shared_public_ever = :yes WHERE id = :id"),
            [{"yes": True, "id": lid} for lid in sorted(public)],
        )


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35, PostgreSQL), as in 0006
    op.execute("ALTER TABLE listings DROP COLUMN shared_public_ever")
