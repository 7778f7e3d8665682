"""Claims: "this is my business" for a listing nobody owns on this node.

A listing an admin imported has no owner. A signed-in SME owner claims it, saying
what they are to the business; a focal point of the listing's country (or an admin)
approves or refuses with a reason, and the approved claimant becomes the owner who
edits it. The claim is approved at once when the claimant's confirmed email address
is the record's contact email, or is on the domain of the record's website. (Not any
address on the contact email's domain: that would hand a gmail.com listing to every
gmail user.) Every step writes an audit entry in the same transaction.

Records of another origin are not claimed here: only their origin edits them
(docs/design.md), so the public page sends the claimant there.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session

from directory import permissions
from directory.models import Claim, ClaimRole, ClaimState, Listing, User
from directory.models.base import utcnow
from directory.node import Node
from directory.records import parse_json
from directory.services.audit import record_audit
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.listings import get_listing

NOTE_MAX = 1000


def verified_match(actor: User, doc: dict) -> str | None:
    """Why the claimant's confirmed email proves the claim ("email" or "website"), else None."""
    if actor.email_confirmed_at is None:
        return None
    email = actor.email.strip().casefold()
    contact = doc.get("contact", {})
    if email and email == str(contact.get("email", "")).strip().casefold():
        return "email"
    host = (urlsplit(contact.get("website", "")).hostname or "").casefold()
    host = host.removeprefix("www.")
    if host and email.rpartition("@")[2] == host:
        return "website"
    return None


def submit_claim(
    session: Session,
    actor: User,
    listing_id: str,
    *,
    role: str,
    note: str = "",
    node: Node,
    now: datetime | None = None,
) -> Claim:
    """Record the actor's claim; approve it at once when their email proves it."""
    now = now or utcnow()
    listing = get_listing(session, listing_id)
    if not permissions.can_claim_listing(actor, listing, node.id):
        raise PermissionDenied("claim-not-allowed")
    if role not in set(ClaimRole):
        raise InvalidTransition("claim-role-unknown")
    if _pending(session, listing.id, actor.id) is not None:
        raise InvalidTransition("claim-already-pending")
    claim = Claim(
        listing_id=listing.id,
        claimant_id=actor.id,
        role=role,
        note=note.strip()[:NOTE_MAX],
        created_at=now,
    )
    session.add(claim)
    session.flush()
    record_audit(
        session, actor, "claim.submit", f"listing:{listing.id}", {"claim": claim.id, "role": role}
    )
    match = verified_match(actor, parse_json(listing.document))
    if match is not None:
        _approve(session, None, claim, listing, f"verified email ({match})", now)
    return claim


def decide_claim(
    session: Session,
    actor: User,
    claim_id: int,
    *,
    approve: bool,
    reason: str,
    node: Node,
    now: datetime | None = None,
) -> Claim:
    """A focal point approves (the claimant becomes the owner) or refuses, with a reason."""
    claim, listing = get_claim(session, claim_id)
    if not permissions.can_decide_claim(
        actor, listing, claim.claimant_id, node_id=node.id, node_country=node.country
    ):
        raise PermissionDenied("claim-decide-not-allowed")
    if claim.state != ClaimState.PENDING:
        raise InvalidTransition("claim-not-pending")
    if not (reason and reason.strip()):
        raise InvalidTransition("reason-required")
    now = now or utcnow()
    if not approve:
        _close(claim, ClaimState.REFUSED, actor, reason.strip(), now)
        session.add(claim)
        record_audit(session, actor, "claim.refuse", f"listing:{listing.id}", _detail(claim))
        return claim
    if listing.owner_id is not None:
        raise InvalidTransition("listing-already-owned")
    _approve(session, actor, claim, listing, reason.strip(), now)
    return claim


def _approve(
    session: Session, actor: User | None, claim: Claim, listing: Listing, reason: str, now
) -> None:
    """The claimant becomes the owner; the listing's other open claims are refused."""
    _close(claim, ClaimState.APPROVED, actor, reason, now)
    listing.owner_id = claim.claimant_id
    session.add_all([claim, listing])
    record_audit(session, actor, "claim.approve", f"listing:{listing.id}", _detail(claim))
    others = select(Claim).where(
        Claim.listing_id == listing.id, Claim.state == ClaimState.PENDING, Claim.id != claim.id
    )
    for other in session.execute(others).scalars():
        _close(other, ClaimState.REFUSED, actor, "another claim was approved", now)
        session.add(other)
        record_audit(session, actor, "claim.refuse", f"listing:{listing.id}", _detail(other))
    session.flush()


def _close(claim: Claim, state: ClaimState, actor: User | None, reason: str, now) -> None:
    claim.state = state
    claim.decided_at = now
    claim.decided_by = actor.id if actor is not None else None
    claim.reason = reason


def _detail(claim: Claim) -> dict:
    return {
        "claim": claim.id,
        "claimant": claim.claimant_id,
        "role": claim.role,
        "reason": claim.reason,
    }


def get_claim(session: Session, claim_id: int) -> tuple[Claim, Listing]:
    """A claim and its listing, or NotFound."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("claim-not-found", id=claim_id)
    return claim, session.get(Listing, claim.listing_id)


def _pending(session: Session, listing_id: str, claimant_id: int) -> Claim | None:
    stmt = select(Claim).where(
        Claim.listing_id == listing_id,
        Claim.claimant_id == claimant_id,
        Claim.state == ClaimState.PENDING,
    )
    return session.execute(stmt).scalar_one_or_none()


def claims_of(session: Session, actor: User) -> list[tuple[Claim, Listing]]:
    """The actor's own claims, newest first."""
    stmt = (
        select(Claim, Listing)
        .join(Listing, Listing.id == Claim.listing_id)
        .where(Claim.claimant_id == actor.id)
        .order_by(Claim.created_at.desc(), Claim.id.desc())
    )
    return [(c, lst) for c, lst in session.execute(stmt).all()]


def claim_queue(session: Session, actor: User, *, node: Node) -> list[tuple[Claim, Listing, User]]:
    """Pending claims the actor may decide, oldest first, with the claimant."""
    stmt = (
        select(Claim, Listing, User)
        .join(Listing, Listing.id == Claim.listing_id)
        .join(User, User.id == Claim.claimant_id)
        .where(Claim.state == ClaimState.PENDING)
        .order_by(Claim.created_at, Claim.id)
    )
    return [
        (c, lst, u)
        for c, lst, u in session.execute(stmt).all()
        if permissions.can_decide_claim(
            actor, lst, c.claimant_id, node_id=node.id, node_country=node.country
        )
    ]
