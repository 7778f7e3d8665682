"""The focal point's quality dashboard: how fast reviews go and how healthy their scope is.

A focal point's scope is their country's listings made on this node, plus the records
peers send for review (as in ``permissions.can_review_revision``); an admin's is the
whole node. Quarantine belongs to the peers, not to a country, so its share is node-wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlmodel import Session

from directory import permissions
from directory.models import (
    Listing,
    ListingMatchKey,
    ListingState,
    ReviewDecision,
    Revision,
    RevisionKind,
    User,
)
from directory.models.base import as_utc, utcnow
from directory.models.sync import QuarantineEntry
from directory.node import Node
from directory.records import parse_json
from directory.services.claims import claim_queue
from directory.services.duplicates import likely_duplicates
from directory.services.reviews import review_queue

WINDOW_DAYS = 90
DUPLICATE_CHECKS = 2000


@dataclass
class Dashboard:
    """The figures of one scope (hours for turnaround, days for queue ages)."""

    country: str | None  # None: the whole node (an admin)
    window_days: int = WINDOW_DAYS
    decided: int = 0
    turnaround_median: float | None = None
    turnaround_p90: float | None = None
    queue_ages: list[float] = field(default_factory=list)
    pending_claims: int = 0
    listings: int = 0
    lapsed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    peer_records: int = 0


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile (q from 0 to 1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


AGE_BUCKETS = (
    (1, _l("less than a day")),
    (3, _l("1 to 3 days")),
    (7, _l("3 to 7 days")),
    (14, _l("7 to 14 days")),
    (math.inf, _l("more than 14 days")),
)


def age_rows(ages: list[float]) -> list[tuple[str, int]]:
    """How many queue items fall into each age bucket."""
    counts = [0] * len(AGE_BUCKETS)
    for age in ages:
        counts[next(i for i, (limit, _) in enumerate(AGE_BUCKETS) if age < limit)] += 1
    return [(str(label), n) for (_, label), n in zip(AGE_BUCKETS, counts, strict=True)]


def scope_dashboard(
    session: Session, actor: User, *, node: Node, months: int, now: datetime | None = None
) -> Dashboard:
    """The dashboard of the actor's scope at ``now``."""
    now = now or utcnow()
    country = None if actor.is_admin else permissions.reviewer_country(actor, node.country)
    d = Dashboard(country)
    hours = _turnarounds(session, country, now - timedelta(days=WINDOW_DAYS))
    d.decided = len(hours)
    d.turnaround_median, d.turnaround_p90 = percentile(hours, 0.5), percentile(hours, 0.9)
    d.queue_ages = [
        (now - as_utc(rev.submitted_at)).total_seconds() / 86400
        for rev, _ in review_queue(session, country=country)
        if rev.submitted_at is not None
    ]
    d.pending_claims = len(claim_queue(session, actor, node=node))
    own = [Listing.origin == node.id, Listing.state == ListingState.PUBLISHED]
    if country:
        own.append(Listing.country == country)
    d.listings = _count(session, select(func.count()).select_from(Listing).where(*own))
    d.lapsed = _count(
        session, select(func.count()).select_from(Listing).where(*own, Listing.lapsed.is_(True))
    )
    d.duplicates = _open_duplicates(session, own, node)
    d.quarantined = _count(
        session,
        select(func.count(func.distinct(QuarantineEntry.record_id))).where(
            QuarantineEntry.resolved_at.is_(None)
        ),
    )
    d.peer_records = _count(
        session,
        select(func.count())
        .select_from(Listing)
        .where(Listing.origin != node.id, Listing.state == ListingState.PUBLISHED),
    )
    return d


def _count(session: Session, stmt) -> int:
    return int(session.execute(stmt).scalar_one() or 0)


def _turnarounds(session: Session, country: str | None, since: datetime) -> list[float]:
    """Hours from submission to decision of the decisions since ``since`` in the scope."""
    stmt = (
        select(ReviewDecision.created_at, Revision.submitted_at, Revision.kind, Revision.document)
        .join(Revision, Revision.id == ReviewDecision.revision_id)
        .where(ReviewDecision.created_at >= since, Revision.submitted_at.is_not(None))
    )
    hours = []
    for decided, submitted, kind, document in session.execute(stmt).all():
        mine = kind == RevisionKind.REMOTE or not country
        if not mine and parse_json(document).get("address", {}).get("country") != country:
            continue
        hours.append(max((as_utc(decided) - as_utc(submitted)).total_seconds() / 3600, 0.0))
    return hours


def _open_duplicates(session: Session, own: list, node: Node) -> int:
    """Listings in the scope with a likely duplicate still open (not merged, not declared
    distinct), as ``duplicates.likely_duplicates`` finds it.

    Only listings that share a registration, phone or email key with another are
    scored (an indexed query), at most ``DUPLICATE_CHECKS`` of them: a duplicate found
    by name alone shows on the listing's review page, not in this count.
    """
    strong = or_(*(ListingMatchKey.key.startswith(p) for p in ("reg:", "tel:", "mail:")))
    shared = (
        select(ListingMatchKey.key)
        .where(strong)
        .group_by(ListingMatchKey.key)
        .having(func.count() > 1)
    )
    stmt = (
        select(Listing)
        .join(ListingMatchKey, ListingMatchKey.listing_id == Listing.id)
        .where(*own, ListingMatchKey.key.in_(shared))
        .distinct()
        .limit(DUPLICATE_CHECKS)
    )
    return sum(
        1
        for listing in session.execute(stmt).scalars()
        if likely_duplicates(
            session,
            parse_json(listing.document),
            exclude_id=listing.id,
            bands=node.duplicate_bands,
        )
    )
