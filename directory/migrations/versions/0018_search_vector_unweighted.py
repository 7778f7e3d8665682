"""PostgreSQL search index: ``search_vector`` as one array of every word; the names
weigh in the rank through ``names_vector``

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

Counted by callgrind in the database server (``benchmarks/bench_pg_instructions.py``), a
COPY of 10,000 listings cost 177,000 instructions a row without the search index and
310,000 with migration 0017's. A fifth of the index's part went to giving the names
their weight in ``search_vector``: ``to_tsvector`` parses the name words for their
positions, ``setweight`` marks them A, and ``||`` joins them to the other words.
``names_vector`` already holds the name words alone, so the rank now reads the names'
weight from it (``directory.search.queries.PG_RANK``), and ``search_vector`` is made of
every word as one array, like ``names_vector``: the same lexemes, without positions or
weights (``directory.search.index.unweight_search_vector``).

The relevance bands and the queries that find a listing are unchanged; within a band,
the multi-word proximity of the name words no longer counts. SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from directory.search.index import unweight_search_vector

    unweight_search_vector(op.get_bind())


def downgrade() -> None:
    from directory.search.index import unweight_search_vector

    unweight_search_vector(op.get_bind(), back=True)
