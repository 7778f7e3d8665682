"""Focal-point review: approve, request changes, reject; incoming records held for review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_
from sqlmodel import Session

from directory import permissions
from directory.models import (
    Decision,
    Listing,
    ReviewDecision,
    Revision,
    RevisionKind,
    RevisionState,
    User,
)
from directory.models.base import utcnow
from directory.node import Node
from directory.records import canonical_json, parse_json
from directory.services.changes import (
    ApplyResult,
    apply_remote_changes,
    check_record,
    echo_result,
    is_echo,
    may_send,
    refused_origin,
)
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.listings import open_revision, publish_revision
from directory.services.match_keys import index_pending
from schemas import validate
from sync.outcomes import Outcome


def get_revision(session: Session, revision_id: int) -> tuple[Revision, Listing]:
    """A revision and its listing, or NotFound."""
    revision = session.get(Revision, revision_id)
    if revision is None:
        raise NotFound("revision-not-found", id=revision_id)
    return revision, session.get(Listing, revision.listing_id)


def read_revision(
    session: Session, actor: User, revision_id: int, *, node: Node
) -> tuple[Revision, Listing]:
    """A revision and its listing for a reviewer; NotFound outside their reading scope.

    Answers NotFound rather than PermissionDenied so that sequential ids reveal
    nothing about revisions the actor may not see.
    """
    revision, listing = get_revision(session, revision_id)
    if not _permitted(permissions.can_read_revision, actor, listing, revision, node):
        raise NotFound("revision-not-found", id=revision_id)
    return revision, listing


def _record_country(revision: Revision) -> str | None:
    return parse_json(revision.document).get("address", {}).get("country")


def _permitted(check, actor: User, listing: Listing, revision: Revision, node) -> bool:
    """A revision permission (read or decide) asked with this node's scope facts."""
    return check(
        actor,
        listing,
        revision,
        node_id=node.id,
        node_country=node.country,
        record_country=_record_country(revision),
    )


def _decide(
    session: Session, actor: User, revision_id: int, decision: Decision, reason: str | None, node
) -> tuple[Revision, Listing]:
    revision, listing = get_revision(session, revision_id)
    if not _permitted(permissions.can_review_revision, actor, listing, revision, node):
        raise PermissionDenied("review-not-allowed")
    if revision.state != RevisionState.PENDING:
        raise InvalidTransition("revision-not-pending")
    if decision != Decision.APPROVE and not (reason and reason.strip()):
        raise InvalidTransition("reason-required")
    revision.reviewer_id = actor.id
    revision.reason = reason
    revision.decided_at = utcnow()
    session.add(
        ReviewDecision(
            revision_id=revision.id,
            listing_id=listing.id,
            reviewer_id=actor.id,
            decision=decision,
            reason=reason,
        )
    )
    return revision, listing


def approve_revision(
    session: Session, actor: User, revision_id: int, *, node: Node, reason: str | None = None
) -> Revision:
    """Approve a pending revision: it becomes the published version."""
    revision, listing = _decide(session, actor, revision_id, Decision.APPROVE, reason, node)
    doc = parse_json(revision.document)
    if revision.kind == RevisionKind.REMOTE:
        [result] = apply_remote_changes(
            session, [doc], node=node, source_peer=revision.source_peer, relay=True
        )
        if result.outcome == Outcome.REJECTED:
            raise InvalidTransition("revision-not-valid")
        revision.state = RevisionState.APPROVED
        revision.published_version = doc["version"] if result.outcome.changed else None
        session.add(revision)
        session.flush()
        return revision
    if validate(doc, "draft"):  # stored before a schema rule that it breaks
        raise InvalidTransition("revision-not-valid")
    publish_revision(session, listing, revision, RevisionState.APPROVED)
    return revision


def request_changes(
    session: Session, actor: User, revision_id: int, *, node: Node, reason: str
) -> Revision:
    """Send a pending revision back to its owner with a reason."""
    revision, _ = _decide(session, actor, revision_id, Decision.REQUEST_CHANGES, reason, node)
    if revision.kind == RevisionKind.REMOTE:
        raise InvalidTransition("incoming-approve-or-reject")
    revision.state = RevisionState.CHANGES_REQUESTED
    session.add(revision)
    session.flush()
    return revision


def reject_revision(
    session: Session, actor: User, revision_id: int, *, node: Node, reason: str
) -> Revision:
    """Reject a pending revision with a reason; the published version stays as it was."""
    revision, _ = _decide(session, actor, revision_id, Decision.REJECT, reason, node)
    revision.state = RevisionState.REJECTED
    session.add(revision)
    session.flush()
    return revision


def hold_remote_changes(
    session: Session, docs: list[Any], *, node: Node, source_peer: str, relay: bool = False
) -> list[ApplyResult]:
    """Queue incoming records from a peer with trust level "review" instead of publishing.

    Each valid record newer than what is held (published or already queued)
    becomes the listing's pending REMOTE revision; tombstones apply at once,
    since a withdrawal by the origin must never wait.
    """
    results = []
    for doc in docs:
        failed = check_record(doc)
        if failed is None and not may_send(doc, node, source_peer, relay):
            listing = session.get(Listing, doc["id"])
            held = (listing.origin, listing.version) if listing is not None else None
            failed = echo_result(doc) if is_echo(doc, held) else refused_origin(doc, source_peer)
        if failed is not None:
            results.append(failed)
        elif doc.get("deleted") is True:
            results += apply_remote_changes(
                session, [doc], node=node, source_peer=source_peer, relay=relay
            )
        else:
            results.append(_hold(session, doc, node, source_peer))
    return results


def _hold(session: Session, doc: dict, node: Node, source_peer: str) -> ApplyResult:
    rid, version = doc["id"], doc["version"]
    listing = session.get(Listing, rid)
    if listing is not None and listing.origin != doc["origin"]:
        return ApplyResult(rid, version, Outcome.CONFLICT, message="held with another origin")
    if doc["origin"] == node.id:
        return ApplyResult(rid, version, Outcome.CONFLICT, message="this node is the origin")
    if listing is not None and version <= listing.version:
        return ApplyResult(rid, version, Outcome.UNCHANGED)
    if listing is None:
        listing = Listing(id=rid, origin=doc["origin"], source_peer=source_peer)
        session.add(listing)
        session.flush()
    pending = open_revision(session, rid)
    if pending is not None:
        if version <= parse_json(pending.document)["version"]:
            return ApplyResult(rid, version, Outcome.UNCHANGED)
        pending.state = RevisionState.SUPERSEDED
        session.add(pending)
        session.flush()
    number = session.execute(
        select(Revision.number).where(Revision.listing_id == rid).order_by(Revision.number.desc())
    ).first()
    session.add(
        Revision(
            listing_id=rid,
            number=(number[0] if number else 0) + 1,
            kind=RevisionKind.REMOTE,
            state=RevisionState.PENDING,
            document=canonical_json(doc),
            source_peer=source_peer,
            submitted_at=utcnow(),
        )
    )
    session.flush()
    index_pending(session, listing, doc)
    return ApplyResult(rid, version, Outcome.HELD)


def review_queue(
    session: Session,
    *,
    country: str | None = None,
    province: str | None = None,
    sector: str | None = None,
    kind: str | None = None,
) -> list[tuple[Revision, Listing]]:
    """Pending revisions, oldest first, filtered by province, ISIC code or kind.

    ``country`` narrows this node's own records to a reviewer's country; records
    a peer sent for review stay in every reviewer's queue, whatever their country
    (this node's focal points and admins decide on them).
    """
    rows, _ = review_queue_page(
        session, country=country, province=province, sector=sector, kind=kind, limit=None
    )
    return rows


QUEUE_CHUNK = 200  # pending revisions read at a time while a page fills up


def review_queue_page(
    session: Session,
    *,
    after: int | None = None,
    limit: int | None = 50,
    country: str | None = None,
    province: str | None = None,
    sector: str | None = None,
    kind: str | None = None,
) -> tuple[list[tuple[Revision, Listing]], int | None]:
    """One page of ``review_queue`` after the revision ``after``; (rows, the next page's ``after``).

    Keyset pagination on (submitted, id): a page never repeats or skips a revision
    when others are decided meanwhile. The filters read the revision's document, so
    revisions are read a chunk at a time until the page is full.
    """
    order = func.coalesce(Revision.submitted_at, Revision.created_at)
    base = (
        select(Revision, Listing)
        .join(Listing, Listing.id == Revision.listing_id)
        .where(Revision.state == RevisionState.PENDING)
        .order_by(order, Revision.id)
    )
    if kind:
        base = base.where(Revision.kind == kind)
    cursor = None
    if after is not None:
        mark = session.execute(select(order, Revision.id).where(Revision.id == after)).first()
        cursor = tuple(mark) if mark else None
    rows: list[tuple[Revision, Listing]] = []
    while limit is None or len(rows) <= limit:
        stmt = base if cursor is None else base.where(tuple_(order, Revision.id) > tuple_(*cursor))
        chunk = list(session.execute(stmt.limit(QUEUE_CHUNK)).all())
        for rev, lst in chunk:
            doc = parse_json(rev.document)
            mine = None if rev.kind == RevisionKind.REMOTE else country
            if _matches(doc, country=mine, province=province, sector=sector):
                rows.append((rev, lst))
        if len(chunk) < QUEUE_CHUNK:
            break
        last = chunk[-1][0]
        cursor = (last.submitted_at or last.created_at, last.id)
    if limit is not None and len(rows) > limit:
        return rows[:limit], rows[limit - 1][0].id
    return rows, None


def _matches(doc: dict, *, country, province, sector) -> bool:
    address = doc.get("address", {})
    if country and address.get("country") != country:
        return False
    if province and address.get("province") != province:
        return False
    return not sector or any(code.startswith(sector) for code in doc.get("sectors", []))
