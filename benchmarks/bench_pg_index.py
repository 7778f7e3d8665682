"""PostgreSQL: what the search index objects cost a write, in the database server alone.

python benchmarks/bench_pg_index.py [--rows 10000] [--rounds 5] [--unique-words]
                                    [--parts] [--configs 0017,0018]

Fills a migrated database with N generated listings (``bench_sync.records``, through
``apply_remote_changes``), keeps their rows in memory, then for each configuration
drops every search index object, creates that configuration's, empties ``listings`` and
inserts the same rows again in pages of 1,000 in one transaction, timed. Rounds
alternate the configurations; each line gives min / median / max seconds and the
median's cost per row over the table without any search objects (the raw baseline of
the same run). A checkpoint precedes each insert, as a fresh database's does. The
generator's names draw on a few dozen words, so the vocabulary learns them in the
first page; ``--unique-words`` adds a word of its own to every row's names.

- ``none``: the table and its other indexes, no search objects;
- ``0008``: the first design (generated tsvector parsed by ``to_tsvector`` twice, its
  GIN index, a pg_trgm GIN index over every listing's names, the name-order index);
- ``0016``: the second design (the names parsed and the rest cast into one vector, the
  names' own vector cast, two GIN indexes, the name words' vocabulary with its trigram
  index and triggers, the name-order index);
- ``0017``: 0016's vectors made with ``array_to_tsvector`` instead of a cast, its
  vocabulary trigger without a lateral unnest, and the documents compressed by lz4;
- ``0018``: this design (``directory.search.index.PG_OBJECTS``): 0017 with every word of
  ``search_vector`` as one array, the names neither parsed nor weighted;
- ``arrays``, ``trigger``, ``lz4``: 0016 with one of those three changes each, and
  ``none+lz4`` the table without search objects but with lz4 (0017 leaves lz4 in place
  where ``bench_import.py --search-index compare`` drops the index, so that is its bare
  baseline); ``nofast``: 0016's GIN indexes without their pending list (five times the
  cost);
- ``allcast``: a lead, not shipped: as 0016, but the one vector casts the names too,
  so nothing is parsed;
- ``split``: a lead, not shipped: the one vector holds only the words other than the
  names, so each word is indexed once; a word hit is then a per-term OR of the two
  GIN indexes, and at 1,000,000 listings the planner scanned it badly;
- with ``--parts``, 0016 less its vocabulary, its name-order index or its two GIN
  indexes (each below this machine's noise in the runs so far);

``--configs`` runs only those (and ``none``). Each is written by ``COPY`` (as
``write_listings`` does now) and, for ``0008`` and ``none``, also by one ``INSERT`` a
row (``executemany``, as it did before), which sets up the generated column and the
expression indexes again for every row. The rest of a pull (HTTP, validation, the
words in Python, the change log) is not in these figures; see
``bench_import.py --search-index compare`` for the whole write path. On a shared
machine these seconds move by a third between runs; ``bench_pg_instructions.py`` counts
the same writes in instructions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_db import create_pg, drop_pg  # noqa: E402
from bench_sync import seed_source  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from directory.db import make_engine  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.search import index  # noqa: E402

_0016_VECTORS = index._vectors(index._cast)


def _with_vector(expression: str) -> list[str]:
    """0016 with another ``search_vector`` (a lead, measured and not shipped)."""
    return [
        f"ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"({expression}) STORED, ADD COLUMN names_vector tsvector GENERATED ALWAYS AS "
        f"({index._cast('search_names')}) STORED",
        *(sql for sql in _0016_VECTORS if sql.startswith("CREATE INDEX")),
        *(sql for sql in index._PG_VECTORS if sql not in _0016_VECTORS),
        index._NAME_SORT,
    ]


CONFIGS = {
    "none": [],
    "0008": [*index._PG_OBJECTS_0008, index._NAME_SORT],
    "0016": (_PG_0016 := [*index._PG_VECTORS, index._NAME_SORT]),
    "0017": [*index._PG_OBJECTS_0017, index._NAME_SORT],
    "0018": [*index.PG_OBJECTS, index._NAME_SORT],
    # leads: every word cast, the names too (no parser at all); the names left out, so
    # each word is indexed once (a word hit is then a per-term OR of the two indexes)
    "allcast": _with_vector(
        "CAST(coalesce(search_names, '') || ' ' || coalesce(search_text, '') AS tsvector)"
    ),
    "split": _with_vector("CAST(coalesce(search_text, '') AS tsvector)"),
}


# leads on 0016, each alone: the casts as arrays (no tsvector text parser); the vocabulary
# trigger's words by a set-returning function in the select list, not a lateral scan
# materialised for each row; the document compressed by lz4 instead of pglz (the rows with
# the vectors cross the 2 kB at which PostgreSQL compresses a row more often); the GIN
# indexes without their pending list
CONFIGS["arrays"] = [*index._pg_objects(index._array, index._WORDS_0016), index._NAME_SORT]
CONFIGS["trigger"] = [*index._pg_objects(index._cast, index._WORDS), index._NAME_SORT]
CONFIGS["lz4"] = [*_PG_0016, index._LZ4]
CONFIGS["none+lz4"] = [index._LZ4]
CONFIGS["nofast"] = [
    sql.replace("(search_vector)", "(search_vector) WITH (fastupdate = off)").replace(
        "(names_vector)", "(names_vector) WITH (fastupdate = off)"
    )
    for sql in _PG_0016
]
# --parts: 0016 less one part each, to see where its cost goes
PARTS = {
    "-vocabulary": [sql for sql in _PG_0016 if "search_words" not in sql],
    "-name order": [sql for sql in _PG_0016 if sql != index._NAME_SORT],
    "-GIN": [sql for sql in _PG_0016 if "USING gin (names_vector)" not in sql
             and "USING gin (search_vector)" not in sql],
}  # fmt: skip
RUNS = [
    ("none", "copy"),
    ("none", "insert"),
    ("0008", "copy"),
    ("0008", "insert"),
    ("0016", "copy"),
    ("allcast", "copy"),
    ("split", "copy"),
    *((name, "copy") for name in ("0017", "0018", "arrays", "trigger", "lz4", "none+lz4")),
    ("nofast", "copy"),
]


def main() -> None:
    parser = rows_parser(__doc__)
    parser.add_argument(
        "--parts", action="store_true", help="also 0016 less its vocabulary, name order or GIN"
    )
    parser.add_argument(
        "--configs", help="only these configurations, comma-separated (none is always run)"
    )
    args = parser.parse_args()
    if args.configs:
        keep = {"none", *args.configs.split(",")}
        RUNS[:] = [(name, mode) for name, mode in RUNS if name in keep]
    if args.parts:
        CONFIGS.update(PARTS)
        RUNS.extend((name, "copy") for name in PARTS)
    print(f"# {os.cpu_count()} CPUs, {args.rows} rows, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    url = create_pg("bench_pg_index")
    try:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        seed_source(url, args.rows)
        run(url, args.rounds, args.unique_words)
    finally:
        drop_pg(url)
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(url: str, rounds: int, unique_words: bool) -> None:
    import psycopg

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    conn.autocommit = True
    cur = conn.cursor()
    columns = copy_columns(cur)
    names = ", ".join(columns)
    rows = cur.execute(f"SELECT {names} FROM listings").fetchall()
    if unique_words:
        rows = with_unique_words(rows, columns)
    insert = f"INSERT INTO listings ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    seconds: dict[tuple[str, str], list[float]] = {run: [] for run in RUNS}
    for _ in range(rounds):
        for config, mode in RUNS:
            with conn.transaction():
                prepare(cur, config)
            cur.execute("CHECKPOINT")
            start = time.perf_counter()
            with conn.transaction():
                if mode == "copy":
                    copy_pages(cur, names, rows)
                else:
                    for at in range(0, len(rows), PAGE):
                        cur.executemany(insert, rows[at : at + PAGE])
            seconds[(config, mode)].append(time.perf_counter() - start)
    conn.close()
    for (config, mode), times in seconds.items():
        print(cost_line(f"{config:>11} {mode:>6}", times, seconds[("none", mode)], len(rows)))


PAGE = 1000  # rows a statement, as a pull's page
# every search object of any configuration, and the document's compression, undone
DROPS = [
    "DROP INDEX IF EXISTS ix_listings_name_sort",
    *index._PG_DROP_0008,
    *index._PG_DROP_VECTORS,
    index._COMPRESSION_DEFAULT,
]


def copy_columns(cur) -> list[str]:
    """The columns of ``listings`` a write gives (all but the generated vectors)."""
    return [
        name
        for (name,) in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'listings'"
            " ORDER BY ordinal_position"
        )
        if name not in index.PG_COLUMNS
    ]


def prepare(cur, config: str) -> None:
    """An empty ``listings`` with only ``config``'s search objects, as a fresh database's."""
    cur.execute("TRUNCATE listings CASCADE")
    for sql in [*DROPS, *CONFIGS[config]]:
        cur.execute(sql)
    if "search_words" in " ".join(CONFIGS[config]):
        cur.execute("TRUNCATE search_words")


def copy_pages(cur, names: str, rows: list[tuple]) -> None:
    """The rows by ``COPY``, a statement a page, as ``write_listings`` writes them."""
    for at in range(0, len(rows), PAGE):
        with cur.copy(f"COPY listings ({names}) FROM STDIN") as copy:
            for row in rows[at : at + PAGE]:
                copy.write_row(row)


def rows_parser(doc: str) -> argparse.ArgumentParser:
    """The options both index benchmarks take: rows, rounds, a name word of each row's own."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--unique-words",
        action="store_true",
        help="give every row a name word of its own (the vocabulary's worst case)",
    )
    return parser


def with_unique_words(rows: list[tuple], columns: list[str]) -> list[tuple]:
    """The rows with a name word of each row's own (the generator's names draw on a few
    dozen words, so a vocabulary would otherwise learn every word in the first page)."""
    at = columns.index("search_names")
    return [(*r[:at], f"{r[at]} u{i:07d}", *r[at + 1 :]) for i, r in enumerate(rows)]


def cost_line(label: str, times: list[float], bare: list[float], rows: int) -> str:
    """min / median / max seconds of a configuration, and its median's cost a row over the
    bare table's median."""
    extra = (statistics.median(times) - statistics.median(bare)) / rows * 1e6
    return (
        f"{label}: {min(times):.3f} / {statistics.median(times):.3f} / {max(times):.3f} s"
        f"   index +{extra:5.1f} us a row over none"
    )


if __name__ == "__main__":
    main()
