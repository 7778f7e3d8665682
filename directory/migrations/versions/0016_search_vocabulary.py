"""PostgreSQL search index, cheaper to write: a names vector and the name words' vocabulary
replace the trigram index over every listing's names

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Measured on a full pull, migration 0008's index made PostgreSQL's writes 15-20%
slower, against a target of 10%. Of its cost per row, the trigram index over the
names (37 trigrams a listing) and the text parser run on words that are already
split were the two largest parts. Now (``directory.search.index``):

- ``search_vector`` casts the non-name words to a tsvector instead of parsing them;
- ``names_vector``, the name words alone with a GIN index, answers "every term in
  the names" without the trigram index (and for 1- and 2-character terms too);
- ``search_words`` holds each name word once, with the trigram index, for substrings.

Words over ``MAX_WORD`` characters were never searchable (to_tsvector skipped those
over 2,047 bytes) and a cast refuses them, so the few listings holding one get their
word columns written again first. SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from directory.search.index import replace_first_design

    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _rewrite_long_words(conn)
    replace_first_design(conn)


def _rewrite_long_words(conn) -> None:
    from directory.records import listing_columns, parse_json
    from directory.search.tokens import MAX_WORD
    from directory.services.changes import isic_sections

    sections = isic_sections()
    long_word = f"[^ ]{{{MAX_WORD + 1},}}"
    rows = conn.exec_driver_sql(
        "SELECT id, document FROM listings WHERE document IS NOT NULL"
        " AND (search_names ~ %(w)s OR search_text ~ %(w)s)",
        {"w": long_word},
    ).all()
    for rid, document in rows:
        cols = listing_columns(parse_json(document), sections)
        conn.exec_driver_sql(
            "UPDATE listings SET search_names = %s, search_text = %s WHERE id = %s",
            (cols["search_names"], cols["search_text"], rid),
        )


def downgrade() -> None:
    from directory.search.index import replace_first_design

    replace_first_design(op.get_bind(), back=True)
