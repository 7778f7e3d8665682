"""tokens: who revoked a peer or personal token; joins the three branches into one head

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("peer_tokens", "personal_tokens")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("revoked_by", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f"fk_{table}_revoked_by", "users", ["revoked_by"], ["id"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_revoked_by", type_="foreignkey")
            batch_op.drop_column("revoked_by")
