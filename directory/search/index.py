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
- PostgreSQL: two generated ``tsvector`` columns with a GIN index each, and the name
  words' vocabulary with a pg_trgm index:

  - ``search_vector``: every word, the names' and the rest's, so "every term somewhere"
    is one index lookup;
  - ``names_vector``: the name words alone, so "every term in the names" (the first
    relevance band) is one index lookup, also for 1- and 2-character Khmer prefixes,
    and the rank weighs the names above the rest by reading both vectors;
  - ``search_words``: every name word once, filled by triggers (once an INSERT
    statement, once a row whose names an UPDATE changed); a substring inside words
    ("epper") is looked up in its trigram index, and the name words found are matched
    in ``names_vector``.

  The words are already split and case-folded, so both vectors take them as an array
  (``array_to_tsvector``: no text parser; migration 0017, and 0018 for the names in
  ``search_vector``, which 0016 and 0017 parsed for a weight A). That, and the trigram
  index over a few thousand distinct words instead of every listing's names (37
  trigrams a row), made the index a third cheaper to write than the first design
  (migration 0016); 0017 took off a quarter more (instructions of the server,
  ``benchmarks/bench_pg_instructions.py``), also by compressing the documents with
  lz4, as the vectors take more rows past the size at which PostgreSQL compresses a
  row, and 0018 a fifth of what was left.

So no write path can forget the index, and a write pays only the index update.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import NotSupportedError

SQLITE_OBJECTS = ("listings_fts", "listings_trgm")
PG_COLUMNS = ("search_vector", "names_vector")
PG_TABLES = ("search_words",)
EXPRESSION_INDEXES = (  # indexes SQLModel cannot declare; made by migrations 0008, 0014, 0016
    "ix_listings_search",
    "ix_listings_names",
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

_NAME_SORT = "CREATE INDEX ix_listings_name_sort ON listings (coalesce(name_en, name_km), id)"

# migration 0008's objects: kept to migrate from and back to
_PG_OBJECTS_0008 = [
    """ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(search_names, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(search_text, '')), 'B')) STORED""",
    "CREATE INDEX ix_listings_search ON listings USING gin (search_vector)",
    "CREATE INDEX ix_listings_names_trgm ON listings USING gin (search_names gin_trgm_ops)",
]
_PG_DDL_0008 = ["CREATE EXTENSION IF NOT EXISTS pg_trgm", *_PG_OBJECTS_0008, _NAME_SORT]
_PG_DROP_0008 = [
    "DROP INDEX IF EXISTS ix_listings_names_trgm",
    "DROP INDEX IF EXISTS ix_listings_search",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
]


_WORDS_0016 = "SELECT DISTINCT w FROM {source}, unnest(string_to_array(search_names, ' ')) w"
# the words by a set-returning function in the select list: a lateral unnest materialised
# a one-row function result for every new row, 3.6% of a COPY's instructions with 0016
_WORDS = (
    "SELECT DISTINCT w FROM (SELECT unnest(string_to_array(search_names, ' ')) AS w"
    " FROM {source}) AS words"
)


def _words_from(source: str, select: str) -> str:
    """The INSERT of the name words of ``source`` (a FROM list with ``search_names``) into
    the vocabulary; sorted, so concurrent writers take the new words' index entries in
    one order (no deadlock)."""
    return f"""INSERT INTO search_words (word)
        {select.format(source=source)}
        ORDER BY w
        ON CONFLICT DO NOTHING"""


_RENAMED = "(SELECT NEW.search_names) AS renamed (search_names)"


def _words_triggers(select: str) -> list[str]:
    """The vocabulary's two trigger functions: a statement's new rows, a row's new names."""
    return [
        f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_words_from(source, select)};
    RETURN NULL;
END $$"""
        for name, source in (("search_words_add", "new_rows"), ("search_words_renamed", _RENAMED))
    ]


def _cast(column: str) -> str:
    return f"CAST(coalesce({column}, '') AS tsvector)"


def _array(column: str) -> str:
    """The words of a column as a tsvector without its text parser: split on the spaces
    (the words hold none, nor quotes or colons, see ``tokens.WORD``), as ``_cast`` reads
    them, but not character by character through the locale's ``iswspace``."""
    return _words_array(f"coalesce({column}, '')")


def _words_array(text: str) -> str:
    """A text expression's space-separated words as a tsvector (no parser, no positions)."""
    return f"array_to_tsvector(array_remove(string_to_array({text}, ' '), ''))"


def _weighted(words) -> str:
    """``search_vector`` of migrations 0016 and 0017: the name words parsed for their
    positions and weight A, then the other words (taken by ``words``) without positions."""
    return f"""setweight(to_tsvector('simple', coalesce(search_names, '')), 'A')
        || {words("search_text")}"""


# ``search_vector`` of this design (migration 0018): the name words and the others as one
# array, neither parsed nor weighted; the names weigh in the rank through ``names_vector``
# (``queries.PG_RANK``). The parse, the weights and the concatenation were a fifth of the
# index's instructions on a write.
_ALL_WORDS = _words_array("coalesce(search_names, '') || ' ' || coalesce(search_text, '')")


_SEARCH_GIN = "CREATE INDEX ix_listings_search ON listings USING gin (search_vector)"
_DROP_SEARCH_VECTOR = [
    "DROP INDEX IF EXISTS ix_listings_search",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
]


def _vectors(words, search: str | None = None) -> list[str]:
    """The two generated vectors and their GIN indexes, the plain words taken by ``words``
    and ``search_vector`` by ``search`` (0016 and 0017's weighted one if not given)."""
    return [
        # one statement, so the table is rewritten once
        f"""ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {search or _weighted(words)}) STORED,
        ADD COLUMN names_vector tsvector GENERATED ALWAYS AS ({words("search_names")}) STORED""",
        _SEARCH_GIN,
        "CREATE INDEX ix_listings_names ON listings USING gin (names_vector)",
    ]


def _pg_objects(words, select: str, search: str | None = None) -> list[str]:
    return [
        *_vectors(words, search),
        "CREATE TABLE search_words (word text PRIMARY KEY)",
        "CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)",
        *_words_triggers(select),
        # new rows come in batches (COPY), so once a statement; an update of other columns
        # (most of them) costs nothing, and a changed name once a row
        """CREATE TRIGGER listings_words_ai AFTER INSERT ON listings
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_words_add()""",
        """CREATE TRIGGER listings_words_au AFTER UPDATE OF search_names ON listings FOR EACH ROW
        WHEN (OLD.search_names IS DISTINCT FROM NEW.search_names)
        EXECUTE FUNCTION search_words_renamed()""",
        _words_from("listings", select),
    ]


_PG_VECTORS = _pg_objects(_cast, _WORDS_0016)  # migration 0016's design
# migration 0017: the same vectors, vocabulary and queries, cheaper to write
_LZ4 = "ALTER TABLE listings ALTER COLUMN document SET COMPRESSION lz4"
_COMPRESSION_DEFAULT = "ALTER TABLE listings ALTER COLUMN document SET COMPRESSION default"
_PG_OBJECTS_0017 = [*_pg_objects(_array, _WORDS), _LZ4]
# this design (migration 0018): ``search_vector`` as one array of every word
PG_OBJECTS = [*_pg_objects(_array, _WORDS, _ALL_WORDS), _LZ4]
_DROP_VECTOR_COLUMNS = [
    "DROP INDEX IF EXISTS ix_listings_names",
    "ALTER TABLE listings DROP COLUMN IF EXISTS names_vector",
    *_DROP_SEARCH_VECTOR,
]
_PG_DROP_VECTORS = [
    "DROP TRIGGER IF EXISTS listings_words_au ON listings",
    "DROP TRIGGER IF EXISTS listings_words_ai ON listings",
    "DROP FUNCTION IF EXISTS search_words_add()",
    "DROP FUNCTION IF EXISTS search_words_renamed()",
    "DROP TABLE IF EXISTS search_words",
    *_DROP_VECTOR_COLUMNS,
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


def create_search_index(conn: Connection) -> None:
    """Create the index objects as migration 0008 made them (0016 then replaces
    PostgreSQL's, see ``replace_first_design``)."""
    for sql in _SQLITE_DDL if conn.dialect.name == "sqlite" else _PG_DDL_0008:
        conn.exec_driver_sql(sql)


def drop_search_index(conn: Connection) -> None:
    """Remove the index objects, of either design (a migration's downgrade, the benchmark)."""
    if conn.dialect.name == "sqlite":
        ddl = _SQLITE_DROP
    else:
        ddl = ["DROP INDEX IF EXISTS ix_listings_name_sort", *_PG_DROP_0008, *_PG_DROP_VECTORS]
    for sql in ddl:
        conn.exec_driver_sql(sql)


def replace_first_design(conn: Connection, *, back: bool = False) -> None:
    """PostgreSQL: from migration 0008's vector and names' trigram index to the two vectors
    and the vocabulary (migration 0016), or ``back``."""
    if conn.dialect.name != "postgresql":
        return
    for sql in [*_PG_DROP_VECTORS, *_PG_OBJECTS_0008] if back else [*_PG_DROP_0008, *_PG_VECTORS]:
        conn.exec_driver_sql(sql)


def cheapen_vectors(conn: Connection, *, back: bool = False) -> None:
    """PostgreSQL: from migration 0016's vectors and vocabulary triggers to this design's
    (migration 0017), or ``back``: the same values, written with fewer instructions.

    The plain words go into the vectors as an array instead of through the tsvector text
    parser, the vocabulary takes a statement's words without a lateral scan, and the
    documents are compressed by lz4 instead of pglz: the two vectors take a row over the
    2 kB at which PostgreSQL compresses its largest value (the document) more often.
    """
    if conn.dialect.name != "postgresql":
        return
    words, select = (_cast, _WORDS_0016) if back else (_array, _WORDS)
    for sql in [*_DROP_VECTOR_COLUMNS, *_vectors(words), *_words_triggers(select)]:
        conn.exec_driver_sql(sql)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(_COMPRESSION_DEFAULT if back else _LZ4)
    except NotSupportedError:  # a server built without lz4 keeps pglz
        pass


def unweight_search_vector(conn: Connection, *, back: bool = False) -> None:
    """PostgreSQL: from migration 0017's ``search_vector`` (the names parsed for weight A)
    to this design's, every word as one array (migration 0018), or ``back``. The other
    vector, the vocabulary and the documents' compression stay as they are."""
    if conn.dialect.name != "postgresql":
        return
    for sql in [
        *_DROP_SEARCH_VECTOR,
        "ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"({_weighted(_array) if back else _ALL_WORDS}) STORED",
        _SEARCH_GIN,
    ]:
        conn.exec_driver_sql(sql)


def rebuild_search_index(conn: Connection) -> None:
    """Rebuild the SQLite FTS tables from ``listings`` (PostgreSQL's index needs no rebuild)."""
    if conn.dialect.name == "sqlite":
        for table in SQLITE_OBJECTS:
            conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the index objects the models do not declare (schema comparison skips them)."""
    if type_ == "table":
        return name in PG_TABLES or (
            bool(name) and name.split("_")[0] == "listings" and _is_fts_table(name)
        )
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
