"""Likely duplicates of a record, shown to the focal point who reviews it.

Candidates come from the blocking keys (``match_keys``): a few indexed lookups in
``listing_match_keys`` of the record's own keys, however many listings the node
holds. A name word shared by too many listings ("restaurant") narrows nothing and is
skipped. The best-connected candidates are then scored with ``rapidfuzz`` on name,
address and contacts into one score in [0, 1] with its reasons; those at or above
the node's ``duplicate_probable`` are probable, those at or above
``duplicate_possible`` possible (``[review]`` in the config). A pair a focal point
declared "not the same" (``distinct_pairs``) is never suggested again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session

from directory.models import ListingState, RevisionState
from directory.records import parse_json
from directory.services.match_keys import (
    e164,
    email_parts,
    match_keys,
    normalised_names,
    registration_match_key,
    skeleton,
)

DEFAULT_BANDS = (0.85, 0.65)  # (probable, possible); the node's config overrides them
NAME_KEY_LIMIT = 100  # a name word shared by more listings than this narrows nothing
STRONG_KEY_LIMIT = 50
MAX_SCORED = 30  # candidates scored per record, the best-connected first
MAX_NAME_ONLY = 12  # of which sharing only name words (they can reach "possible", no more)
KEY_WEIGHT = {"reg": 4.0, "tel": 3.0, "mail": 3.0, "dom": 1.0}  # name keys: 1 / listings
KEYS_PER_STATEMENT = 200  # keys looked up in one statement (a queue page has a few hundred)
WEIGHTS = {"name": 0.5, "address": 0.2, "contact": 0.3}


@dataclass(frozen=True)
class Candidate:
    """Another listing that may be the same business: its data, score, band and reasons."""

    listing_id: str
    state: str  # the listing's state: published, or draft while its first version waits
    doc: dict[str, Any]
    score: float
    band: str  # "probable" or "possible"
    reasons: tuple[str, ...] = field(default=())  # codes: registration, phone, email, ...

    @property
    def names(self) -> dict[str, str]:
        """The candidate's names by language."""
        return self.doc.get("names", {})

    @property
    def percent(self) -> int:
        """The score as a whole percentage."""
        return round(self.score * 100)


def likely_duplicates(
    session: Session,
    doc: dict[str, Any],
    *,
    exclude_id: str | None = None,
    bands: tuple[float, float] = DEFAULT_BANDS,
) -> list[Candidate]:
    """Listings that may be the same business as ``doc``, probable first, best score first."""
    return duplicates_of_many(session, [(doc, exclude_id)], bands=bands)[0]


def duplicates_of_many(
    session: Session,
    records: list[tuple[dict[str, Any], str | None]],
    *,
    bands: tuple[float, float] = DEFAULT_BANDS,
) -> list[list[Candidate]]:
    """``likely_duplicates`` of each (document, own listing id), in three statements for all.

    A page of the review queue asks once for the keys of all its rows, once for the
    pairs declared distinct and once for the candidates' documents, instead of three
    statements a row; each record's candidates are the ones ``likely_duplicates`` finds.
    """
    keys = [sorted(match_keys(doc)) for doc, _ in records]
    hits = _key_hits(session, sorted({k for ks in keys for k in ks}))
    distinct = _declared_distinct_many(session, {rid for _, rid in records if rid})
    ids = [
        _ranked_ids(hits, ks, exclude_id=rid, distinct=distinct.get(rid, set()))
        for ks, (_, rid) in zip(keys, records, strict=True)
    ]
    documents = {
        rid: (state, other)
        for rid, state, other in _documents(session, sorted({i for each in ids for i in each}))
    }
    probable, possible = bands
    out = []
    for (doc, _), each in zip(records, ids, strict=True):
        found = []
        for rid in each:
            if rid not in documents:
                continue
            state, other = documents[rid]
            score, reasons = score_pair(doc, other)
            if score >= possible:
                band = "probable" if score >= probable else "possible"
                found.append(Candidate(rid, state, other, score, band, reasons))
        found.sort(key=lambda c: (c.band != "probable", -c.score, c.listing_id))
        out.append(found)
    return out


def _key_hits(session: Session, keys: list[str]) -> dict[str, list[str]]:
    """The listings holding each key, at most one more than the key's limit.

    One statement: a lookup per key, each limited, so a key shared by thousands of
    listings costs no more than one shared by a few (it is then skipped).
    """
    hits: dict[str, list[str]] = {}
    if not keys:
        return hits
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one = "SELECT key, listing_id FROM listing_match_keys WHERE key = {m} LIMIT {m}"
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start : start + KEYS_PER_STATEMENT]
        sql = " UNION ALL ".join(
            f"SELECT * FROM ({one.format(m=mark)}) q{i}" for i in range(len(chunk))
        )
        params = [p for key in chunk for p in (key, _limit(key) + 1)]
        for key, rid in conn.exec_driver_sql(sql, tuple(params)).all():
            hits.setdefault(key, []).append(rid)
    return hits


def _ranked_ids(
    hits: dict[str, list[str]], keys: list[str], *, exclude_id: str | None, distinct: set[str]
) -> list[str]:
    """The candidates of a record with these keys, the best-connected first."""
    weight: dict[str, float] = {}
    for key in keys:
        rids = hits.get(key, [])
        if not rids or len(rids) > _limit(key):
            continue  # unknown, or too common to tell businesses apart
        kind = key.split(":", 1)[0]
        gain = KEY_WEIGHT.get(kind) or 1.0 / len(rids)
        for rid in rids:
            weight[rid] = weight.get(rid, 0.0) + gain
    weight.pop(exclude_id, None)
    for other in distinct:
        weight.pop(other, None)
    ranked = sorted(weight, key=lambda rid: (-weight[rid], rid))
    strong = [rid for rid in ranked if weight[rid] >= 1.0]
    return (strong + [rid for rid in ranked if weight[rid] < 1.0][:MAX_NAME_ONLY])[:MAX_SCORED]


def _limit(key: str) -> int:
    return NAME_KEY_LIMIT if key.startswith("nm:") else STRONG_KEY_LIMIT


def declared_distinct(session: Session, listing_id: str) -> set[str]:
    """The listings a focal point declared not the same business as this one."""
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    rows = conn.exec_driver_sql(
        f"SELECT listing_b FROM distinct_pairs WHERE listing_a = {mark}"
        f" UNION ALL SELECT listing_a FROM distinct_pairs WHERE listing_b = {mark}",
        (listing_id, listing_id),
    ).all()
    return {other for (other,) in rows}


def _declared_distinct_many(session: Session, listing_ids: set[str]) -> dict[str, set[str]]:
    """``declared_distinct`` of several listings in one statement."""
    out: dict[str, set[str]] = {}
    if not listing_ids:
        return out
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    ids = sorted(listing_ids)
    marks = ", ".join([mark] * len(ids))
    rows = conn.exec_driver_sql(
        f"SELECT listing_a, listing_b FROM distinct_pairs WHERE listing_a IN ({marks})"
        f" UNION SELECT listing_a, listing_b FROM distinct_pairs WHERE listing_b IN ({marks})",
        (*ids, *ids),
    ).all()
    for a, b in rows:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def _documents(session: Session, ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, state, document) of each candidate: its pending revision's data, else published."""
    if not ids:
        return []
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(ids))
    listings = conn.exec_driver_sql(
        f"SELECT id, state, document FROM listings WHERE id IN ({marks})", tuple(ids)
    ).all()
    pending = dict(
        conn.exec_driver_sql(
            f"SELECT listing_id, document FROM revisions WHERE state = {mark}"
            f" AND listing_id IN ({marks})",
            (RevisionState.PENDING.value, *ids),
        ).all()
    )
    out = []
    for rid, state, document in listings:
        if rid in pending:
            out.append((rid, state, parse_json(pending[rid])))
        elif state == ListingState.PUBLISHED and document:
            out.append((rid, state, parse_json(document)))
    return out


def score_pair(doc: dict[str, Any], other: dict[str, Any]) -> tuple[float, tuple[str, ...]]:
    """How likely two records are one business, in [0, 1], and the reasons why."""
    reasons = []
    if _same_registration(doc, other):
        return 1.0, ("registration",)
    name = name_similarity(doc, other)
    if name >= 0.8:
        reasons.append("name")
    address, where = _address_similarity(doc, other)
    if where:
        reasons.append(where)
    contact, why = _contact_similarity(doc, other)
    reasons += why
    score = WEIGHTS["name"] * name + WEIGHTS["address"] * address + WEIGHTS["contact"] * contact
    return round(min(score, 1.0), 3), tuple(reasons)


def name_similarity(doc: dict[str, Any], other: dict[str, Any]) -> float:
    """The best match of any name of one with any name of the other, in [0, 1].

    Words in any order (``token_sort_ratio``), on the romanised words and on their
    consonant skeletons, so "Sovann" and a romanised "sovnn" still meet.
    """
    best = 0.0
    for a in normalised_names(doc):
        for b in normalised_names(other):
            skeletons = fuzz.token_sort_ratio(_sk(a), _sk(b))
            best = max(best, fuzz.token_sort_ratio(a, b), 0.95 * skeletons)
    return best / 100


@lru_cache(maxsize=20_000)
def _sk(name: str) -> str:
    return " ".join(skeleton(w) for w in name.split())


def _same_registration(doc: dict[str, Any], other: dict[str, Any]) -> bool:
    """The same registration, counting those of the records merged into either (``aliases``)."""
    return bool(_registrations(doc) & _registrations(other))


def _registrations(doc: dict[str, Any]) -> set[str]:
    found = {registration_match_key(doc)}
    found.update(registration_match_key(a) for a in doc.get("aliases") or [])
    return found - {None}


def _address_similarity(doc: dict[str, Any], other: dict[str, Any]) -> tuple[float, str | None]:
    a, b = doc.get("address") or {}, other.get("address") or {}
    if not a.get("province") or a.get("province") != b.get("province"):
        return 0.0, None
    parts = [(a.get(k) or "", b.get(k) or "") for k in ("district", "commune", "street")]
    parts = [(x.casefold(), y.casefold()) for x, y in parts if x or y]
    if not parts:
        return 0.6, "province"
    detail = sum(fuzz.ratio(x, y) for x, y in parts) / (100 * len(parts))
    return 0.6 + 0.4 * detail, "address" if detail >= 0.8 else "province"


def _contact_similarity(doc: dict[str, Any], other: dict[str, Any]) -> tuple[float, list[str]]:
    a, b = doc.get("contact") or {}, other.get("contact") or {}
    reasons = []
    phone = e164(a.get("phone"), (doc.get("address") or {}).get("country"))
    if phone and phone == e164(b.get("phone"), (other.get("address") or {}).get("country")):
        reasons.append("phone")
    mine, theirs = email_parts(a.get("email")), email_parts(b.get("email"))
    if mine and theirs and mine[0] == theirs[0]:
        reasons.append("email")
    elif mine and theirs and mine[1] and mine[1] == theirs[1]:
        reasons.append("email_domain")
    if "phone" in reasons or "email" in reasons:
        return 1.0, reasons
    return (0.6 if reasons else 0.0), reasons
