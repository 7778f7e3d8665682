"""Search and browse published listings (the web search and the JSON API share this).

A search is the total and facet counts of at most ``COUNT_CAP + 1`` hits (counted
here over the facet columns of the matching rows, without ranking them), and one
page of hits in the chosen order. Pages are addressed by a keyset cursor (the last
row's sort key), so a deep page by "Next" costs what page 1 costs; the JSON API may
still ask for a page number.

The total and the facet counts of a search are cached per database engine and
process, keyed by the change-log sequence number (``change_counter``): every write
that can change what a search finds (publishing, a pull, an import, a withdrawal)
takes a new number in the same transaction, so a cached count is only ever served
for exactly the data it was counted on. Each gunicorn worker keeps its own cache;
its threads share it under a lock. Only read sessions use it (a write session may
see its own uncommitted rows under a number it could still roll back).

After a change, a search whose counts took longer than the caller's ``stale_after_ms``
to count (a common word on a large directory: 100-600 ms) is answered at once with the
counts of the previous data, marked ``counts_updating``, while one background thread
per search counts again; its rows are always read afresh, with the relevance bands'
sizes of the earlier data (``_stale_sizes``). The recount waits until the
caller sets ``SearchPage.recount_go`` (the web page does once it has been sent), so it
does not compete with that request for the worker's CPU. Cheaper counts are counted in
the request, so a small directory always shows exact counts.

On SQLite the relevance order is computed in tiers (``sqlite_tiers``): listings with
every word in their names, then the other word hits, then substrings inside name
words. A tier of at most ``RANK_MAX`` hits is ordered by bm25 (names weighted ten
times the rest); a larger one (a very common word, a 1-character Khmer prefix) by
newest first, read straight off the index in rowid order, as ranking 70,000 hits
with bm25 cost 350 ms while telling apart little more than name lengths.
"""

from __future__ import annotations

import base64
import bisect
import functools
import re
import threading
import time
from array import array
from collections import Counter, OrderedDict
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime
from itertools import chain
from typing import Any, NamedTuple

import orjson
from sqlalchemy import bindparam, text
from sqlmodel import Session

from directory.db import new_session
from directory.records import registration_key
from directory.search.queries import (
    SUBSTRING_BELOW,
    few_word_hits_sql,
    fts_words,
    match_where,
    may_substring,
    pg_words,
    relevance_tiers,
)
from directory.search.tokens import words
from directory.services.read_cache import EngineCaches, SequenceCache

COUNT_CAP = 10_000
RANK_MAX = 2_000  # SQLite: a relevance tier with more hits is ordered newest first
CACHE_SIZE = 512  # searches whose total and facet counts each worker keeps
RECOUNT_WAIT = 1.0  # seconds a recount waits for the stale page to be sent before it starts
MAX_TERMS = 12
SORTS = ("relevance", "name", "newest")
FACETS = ("section", "division", "province", "size_class", "market", "women", "youth", "country")
HS_CODE = re.compile(r"^[0-9]{2,10}$")
MARKET = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class SearchFilters:
    """What a visitor may filter published listings by."""

    q: str = ""
    province: str | None = None
    sector: str | None = None  # an ISIC division, group or class code (prefix match)
    section: str | None = None  # an ISIC section letter
    size_class: str | None = None
    legal_form: str | None = None
    women_owned: bool | None = None
    youth_owned: bool | None = None
    country: str | None = None
    hs_code: str | None = None  # an HS code or its first digits
    market: str | None = None  # an export market (ISO 3166-1 alpha-2)
    registration: str | None = None  # a registration number, looked up exactly
    sort: str = "relevance"


class Hit(NamedTuple):
    """One result row: enough to render it without loading the ORM object."""

    id: str
    document: str
    province: str | None
    size_class: str | None
    key: Any


@dataclass
class SearchPage:
    """One page of results, the (possibly capped) total and the facet counts."""

    items: list[Hit] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # more than COUNT_CAP hits: total and facet counts are lower bounds
    page: int = 1
    per_page: int = 20
    terms: list[str] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    next_cursor: str | None = None
    sort: str = "relevance"
    counts_updating: bool = False  # total and facets are of the data before the last change
    # set it once the page is sent: the recount then starts (else after RECOUNT_WAIT seconds)
    recount_go: threading.Event | None = None


def query_terms(q: str) -> list[str]:
    """The words of a query as the index holds them; operators and punctuation are just text."""
    return list(dict.fromkeys(words(q[:400])))[:MAX_TERMS]


def search_listings(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    per_page: int = 20,
    after: str | None = None,
    facets: bool = False,
    stale_after_ms: float | None = None,
) -> SearchPage:
    """Published, publicly shared listings matching the filters, ranked or sorted.

    With ``stale_after_ms``, counts that took longer than that to count may be those of
    the data before the last change, while they are counted again (module docstring).
    """
    terms = query_terms(filters.q)
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance" and not terms:
        sort = "name"
    dialect = session.get_bind().dialect.name
    where, params = _filter_sql(filters)
    counted = _counts(session, dialect, filters, terms, where, params, facets, stale_after_ms)
    total, capped, facet_counts, substring = (
        counted.total,
        counted.capped,
        counted.facets,
        counted.substring,
    )
    result = SearchPage(
        total=total,
        capped=capped,
        page=page,
        per_page=per_page,
        terms=terms,
        sort=sort,
        facets=facet_counts if facets else {},
        counts_updating=counted.updating,
        recount_go=counted.go,
    )
    if total == 0 and not counted.updating:
        return result
    if sort == "relevance":
        items = _relevance(session, dialect, where, params, terms, counted, page, per_page, after)
    else:  # by name or newest: the bare match, no ranking
        match, match_params = match_where(dialect, terms, substring)
        conditions = [*where, match] if match else where
        base = f"FROM listings l WHERE {' AND '.join(conditions)}"
        items = _page(session, base, {**params, **match_params}, sort, page, per_page, after)
    if len(items) > per_page:
        items = items[:per_page]
        result.next_cursor = encode_cursor(sort, items[-1])
    result.items = items
    return result


def _few_word_hits(session: Session, dialect: str, terms: list[str]) -> bool:
    """True when the words find so few listings that substrings inside words are added."""
    sql, param = few_word_hits_sql(dialect)
    query = fts_words(terms) if dialect == "sqlite" else pg_words(terms)
    return session.execute(text(sql), {param: query}).scalar_one() < SUBSTRING_BELOW


# --- total and facet counts, cached per change-log sequence number ----------------------


class _CountCache(SequenceCache):
    """The counts of recent searches on one engine, valid for one sequence number; those of
    earlier numbers are kept aside, to be served stale while they are counted again."""

    def __init__(self) -> None:
        super().__init__(CACHE_SIZE)
        self.older: OrderedDict = OrderedDict()  # counts of earlier numbers, served stale
        self.recounting: dict[tuple, threading.Thread] = {}

    def retire(self, entries: OrderedDict) -> None:
        for old_key, old_value in entries.items():
            self.older.pop(old_key, None)
            self.older[old_key] = old_value
        while len(self.older) > self.size:
            self.older.popitem(last=False)

    def put(self, seq: int, key, value: Counted) -> None:
        value.seq = seq  # what changed since is read from the change log (_stale_sizes)
        super().put(seq, key, value)

    def stale(self, seq: int, key, slower_than: float) -> Counted | None:
        """Counts of ``key`` from data before ``seq``, if counting took over ``slower_than`` s."""
        with self.lock:
            found = None
            if self.generation is not None and self.generation < seq:  # not yet moved aside
                found = self.entries.get(key)
            if found is None:
                found = self.older.get(key)
            return found if found is not None and found.spent > slower_than else None

    def recount(self, key, work, go: threading.Event) -> None:
        """Run ``work`` in a background thread, once ``go`` is set or after ``RECOUNT_WAIT``
        seconds, unless one is already counting ``key``."""
        with self.lock:
            if key in self.recounting:
                return
            thread = threading.Thread(target=self._run, args=(key, work, go), daemon=True)
            self.recounting[key] = thread
        thread.start()

    def _run(self, key, work, go: threading.Event) -> None:
        try:
            go.wait(RECOUNT_WAIT)
            work()
        finally:
            with self.lock:
                self.recounting.pop(key, None)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for the background recounts running now (tests and benchmarks)."""
        with self.lock:
            threads = list(self.recounting.values())
        for thread in threads:
            thread.join(timeout)


_caches = EngineCaches(_CountCache)


def _count_cache(session: Session) -> _CountCache | None:
    """The engine's count cache, or None for a write session (see the module docstring)."""
    return _caches.for_session(session) if CACHE_SIZE > 0 else None


def settle_recounts(session: Session, timeout: float = 30.0) -> None:
    """Wait until the background recounts of the session's engine have finished."""
    cache = _count_cache(session)
    if cache is not None:
        cache.settle(timeout)


def current_seq(session: Session) -> int:
    """The last change-log sequence number handed out (committed, as this session sees it)."""
    sql = "SELECT value FROM change_counter WHERE id = 1"
    return session.execute(text(sql)).scalar_one_or_none() or 0


@dataclass
class Counted:
    """What a search counted: cached per sequence number, as it only changes with the data."""

    total: int
    capped: bool
    facets: dict | None
    substring: bool  # whether substrings inside words are searched too
    tier_sizes: dict[int, int] = field(default_factory=dict)  # hits per relevance tier
    tier_rows: dict[int, int] = field(default_factory=dict)  # the same after the filters
    spent: float = 0.0  # seconds counting took
    updating: bool = False  # total and facets are earlier data's, being counted again
    go: threading.Event | None = None  # set it to start that recount now
    seq: int = 0  # the change-log number it was counted on (0: not cached)
    anchors: dict[int, list[tuple[int, Any]]] = field(default_factory=dict)  # see _anchor
    members: dict[int, array] = field(default_factory=dict)  # see _member_keys


def _counts(session, dialect, filters, terms, where, params, facets, stale_after_ms) -> Counted:
    """The total, facet counts and tier sizes of a search, from the cache when it holds them."""
    cache = _count_cache(session)
    seq = current_seq(session) if cache is not None else 0
    # every filter but the words (keyed by their terms) and the order, which counts ignore
    key = (tuple(terms), astuple(replace(filters, q="", sort="")))
    found = cache.get(seq, key) if cache is not None else None
    if found is not None and (found.facets is not None or not facets):
        return found
    substring = may_substring(terms) and _few_word_hits(session, dialect, terms)
    if cache is not None and facets and stale_after_ms is not None:
        old = cache.stale(seq, key, stale_after_ms / 1000)
        if old is not None and old.facets is not None and old.substring == substring:
            engine, go = session.get_bind(), threading.Event()
            work = functools.partial(_recount, engine, cache, key, dialect, terms, where, params)
            cache.recount(key, work, go)
            # the earlier total and facets; the rows are read on this data
            stale = _stale_positions(session, dialect, terms, where, params, old)
            stale.go = go
            return stale
    counted = _count(session, dialect, terms, where, params, substring, facets)
    if cache is not None:
        cache.put(seq, key, counted)
    return counted


STALE_PROBE = 100  # records changed since a count, past which its empty bands are counted
STALE_BLOCKS = 16  # blocks between anchors a stale page counts again, at most, per band


def _stale_positions(session, dialect, terms, where, params, old: Counted) -> Counted:
    """What the first page after a change knows of the relevance bands: the earlier data's
    total and facets (marked ``updating``), the bands' sizes (``_stale_sizes``), and the
    rows a page number skips by, brought up to this data through the records changed since
    (``_stale_rows``, ``_stale_anchors``), so that page numbers stay exact."""
    needed = old.anchors or old.members or 0 in old.tier_sizes.values()
    changed = _changed_since(session, old.seq) if needed else []  # else nothing to bring up
    bands = relevance_tiers(dialect, terms, old.substring, RANK_MAX + 1)
    sizes = _stale_sizes(session, bands, old, changed)
    stale = Counted(old.total, old.capped, old.facets, old.substring, sizes, updating=True)
    if changed is None or not (old.anchors or old.members) or not terms:
        return stale
    idents = _idents(session, dialect, changed)
    if idents is None:
        return stale
    tiers = _with_freshness(bands)
    stale.tier_rows = _stale_rows(session, dialect, where, params, tiers, old, idents)
    _stale_anchors(session, dialect, where, params, tiers, old, idents, stale)
    return stale


def _stale_sizes(session, bands: list, old: Counted, changed: list[str] | None) -> dict[int, int]:
    """The relevance bands' sizes of the data before a change, for the first page after it.

    A band's size only chooses how its rows are read: ranked (at most ``RANK_MAX``
    hits) or in the index's order. One change moves a size by a few hits, so the
    earlier size chooses as well, and counting the bands again was most of what the
    first page after a change cost on PostgreSQL (10-27 ms of 15-32 ms at 100,000
    listings) and 25 ms of page 200 on SQLite. An empty band is skipped unread, so it
    stays empty only if none of the records changed since (at most ``STALE_PROBE``)
    is a hit of it now; otherwise it is counted again (the names band of a 2-character
    Khmer prefix that only descriptions contain took PostgreSQL 89 ms to count empty).
    """
    sizes = dict(old.tier_sizes)
    for band in [band for band, size in sizes.items() if size == 0]:
        if changed is None or (changed and _any_hit(session, bands[band], changed)):
            del sizes[band]  # counted on this data when the page reaches it
    return sizes


def _changed_since(session, seq: int) -> list[str] | None:
    """Ids of the records changed after ``seq``; None when unknown or more than STALE_PROBE."""
    if seq <= 0:
        return None
    sql = "SELECT record_id FROM change_log WHERE seq > :seq ORDER BY seq LIMIT :n"
    ids = session.execute(text(sql), {"seq": seq, "n": STALE_PROBE + 1}).scalars().all()
    return None if len(ids) > STALE_PROBE else list(dict.fromkeys(ids))


def _of_changed(session, sql: str, params: dict, ids: list[str]):
    """Run ``sql``, whose ``:changed`` is the list of listing ids ``ids``."""
    query = text(sql).bindparams(bindparam("changed", expanding=True))
    return session.execute(query, {**params, "changed": ids})


def _any_hit(session, tier, ids: list[str]) -> bool:
    """True when one of the listings ``ids`` is a hit of the band ``tier``."""
    sql = f"SELECT 1 FROM {tier.from_sql} WHERE {tier.match_sql} AND l.id IN :changed LIMIT 1"
    return _of_changed(session, sql, tier.params, ids).first() is not None


def _idents(session, dialect: str, ids: list[str]) -> dict[str, Any] | None:
    """The identity in the bands (``Tier.ident``) of each listing ``ids``, by id; None when
    one of them is not there (a row deleted since: where it was is no longer known)."""
    if dialect != "sqlite" or not ids:
        return {rid: rid for rid in ids}
    sql = "SELECT id, rowid FROM listings WHERE id IN :changed"
    found = dict(_of_changed(session, sql, {}, ids).all())
    return found if len(found) == len(ids) else None


def _stale_rows(session, dialect, where, params, tiers, old: Counted, idents) -> dict[int, int]:
    """The rows after the filters of each small band whose rows the earlier data counted,
    on this data: the earlier members, less the changed records among them, plus the
    changed records that are rows of the band now (one primary-key probe per band)."""
    rows: dict[int, int] = {}
    keys = _member_keys(dialect, idents.values())
    for number, members in old.members.items():
        tier, freshness = tiers[number]
        was = sum(1 for key in keys if _holds(members, key))
        now = _rows_among(session, where, params, tier, freshness, list(idents))
        rows[number] = len(members) - was + len(now)
    return rows


def _rows_among(session, where, params, tier, freshness: str, ids: list[str]) -> list:
    """The identities of the listings ``ids`` that are rows of a band after the filters."""
    conditions = " AND ".join([*where, tier.match_sql, freshness, "l.id IN :changed"])
    sql = f"SELECT {tier.ident} FROM {tier.from_sql} WHERE {conditions}"
    return _of_changed(session, sql, {**params, **tier.params}, ids).scalars().all()


def _member_keys(dialect: str, idents) -> array:
    """The sorted keys of band rows' identities, as the count cache keeps a small band's
    rows to bring its row count up to date after a change: 8 bytes a row (a SQLite rowid,
    or the hash of a PostgreSQL id; the cache lives in one process, as the hashes do)."""
    keys = [int(i) for i in idents] if dialect == "sqlite" else [hash(i) for i in idents]
    return array("q", sorted(keys))


def _holds(members: array, key: int) -> bool:
    at = bisect.bisect_left(members, key)
    return at < len(members) and members[at] == key


def _stale_anchors(session, dialect, where, params, tiers, old: Counted, idents, stale) -> None:
    """The anchors of the bands read in index order, moved to their places in this data,
    and the rows of those read to their end, into ``stale``.

    A changed record can only move the anchors after it, and only by what changed in its
    block (the rows after the anchor before it up to the next one): each such block is
    counted again between its two anchors, about ``ANCHOR_EVERY`` rows read by keyset,
    instead of the whole band up to the page (page 200 of "and" on SQLite read 4,000 rows
    of it). Past ``STALE_BLOCKS`` changed blocks a band's later anchors are dropped.
    """
    for number, anchors in old.anchors.items():
        tier, freshness = tiers[number]
        ends = old.tier_rows.get(number)  # known once the band was read to its end
        blocks = _blocks_of(session, dialect, anchors, list(idents.values()))
        counted = set(blocks[:STALE_BLOCKS])
        shift, kept = 0, []
        for block, (position, ident) in enumerate([*anchors, (ends, None)]):
            if block in blocks:
                if block not in counted or position is None:
                    break  # past the blocks counted again, or beyond the last anchor
                earlier = anchors[block - 1] if block else (0, None)
                rows = _block_rows(session, where, params, tier, freshness, earlier[1], ident)
                shift += rows - (position - earlier[0])
            if ident is not None:
                kept.append((position + shift, ident))
            elif position is not None:  # the band's end: its rows on this data
                stale.tier_rows[number] = position + shift
        stale.anchors[number] = kept


def _blocks_of(session, dialect: str, anchors: list, idents: list) -> list[int]:
    """The blocks the identities fall in, in order: block k holds the rows after anchor
    k - 1 up to anchor k in the band's index order (k = len(anchors): after the last)."""
    marks = [ident for _, ident in anchors]
    if dialect == "sqlite":  # rowids, newest first
        descending = [-rowid for rowid in marks]
        found = {bisect.bisect_left(descending, -int(i)) for i in idents}
    else:  # ids in the primary key's order, as PostgreSQL compares them (its collation)
        place = {ident: k for k, ident in enumerate(marks)}
        changed = set(idents)
        sql = "SELECT x FROM unnest(CAST(:ids AS text[])) x ORDER BY x"
        ids = marks + [i for i in changed if i not in place]
        found, passed = set(), 0
        for value in session.execute(text(sql), {"ids": ids}).scalars():
            if value in place:  # an anchor ends its own block
                if value in changed:
                    found.add(place[value])
                passed = place[value] + 1
            else:
                found.add(passed)
    return sorted(found)


def _block_rows(session, where, params, tier, freshness: str, after, upto) -> int:
    """The band's rows after the filters from after anchor ``after`` (None: the start) up to
    and including anchor ``upto`` (None: the end), in its index order."""
    conditions, bound = [*where, tier.match_sql, freshness], {}
    if after is not None:
        conditions.append(tier.after)
        bound["after_rid"] = after
    if upto is not None:
        conditions.append(tier.upto)
        bound["upto_rid"] = upto
    sql = f"SELECT count(*) FROM {tier.from_sql} WHERE {' AND '.join(conditions)}"
    return session.execute(text(sql), {**params, **tier.params, **bound}).scalar_one()


def _count(session, dialect, terms, where, params, substring, facets) -> Counted:
    """Count the hits of a search (up to ``COUNT_CAP``) and their facets."""
    began = time.perf_counter()
    match, match_params = match_where(dialect, terms, substring)
    conditions = [*where, match] if match else where
    rows = _facet_rows(session, f"FROM listings l WHERE {' AND '.join(conditions)}",
                       {**params, **match_params})  # fmt: skip
    return Counted(
        min(len(rows), COUNT_CAP),
        len(rows) > COUNT_CAP,
        count_facets(rows) if facets else None,
        substring,
        spent=time.perf_counter() - began,
    )


def _recount(engine, cache: _CountCache, key, dialect, terms, where, params) -> None:
    """Count a search again in a session of its own and cache it under that session's number,
    with its relevance bands' sizes, so that neither the next request for it nor the first
    one after the next change counts them in the request."""
    with new_session(engine) as session:
        seq = current_seq(session)
        substring = may_substring(terms) and _few_word_hits(session, dialect, terms)
        counted = _count(session, dialect, terms, where, params, substring, True)
        if terms:
            _size_bands(session, dialect, terms, where, params, counted)
        cache.put(seq, key, counted)


def _size_bands(session, dialect, terms, where, params, counted: Counted) -> None:
    """Count each relevance band's hits, and the rows after the filters of each band small
    enough to rank, as a page would learn them (the background recount does this)."""
    bands = relevance_tiers(dialect, terms, counted.substring, RANK_MAX + 1)
    for band, tier in enumerate(bands):
        counted.tier_sizes[band] = _band_size(session, tier)
    for number, (tier, freshness) in enumerate(_with_freshness(bands)):
        if 0 < counted.tier_sizes[number % len(bands)] <= RANK_MAX:  # a page number skips it
            _band_rows(session, dialect, where, params, tier, freshness, counted, number)


def _band_size(session, tier) -> int:
    """The hits of one band before the filters (``Tier.size_sql``)."""
    return session.execute(text(tier.size_sql), tier.params).scalar_one()


def _band_rows(session, dialect, where, params, tier, freshness, counted, number) -> int:
    """The rows of a small band after the filters (what a page number skips past it),
    kept in ``counted`` with the band's members (``_member_keys``)."""
    conditions = " AND ".join([*where, tier.match_sql, freshness])
    sql = f"SELECT {tier.ident} FROM {tier.from_sql} WHERE {conditions}"
    idents = session.execute(text(sql), {**params, **tier.params}).scalars().all()
    counted.members[number] = _member_keys(dialect, idents)
    counted.tier_rows[number] = len(idents)
    return len(idents)


def _with_freshness(bands: list) -> list[tuple[Any, str]]:
    """The bands of the relevance order, current records first: a lapsed record (not
    confirmed by its business in time) ranks after every current one that matches."""
    tiers = [(band, "l.lapsed IS NOT TRUE") for band in bands]
    return tiers + [(band, "l.lapsed IS TRUE") for band in bands]


def _filter_sql(f: SearchFilters) -> tuple[list[str], dict]:
    where = ["l.state = 'published'", "l.share_public = :true"]
    params: dict[str, Any] = {"true": True}
    exact = {
        "province": f.province,
        "country": f.country,
        "size_class": f.size_class,
        "legal_form": f.legal_form,
        "women_owned": f.women_owned,
        "youth_owned": f.youth_owned,
    }
    for column, value in exact.items():
        if value is not None and value != "":
            where.append(f"l.{column} = :{column}")
            params[column] = value
    likes = {
        "sectors": f" {f.sector}" if f.sector else None,
        "isic_sections": f" {f.section} " if f.section else None,
        "hs_codes": f" {f.hs_code}" if f.hs_code and HS_CODE.match(f.hs_code) else None,
        "export_markets": f" {f.market} " if f.market and MARKET.match(f.market) else None,
    }
    for column, value in likes.items():
        if value:
            where.append(f"l.{column} LIKE :{column}")
            params[column] = f"%{value.replace('%', '').replace('_', '')}%"
    if f.registration is not None:
        where.append("l.registration_number = :registration")
        params["registration"] = registration_key(f.registration) or "-"
    return where, params


def _facet_rows(session: Session, base: str, params: dict) -> list[tuple]:
    sql = (
        "SELECT l.province, l.isic_sections, l.sectors, l.size_class, l.export_markets, "
        f"l.women_owned, l.youth_owned, l.country {base} LIMIT {COUNT_CAP + 1}"
    )
    return session.execute(text(sql), params).all()


def count_facets(rows: list[tuple]) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value over the hit rows, most frequent first.

    Column by column, with one Counter over each column's joined words rather than an
    update per row: counting 10,000 rows took longer than reading them.
    """
    rows = rows[:COUNT_CAP]
    if not rows:
        return {name: [] for name in FACETS}
    province, sections, sectors, size, markets, women, youth, country = zip(*rows, strict=True)
    counters = {
        "section": Counter(" ".join(filter(None, sections)).split()),
        "division": Counter(chain.from_iterable({c[:2] for c in s.split()} for s in sectors if s)),
        "province": Counter(filter(None, province)),
        "size_class": Counter(filter(None, size)),
        "market": Counter(" ".join(filter(None, markets)).split()),
        "women": Counter({"true": sum(1 for w in women if w)}),
        "youth": Counter({"true": sum(1 for y in youth if y)}),
        "country": Counter(filter(None, country)),
    }
    return {
        name: sorted(((k, n) for k, n in c.items() if n), key=lambda kv: (-kv[1], kv[0]))
        for name, c in counters.items()
    }


_ORDER = {
    "name": ("coalesce(l.name_en, l.name_km)", "ASC"),
    "newest": ("l.created_at", "DESC"),
}


def _page(session, base, params, sort, page, per_page, after) -> list[Hit]:
    key_sql, direction = _ORDER[sort]
    sql = f"SELECT l.id, l.document, l.province, l.size_class, {key_sql} AS sort_key {base}"
    params = {**params, "limit": per_page + 1}
    cursor = decode_cursor(after, sort) if after else None
    if cursor is not None and isinstance(cursor[0], list):
        cursor = None  # a SQLite relevance cursor given to another database: start over
    if cursor is not None:
        op = ">" if direction == "ASC" else "<"
        sql = f"SELECT * FROM ({sql}) s WHERE (sort_key, id) {op} (:after_key, :after_id)"
        params.update(after_key=cursor[0], after_id=cursor[1])
        order = f"ORDER BY sort_key {direction}, id {direction}"
    else:
        order = f"ORDER BY {key_sql} {direction}, l.id {direction}"
    sql = f"{sql} {order} LIMIT :limit"
    if cursor is None and page > 1:
        sql += " OFFSET :offset"
        params["offset"] = (page - 1) * per_page
    return [Hit(*row) for row in session.execute(text(sql), params).all()]


def _relevance(session, dialect, where, params, terms, counted, page, per_page, after):
    """One page of hits in relevance order, band by band (see the module docstring)."""
    bands = relevance_tiers(dialect, terms, counted.substring, RANK_MAX + 1)
    tiers = _with_freshness(bands)  # sorting by name or date is the reader's explicit order
    cursor = decode_cursor(after, "relevance") if after else None
    start: tuple = (0, None, None)
    if cursor is not None and isinstance(cursor[0], list):
        number, key, rowid = cursor[0]
        start = (int(number), key, rowid if dialect == "sqlite" else cursor[1])
    skip = 0 if cursor is not None else (page - 1) * per_page
    need = per_page + 1
    found: list[tuple[int, float, Any]] = []  # (tier, key, identity)
    for number, (tier, freshness) in enumerate(tiers):
        if number < start[0]:
            continue
        band = number % len(bands)
        size = counted.tier_sizes.get(band)
        if size is None:  # unfiltered and bounded: it costs little, and is cached with the counts
            size = counted.tier_sizes[band] = _band_size(session, tier)
        if size == 0:
            continue
        rows_in_tier = counted.tier_rows.get(number)
        if rows_in_tier is None and size <= min(skip, RANK_MAX):
            # a page number likely past this whole band: counting its rows costs less than
            # ranking them (page 200 of "and" at 100k on SQLite: 4 ms against 22 ms)
            rows_in_tier = _band_rows(
                session, dialect, where, params, tier, freshness, counted, number
            )
        if rows_in_tier is not None and skip >= rows_in_tier and start[2] is None:
            skip -= rows_in_tier  # a page number past this whole band: no need to read it
            continue
        tier_params = {**params, **tier.params, "limit": skip + need - len(found)}
        start_at = 0  # the band's rows before the first one read
        conditions = [*where, tier.match_sql, freshness]
        resume = number == start[0] and start[2] is not None
        if resume:
            tier_params.update(after_key=start[1], after_rid=start[2])
        if size <= RANK_MAX:
            sql = (
                f"SELECT rid, k FROM (SELECT {tier.ident} AS rid, {tier.rank_sql} AS k "
                f"FROM {tier.from_sql} WHERE {' AND '.join(conditions)}) s"
            )
            if resume:
                sql += " WHERE (k, rid) > (:after_key, :after_rid)"
            sql += " ORDER BY k, rid LIMIT :limit"
        else:  # too many to rank: read them in the index's own order
            if not resume and skip:  # a page number: start at the last anchor before it
                start_at, anchor = _anchor(counted, number, skip)
                if anchor is not None:
                    skip -= start_at
                    tier_params.update(after_rid=anchor, limit=skip + need - len(found))
            if resume or start_at:
                conditions.append(tier.after)
            sql = (
                f"SELECT {tier.ident}, 0.0 FROM {tier.from_sql} "
                f"WHERE {' AND '.join(conditions)} ORDER BY {tier.cheap_order} LIMIT :limit"
            )
        rows = session.execute(text(sql), tier_params).all()
        if len(rows) < tier_params["limit"] and not resume:  # the whole band was read
            counted.tier_rows[number] = start_at + len(rows)
            if size <= RANK_MAX:
                counted.members[number] = _member_keys(dialect, (rid for rid, _ in rows))
        if size > RANK_MAX and not resume:
            _keep_anchors(counted, number, start_at, rows)
        dropped = min(skip, len(rows))
        skip -= dropped
        found += [(number, float(key), rid) for rid, key in rows[dropped:]]
        if len(found) >= need:
            break
    if not found:
        return []
    return _hits(session, dialect, found)


ANCHOR_EVERY = 20  # a band read in index order keeps the identity of every 20th row
MAX_ANCHORS = 1_000


def _anchor(counted: Counted, number: int, skip: int) -> tuple[int, Any]:
    """(rows up to it, identity) of the last anchor at or before ``skip`` rows into a band
    read in index order, or (0, None). An anchor ends every block of ``ANCHOR_EVERY`` rows
    (after a change, a stale page's anchors may have moved: ``_stale_anchors``).

    A page number inside such a band skips rows with OFFSET, and on PostgreSQL a sparse
    band walks the primary key past every row that is not a hit: page 200 of "and"
    read 780,000 rows at 1,000,000 listings. Rows read once leave anchors (cached with
    the counts, for the same data and filters), from which a later page seeks by the
    band's keyset condition, as the "Next" cursor does.
    """
    anchors = counted.anchors.get(number, ())
    before = bisect.bisect_right(anchors, skip, key=lambda anchor: anchor[0])
    return anchors[before - 1] if before else (0, None)


def _keep_anchors(counted: Counted, number: int, start_at: int, rows: list) -> None:
    """Remember the anchors among ``rows``, read from ``start_at`` rows into the band."""
    known = counted.anchors.get(number, [])
    ends = [
        (i, rid) for i, (rid, _) in enumerate(rows, start=start_at + 1) if i % ANCHOR_EVERY == 0
    ]
    anchors = [anchor for anchor in known if anchor[0] <= start_at] + ends
    if anchors and (not known or anchors[-1][0] > known[-1][0]):
        counted.anchors[number] = anchors[:MAX_ANCHORS]  # replaced whole: others may read it


def _hits(session, dialect, found: list[tuple[int, float, Any]]) -> list[Hit]:
    """The result rows of ``found`` (tier, key, identity), in that order."""
    if dialect == "sqlite":
        marks = ", ".join(str(int(rid)) for _, _, rid in found)
        sql = f"SELECT l.rowid, {HIT_COLUMNS} FROM listings l WHERE l.rowid IN ({marks})"
        rows = {row[0]: row[1:] for row in session.execute(text(sql)).all()}
        return [Hit(*rows[rid], [number, key, rid]) for number, key, rid in found]
    sql = f"SELECT {HIT_COLUMNS} FROM listings l WHERE l.id = ANY(:ids)"
    ids = [rid for _, _, rid in found]
    rows = {row[0]: row for row in session.execute(text(sql), {"ids": ids}).all()}
    return [Hit(*rows[rid], [number, key, 0]) for number, key, rid in found]


HIT_COLUMNS = "l.id, l.document, l.province, l.size_class"


def encode_cursor(sort: str, hit: Hit) -> str:
    """An opaque cursor after ``hit`` in the ``sort`` order."""
    key = hit.key.isoformat() if isinstance(hit.key, datetime) else hit.key
    raw = orjson.dumps([sort, key, hit.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str] | None:
    """The (key, id) of a cursor for ``sort``; None when unreadable or made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, key, rid = orjson.loads(raw)
    except (ValueError, TypeError):
        return None
    if made_for != sort or not isinstance(rid, str) or not _cursor_key(key):
        return None
    return key, rid


def _cursor_key(key) -> bool:
    """A sort key a cursor may carry: a value, or SQLite's [tier, score, rowid]."""
    if isinstance(key, list):
        return len(key) == 3 and all(
            isinstance(k, int | float) and not isinstance(k, bool) for k in key
        )
    return isinstance(key, str | int | float)
