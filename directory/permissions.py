"""One permission function per action. Each takes the actor and the object, returns a bool.

``actor`` is a ``User`` or None for an anonymous visitor. Services call these and
raise ``PermissionDenied``; templates call them to decide what to show.
"""

from __future__ import annotations

from directory.models import Listing, ListingState, Revision, RevisionKind, Role, User


def _active(actor: User | None) -> bool:
    return actor is not None and actor.active


def can_create_listing(actor: User | None) -> bool:
    """SME owners create listings (admins load them in bulk through import)."""
    return _active(actor) and actor.role == Role.OWNER


def can_edit_listing(actor: User | None, listing: Listing, node_id: str) -> bool:
    """Only the owner edits, only on the origin node, and not once withdrawn."""
    return (
        _active(actor)
        and listing.owner_id is not None
        and listing.owner_id == actor.id
        and listing.origin == node_id
        and listing.state != ListingState.WITHDRAWN
    )


def can_withdraw_listing(actor: User | None, listing: Listing, node_id: str) -> bool:
    """The owner withdraws their own listing (the same rule as editing)."""
    return can_edit_listing(actor, listing, node_id)


def can_view_listing_private(
    actor: User | None, listing: Listing, *, node_id: str, node_country: str
) -> bool:
    """Drafts, pending edits and hidden contact data: the owner, admins, and the focal
    points whose review scope holds the listing (their country, for listings made here)."""
    if not _active(actor):
        return False
    if listing.owner_id == actor.id or actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.FOCAL_POINT
        and listing.origin == node_id
        and listing.country == reviewer_country(actor, node_country)
    )


def can_read_draft(actor: User | None, listing: Listing) -> bool:
    """A listing's open draft, through "my listings": its owner only (reviewers use /review)."""
    return _active(actor) and listing.owner_id is not None and listing.owner_id == actor.id


def reviewer_country(actor: User, node_country: str) -> str:
    """The country a focal point reviews: their own scope, else this node's country."""
    return actor.country or node_country


def can_review_revision(
    actor: User | None,
    listing: Listing,
    revision: Revision,
    *,
    node_id: str,
    node_country: str,
    record_country: str | None,
) -> bool:
    """A focal point decides on a revision of their country, never on their own listing.

    Records whose origin is another node are read-only replicas: the only review
    done on them is accepting or refusing an incoming change that a peer with
    trust level "review" sent. Those are decided by this node's focal points and
    admins, whatever the record's country: nobody else here could.
    """
    if not _active(actor):
        return False
    if actor.role == Role.ADMIN:
        return _incoming(listing, revision, node_id)
    if actor.role != Role.FOCAL_POINT:
        return False
    if listing.owner_id == actor.id or revision.author_id == actor.id:
        return False
    return _in_review_scope(actor, listing, revision, node_id, node_country, record_country)


def _in_review_scope(
    actor: User,
    listing: Listing,
    revision: Revision,
    node_id: str,
    node_country: str,
    record_country: str | None,
) -> bool:
    """The revisions a focal point works on: their country's, and incoming peer records."""
    if listing.origin != node_id:
        return revision.kind == RevisionKind.REMOTE
    return record_country == reviewer_country(actor, node_country)


def _incoming(listing: Listing, revision: Revision, node_id: str) -> bool:
    """A record a peer with trust "review" sent, waiting for this node's decision."""
    return listing.origin != node_id and revision.kind == RevisionKind.REMOTE


def can_read_revision(
    actor: User | None,
    listing: Listing,
    revision: Revision,
    *,
    node_id: str,
    node_country: str,
    record_country: str | None,
) -> bool:
    """A reviewer reads a revision in the scope they decide in; never a draft never submitted.

    The same scope as deciding (``can_review_revision``), so a focal point of
    another country reads nothing here; admins read every submitted revision. A
    draft its owner never submitted, or took back out of review, is the owner's alone.
    """
    if not _active(actor) or revision.submitted_at is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.FOCAL_POINT:
        return False
    return _in_review_scope(actor, listing, revision, node_id, node_country, record_country)


def can_manage_users(actor: User | None) -> bool:
    """Admins manage users, roles, peers and tokens."""
    return _active(actor) and actor.role == Role.ADMIN


def can_import(actor: User | None) -> bool:
    """Bulk import and export of records is an admin task."""
    return can_manage_users(actor)


def can_run_sync(actor: User | None) -> bool:
    """Admins start a sync by hand and read its history."""
    return can_manage_users(actor)


def can_read_quarantine(actor: User | None) -> bool:
    """Focal points and admins see records a sync rejected, and why."""
    return _active(actor) and actor.role in (Role.FOCAL_POINT, Role.ADMIN)


def can_manage_user(actor: User | None, user: User) -> bool:
    """Admins change another user's role, scope or active flag (never their own: no lock-out)."""
    return can_manage_users(actor) and user.id != actor.id


def can_read_audit(actor: User | None) -> bool:
    """Admins read the audit log."""
    return can_manage_users(actor)


def can_answer_enquiry(actor: User | None, listing: Listing) -> bool:
    """Only the listing's owner reads and answers its enquiries (focal points see counts only)."""
    return _active(actor) and listing.owner_id is not None and listing.owner_id == actor.id


def can_block_enquiry_senders(actor: User | None) -> bool:
    """Focal points and admins block a sender of unwanted enquiries."""
    return _active(actor) and actor.role in (Role.FOCAL_POINT, Role.ADMIN)


def can_claim_listing(actor: User | None, listing: Listing, node_id: str) -> bool:
    """An SME owner claims a published listing of this node that nobody owns here.

    A record of another origin is claimed at its origin, where it can be edited.
    """
    return (
        _active(actor)
        and actor.role == Role.OWNER
        and listing.owner_id is None
        and listing.origin == node_id
        and listing.state == ListingState.PUBLISHED
    )


def can_decide_claim(
    actor: User | None, listing: Listing, claimant_id: int, *, node_id: str, node_country: str
) -> bool:
    """Admins, and focal points whose review scope holds the listing, decide claims
    (never their own)."""
    if not _active(actor) or actor.id == claimant_id or listing.origin != node_id:
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.FOCAL_POINT and listing.country == reviewer_country(
        actor, node_country
    )


def can_confirm_listing(actor: User | None, listing: Listing, node_id: str) -> bool:
    """The owner confirms their published listing is still current (the same rule as editing)."""
    return can_edit_listing(actor, listing, node_id) and listing.state == ListingState.PUBLISHED


def can_read_dashboard(actor: User | None) -> bool:
    """Focal points (their scope) and admins (the whole node) read the quality dashboard."""
    return _active(actor) and actor.role in (Role.FOCAL_POINT, Role.ADMIN)


def can_mark_bounced(actor: User | None) -> bool:
    """Admins mark an address whose mail bounced (and clear the mark)."""
    return can_manage_users(actor)
