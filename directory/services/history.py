"""What owners and reviewers read about a listing: its status, revisions and decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from directory.models import Listing, ReviewDecision, Revision, User
from directory.records import parse_json
from directory.services.listings import listings_of, open_revision


@dataclass
class ListingStatus:
    """A listing as its owner sees it in the list: open revision and the last decision."""

    listing: Listing
    open_revision: Revision | None
    last_decision: ReviewDecision | None
    latest_revision: Revision | None = None

    @property
    def document(self) -> dict:
        """The owner's data: open revision, else published document, else the last revision."""
        if self.open_revision is not None:
            return parse_json(self.open_revision.document)
        published = parse_json(self.listing.document) if self.listing.document else {}
        if published and not published.get("deleted"):
            return published
        return parse_json(self.latest_revision.document) if self.latest_revision else {}


@dataclass
class RevisionHistory:
    """One revision with the decisions taken on it, oldest first."""

    revision: Revision
    decisions: list[ReviewDecision] = field(default_factory=list)


def last_decision(session: Session, listing_id: str) -> ReviewDecision | None:
    """The newest review decision on a listing, if any."""
    stmt = (
        select(ReviewDecision)
        .where(ReviewDecision.listing_id == listing_id)
        .order_by(ReviewDecision.created_at.desc(), ReviewDecision.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def latest_revision(session: Session, listing_id: str) -> Revision | None:
    """The listing's newest revision, whatever its state."""
    stmt = (
        select(Revision)
        .where(Revision.listing_id == listing_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def listing_status(session: Session, listing: Listing) -> ListingStatus:
    """A listing's status for its owner."""
    return ListingStatus(
        listing,
        open_revision(session, listing.id),
        last_decision(session, listing.id),
        latest_revision(session, listing.id),
    )


def owner_overview(session: Session, owner: User) -> list[ListingStatus]:
    """Every listing an owner holds with its status, newest first."""
    return [listing_status(session, listing) for listing in listings_of(session, owner)]


def listing_history(session: Session, listing_id: str) -> list[RevisionHistory]:
    """Every revision of a listing with its decisions, newest revision first."""
    revisions = session.execute(
        select(Revision).where(Revision.listing_id == listing_id).order_by(Revision.number.desc())
    ).scalars()
    history = {r.id: RevisionHistory(r) for r in revisions}
    decisions = session.execute(
        select(ReviewDecision)
        .where(ReviewDecision.listing_id == listing_id)
        .order_by(ReviewDecision.created_at, ReviewDecision.id)
    ).scalars()
    for decision in decisions:
        if decision.revision_id in history:
            history[decision.revision_id].decisions.append(decision)
    return list(history.values())


def users_by_id(session: Session, ids: set[int | None]) -> dict[int, User]:
    """Users by id, for showing authors and reviewers."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(wanted))).scalars()}
