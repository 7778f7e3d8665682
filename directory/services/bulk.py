"""Bulk import and export of records (an admin's task; the CLI drives it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from directory import permissions
from directory.db import insert_rows
from directory.models import (
    Listing,
    ListingState,
    Revision,
    RevisionKind,
    RevisionState,
    Role,
    User,
)
from directory.models.base import isoformat_z, utcnow
from directory.node import Node
from directory.records import (
    business_data,
    canonical_json,
    is_tombstone,
    listing_values,
    parse_json,
    registration_record_id,
)
from directory.services.changes import (
    ApplyResult,
    RemotePrepared,
    apply_remote_changes,
    bound_timestamp,
    isic_sections,
    prepare_remote,
    select_by_ids,
    write_listings,
)
from directory.services.errors import InvalidRecord, PermissionDenied
from directory.services.listings import (
    check_draft,
    open_revision,
    publish_revision,
    tombstone_listing,
)
from directory.services.match_keys import index_pending, match_keys
from schemas import ValidationIssue, validate_record
from sync.outcomes import Outcome

# An imported record without an id gets one derived from its registration (re-importing
# the same file updates instead of duplicating), so such a record must carry one.
NO_REGISTRATION = ValidationIssue(
    "/registration", "is required to import a record without an id (the id is derived from it)"
)


def system_admin() -> User:
    """The actor for command-line bulk loads: an admin with no account row."""
    return User(id=None, email="cli@localhost", role=Role.ADMIN, display_name="smedir CLI")


class NewRecord(NamedTuple):
    """A valid record of this node as version 1, with what its rows need computed ahead."""

    doc: dict  # the record with its envelope but ``updated_at`` (set when it is published)
    values: tuple  # ``listing_values``: the extracted columns
    keys: set[str]  # ``match_keys``: the duplicate-candidate keys
    revision: str  # ``revision_json``: the text of its import revision


# id() of a batch's document -> its NewRecord, or None when it is not a valid record of
# this node (invalid, a tombstone, another origin's): the slow paths take those
Prepared = Mapping[int, NewRecord | None]


class PreparedBatch(NamedTuple):
    """A batch checked and computed ahead of its write, keyed by ``id()`` of each document."""

    own: Prepared  # ``prepare_records``: this node's records
    remote: RemotePrepared  # ``prepare_remote``: other origins' records (the valid ones)


def prepare_batch(docs: list[Any], node: Node) -> PreparedBatch:
    """``prepare_records`` of a batch's own records and ``prepare_remote`` of the others'."""
    return PreparedBatch(
        prepare_records(docs, node), prepare_remote([d for d in docs if _is_replica(d, node)])
    )


def prepare_records(docs: list[Any], node: Node) -> dict[int, NewRecord | None]:
    """Check a batch's records of this node and compute their rows, before the write.

    ``smedir import`` runs this in its read-ahead thread on the next batch while the
    current one is written, so the Python work overlaps the database's (as a pull's
    fetch of the next page does). Pure: it reads nothing from the database.
    """
    prepared: dict[int, NewRecord | None] = {}
    for doc in docs:
        rid = _local_id(doc, node)
        prepared[id(doc)] = new_record(doc, rid, node) if rid else None
    return prepared


def enveloped(doc: dict, rid: str, node: Node) -> dict:
    """``doc`` of this node as version ``1`` of record ``rid`` (a shallow copy)."""
    return {**doc, "id": rid, "origin": node.id, "version": 1}


def new_record(doc: dict, rid: str, node: Node) -> NewRecord:
    """``doc`` of this node as version ``1`` of record ``rid``, with its rows' values."""
    full = enveloped(doc, rid, node)
    return NewRecord(
        full, listing_values(full, isic_sections()), match_keys(full), revision_json(full)
    )


def import_records(
    session: Session,
    actor: User,
    docs: list[Any],
    *,
    node: Node,
    review: bool = False,
    prepared: PreparedBatch | None = None,
) -> list[ApplyResult]:
    """Import a batch: new, unchanged and other-origin records in bulk, the rest one by one.

    ``prepared`` (``prepare_batch`` of these documents, or of a batch holding them)
    saves checking and computing them again.
    """
    if not permissions.can_import(actor):
        raise PermissionDenied("import-admin-only")
    results: list[ApplyResult | None] = [None] * len(docs)
    own, remote = prepared or ({}, None)
    fresh = _sort_own_records(session, docs, results, node=node, review=review, prepared=own)
    new_records = []
    for rid, i in fresh.items():
        new_records.append(own.get(id(docs[i])) or new_record(docs[i], rid, node))
        results[i] = ApplyResult(rid, 1, Outcome.CREATED)
    publish_new_records(session, actor, new_records)
    replicas = [i for i, doc in enumerate(docs) if results[i] is None and _is_replica(doc, node)]
    if replicas:  # other origins: applied by the version rule, in bulk as a pull does
        applied = apply_remote_changes(
            session,
            [docs[i] for i in replicas],
            node=node,
            source_peer=None,
            relay=True,
            prepared=remote,
        )
        for i, result in zip(replicas, applied, strict=True):
            results[i] = result
    for i, doc in enumerate(docs):
        if results[i] is None:
            results[i] = import_record(session, actor, doc, node=node, review=review)
    return results  # type: ignore[return-value]


def _sort_own_records(
    session: Session,
    docs: list[Any],
    results: list,
    *,
    node: Node,
    review: bool,
    prepared: Prepared,
) -> dict[str, int]:
    """Valid records of this node: mark those equal to the published data UNCHANGED (as
    ``import_record`` would, so re-importing a file is a bulk read) and return the ones
    never seen (id -> index; publishing them is a bulk write unless ``review``)."""
    ids = {}
    for i, doc in enumerate(docs):
        if id(doc) in prepared:
            rid = record.doc["id"] if (record := prepared[id(doc)]) else None
        else:
            rid = _local_id(doc, node)
        if rid:
            ids[i] = rid
    sql = "SELECT id, version, document FROM listings WHERE id IN"
    held = {rid: (v, text) for rid, v, text in select_by_ids(session, sql, list(set(ids.values())))}
    fresh: dict[str, int] = {}
    for i, rid in ids.items():
        if rid in held:
            version, text = held[rid]
            if text is not None and business_data(parse_json(text)) == business_data(docs[i]):
                results[i] = ApplyResult(rid, version, Outcome.UNCHANGED)
        elif not review and rid not in fresh:
            fresh[rid] = i
    return fresh


def _is_replica(doc: Any, node: Node) -> bool:
    """A record whose origin is another node (``import_record`` applies it by the version rule)."""
    if not isinstance(doc, dict):
        return False
    origin = doc.get("origin")
    return bool(origin) and origin != node.id


def _local_id(doc: Any, node: Node) -> str | None:
    """The id of a valid, non-tombstone record of this node (None when it needs the slow path)."""
    if not isinstance(doc, dict) or doc.get("origin", node.id) != node.id or is_tombstone(doc):
        return None
    if "id" in doc:
        return doc["id"] if not validate_record(doc) else None
    try:
        check_draft(doc)
    except InvalidRecord:
        return None
    if "registration" not in doc:
        return None
    return registration_record_id(node.id, doc["registration"])


def revision_json(doc: dict) -> str:
    """The stored text of a revision: the document's business data, canonical JSON."""
    return canonical_json(business_data(doc))


def publish_new_records(session: Session, actor: User, records: list[NewRecord]) -> None:
    """Publish never-seen records of this node as version 1, with their revisions, in bulk."""
    if not records:
        return
    now = utcnow()
    updated_at = isoformat_z(now)
    stamped = [{**record.doc, "updated_at": updated_at} for record in records]
    computed = {record.doc["id"]: (record.values, record.keys) for record in records}
    write_listings(session, stamped, [], source_peer=None, computed=computed)
    conn = session.connection()
    stamp = bound_timestamp(conn, now)
    kind, state = RevisionKind.IMPORT.value, RevisionState.PUBLISHED.value
    rows = [
        (record.doc["id"], 1, kind, state, record.revision, actor.id, stamp, stamp, stamp, 1)
        for record in records
    ]
    insert_rows(conn, "revisions", _REVISION_COLUMNS, rows)


_REVISION_COLUMNS = (
    "listing_id",
    "number",
    "kind",
    "state",
    "document",
    "author_id",
    "created_at",
    "submitted_at",
    "decided_at",
    "published_version",
)


def import_record(
    session: Session, actor: User, doc: Any, *, node: Node, review: bool = False
) -> ApplyResult:
    """Load one record from a file. Identical data changes nothing, so re-imports are no-ops.

    A record of another origin is applied as a replica by the version rule. A
    record of this node (or one with no envelope, whose id is derived from its
    registration) publishes a new version if its data differ, or with
    ``review`` waits in the focal points' queue.
    """
    if not permissions.can_import(actor):
        raise PermissionDenied("import-admin-only")
    if not isinstance(doc, dict):
        return ApplyResult(None, None, Outcome.REJECTED, [ValidationIssue("", "must be an object")])
    origin = doc.get("origin")
    if origin and origin != node.id:
        [result] = apply_remote_changes(session, [doc], node=node, source_peer=None, relay=True)
        return result
    if "id" in doc:
        issues = validate_record(doc)
        if issues:
            return ApplyResult(doc.get("id"), doc.get("version"), Outcome.REJECTED, issues)
        rid = doc["id"]
    else:
        try:
            check_draft(doc)
        except InvalidRecord as exc:
            return ApplyResult(None, None, Outcome.REJECTED, exc.issues)
        if "registration" not in doc:  # the record id of an import is derived from it
            return ApplyResult(None, None, Outcome.REJECTED, [NO_REGISTRATION])
        rid = registration_record_id(node.id, doc["registration"])
    return _import_local(session, actor, rid, doc, node=node, review=review)


def _import_local(
    session: Session, actor: User, rid: str, doc: dict, *, node: Node, review: bool
) -> ApplyResult:
    listing = session.get(Listing, rid)
    created = listing is None
    if created:
        listing = Listing(id=rid, origin=node.id)
        session.add(listing)
        session.flush()
    if is_tombstone(doc):
        if listing.state == ListingState.WITHDRAWN:
            return ApplyResult(rid, listing.version, Outcome.UNCHANGED)
        tombstone_listing(session, listing, reason=doc.get("reason", "deleted"))
        return ApplyResult(rid, listing.version, Outcome.DELETED)
    data = business_data(doc)
    pending = None
    if not created:
        current = parse_json(listing.document) if listing.document else None
        if current is not None and business_data(current) == data:
            return ApplyResult(rid, listing.version, Outcome.UNCHANGED)
        pending = open_revision(session, rid)
        same_as_pending = pending is not None and parse_json(pending.document) == data
        if same_as_pending and review:
            return ApplyResult(rid, listing.version, Outcome.UNCHANGED)
        if pending is not None:
            pending.state = RevisionState.SUPERSEDED
            session.add(pending)
            session.flush()
    revision = Revision(
        listing_id=rid,
        number=1 if created else _count_revisions(session, rid) + 1,
        kind=RevisionKind.IMPORT,
        state=RevisionState.PENDING if review else RevisionState.DRAFT,
        document=canonical_json(data),
        author_id=actor.id,
        submitted_at=utcnow(),
    )
    session.add(revision)
    if review:
        index_pending(session, listing, data)
        return ApplyResult(rid, listing.version, Outcome.HELD)
    first_publication = listing.version == 0
    publish_revision(session, listing, revision, RevisionState.PUBLISHED)
    outcome = Outcome.CREATED if first_publication else Outcome.UPDATED
    return ApplyResult(rid, listing.version, outcome)


def _count_revisions(session: Session, rid: str) -> int:
    rows = session.execute(select(Revision.number).where(Revision.listing_id == rid)).scalars()
    return max(rows, default=0)


def iter_published(session: Session, *, include_deleted: bool = False) -> Iterator[str]:
    """Canonical JSON of every published record (and tombstones if asked), in change order."""
    states = [ListingState.PUBLISHED] + ([ListingState.WITHDRAWN] if include_deleted else [])
    stmt = (
        select(Listing.document)
        .where(Listing.state.in_(states), Listing.document.is_not(None))
        .order_by(Listing.change_seq)
        .execution_options(yield_per=1000)
    )
    yield from session.execute(stmt).scalars()
