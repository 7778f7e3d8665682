"""The SQL of a search: where the hits come from, and how each backend ranks them.

Both backends rank with a score where lower is better, so one ORDER BY and one
keyset condition serve both: SQLite's ``bm25()`` is already negative-is-better,
PostgreSQL's ``ts_rank`` is negated. A word hit always ranks above a hit that only
contains a query word inside a name (substring, score 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass

NAME_WEIGHT = 10.0  # names count ten times the products, HS codes and descriptions
SUBSTRING_SCORE = 1.0
MIN_SUBSTRING = 3  # trigram indexes need three characters
PG_WEIGHTS = "{0.1, 0.1, 0.1, 1.0}"  # D, C, B (the rest), A (names)


@dataclass(frozen=True)
class HitSource:
    """A FROM clause yielding listing rows as ``l`` with a ``score`` expression, and its params."""

    from_sql: str
    score_sql: str
    where_sql: str | None
    params: dict


def hit_source(dialect: str, terms: list[str]) -> HitSource:
    """Where the rows of a search come from: all listings, or the full-text hits of ``terms``."""
    if not terms:
        return HitSource("listings l", "0.0", None, {})
    substring = all(len(t) >= MIN_SUBSTRING for t in terms)
    if dialect == "sqlite":
        return _sqlite_source(terms, substring)
    return _pg_source(terms, substring)


def _sqlite_source(terms: list[str], substring: bool) -> HitSource:
    # each word as typed or as the start of a longer word; the exact word scores twice
    params = {"fts": " AND ".join(f'("{t}" OR "{t}"*)' for t in terms)}
    hits = (
        "SELECT rowid AS rid, bm25(listings_fts, :nw, 1.0) AS score "
        "FROM listings_fts WHERE listings_fts MATCH :fts"
    )
    params["nw"] = NAME_WEIGHT
    if substring:
        params["trg"] = " AND ".join(f'"{t}"' for t in terms)
        params["sub"] = SUBSTRING_SCORE
        hits += " UNION ALL SELECT rowid, :sub FROM listings_trgm WHERE listings_trgm MATCH :trg"
        hits = f"SELECT rid, min(score) AS score FROM ({hits}) GROUP BY rid"
    return HitSource(f"({hits}) h JOIN listings l ON l.rowid = h.rid", "h.score", None, params)


def _pg_source(terms: list[str], substring: bool) -> HitSource:
    params = {"tsq": " & ".join(f"('{t}' | '{t}':*)" for t in terms), "pgw": PG_WEIGHTS}
    match = "l.search_vector @@ CAST(:tsq AS tsquery)"
    rank = "ts_rank(CAST(:pgw AS real[]), l.search_vector, CAST(:tsq AS tsquery))"
    if not substring:
        return HitSource("listings l", f"-{rank}", match, params)
    likes = []
    for i, term in enumerate(terms):
        params[f"sub{i}"] = f"%{term}%"
        likes.append(f"l.search_names LIKE :sub{i}")
    params["sub"] = SUBSTRING_SCORE
    where = f"({match} OR ({' AND '.join(likes)}))"
    score = f"CASE WHEN {match} THEN -{rank} ELSE :sub END"
    return HitSource("listings l", score, where, params)
