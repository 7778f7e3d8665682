"""The SQL of a search: where the hits come from, and how each backend ranks them.

Both backends rank with a score where lower is better, so one ORDER BY and one
keyset condition serve both: SQLite's ``bm25()`` is already negative-is-better,
PostgreSQL's ``ts_rank`` is negated. A word hit always ranks above a hit that only
contains a query word inside a name (substring, score 1.0).

Counting and ranking are kept apart, because ranking is what costs: ``bm25()`` and
``ts_rank`` read every hit's index entry (about 5 microseconds a hit on SQLite, so
a 1-character Khmer prefix with 70,000 hits took 350 ms), while matching alone only
walks the index's posting lists. ``match_where`` is the bare match the counts and
facets use; ``hit_source`` ranks (PostgreSQL's page, and the benchmark's baseline);
SQLite's relevance page ranks in tiers (``sqlite_tiers``, see ``directory.services.search``).

Substrings inside words (the trigram indexes) are looked up only when the words
themselves find fewer than ``SUBSTRING_BELOW`` listings: a partial word such as
"epper" finds "Pepperhouse", but a word that already has many hits is not slowed
down by a second index whose extra hits would rank after all of them anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME_WEIGHT = 10.0  # names count ten times the products, HS codes and descriptions
SUBSTRING_SCORE = 1.0
MIN_SUBSTRING = 3  # trigram indexes need three characters
SUBSTRING_BELOW = 50  # word hits below which substrings inside words are looked up too
# PostgreSQL: a name word counts in both vectors, any other word in ``search_vector`` only
# (neither has positions or weights: migration 0018), so names weigh ten times the rest.
# The names are ranked for any of the terms (:tsq_any): ts_rank gives an "and" query
# nothing when a term is missing, and a name holding some of the terms ranks first.
PG_RANK = (
    "(CAST(:nw AS real) * ts_rank(l.names_vector, CAST(:tsq_any AS tsquery))"
    " + ts_rank(l.search_vector, CAST(:tsq AS tsquery)))"
)


def _pg_rank_params(terms: list[str]) -> dict:
    """The parameters ``PG_RANK`` reads, beside the match's ``tsq``."""
    return {"nw": NAME_WEIGHT, "tsq_any": pg_words(terms, "|")}


@dataclass(frozen=True)
class HitSource:
    """A FROM clause yielding listing rows as ``l`` with a ``score`` expression, and its params."""

    from_sql: str
    score_sql: str
    where_sql: str | None
    params: dict


def fts_words(terms: list[str]) -> str:
    """The FTS5 query of ``terms``: each as typed or as the start of a longer word."""
    # the exact word matches both phrases, so it scores above a longer word it begins
    return " AND ".join(f'("{t}" OR "{t}"*)' for t in terms)


def fts_substrings(terms: list[str]) -> str:
    """The FTS5 trigram query: every term somewhere inside the name words."""
    return " AND ".join(f'"{t}"' for t in terms)


def pg_words(terms: list[str], operator: str = "&") -> str:
    """The tsquery of ``terms`` (words as typed or as prefixes): all of them, or with
    ``operator`` "|" any."""
    return f" {operator} ".join(f"('{t}' | '{t}':*)" for t in terms)


def may_substring(terms: list[str]) -> bool:
    """True when every term is long enough for the trigram indexes."""
    return bool(terms) and all(len(t) >= MIN_SUBSTRING for t in terms)


def few_word_hits_sql(dialect: str) -> tuple[str, str]:
    """SQL counting word hits up to ``SUBSTRING_BELOW`` (it stops there), and its param name."""
    if dialect == "sqlite":
        inner = "SELECT 1 FROM listings_fts WHERE listings_fts MATCH :fts"
        param = "fts"
    else:
        inner = "SELECT 1 FROM listings l WHERE l.search_vector @@ CAST(:tsq AS tsquery)"
        param = "tsq"
    return f"SELECT count(*) FROM ({inner} LIMIT {SUBSTRING_BELOW}) s", param


def match_where(dialect: str, terms: list[str], substring: bool) -> tuple[str | None, dict]:
    """The condition (on ``l``) that a listing matches ``terms``, without ranking."""
    if not terms:
        return None, {}
    if dialect == "sqlite":
        params = {"fts": fts_words(terms)}
        ids = "SELECT rowid FROM listings_fts WHERE listings_fts MATCH :fts"
        if substring:
            params["trg"] = fts_substrings(terms)
            ids += " UNION SELECT rowid FROM listings_trgm WHERE listings_trgm MATCH :trg"
        return f"l.rowid IN ({ids})", params
    params = {"tsq": pg_words(terms)}
    match = "l.search_vector @@ CAST(:tsq AS tsquery)"
    if not substring:
        return match, params
    inside, likes = pg_substrings(terms)
    return f"({match} OR {inside})", {**params, **likes}


# the query when no word contains a term: a lexeme no index holds ("*" is never in a word)
_NO_WORD = "'''*'''"


def pg_substrings(terms: list[str]) -> tuple[str, dict]:
    """The condition (on ``l``) that every term is inside one of the listing's name words:
    the vocabulary's trigram index gives the words containing each term, and
    ``names_vector`` the listings holding one of them (an index lookup a word)."""
    words, params = [], {}
    for i, term in enumerate(terms):
        params[f"sub{i}"] = f"%{term}%"
        words.append(
            "(SELECT CAST(coalesce(string_agg(quote_literal(word), ' | '), "
            f"{_NO_WORD}) AS tsquery) FROM search_words WHERE word LIKE :sub{i})"
        )
    return f"l.names_vector @@ ({' && '.join(words)})", params


def hit_source(dialect: str, terms: list[str], substring: bool | None = None) -> HitSource:
    """Where the rows of a search come from: all listings, or the ranked hits of ``terms``."""
    if not terms:
        return HitSource("listings l", "0.0", None, {})
    if substring is None:
        substring = may_substring(terms)
    if dialect == "sqlite":
        return _sqlite_source(terms, substring)
    return _pg_source(terms, substring)


def _sqlite_source(terms: list[str], substring: bool) -> HitSource:
    params = {"fts": fts_words(terms)}
    hits = (
        "SELECT rowid AS rid, bm25(listings_fts, :nw, 1.0) AS score "
        "FROM listings_fts WHERE listings_fts MATCH :fts"
    )
    params["nw"] = NAME_WEIGHT
    if substring:
        params["trg"] = fts_substrings(terms)
        params["sub"] = SUBSTRING_SCORE
        hits += " UNION ALL SELECT rowid, :sub FROM listings_trgm WHERE listings_trgm MATCH :trg"
        hits = f"SELECT rid, min(score) AS score FROM ({hits}) GROUP BY rid"
    return HitSource(f"({hits}) h JOIN listings l ON l.rowid = h.rid", "h.score", None, params)


def _pg_source(terms: list[str], substring: bool) -> HitSource:
    where, params = match_where("postgresql", terms, substring)
    params.update(_pg_rank_params(terms))
    match = "l.search_vector @@ CAST(:tsq AS tsquery)"
    if not substring:
        return HitSource("listings l", f"-{PG_RANK}", where, params)
    params["sub"] = SUBSTRING_SCORE
    score = f"CASE WHEN {match} THEN -{PG_RANK} ELSE :sub END"
    return HitSource("listings l", score, where, params)


@dataclass(frozen=True)
class Tier:
    """One band of the relevance order, with how to count, rank and cheaply order its hits.

    ``from_sql`` yields ``l`` (listings); ``ident`` is the row's identity there
    (SQLite's rowid, PostgreSQL's id); ``size_sql`` counts the band's hits before the
    filters (up to ``limit``); ``cheap_order`` reads a large band in an order the
    index gives for free, with ``after`` the keyset condition in that order (rows
    after ``:after_rid``) and ``upto`` its counterpart (rows up to ``:upto_rid``).
    """

    size_sql: str
    from_sql: str
    match_sql: str
    params: dict
    rank_sql: str
    ident: str
    cheap_order: str
    after: str
    upto: str


def relevance_tiers(dialect: str, terms: list[str], substring: bool, limit: int) -> list[Tier]:
    """The relevance bands of a search, best first: every term in the names (as a word or
    the start of one); the other word hits; then, when looked up, names that contain the
    terms only inside words. Names therefore always outrank descriptions and products."""
    if dialect == "sqlite":
        return _sqlite_tiers(terms, substring)
    return _pg_tiers(terms, substring, limit)


def _sqlite_tiers(terms: list[str], substring: bool) -> list[Tier]:
    words = fts_words(terms)
    names = f"{{search_names}} : ({words})"
    bands = [("listings_fts", names), ("listings_fts", f"({words}) NOT ({names})")]
    if substring:
        bands.append(("listings_trgm", fts_substrings(terms)))
    tiers = []
    for number, (table, query) in enumerate(bands):
        params = {f"tier{number}": query, "nw": NAME_WEIGHT}
        match = f"{table} MATCH :tier{number}"
        rank = f"bm25({table}, :nw, 1.0)"
        if table == "listings_trgm":  # substrings only: the word hits are in the tiers above
            match += (
                " AND l.rowid NOT IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH :fts)"
            )
            params["fts"] = words
            rank = f"bm25({table})"
        tiers.append(
            Tier(
                size_sql=f"SELECT count(*) FROM {table} WHERE {table} MATCH :tier{number}",
                from_sql=f"{table} JOIN listings l ON l.rowid = {table}.rowid",
                match_sql=match,
                params=params,
                rank_sql=rank,
                ident="l.rowid",
                cheap_order=f"{table}.rowid DESC",  # newest first, the index's own order
                after=f"{table}.rowid < :after_rid",
                upto=f"{table}.rowid >= :upto_rid",
            )
        )
    return tiers


def _pg_tiers(terms: list[str], substring: bool, limit: int) -> list[Tier]:
    words = pg_words(terms)
    # double precision: a real sent as text and back as a float would no longer equal itself
    rank = f"-CAST({PG_RANK} AS double precision)"
    common = {"tsq": words, **_pg_rank_params(terms)}
    # the names band is looked up in the names' own vector (``search_vector`` holds every
    # word alike; a names-only check on it would be a recheck of each row: at 1M listings
    # "and" had 85,000 word hits to recheck)
    names_match = "l.names_vector @@ CAST(:tsq AS tsquery)"
    # coalesce(NOT ...): the planner took a negated match for rare and sorted all 85,000
    # hits of "and" instead of walking the ids
    rest = (
        "l.search_vector @@ CAST(:tsq AS tsquery) "
        "AND coalesce(NOT (l.names_vector @@ CAST(:tsq AS tsquery)), true)"
    )
    bands = [(names_match, {}, rank), (rest, {}, rank)]
    if substring:
        inside, likes = pg_substrings(terms)
        match = f"{inside} AND NOT (l.search_vector @@ CAST(:tsq AS tsquery))"
        bands.append((match, likes, "1.0"))
    counting = "SELECT count(*) FROM (SELECT 1 FROM listings l WHERE {} LIMIT {}) s"
    return [
        Tier(
            size_sql=counting.format(match, limit),
            from_sql="listings l",
            match_sql=match,
            params={**common, **params},
            rank_sql=rank_sql,
            ident="l.id",
            cheap_order="l.id ASC",  # the primary key's order
            after="l.id > :after_rid",
            upto="l.id <= :upto_rid",
        )
        for match, params, rank_sql in bands
    ]
