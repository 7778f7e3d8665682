"""PostgreSQL search index, cheaper to write: the same vectors and vocabulary with fewer
instructions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Counted by callgrind in the database server, a COPY of 10,000 listings cost 187,000
instructions a row without the search index and 366,000 with migration 0016's: the
index nearly doubled the server's work. Three parts of it were overhead rather than
indexing (``directory.search.index.cheapen_vectors``):

- the plain words reached both vectors through the tsvector text parser, which reads
  every Khmer character through the locale's ``iswspace``; ``array_to_tsvector`` of the
  words split on spaces makes the same vector;
- the vocabulary trigger unnested each new row's names in a lateral function scan,
  which materialises a one-row result for every row;
- the vectors take more rows over the 2 kB at which PostgreSQL compresses the row's
  largest value, the document, with pglz; lz4 does it in a fraction of the instructions
  (a server built without lz4 keeps pglz). Documents stored before stay as they are.

The stored vectors are rewritten (the generated expressions changed), and keep their values.
SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from directory.search.index import cheapen_vectors

    cheapen_vectors(op.get_bind())


def downgrade() -> None:
    from directory.search.index import cheapen_vectors

    cheapen_vectors(op.get_bind(), back=True)
