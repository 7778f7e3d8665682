"""saved searches can be paused by the buyer (My saved searches)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

A signed-in buyer lists their saved searches and pauses or resumes the daily mail of
one; ``paused_at`` is set while it is paused, and the daily job skips it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("saved_searches") as batch:
        batch.add_column(sa.Column("paused_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_searches") as batch:
        batch.drop_column("paused_at")
