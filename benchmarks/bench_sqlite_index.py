"""SQLite: what the search index objects cost a write, in the database engine alone.

python benchmarks/bench_sqlite_index.py [--rows 10000] [--rounds 5] [--unique-words]

Fills a migrated SQLite database with N generated listings (``bench_sync.records``,
through ``apply_remote_changes``), keeps their rows in memory, then for each
configuration drops every search index object, creates that configuration's, empties
``listings`` and inserts the same rows again in one transaction, as ``write_listings``
does (one multi-row ``INSERT`` a chunk of about 1,000 rows), timed in CPU seconds of
this process (SQLite runs in it). Rounds alternate the configurations; each line gives
min / median / max seconds and the median's cost per row over the table without any
search objects (the raw baseline of the same run).

- ``none``: the table and its other indexes, no search objects;
- ``0008``: the shipped design (migration 0008: the words' FTS5 table with 1- and
  2-character prefix indexes, a trigram FTS5 table over every listing's names, their
  triggers, the name-order index);
- ``words``: as 0008 without the trigram table (what the substrings cost);
- ``vocab``: a lead, not shipped: as 0008, but the trigram table is over the name
  words' vocabulary (each distinct word once, as PostgreSQL's ``search_words``),
  which the insert trigger fills (``json_each`` of the words, ``INSERT OR IGNORE``).

The rest of a pull (HTTP, validation, the words in Python, the change log) is not in
these figures; see ``bench_import.py --search-index compare`` for the whole write path.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pg_index import cost_line, rows_parser, with_unique_words  # noqa: E402
from bench_sync import seed_source  # noqa: E402

from directory.db import make_engine  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.search import index  # noqa: E402
from directory.services.changes import SQLITE_MAX_VARIABLES  # noqa: E402

CONFIGS = {
    "none": [],
    "0008": list(index._SQLITE_DDL),
    # without the trigram table: what substrings cost
    "words": [
        index._SQLITE_DDL[0],
        """CREATE TRIGGER listings_search_ai AFTER INSERT ON listings BEGIN
            INSERT INTO listings_fts (rowid, search_names, search_text)
                VALUES (new.rowid, new.search_names, new.search_text);
        END""",
        index._NAME_SORT,
    ],
    # a lead, measured and not shipped: the trigrams of the name words' vocabulary (as
    # PostgreSQL's search_words) instead of every listing's names
    "vocab": [
        index._SQLITE_DDL[0],
        index._SQLITE_DDL[4],
        "CREATE TABLE search_words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)",
        "CREATE VIRTUAL TABLE search_words_trgm USING fts5(word, content='search_words', "
        "content_rowid='id', tokenize='trigram case_sensitive 1')",
        """CREATE TRIGGER search_words_ai AFTER INSERT ON search_words BEGIN
            INSERT INTO search_words_trgm (rowid, word) VALUES (new.id, new.word);
        END""",
        """CREATE TRIGGER listings_search_ai AFTER INSERT ON listings BEGIN
            INSERT INTO listings_fts (rowid, search_names, search_text)
                VALUES (new.rowid, new.search_names, new.search_text);
            INSERT OR IGNORE INTO search_words (word)
                SELECT value FROM json_each('["' || replace(new.search_names, ' ', '","')
                    || '"]') WHERE new.search_names IS NOT NULL;
        END""",
        index._NAME_SORT,
    ],
}
DROPS = [
    *index._SQLITE_DROP,
    "DROP TRIGGER IF EXISTS search_words_ai",
    "DROP TABLE IF EXISTS search_words_trgm",
    "DROP TABLE IF EXISTS search_words",
]


def main() -> None:
    parser = rows_parser(__doc__)
    args = parser.parse_args()
    print(f"# {os.cpu_count()} CPUs, {args.rows} rows, SQLite {sqlite3.sqlite_version}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        seed_source(url, args.rows)
        run(path, args.rounds, args.unique_words)
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(path: Path, rounds: int, unique_words: bool) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(listings)")]
    names = ", ".join(columns)
    rows = conn.execute(f"SELECT {names} FROM listings").fetchall()
    if unique_words:
        rows = with_unique_words(rows, columns)
    chunk = SQLITE_MAX_VARIABLES // len(columns)  # as write_listings chunks its rows
    mark = f"({', '.join(['?'] * len(columns))})"
    seconds: dict[str, list[float]] = {config: [] for config in CONFIGS}
    for _ in range(rounds):
        for config, ddl in CONFIGS.items():
            conn.execute("BEGIN")
            for sql in DROPS:
                conn.execute(sql)
            conn.execute("DELETE FROM listings")
            for sql in ddl:
                conn.execute(sql)
            conn.execute("COMMIT")
            conn.execute("VACUUM")
            start = time.process_time()
            conn.execute("BEGIN")
            for at in range(0, len(rows), chunk):
                part = rows[at : at + chunk]
                sql = f"INSERT INTO listings ({names}) VALUES {', '.join([mark] * len(part))}"
                conn.execute(sql, [value for row in part for value in row])
            conn.execute("COMMIT")
            seconds[config].append(time.process_time() - start)
    conn.close()
    for config, times in seconds.items():
        print(cost_line(f"{config:>8} CPU", times, seconds["none"], len(rows)))


if __name__ == "__main__":
    main()
