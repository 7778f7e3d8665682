"""Search and browse published listings (the web search and the JSON API share this).

A search is three statements: the facet rows of at most ``COUNT_CAP + 1`` hits
(counted here, so every facet costs one pass over rows already fetched), and one
page of hits in the chosen order. Pages are addressed by a keyset cursor (the
last row's sort key and id), so page 200 costs what page 1 costs; the JSON API
may still ask for a page number.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import text
from sqlmodel import Session

from directory.records import registration_key
from directory.search.queries import hit_source
from directory.search.tokens import words

COUNT_CAP = 10_000
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
) -> SearchPage:
    """Published, publicly shared listings matching the filters, ranked or sorted."""
    terms = query_terms(filters.q)
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance" and not terms:
        sort = "name"
    dialect = session.get_bind().dialect.name
    source = hit_source(dialect, terms)
    where, params = _filter_sql(filters)
    if source.where_sql:
        where.append(source.where_sql)
    params.update(source.params)
    base = f"FROM {source.from_sql} WHERE {' AND '.join(where)}"
    rows = _facet_rows(session, base, params)
    result = SearchPage(
        total=min(len(rows), COUNT_CAP),
        capped=len(rows) > COUNT_CAP,
        page=page,
        per_page=per_page,
        terms=terms,
        sort=sort,
        facets=count_facets(rows) if facets else {},
    )
    result.items = _page(session, base, params, source.score_sql, sort, page, per_page, after)
    if len(result.items) > per_page:
        result.items = result.items[:per_page]
        result.next_cursor = encode_cursor(sort, result.items[-1])
    return result


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
    """Counts per facet value over the hit rows, most frequent first."""
    counters = {name: Counter() for name in FACETS}
    for province, sections, sectors, size, markets, women, youth, country in rows[:COUNT_CAP]:
        if province:
            counters["province"][province] += 1
        if sections:
            counters["section"].update(sections.split())
        if sectors:
            counters["division"].update({code[:2] for code in sectors.split()})
        if size:
            counters["size_class"][size] += 1
        if markets:
            counters["market"].update(markets.split())
        if women:
            counters["women"]["true"] += 1
        if youth:
            counters["youth"]["true"] += 1
        if country:
            counters["country"][country] += 1
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for name, c in counters.items()}


# A lapsed record (not confirmed by its business in time) ranks after every current one
# that matches; sorting by name or date is the reader's explicit order and stays as it is.
LAPSED_PENALTY = 1000
_ORDER = {
    "relevance": (f"({{score}} + CASE WHEN l.lapsed THEN {LAPSED_PENALTY} ELSE 0 END)", "ASC"),
    "name": ("coalesce(l.name_en, l.name_km)", "ASC"),
    "newest": ("l.created_at", "DESC"),
}


def _page(session, base, params, score_sql, sort, page, per_page, after) -> list[Hit]:
    key_sql, direction = _ORDER[sort]
    key_sql = key_sql.format(score=score_sql)
    sql = f"SELECT l.id, l.document, l.province, l.size_class, {key_sql} AS sort_key {base}"
    params = {**params, "limit": per_page + 1}
    cursor = decode_cursor(after, sort) if after else None
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
    if made_for != sort or not isinstance(rid, str) or not isinstance(key, str | int | float):
        return None
    return key, rid
