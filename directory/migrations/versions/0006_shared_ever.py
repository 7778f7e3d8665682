"""listings: every destination some published version was shared with (who gets tombstones)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Backfill: the current sharing of every listing, widened by the sharing of every
published revision (own records keep their history there). A withdrawn replica
has no history here: it reached this node through the hub or a direct share, so
it is marked hub-shared, which keeps sending its tombstone where it went before.
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ... ADD COLUMN: a batch copy of listings (SQLite) would drop a
    # table that revisions and the change log point at, and fail on any real data
    op.add_column(
        "listings",
        sa.Column("shared_hub_ever", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("listings", sa.Column("shared_peers_ever", sa.Text(), nullable=True))
    conn = op.get_bind()
    conn.execute(
        sa.text("UPDATE listings SET shared_hub_ever = share_hub, shared_peers_ever = share_peers")
    )
    conn.execute(
        sa.text(
            "UPDATE listings SET shared_hub_ever = :yes WHERE state = 'withdrawn' AND NOT EXISTS"
            " (SELECT 1 FROM revisions r WHERE r.listing_id = listings.id)"
        ),
        {"yes": True},
    )
    _widen_from_revisions(conn)


def _widen_from_revisions(conn) -> None:
    rows = conn.execute(
        sa.text(
            "SELECT r.listing_id, r.document, l.shared_hub_ever, l.shared_peers_ever"
            " FROM revisions r JOIN listings l ON l.id = r.listing_id"
            " WHERE r.state IN ('approved', 'published')"
        )
    )
    shared: dict[str, tuple[bool, set[str]]] = {}
    for listing_id, document, hub_ever, peers_ever in rows:
        hub, peers = shared.get(listing_id, (bool(hub_ever), set((peers_ever or "").split())))
        sharing = orjson.loads(document).get("sharing") or {}
        shared[listing_id] = (
            hub or bool(sharing.get("hub")),
            peers | set(sharing.get("peers", [])),
        )
    update = sa.text(
        "UPDATE listings SET shared_hub_ever = :hub, shared_peers_ever = :peers WHERE id = :id"
    )
    params = [
        {"id": lid, "hub": hub, "peers": f" {' '.join(sorted(peers))} " if peers else None}
        for lid, (hub, peers) in shared.items()
    ]
    if params:
        conn.execute(update, params)


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy of
    # listings would drop a table that revisions and the change log point at
    for column in ("shared_peers_ever", "shared_hub_ever"):
        op.execute(f"ALTER TABLE listings DROP COLUMN {column}")
