"""A listing's quality score, 0 to 100, with its parts and what to do next.

The parts, and their weights:

- completeness (40): the fields buyers look for: names in Khmer and English, a
  description, a way to make contact, products with HS codes, size class, a street address;
- verified registration (20): the registration published now is the one a focal point
  approved here;
- freshness (20): confirmed within the reconfirmation period (10 in its last month, 0
  once lapsed);
- contact reachable (10): someone owns the listing here and the last mail to them did
  not bounce;
- no open duplicate (10): ``directory/services/duplicates.py`` finds no likely duplicate
  (a pair a focal point declared distinct, or merged, is no longer one); the count is
  remembered until the data changes (``duplicate_counts.py``), not looked up on every view.

A part this node cannot know for a record of another origin (who owns it there, what
a focal point there verified) is left out rather than counted as zero: the score is
the share of the points of the known parts. ``now`` is a parameter, as in freshness.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from directory.models import Listing, Revision, RevisionKind, RevisionState, User
from directory.models.base import utcnow
from directory.node import Node
from directory.records import parse_json
from directory.services.duplicate_counts import open_duplicates
from directory.services.freshness import due_at, remind_at

COMPLETENESS, REGISTRATION, FRESHNESS, REACHABLE, NO_DUPLICATE = 40, 20, 20, 10, 10


@dataclass
class Part:
    """One part of the score: points earned of possible (None: not known on this node)."""

    key: str
    label: str
    possible: int
    earned: int | None
    todo: list[str] = field(default_factory=list)  # what would raise it, most useful first

    @property
    def known(self) -> bool:
        """False for a part this node cannot know."""
        return self.earned is not None


@dataclass
class Quality:
    """The score and its parts."""

    score: int
    parts: list[Part]

    @property
    def next_steps(self) -> list[str]:
        """What to add or do next, in the order of the parts."""
        return [step for part in self.parts if part.known for step in part.todo]

    def as_dict(self) -> dict:
        """The API's form (English labels; clients match on ``key``)."""
        return {
            "score": self.score,
            "parts": [
                {
                    "key": p.key,
                    "label": str(p.label),
                    "possible": p.possible,
                    "earned": p.earned,
                    "todo": [str(t) for t in p.todo],
                }
                for p in self.parts
            ],
        }


# (check, what to add): the fields buyers look for
_FIELDS = (
    (lambda d: bool(d.get("names", {}).get("km")), _l("Add the name in Khmer.")),
    (lambda d: bool(d.get("names", {}).get("en")), _l("Add the name in English.")),
    (lambda d: bool(d.get("descriptions")), _l("Describe what the business does.")),
    (
        lambda d: bool(d.get("contact", {}).get("email") or d.get("contact", {}).get("phone")),
        _l("Add a contact email or phone number."),
    ),
    (
        lambda d: any(p.get("hs_code") for p in d.get("products", [])),
        _l("List your products with their HS codes."),
    ),
    (lambda d: bool(d.get("size_class")), _l("Give the size class.")),
    (lambda d: bool(d.get("address", {}).get("street")), _l("Add the street address.")),
)


def completeness(doc: dict) -> Part:
    """The share of the buyer-facing fields that are filled in."""
    missing = [hint for check, hint in _FIELDS if not check(doc)]
    earned = round(COMPLETENESS * (len(_FIELDS) - len(missing)) / len(_FIELDS))
    return Part("completeness", _l("Complete details"), COMPLETENESS, earned, missing)


def listing_quality(
    session: Session, listing: Listing, *, node: Node, months: int, now: datetime | None = None
) -> Quality:
    """The quality of a published listing."""
    now = now or utcnow()
    doc = parse_json(listing.document)
    own = listing.origin == node.id
    parts = [
        completeness(doc),
        _registration(session, listing, doc, own),
        _freshness(listing, doc, own, months, now),
        _reachable(session, listing, own),
        _duplicates(session, listing, doc, node),
    ]
    known = [p for p in parts if p.known]
    possible = sum(p.possible for p in known)
    score = round(100 * sum(p.earned for p in known) / possible) if possible else 0
    return Quality(score, parts)


def _registration(session: Session, listing: Listing, doc: dict, own: bool) -> Part:
    label = _l("Verified registration")
    registration = doc.get("registration")
    if not registration:
        return Part("registration", label, REGISTRATION, 0, [_l("Add the business registration.")])
    stmt = (
        select(Revision.document)
        .where(
            Revision.listing_id == listing.id,
            Revision.state == RevisionState.APPROVED,
            Revision.kind != RevisionKind.REMOTE,
        )
        .order_by(Revision.number.desc())
        .limit(1)
    )
    approved = session.execute(stmt).scalar_one_or_none()
    if approved is not None and parse_json(approved).get("registration") == registration:
        return Part("registration", label, REGISTRATION, REGISTRATION)
    if not own:
        return Part("registration", label, REGISTRATION, None)
    todo = [_l("Not verified yet: a focal point verifies it when approving an edit to it.")]
    return Part("registration", label, REGISTRATION, 0, todo)


def _freshness(listing: Listing, doc: dict, own: bool, months: int, now: datetime) -> Part:
    label = _l("Confirmed current")
    confirm = _l("Confirm that the listing is still current.")
    status = doc.get("freshness", {}).get("status")
    if status == "lapsed":
        return Part("freshness", label, FRESHNESS, 0, [confirm])
    if not own:
        return Part("freshness", label, FRESHNESS, FRESHNESS if status else None)
    if due_at(listing, months) <= now:  # the daily job has not run yet
        return Part("freshness", label, FRESHNESS, 0, [confirm])
    if remind_at(listing, months) <= now:
        return Part("freshness", label, FRESHNESS, FRESHNESS // 2, [confirm])
    return Part("freshness", label, FRESHNESS, FRESHNESS)


def _reachable(session: Session, listing: Listing, own: bool) -> Part:
    label = _l("Contact reachable")
    if not own:
        return Part("reachable", label, REACHABLE, None)
    owner = session.get(User, listing.owner_id) if listing.owner_id else None
    if owner is None:
        todo = [_l("Nobody has claimed this listing yet.")]
        return Part("reachable", label, REACHABLE, 0, todo)
    if owner.mail_bounced_at is not None:
        todo = [_l("Mail to the owner's address bounced: update the account's email address.")]
        return Part("reachable", label, REACHABLE, 0, todo)
    return Part("reachable", label, REACHABLE, REACHABLE)


def _duplicates(session: Session, listing: Listing, doc: dict, node: Node) -> Part:
    label = _l("No open duplicate")
    if open_duplicates(session, listing.id, doc, bands=node.duplicate_bands)[0]:
        todo = [_l("A likely duplicate of this listing waits for a focal point.")]
        return Part("duplicates", label, NO_DUPLICATE, 0, todo)
    return Part("duplicates", label, NO_DUPLICATE, NO_DUPLICATE)
