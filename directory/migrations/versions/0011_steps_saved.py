"""listings: the listing form steps the owner saved (progress counts them as done)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ... ADD COLUMN, as in 0006: a batch copy of listings would drop a
    # table that revisions and the change log point at
    op.add_column("listings", sa.Column("steps_saved", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35, PostgreSQL), as in 0006
    op.execute("ALTER TABLE listings DROP COLUMN steps_saved")
