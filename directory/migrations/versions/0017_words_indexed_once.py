"""PostgreSQL search index: each word indexed once, the name words no longer in a second
vector with the rest

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Migration 0016's ``search_vector`` held the name words again (parsed, with weight A)
beside the other words, while ``names_vector`` already held them: every name word
was indexed twice. ``text_vector`` replaces it with the other words alone (products,
HS codes, descriptions, district and commune), cast, so the write no longer runs
the text parser at all. A word hit is now a listing holding each term in one
vector or the other (``directory.search.queries``). SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from directory.search.index import index_words_once

    index_words_once(op.get_bind())


def downgrade() -> None:
    from directory.search.index import index_words_once

    index_words_once(op.get_bind(), back=True)
