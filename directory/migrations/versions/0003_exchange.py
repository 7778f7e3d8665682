"""exchange: peer tokens and their use log

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("peer_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_peer_tokens_peer", ["peer_id"], unique=False)
        batch_op.create_index("uq_peer_tokens_hash", ["token_hash"], unique=True)

    op.create_table(
        "peer_token_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("endpoint", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("client_addr", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["peer_tokens.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("peer_token_uses", schema=None) as batch_op:
        batch_op.create_index("ix_peer_token_uses_token", ["token_id", "used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("peer_token_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_peer_token_uses_token")

    op.drop_table("peer_token_uses")
    with op.batch_alter_table("peer_tokens", schema=None) as batch_op:
        batch_op.drop_index("uq_peer_tokens_hash")
        batch_op.drop_index("ix_peer_tokens_peer")

    op.drop_table("peer_tokens")
