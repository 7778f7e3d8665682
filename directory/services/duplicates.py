"""Likely duplicates of a listing, shown to the focal point who reviews it."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session

from directory.models import Listing, ListingState, Revision
from directory.records import parse_json
from directory.services.listings import OPEN_STATES

NAME_SIMILARITY = 0.85  # SequenceMatcher ratio of case-folded names
MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class Duplicate:
    """Another listing that may be the same business, and why."""

    listing: Listing
    names: dict[str, str]
    reason: str  # "registration" or "name"


def likely_duplicates(
    session: Session, doc: dict[str, Any], *, exclude_id: str | None = None
) -> list[Duplicate]:
    """Listings with the same registration number, or a very similar name in the same province."""
    found: dict[str, Duplicate] = {}
    for listing, other in _same_registration(session, doc):
        if listing.id != exclude_id:
            found.setdefault(listing.id, Duplicate(listing, other.get("names", {}), "registration"))
    for listing, other in _same_province(session, doc):
        if listing.id != exclude_id and listing.id not in found and _similar(doc, other):
            found[listing.id] = Duplicate(listing, other.get("names", {}), "name")
    return list(found.values())


def _same_registration(session: Session, doc: dict[str, Any]):
    number = doc.get("registration", {}).get("number")
    if not isinstance(number, str) or not number.strip():
        return
    needle = '"number":' + orjson.dumps(number).decode()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    listings = select(Listing).where(
        Listing.state == ListingState.PUBLISHED, Listing.document.like(pattern, escape="\\")
    )
    for listing in session.execute(listings.limit(MAX_CANDIDATES)).scalars():
        other = parse_json(listing.document)
        if _registration_key(other) == _registration_key(doc):
            yield listing, other
    revisions = (
        select(Revision, Listing)
        .join(Listing, Listing.id == Revision.listing_id)
        .where(Revision.state.in_(OPEN_STATES), Revision.document.like(pattern, escape="\\"))
    )
    for revision, listing in session.execute(revisions.limit(MAX_CANDIDATES)).all():
        other = parse_json(revision.document)
        if _registration_key(other) == _registration_key(doc):
            yield listing, other


def _registration_key(doc: dict[str, Any]) -> tuple:
    reg = doc.get("registration", {})
    return tuple(str(reg.get(k, "")).strip().casefold() for k in ("country", "number"))


def _same_province(session: Session, doc: dict[str, Any]):
    province = doc.get("address", {}).get("province")
    if not province:
        return
    stmt = select(Listing).where(
        Listing.state == ListingState.PUBLISHED, Listing.province == province
    )
    for listing in session.execute(stmt.limit(MAX_CANDIDATES)).scalars():
        yield listing, parse_json(listing.document)


def _similar(doc: dict[str, Any], other: dict[str, Any]) -> bool:
    mine = [n.casefold().strip() for n in doc.get("names", {}).values()]
    theirs = [n.casefold().strip() for n in other.get("names", {}).values()]
    return any(SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY for a in mine for b in theirs)
