"""The full-text index objects, kept by the database itself in the writer's transaction.

Every write path (service edits, imports, pulls) stores the words of a published
document in ``listings.search_names`` / ``listings.search_text`` (see
``directory.records``); the database derives its index from those columns:

- SQLite: an FTS5 table over them (external content, so the words are stored once;
  the ``ascii`` tokenizer, because the words are already split and case-folded and
  ``unicode61`` would split Khmer words at their vowel signs; column detail only, as
  each word is stored once per column) with 1- and 2-character prefix indexes for
  type-ahead and short Khmer queries, and an FTS5 trigram table over the name words
  for substrings of partial words. Triggers
  keep both in step with every INSERT, UPDATE and DELETE on ``listings``.
- PostgreSQL: a generated ``tsvector`` column (names weight A, the rest weight B)
  with a GIN index, and a pg_trgm GIN index over the name words.

So no write path can forget the index, and a write pays only the index update.
"""

from __future__ import annotations

from sqlalchemy import Connection

SQLITE_OBJECTS = ("listings_fts", "listings_trgm")
PG_COLUMNS = ("search_vector",)
EXPRESSION_INDEXES = (  # indexes SQLModel cannot declare; made by migrations 0008 and 0014
    "ix_listings_search",
    "ix_listings_names_trgm",
    "ix_listings_name_sort",
    "ix_listings_province_name",
)

_SQLITE_DDL = [
    "CREATE VIRTUAL TABLE listings_fts USING fts5(search_names, search_text, "
    "content='listings', content_rowid='rowid', "
    "tokenize='ascii', prefix='1 2', detail=column)",
    "CREATE VIRTUAL TABLE listings_trgm USING fts5(search_names, "
    "content='listings', content_rowid='rowid', tokenize='trigram case_sensitive 1')",
    """CREATE TRIGGER listings_search_ai AFTER INSERT ON listings BEGIN
        INSERT INTO listings_fts (rowid, search_names, search_text)
            VALUES (new.rowid, new.search_names, new.search_text);
        INSERT INTO listings_trgm (rowid, search_names) VALUES (new.rowid, new.search_names);
    END""",
    """CREATE TRIGGER listings_search_ad AFTER DELETE ON listings BEGIN
        INSERT INTO listings_fts (listings_fts, rowid, search_names, search_text)
            VALUES ('delete', old.rowid, old.search_names, old.search_text);
        INSERT INTO listings_trgm (listings_trgm, rowid, search_names)
            VALUES ('delete', old.rowid, old.search_names);
    END""",
    """CREATE TRIGGER listings_search_au_words AFTER UPDATE OF search_names, search_text
    ON listings WHEN old.search_names IS NOT new.search_names
        OR old.search_text IS NOT new.search_text BEGIN
        INSERT INTO listings_fts (listings_fts, rowid, search_names, search_text)
            VALUES ('delete', old.rowid, old.search_names, old.search_text);
        INSERT INTO listings_fts (rowid, search_names, search_text)
            VALUES (new.rowid, new.search_names, new.search_text);
    END""",
    """CREATE TRIGGER listings_search_au_names AFTER UPDATE OF search_names
    ON listings WHEN old.search_names IS NOT new.search_names BEGIN
        INSERT INTO listings_trgm (listings_trgm, rowid, search_names)
            VALUES ('delete', old.rowid, old.search_names);
        INSERT INTO listings_trgm (rowid, search_names) VALUES (new.rowid, new.search_names);
    END""",
    "CREATE INDEX ix_listings_name_sort ON listings (coalesce(name_en, name_km), id)",
]

_PG_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(search_names, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(search_text, '')), 'B')) STORED""",
    "CREATE INDEX ix_listings_search ON listings USING gin (search_vector)",
    "CREATE INDEX ix_listings_names_trgm ON listings USING gin (search_names gin_trgm_ops)",
    "CREATE INDEX ix_listings_name_sort ON listings (coalesce(name_en, name_km), id)",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS listings_search_ai",
    "DROP TRIGGER IF EXISTS listings_search_ad",
    "DROP TRIGGER IF EXISTS listings_search_au_words",
    "DROP TRIGGER IF EXISTS listings_search_au_names",
    "DROP TABLE IF EXISTS listings_fts",
    "DROP TABLE IF EXISTS listings_trgm",
    "DROP INDEX IF EXISTS ix_listings_name_sort",
]
_PG_DROP = [
    "DROP INDEX IF EXISTS ix_listings_name_sort",
    "DROP INDEX IF EXISTS ix_listings_names_trgm",
    "DROP INDEX IF EXISTS ix_listings_search",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
]


def create_search_index(conn: Connection) -> None:
    """Create the index objects for this database (a migration step)."""
    for sql in _SQLITE_DDL if conn.dialect.name == "sqlite" else _PG_DDL:
        conn.exec_driver_sql(sql)


def drop_search_index(conn: Connection) -> None:
    """Remove the index objects (the migration's downgrade)."""
    for sql in _SQLITE_DROP if conn.dialect.name == "sqlite" else _PG_DROP:
        conn.exec_driver_sql(sql)


def rebuild_search_index(conn: Connection) -> None:
    """Rebuild the SQLite FTS tables from ``listings`` (PostgreSQL's index needs no rebuild)."""
    if conn.dialect.name == "sqlite":
        for table in SQLITE_OBJECTS:
            conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the index objects the models do not declare (schema comparison skips them)."""
    if type_ == "table":
        return bool(name) and name.split("_")[0] == "listings" and _is_fts_table(name)
    if type_ == "column":
        return name in PG_COLUMNS
    if type_ == "index":
        return name in EXPRESSION_INDEXES
    return False


def _is_fts_table(name: str) -> bool:
    return any(name == t or name.startswith(f"{t}_") for t in SQLITE_OBJECTS)


def include_in_comparison(_object, name, type_, _reflected, _compare_to) -> bool:
    """Alembic ``include_object`` hook: leave the search index objects out of autogenerate."""
    return not is_search_object(name, type_)
