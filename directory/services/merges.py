"""A focal point's decision on a duplicate candidate: "same business" merges, "not the same"
is remembered so the pair is never suggested again. Both are audited.

A merge keeps one listing and turns the other into a ``merged`` tombstone naming the
survivor (``schemas/tombstone.schema.json``); the tombstone travels to peers like any
other, through the feed, push and OAI-PMH. When the survivor is a record of this node
too, its next version lists the merged record in ``aliases`` (id, names, registration,
phone), so search still finds it by an old name and peers learn of the merge from
either record; a survivor of another origin cannot be changed here. Only the origin
may tombstone a record, so the listing merged away is the one of this node: the one
under review when it is ours, else the candidate.
"""

from __future__ import annotations

from sqlmodel import Session

from directory import permissions
from directory.models import DistinctPair, Listing, ListingState, RevisionState, User
from directory.models.base import utcnow
from directory.node import Node
from directory.records import parse_json
from directory.services.audit import record_audit
from directory.services.changes import publish_document, stamp_envelope
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.listings import open_revision, tombstone_listing
from directory.services.match_keys import e164
from directory.services.reviews import get_revision


def merge_duplicate(
    session: Session, actor: User, revision_id: int, other_id: str, *, node: Node
) -> tuple[Listing, Listing]:
    """ "Same business": merge the listing under review and ``other``; (merged, survivor)."""
    listing, other = _pair(session, actor, revision_id, other_id, node)
    if other.state == ListingState.WITHDRAWN:
        raise InvalidTransition("merge-target-gone")
    if listing.origin == node.id:
        merged, survivor = listing, other
    elif other.origin == node.id:
        scope = {"node_id": node.id, "node_country": node.country}
        if not permissions.can_view_listing_private(actor, other, **scope):
            raise PermissionDenied("review-not-allowed")  # ours, but outside the actor's scope
        merged, survivor = other, listing
    else:
        raise InvalidTransition("merge-not-origin")
    alias = _alias(session, merged)
    tombstone_listing(session, merged, reason="merged", merged_into=survivor.id)
    if survivor.origin == node.id and survivor.state == ListingState.PUBLISHED and alias:
        add_aliases(session, survivor, alias)
    record_audit(
        session,
        actor,
        "duplicates.merge",
        f"listing:{merged.id}",
        {"merged_into": survivor.id, "revision": revision_id},
    )
    return merged, survivor


MAX_ALIASES = 50  # the schema's maxItems: the oldest are dropped past it


def _alias(session: Session, merged: Listing) -> list[dict]:
    """What the survivor keeps of a listing merged into it: id, names, registration, phone
    (its published data, else its pending revision's), then the aliases it had itself."""
    doc = parse_json(merged.document) if merged.document else {}
    if not doc or doc.get("deleted"):
        revision = open_revision(session, merged.id)
        doc = parse_json(revision.document) if revision is not None else {}
    if not doc.get("names"):
        return []
    alias = {"id": merged.id, "names": doc["names"]}
    if doc.get("registration"):
        alias["registration"] = doc["registration"]
    phone = e164((doc.get("contact") or {}).get("phone"), (doc.get("address") or {}).get("country"))
    if phone:
        alias["phone"] = phone
    return [alias, *doc.get("aliases", [])]


def add_aliases(session: Session, survivor: Listing, aliases: list[dict]) -> None:
    """Publish the survivor's next version with ``aliases`` added (its data unchanged)."""
    doc = parse_json(survivor.document)
    merged_ids = {a["id"] for a in aliases}
    kept = [
        a for a in doc.get("aliases", []) if a["id"] not in merged_ids and a["id"] != survivor.id
    ]
    doc["aliases"] = [*kept, *(a for a in aliases if a["id"] != survivor.id)][-MAX_ALIASES:]
    publish_document(
        session, survivor, stamp_envelope(doc, survivor, survivor.version + 1, utcnow())
    )


def mark_distinct(
    session: Session, actor: User, revision_id: int, other_id: str, *, node: Node
) -> DistinctPair:
    """ "Not the same": remember the pair, so it is never suggested again."""
    listing, other = _pair(session, actor, revision_id, other_id, node)
    first, second = sorted((listing.id, other.id))
    pair = session.get(DistinctPair, (first, second))
    if pair is None:
        pair = DistinctPair(listing_a=first, listing_b=second, decided_by=actor.id)
        session.add(pair)
        session.flush()
    record_audit(
        session,
        actor,
        "duplicates.distinct",
        f"listing:{listing.id}",
        {"other": other.id, "revision": revision_id},
    )
    return pair


def _pair(
    session: Session, actor: User, revision_id: int, other_id: str, node: Node
) -> tuple[Listing, Listing]:
    """The listing under review and the candidate, once the actor may decide on the revision."""
    revision, listing = get_revision(session, revision_id)
    allowed = permissions.can_review_revision(
        actor,
        listing,
        revision,
        node_id=node.id,
        node_country=node.country,
        record_country=parse_json(revision.document).get("address", {}).get("country"),
    )
    if not allowed:
        raise PermissionDenied("review-not-allowed")
    if revision.state != RevisionState.PENDING:
        raise InvalidTransition("revision-not-pending")
    other = session.get(Listing, other_id)
    if other is None or other.id == listing.id:
        raise NotFound("listing-not-found", id=other_id)
    return listing, other
