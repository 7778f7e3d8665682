"""Publishing changes: the change log, the version rule, and applying remote records.

Every published change (local approve, minor edit, withdrawal, import, or a
record from a peer) goes through here, so the listing row and its change-log
entry are always written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from directory.db import insert_rows
from directory.models import ChangeCounter, ChangeLogEntry, Listing, ListingState
from directory.models.base import isoformat_z, utcnow
from directory.node import Node
from directory.records import (
    LISTING_EXTRACTED_COLUMNS,
    canonical_json,
    id_origin,
    is_tombstone,
    listing_columns,
    listing_values,
    public_ever,
    widen_shares,
)
from directory.services.match_keys import match_keys, store_match_keys
from schemas import ValidationIssue, load_isic, validate_record
from sync.outcomes import Outcome


@dataclass
class ApplyResult:
    """What happened to one incoming record."""

    id: str | None
    version: int | None
    outcome: Outcome
    issues: list[ValidationIssue] = field(default_factory=list)
    message: str = ""


class ChangeRow(NamedTuple):
    """One entry of the change feed as stored: the latest document of a record."""

    seq: int
    id: str
    origin: str
    version: int
    deleted: bool
    document: str  # canonical JSON, served as is
    share_public: bool
    share_hub: bool
    share_peers: str | None
    source_peer: str | None  # the peer this node received the record from (None: its own)
    shared_hub_ever: bool  # some published version was shared with the hub
    shared_peers_ever: str | None  # " th la ": peers some published version was shared with


@cache
def isic_sections() -> dict[str, str]:
    """ISIC code -> section letter, for the extracted ``isic_sections`` column."""
    return {code: row["section"] for code, row in load_isic().items()}


_COUNTER = ChangeCounter.__table__
_NEXT_SEQ = (
    update(_COUNTER)
    .where(_COUNTER.c.id == 1)
    .values(value=_COUNTER.c.value + bindparam("count"))
    .returning(_COUNTER.c.value)
)


def next_change_seq(session: Session, count: int = 1) -> int:
    """Reserve ``count`` sequence numbers; returns the last. Holds the counter row lock."""
    # a Core statement on the session's connection: the ORM's bulk-UPDATE handling
    # (synchronising objects of a table nobody loads) cost more than the UPDATE itself
    return session.connection().execute(_NEXT_SEQ, {"count": count}).scalar_one()


def stamp_envelope(doc: dict[str, Any], listing: Listing, version: int, now: datetime) -> dict:
    """Set the fields only the origin writes: id, origin, version, updated_at."""
    return {
        **doc,
        "id": listing.id,
        "origin": listing.origin,
        "version": version,
        "updated_at": isoformat_z(now),
    }


def publish_document(session: Session, listing: Listing, doc: dict[str, Any]) -> int:
    """Make ``doc`` (envelope already set) the listing's published state; log it. Returns seq."""
    seq = next_change_seq(session)
    deleted = is_tombstone(doc)
    listing.document = canonical_json(doc)
    listing.version = doc["version"]
    listing.change_seq = seq
    listing.updated_at = utcnow()
    listing.state = ListingState.WITHDRAWN if deleted else ListingState.PUBLISHED
    columns = listing_columns(doc, isic_sections())
    for column, value in columns.items():
        setattr(listing, column, value)
    listing.shared_hub_ever, listing.shared_peers_ever = widen_shares(
        listing.shared_hub_ever, listing.shared_peers_ever, columns
    )
    listing.shared_public_ever = public_ever(listing.shared_public_ever, columns)
    session.add(listing)
    session.add(
        ChangeLogEntry(seq=seq, record_id=listing.id, version=doc["version"], deleted=deleted)
    )
    session.flush()
    store_match_keys(session.connection(), {listing.id: match_keys(doc)})
    return seq


def check_remote(doc: Any, node: Node, source_peer: str | None, relay: bool) -> ApplyResult | None:
    """Validation and origin rules for one incoming record; None when it may be applied."""
    failed = check_record(doc)
    if failed is None and not may_send(doc, node, source_peer, relay):
        failed = refused_origin(doc, source_peer)
    return failed


def check_record(doc: Any) -> ApplyResult | None:
    """Schema validation and the id-names-its-origin rule; None when the record is sound."""
    rid = doc.get("id") if isinstance(doc, dict) else None
    version = doc.get("version") if isinstance(doc, dict) else None
    issues = validate_record(doc)
    if issues:
        return ApplyResult(rid, version, Outcome.REJECTED, issues)
    origin = doc["origin"]
    if id_origin(rid) != origin:
        issue = ValidationIssue("/id", f"must start with its origin node id {origin!r}")
        return ApplyResult(rid, version, Outcome.REJECTED, [issue])
    return None


def may_send(doc: dict, node: Node, source_peer: str | None, relay: bool) -> bool:
    """A peer that is not a relay may only send its own records (and ours, echoed back)."""
    return not source_peer or relay or doc["origin"] in (source_peer, node.id)


def is_echo(doc: dict, held: tuple[str, int] | None) -> bool:
    """True when this node already holds the record, same origin, at this version or newer."""
    return held is not None and held[0] == doc["origin"] and doc["version"] <= held[1]


def refused_origin(doc: dict, source_peer: str | None) -> ApplyResult:
    """The answer to a record of a third origin from a peer that is not a relay."""
    issue = ValidationIssue("/origin", f"peer {source_peer!r} may only send its own records")
    return ApplyResult(doc["id"], doc["version"], Outcome.REJECTED, [issue])


def echo_result(doc: dict) -> ApplyResult:
    """An echo of a version held here: nothing to do, and no conflict."""
    return ApplyResult(doc["id"], doc["version"], Outcome.UNCHANGED, message=ECHO_MESSAGE)


ECHO_MESSAGE = "already held at this version or newer (an echo)"


def apply_remote_changes(
    session: Session,
    docs: list[Any],
    *,
    node: Node,
    source_peer: str | None,
    relay: bool = False,
    prepared: RemotePrepared | None = None,
) -> list[ApplyResult]:
    """Apply a batch of records/tombstones from elsewhere by the version rule; one result each.

    A record is applied only if its version is higher than the one held, so the
    same batch applied twice changes nothing, and older versions arriving late
    are ignored. Records whose origin is this node are never overwritten. A record
    of a third origin from a peer that is not a relay is refused, unless it is an
    echo of what is held here (then it is unchanged).
    Written with Core statements in bulk: this is the hot path of a pull. ``prepared``
    (``prepare_remote`` of these documents) saves checking and computing them again.
    """
    prepared = prepared or {}
    results: list[ApplyResult | None] = [
        ahead.check if (ahead := prepared.get(id(d))) else check_record(d) for d in docs
    ]
    foreign = [
        i
        for i, doc in enumerate(docs)
        if results[i] is None and not may_send(doc, node, source_peer, relay)
    ]
    for i in foreign:
        results[i] = refused_origin(docs[i], source_peer)
    candidates = _newest_per_id(docs, results)
    held = held_versions(session, [*candidates, *(docs[i]["id"] for i in foreign)])
    for i in foreign:
        if is_echo(docs[i], held.get(docs[i]["id"])):
            results[i] = echo_result(docs[i])
    inserts, updates = [], []
    for rid, index in candidates.items():
        doc = docs[index]
        result = _decide(doc, held.get(rid), node)
        results[index] = result
        if result.outcome.changed:
            (updates if rid in held else inserts).append(doc)
    for index, doc in enumerate(docs):  # a record repeated in one batch: keep the newest only
        if results[index] is None:
            results[index] = ApplyResult(doc["id"], doc["version"], Outcome.UNCHANGED)
    computed = {
        doc["id"]: (ahead.values, ahead.keys)
        for doc in inserts + updates
        if (ahead := prepared.get(id(doc))) and ahead.values is not None
    }
    write_listings(session, inserts, updates, source_peer, computed=computed)
    return results  # type: ignore[return-value]


class RemoteRecord(NamedTuple):
    """A record from elsewhere, checked, with its rows' values computed ahead of the write."""

    check: ApplyResult | None  # ``check_record``'s answer: None when the record is sound
    values: tuple | None  # ``listing_values`` (None for an unsound record)
    keys: set[str] | None  # ``match_keys``


# id() of a batch's document -> its RemoteRecord
RemotePrepared = Mapping[int, RemoteRecord]


def prepare_remote(docs: list[Any]) -> dict[int, RemoteRecord]:
    """Check a batch of records from elsewhere and compute their rows, before the write.

    A pull runs this in its fetch thread on the next page while the current one is
    written: the schema validation, the extracted columns with the search words, and
    the duplicate keys are most of a pull's Python work, and they then run while this
    process waits for the database (psycopg and sqlite3 let go of the GIL meanwhile).
    Pure: it reads nothing from the database.
    """
    sections = isic_sections()
    prepared = {}
    for doc in docs:
        check = check_record(doc)
        if check is None:
            prepared[id(doc)] = RemoteRecord(None, listing_values(doc, sections), match_keys(doc))
        else:
            prepared[id(doc)] = RemoteRecord(check, None, None)
    return prepared


def _newest_per_id(docs: list[Any], results: list) -> dict[str, int]:
    newest: dict[str, int] = {}
    for i, doc in enumerate(docs):
        if results[i] is None:
            j = newest.get(doc["id"])
            if j is None or doc["version"] > docs[j]["version"]:
                newest[doc["id"]] = i
    return newest


def held_versions(session: Session, ids: list[str]) -> dict[str, tuple[str, int]]:
    """id -> (origin, version) of the listings held here among ``ids``."""
    rows = select_by_ids(session, "SELECT id, origin, version FROM listings WHERE id IN", ids)
    return {rid: (origin, version) for rid, origin, version in rows}


IN_CHUNK = 500


def select_by_ids(session: Session, sql: str, ids: list[str]) -> list[tuple]:
    """Rows of ``sql`` + ``(ids...)``, in chunks, as plain tuples through the driver.

    A hot path of pulls and imports: an expanding ``IN`` built by SQLAlchemy is
    compiled afresh for every chunk, which costs more than the primary-key probes.
    """
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    rows: list[tuple] = []
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        marks = ", ".join([mark] * len(chunk))
        rows += conn.exec_driver_sql(f"{sql} ({marks})", tuple(chunk)).all()
    return rows


def _decide(doc: dict, held: tuple[str, int] | None, node: Node) -> ApplyResult:
    rid, version, origin = doc["id"], doc["version"], doc["origin"]
    deleted = is_tombstone(doc)
    if held is not None and held[0] != origin:
        return ApplyResult(rid, version, Outcome.CONFLICT, message=f"held with origin {held[0]}")
    if held is not None and version <= held[1]:
        return ApplyResult(rid, version, Outcome.UNCHANGED)
    if origin == node.id:
        msg = "this node is the origin of the record; only it accepts edits"
        return ApplyResult(rid, version, Outcome.CONFLICT, message=msg)
    if deleted:
        return ApplyResult(rid, version, Outcome.DELETED)
    return ApplyResult(rid, version, Outcome.UPDATED if held else Outcome.CREATED)


LISTING_COLUMNS = (
    "origin",
    "state",
    "version",
    "change_seq",
    "document",
    "updated_at",
    "source_peer",
    *LISTING_EXTRACTED_COLUMNS,
    "shared_hub_ever",
    "shared_peers_ever",
    "shared_public_ever",
)


def write_listings(
    session: Session,
    inserts: list[dict],
    updates: list[dict],
    source_peer: str | None,
    *,
    computed: Mapping[str, tuple[tuple, set[str]]] | None = None,
) -> None:
    """Store published documents in bulk: new listing rows, updated rows, change-log entries.

    This is the hot path of a pull, so rows go to the driver's executemany as
    plain tuples: the only value that needs SQLAlchemy's type processing (the
    timestamp) is the same for every row and is processed once. ``computed``:
    id -> (``listing_values``, ``match_keys``) of documents computed ahead (an
    import's read-ahead thread computes them while the previous batch is written).
    """
    docs = inserts + updates
    if not docs:
        return
    computed = computed or {}
    last = next_change_seq(session, len(docs))
    conn = session.connection()
    stamp = bound_timestamp(conn, utcnow())
    sections = isic_sections()
    shared = _shared_ever(session, [doc["id"] for doc in updates])
    published, withdrawn = ListingState.PUBLISHED.value, ListingState.WITHDRAWN.value
    rows, log = [], []
    for seq, doc in enumerate(docs, start=last - len(docs) + 1):
        rid, version = doc["id"], doc["version"]
        deleted = doc.get("deleted") is True
        extracted = ahead[0] if (ahead := computed.get(rid)) else listing_values(doc, sections)
        hub_ever, peers_ever, was_public = shared.get(rid, (False, None, False))
        hub_ever, peers_ever = widen_shares(
            hub_ever,
            peers_ever,
            {"share_hub": extracted[_SHARE_HUB], "share_peers": extracted[_SHARE_PEERS]},
        )
        was_public = was_public or bool(extracted[_SHARE_PUBLIC])
        rows.append(
            (
                doc["origin"],
                withdrawn if deleted else published,
                version,
                seq,
                canonical_json(doc),
                stamp,
                source_peer,
                *extracted,
                hub_ever,
                peers_ever,
                was_public,
                rid,
            )
        )
        log.append((seq, rid, version, deleted, stamp))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if conn.dialect.name == "sqlite":
        _sqlite_write_rows(
            conn, [(*row, stamp) for row in rows[: len(inserts)]], rows[len(inserts) :]
        )
    else:
        # COPY: an INSERT per row also sets up, per row, the generated search vector and
        # the expression indexes (parsing the stored expression, building its program)
        insert_rows(
            conn,
            "listings",
            (*LISTING_COLUMNS, "id", "created_at"),
            [(*row, stamp) for row in rows[: len(inserts)]],
        )
        if updates:
            assignments = ", ".join(f"{c} = {mark}" for c in LISTING_COLUMNS)
            sql = f"UPDATE listings SET {assignments} WHERE id = {mark}"
            conn.exec_driver_sql(sql, rows[len(inserts) :])
    if updates:
        _expire_cached(session, [doc["id"] for doc in updates])
    store_match_keys(conn, _keys(inserts, computed), fresh=True)
    store_match_keys(conn, _keys(updates, computed))
    insert_rows(conn, "change_log", ("seq", "record_id", "version", "deleted", "created_at"), log)


SQLITE_MAX_VARIABLES = 32_766  # SQLite's default limit of bound parameters in one statement


def _sqlite_write_rows(conn, inserts: list[tuple], updates: list[tuple]) -> None:
    """Insert and update listing rows on SQLite with one statement per up to ~1,000 rows.

    Not ``executemany``: SQLite runs that as one statement per row, and each statement
    that fires the search triggers opens a statement savepoint, at which FTS5 writes
    its pending words to disk as a new segment (``fts5SavepointMethod``). A page of
    1,000 rows therefore made 2,000 one-row index segments to merge, which cost more
    than the rest of the write; one statement per chunk flushes once per chunk.
    """
    width = len(LISTING_COLUMNS) + 2
    size = SQLITE_MAX_VARIABLES // width
    row = f"({', '.join(['?'] * width)})"
    columns = ", ".join((*LISTING_COLUMNS, "id", "created_at"))
    for start in range(0, len(inserts), size):
        part = inserts[start : start + size]
        sql = f"INSERT INTO listings ({columns}) VALUES {', '.join([row] * len(part))}"
        conn.exec_driver_sql(sql, tuple(value for values in part for value in values))
    width -= 1  # an update row has no created_at
    size = SQLITE_MAX_VARIABLES // width
    row = f"({', '.join(['?'] * width)})"
    names = ", ".join((*LISTING_COLUMNS, "id"))
    assignments = ", ".join(f"{c} = v.{c}" for c in LISTING_COLUMNS)
    for start in range(0, len(updates), size):
        part = updates[start : start + size]
        sql = (
            f"WITH v ({names}) AS (VALUES {', '.join([row] * len(part))}) "
            f"UPDATE listings SET {assignments} FROM v WHERE listings.id = v.id"
        )
        conn.exec_driver_sql(sql, tuple(value for values in part for value in values))


def _keys(docs: list[dict], computed: Mapping[str, tuple[tuple, set[str]]]) -> dict:
    """id -> match keys of each document, those computed ahead taken as they are."""
    return {
        doc["id"]: ahead[1] if (ahead := computed.get(doc["id"])) else match_keys(doc)
        for doc in docs
    }


_SHARE_PUBLIC = LISTING_EXTRACTED_COLUMNS.index("share_public")
_SHARE_HUB = LISTING_EXTRACTED_COLUMNS.index("share_hub")
_SHARE_PEERS = LISTING_EXTRACTED_COLUMNS.index("share_peers")


def _shared_ever(session: Session, ids: list[str]) -> dict[str, tuple[bool, str | None, bool]]:
    """id -> (shared_hub_ever, shared_peers_ever, shared_public_ever) of listings about to be
    updated."""
    sql = (
        "SELECT id, shared_hub_ever, shared_peers_ever, shared_public_ever"
        " FROM listings WHERE id IN"
    )
    return {rid: (hub, peers, pub) for rid, hub, peers, pub in select_by_ids(session, sql, ids)}


def bound_timestamp(conn, moment: datetime):
    """A timestamp as the driver wants it for a timezone-aware DateTime column.

    On SQLite it is turned into text here, once, exactly as the sqlite3 module's
    default adapter would for every row of an ``executemany``.
    """
    process = Listing.__table__.c.updated_at.type.bind_processor(conn.dialect)
    value = process(moment) if process else moment
    if conn.dialect.name == "sqlite" and isinstance(value, datetime):
        return value.isoformat(" ")
    return value


def _expire_cached(session: Session, ids: list[str]) -> None:
    """Core UPDATEs bypass the ORM: drop stale copies of those listings from the session."""
    for rid in ids:
        cached = session.identity_map.get(session.identity_key(Listing, rid))
        if cached is not None:
            session.expire(cached)


def read_changes(session: Session, after_seq: int, limit: int) -> list[ChangeRow]:
    """Changes after a sequence number, in order, latest version per record (tombstones too)."""
    stmt = (
        select(
            Listing.change_seq,
            Listing.id,
            Listing.origin,
            Listing.version,
            (Listing.state == ListingState.WITHDRAWN).label("deleted"),
            Listing.document,
            Listing.share_public,
            Listing.share_hub,
            Listing.share_peers,
            Listing.source_peer,
            Listing.shared_hub_ever,
            Listing.shared_peers_ever,
        )
        .where(Listing.change_seq > after_seq)
        .order_by(Listing.change_seq)
        .limit(limit)
    )
    # plain tuples: this is the feed's hot path, served as stored text
    return [ChangeRow._make(row) for row in session.execute(stmt).all()]


def last_change_seq(session: Session) -> int:
    """The highest sequence number handed out so far."""
    return session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one()
