"""An SME owner's listing: drafts, submission, minor edits that publish at once, withdrawal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from directory import permissions
from directory.models import (
    Listing,
    ListingState,
    Revision,
    RevisionKind,
    RevisionState,
    User,
)
from directory.models.base import as_utc, isoformat_z, utcnow
from directory.node import Node
from directory.records import (
    DEFAULT_SHARING,
    business_data,
    canonical_json,
    changed_fields,
    new_record_id,
    parse_json,
)
from directory.services.changes import publish_document, stamp_envelope
from directory.services.errors import InvalidRecord, InvalidTransition, NotFound, PermissionDenied
from directory.services.match_keys import index_pending, store_match_keys
from schemas import validate

OPEN_STATES = (RevisionState.DRAFT, RevisionState.PENDING, RevisionState.CHANGES_REQUESTED)


def get_listing(session: Session, listing_id: str) -> Listing:
    """The listing, or NotFound."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("listing-not-found", id=listing_id)
    return listing


def open_revision(session: Session, listing_id: str) -> Revision | None:
    """The listing's draft, pending or changes-requested revision, if any."""
    stmt = select(Revision).where(
        Revision.listing_id == listing_id, Revision.state.in_(OPEN_STATES)
    )
    return session.execute(stmt).scalar_one_or_none()


def published_document(listing: Listing) -> dict[str, Any] | None:
    """The listing's published document (or tombstone) as a dict, if any."""
    return parse_json(listing.document) if listing.document else None


def check_draft(data: dict[str, Any]) -> dict[str, Any]:
    """Validate an owner's data against the draft schema as sent; return it without the fields
    only the origin sets (an invalid ``updated_at`` is refused, not silently dropped)."""
    issues = validate({"sharing": DEFAULT_SHARING, **data}, "draft")
    if issues:
        raise InvalidRecord(issues)
    return {"sharing": DEFAULT_SHARING, **business_data(data)}


def _next_number(session: Session, listing_id: str) -> int:
    stmt = select(func.coalesce(func.max(Revision.number), 0)).where(
        Revision.listing_id == listing_id
    )
    return session.execute(stmt).scalar_one() + 1


def create_draft(
    session: Session,
    actor: User,
    data: dict[str, Any],
    *,
    node: Node,
    steps: Iterable[str] = (),
) -> Listing:
    """A new listing owned by ``actor`` with its first revision as a draft; ``steps`` are the
    form steps the owner saved with it (see ``mark_steps_saved``)."""
    if not permissions.can_create_listing(actor):
        raise PermissionDenied("create-owner-only")
    doc = check_draft(data)
    listing = Listing(id=new_record_id(node.id), origin=node.id, owner_id=actor.id)
    mark_steps_saved(listing, steps)
    session.add(listing)
    session.flush()
    session.add(
        Revision(
            listing_id=listing.id,
            number=1,
            kind=RevisionKind.NEW,
            state=RevisionState.DRAFT,
            document=canonical_json(doc),
            author_id=actor.id,
        )
    )
    session.flush()
    return listing


def update_draft(
    session: Session,
    actor: User,
    listing_id: str,
    data: dict[str, Any],
    *,
    node: Node,
    steps: Iterable[str] = (),
) -> Revision:
    """Save the owner's edit into the open revision (creating one for a published listing);
    ``steps`` are the form steps this save covers (see ``mark_steps_saved``).

    Editing a revision that waits for review takes it back out of the queue.
    """
    listing = get_listing(session, listing_id)
    if not permissions.can_edit_listing(actor, listing, node.id):
        raise PermissionDenied("edit-not-allowed")
    doc = check_draft(data)
    mark_steps_saved(listing, steps)
    revision = open_revision(session, listing_id)
    if revision is None:
        revision = Revision(
            listing_id=listing_id,
            number=_next_number(session, listing_id),
            kind=RevisionKind.EDIT if listing.version else RevisionKind.NEW,
            state=RevisionState.DRAFT,
            document="",
            author_id=actor.id,
        )
    elif revision.state == RevisionState.PENDING:
        revision.state = RevisionState.DRAFT
        revision.submitted_at = None
    elif revision.state == RevisionState.CHANGES_REQUESTED:
        # keep the reviewed version as it was, so the reviewer can see what the owner changed
        revision = _follow_up(session, revision)
    revision.document = canonical_json(doc)
    revision.author_id = actor.id
    session.add(revision)
    session.flush()
    return revision


def mark_steps_saved(listing: Listing, steps: Iterable[str]) -> None:
    """Remember that the owner saved these form steps: a saved step counts as done even when
    it holds nothing new (the sharing step starts with default choices, which say nothing)."""
    saved = set((listing.steps_saved or "").split()) | set(steps)
    listing.steps_saved = f" {' '.join(sorted(saved))} " if saved else None


def steps_saved(listing: Listing | None) -> frozenset[str]:
    """The form steps the owner saved so far."""
    return frozenset((listing.steps_saved or "").split()) if listing is not None else frozenset()


def _follow_up(session: Session, reviewed: Revision) -> Revision:
    """Close a revision sent back for changes and open the owner's next one after it."""
    reviewed.state = RevisionState.SUPERSEDED
    session.add(reviewed)
    session.flush()
    return Revision(
        listing_id=reviewed.listing_id,
        number=_next_number(session, reviewed.listing_id),
        kind=reviewed.kind,
        state=RevisionState.DRAFT,
        document="",
    )


def reviewed_predecessor(session: Session, revision: Revision) -> Revision | None:
    """The revision a focal point sent back for changes just before this one, if any."""
    stmt = (
        select(Revision)
        .where(
            Revision.listing_id == revision.listing_id,
            Revision.number < revision.number,
            Revision.state == RevisionState.SUPERSEDED,
            Revision.reviewer_id.is_not(None),
        )
        .order_by(Revision.number.desc())
        .limit(1)
    )
    previous = session.execute(stmt).scalar_one_or_none()
    return previous if previous is not None and previous.number == revision.number - 1 else None


def submit_for_review(session: Session, actor: User, listing_id: str, *, node: Node) -> Revision:
    """Send the open revision to review, or publish it at once if no verified field changed.

    An edit to a published listing that touches only fields outside
    ``node.verified_fields`` (descriptions, contact, products, ...) publishes
    immediately with a new version; anything else waits for a focal point.
    """
    listing = get_listing(session, listing_id)
    if not permissions.can_edit_listing(actor, listing, node.id):
        raise PermissionDenied("submit-not-allowed")
    revision = open_revision(session, listing_id)
    if revision is None or revision.state == RevisionState.PENDING:
        raise InvalidTransition("no-draft")
    doc = parse_json(revision.document)
    changed = changed_fields(published_document(listing), doc)
    revision.changed_fields = f" {' '.join(changed)} " if changed else None
    revision.submitted_at = utcnow()
    if listing.state == ListingState.PUBLISHED and not changed:
        raise InvalidTransition("nothing-changed")
    if listing.state == ListingState.PUBLISHED and not set(changed) & set(node.verified_fields):
        revision.reviewer_id = None
        publish_revision(session, listing, revision, RevisionState.PUBLISHED)
    else:
        revision.state = RevisionState.PENDING
        session.add(revision)
        session.flush()
        index_pending(session, listing, doc)
    return revision


def publish_revision(
    session: Session,
    listing: Listing,
    revision: Revision,
    state: RevisionState,
    *,
    now: datetime | None = None,
) -> None:
    """Publish a local revision as the listing's next version.

    An edit written by the listing's owner also confirms that the listing is current
    (its freshness period starts again); an import or a peer's record does not.
    """
    now = now or utcnow()
    doc = stamp_envelope(parse_json(revision.document), listing, listing.version + 1, now)
    aliases = (published_document(listing) or {}).get("aliases")
    if aliases:  # set by merges, never by the revision's author: carried to every version
        doc["aliases"] = aliases
    if listing.owner_id is not None and revision.author_id == listing.owner_id:
        listing.confirmed_at = now
        doc["freshness"] = freshness_block(listing, lapsed=False)
    elif listing.lapsed or listing.confirmed_at is not None:
        doc["freshness"] = freshness_block(listing, lapsed=bool(listing.lapsed))
    publish_document(session, listing, doc)
    revision.state = state
    revision.published_version = doc["version"]
    revision.decided_at = now
    session.add(revision)


def period_start(listing: Listing) -> datetime:
    """When the listing was last confirmed current: by its owner, else its first publication."""
    return as_utc(listing.confirmed_at or listing.created_at)


def freshness_block(listing: Listing, *, lapsed: bool) -> dict[str, str]:
    """The record's ``freshness`` field, as the origin publishes it."""
    return {
        "status": "lapsed" if lapsed else "current",
        "confirmed_at": isoformat_z(period_start(listing)),
    }


def withdraw_listing(
    session: Session, actor: User, listing_id: str, *, node: Node, reason: str = "withdrawn"
) -> Listing:
    """Withdraw a listing: a tombstone is published and any open revision is closed."""
    listing = get_listing(session, listing_id)
    if not permissions.can_withdraw_listing(actor, listing, node.id):
        raise PermissionDenied("withdraw-not-allowed")
    return tombstone_listing(session, listing, reason=reason)


def tombstone_listing(
    session: Session, listing: Listing, *, reason: str, merged_into: str | None = None
) -> Listing:
    """Close open revisions and, if the listing was ever published, publish its tombstone."""
    revision = open_revision(session, listing.id)
    if revision is not None:
        revision.state = RevisionState.SUPERSEDED
        session.add(revision)
    if listing.version == 0:
        listing.state = ListingState.WITHDRAWN
        session.add(listing)
        session.flush()
        store_match_keys(session.connection(), {listing.id: set()})  # no longer a candidate
        return listing
    doc = stamp_envelope(
        {"deleted": True, "reason": reason}, listing, listing.version + 1, utcnow()
    )
    if merged_into:
        doc["merged_into"] = merged_into
    publish_document(session, listing, doc)
    return listing


def listings_of(session: Session, owner: User) -> list[Listing]:
    """The listings an owner holds, newest first."""
    stmt = select(Listing).where(Listing.owner_id == owner.id).order_by(Listing.created_at.desc())
    return list(session.execute(stmt).scalars())
