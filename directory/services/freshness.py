"""Freshness: an owner confirms their listing is current; unconfirmed listings lapse.

A published listing of this node whose owner has not confirmed or edited it within
``quality.reconfirm_months`` is reminded by mail one month before and again at
expiry, and at expiry becomes *lapsed*: it stays public, marked "not confirmed since
...", ranked lower in search, and its record carries ``freshness.status = "lapsed"``
(a new version, so peers see it). A confirmation publishes ``status = "current"``.

A listing nobody owns here is never mailed; its period runs from its first
publication, so an imported listing that nobody claims lapses too (honestly: nobody
confirmed it). Records of other origins are lapsed by their origin, never here.

This module holds the decisions and the database writes; the daily job that sends
the mails is ``directory/cli/freshness.py``. Every function takes ``now`` so the
lifecycle can be tested with a frozen clock.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from directory import permissions
from directory.models import FreshnessReminder, Listing, ListingState, User
from directory.models.base import utcnow
from directory.node import Node
from directory.records import business_data, parse_json
from directory.services.audit import record_audit
from directory.services.changes import publish_document, stamp_envelope
from directory.services.errors import InvalidTransition, PermissionDenied
from directory.services.listings import freshness_block, get_listing, period_start

BEFORE, EXPIRY = "before", "expiry"


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` shifted by whole calendar months (the day clamped to the month's last)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def due_at(listing: Listing, months: int) -> datetime:
    """When the listing lapses unless confirmed."""
    return add_months(period_start(listing), months)


def remind_at(listing: Listing, months: int) -> datetime:
    """When the first reminder goes: one month before it is due."""
    return add_months(period_start(listing), months - 1)


def confirm_listing(
    session: Session,
    actor: User,
    listing_id: str,
    *,
    node: Node,
    now: datetime | None = None,
) -> Listing:
    """The owner confirms the listing is current: a new version with status "current"."""
    listing = get_listing(session, listing_id)
    if not permissions.can_confirm_listing(actor, listing, node.id):
        raise PermissionDenied("confirm-not-allowed")
    mark_confirmed(session, listing, now=now or utcnow())
    record_audit(session, actor, "listing.confirm", f"listing:{listing.id}")
    return listing


def mark_confirmed(session: Session, listing: Listing, *, now: datetime) -> None:
    """Start a new freshness period now and publish it."""
    listing.confirmed_at = now
    _republish(session, listing, lapsed=False, now=now)


def _republish(session: Session, listing: Listing, *, lapsed: bool, now: datetime) -> None:
    doc = business_data(parse_json(listing.document))
    doc = stamp_envelope(doc, listing, listing.version + 1, now)
    doc["freshness"] = freshness_block(listing, lapsed=lapsed)
    publish_document(session, listing, doc)


def reconfirm_token(secret: str, listing: Listing) -> str:
    """The token of the mailed confirmation link: valid until the period it names ends."""
    message = f"reconfirm|{listing.id}|{period_start(listing).isoformat()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def confirm_by_token(
    session: Session, listing_id: str, token: str, *, secret: str, now: datetime | None = None
) -> Listing:
    """Confirm through the mailed link: the token proves the owner's mailbox got it."""
    listing = session.get(Listing, listing_id)
    valid = (
        listing is not None
        and listing.owner_id is not None
        and listing.state == ListingState.PUBLISHED
        and hmac.compare_digest(token, reconfirm_token(secret, listing))
    )
    if not valid:
        raise InvalidTransition("reconfirm-link-invalid")
    now = now or utcnow()
    owner = session.get(User, listing.owner_id)
    mark_confirmed(session, listing, now=now)
    if owner is not None and owner.mail_bounced_at is not None:
        owner.mail_bounced_at = None  # the mail arrived after all
        session.add(owner)
    record_audit(session, owner, "listing.confirm", f"listing:{listing.id}", "mail link")
    return listing


@dataclass(frozen=True)
class Due:
    """A reminder the daily job should send now."""

    listing: Listing
    owner: User
    kind: str  # BEFORE or EXPIRY
    period_start: datetime
    due_at: datetime


def _own_current(
    session: Session, node: Node, before: datetime, limit: int | None = None
) -> list[Listing]:
    """This node's published, not lapsed listings whose period started before ``before``."""
    start = func.coalesce(Listing.confirmed_at, Listing.created_at)
    stmt = (
        select(Listing)
        .where(
            Listing.origin == node.id,
            Listing.state == ListingState.PUBLISHED,
            Listing.lapsed.is_not(True),
            start <= before,
        )
        .order_by(Listing.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def due_reminders(session: Session, *, node: Node, months: int, now: datetime) -> list[Due]:
    """Reminders due now and not yet recorded: "before" in the last month, "expiry" after.

    A listing already past expiry gets only the expiry reminder.
    """
    threshold = add_months(now, -(months - 1)) + timedelta(days=1)
    candidates = [
        listing
        for listing in _own_current(session, node, threshold)
        if listing.owner_id is not None and remind_at(listing, months) <= now
    ]
    sent = _recorded(session, [listing.id for listing in candidates])
    out = []
    for listing in candidates:
        start, due = period_start(listing), due_at(listing, months)
        kind = EXPIRY if due <= now else BEFORE
        if (listing.id, kind, start.replace(tzinfo=None)) in sent:
            continue
        owner = session.get(User, listing.owner_id)
        if owner is not None and owner.active:
            out.append(Due(listing, owner, kind, start, due))
    return out


def _recorded(session: Session, ids: list[str]) -> set[tuple[str, str, datetime]]:
    """(listing id, kind, period start) of the reminders recorded for these listings."""
    found = set()
    for start in range(0, len(ids), 500):
        stmt = select(
            FreshnessReminder.listing_id, FreshnessReminder.kind, FreshnessReminder.period_start
        ).where(FreshnessReminder.listing_id.in_(ids[start : start + 500]))
        found |= {(rid, kind, at.replace(tzinfo=None)) for rid, kind, at in session.execute(stmt)}
    return found


def reserve_reminder(session: Session, due: Due, *, now: datetime) -> FreshnessReminder:
    """Record the reminder before it is sent: committed first, it is never sent twice."""
    row = FreshnessReminder(
        listing_id=due.listing.id,
        kind=due.kind,
        period_start=due.period_start,
        created_at=now,
        sent_to=due.owner.email,
        outcome="sending",
    )
    session.add(row)
    session.flush()
    return row


def lapse_due(
    session: Session, *, node: Node, months: int, now: datetime, limit: int | None = None
) -> list[Listing]:
    """Mark lapsed the listings of this node past their due date, at most ``limit`` of
    them (idempotent: call again until it returns fewer than ``limit``)."""
    lapsed = []
    # a period that started on a month's last days may end a day or two later than this
    # threshold says (the day is clamped): the next day's run lapses it
    for listing in _own_current(session, node, add_months(now, -months), limit):
        if due_at(listing, months) <= now:
            _republish(session, listing, lapsed=True, now=now)
            record_audit(
                session,
                None,
                "listing.lapse",
                f"listing:{listing.id}",
                {"since": period_start(listing)},
            )
            lapsed.append(listing)
    return lapsed


def mark_bounced(session: Session, user: User, *, now: datetime | None = None) -> None:
    """Note that mail to the user's address failed permanently."""
    user.mail_bounced_at = now or utcnow()
    session.add(user)
    session.flush()
