"""Buyer enquiries: send (limited, confirmed by mail without an account), receive, answer.

A buyer writes about one published listing; the request never carries the
buyer's contact details. A sender without a confirmed account confirms the
address through a mailed link first (state ``unconfirmed``); only then is the
enquiry delivered: here when this node is the listing's origin, else as an
exchange message towards the origin (``enquiry_exchange``). The owner reads it
(``new`` -> ``read``) and answers or declines; only an answer shows each side the
other's chosen contact details. Open enquiries expire after
``enquiries.expire_days``. Limits per sender address, client address and listing
are counters in the database (one atomic upsert each), so they hold across
workers; a focal point may block a sender by its opaque reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from directory import permissions
from directory.models import (
    Enquiry,
    EnquiryBlock,
    EnquiryCounter,
    EnquiryMessage,
    EnquiryState,
    Listing,
    ListingState,
    User,
)
from directory.models.base import as_utc, utcnow
from directory.models.enquiries import OPEN_ENQUIRY_STATES
from directory.node import Node
from directory.records import parse_json
from directory.services.accounts import EMAIL_RE, normalize_email
from directory.services.audit import record_audit
from directory.services.changes import isic_sections
from directory.services.enquiry_outbox import (
    REQUEST_FIELDS,
    new_uid,
    next_hop,
    queue_enquiry,
    queue_reply,
)
from directory.services.errors import (
    InvalidRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from schemas import ValidationIssue, validate

PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
CONFIRM_SALT = "smedir.enquiry-confirm"
STATUS_SALT = "smedir.enquiry-status"
CONTACT_FIELDS = ("name", "email", "phone", "website")


class TooManyEnquiries(ServiceError):
    """A limit of ``[enquiries]`` is reached; ``retry_after`` seconds until the next window."""

    def __init__(self, code: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(code)


@dataclass(frozen=True)
class EnquiryPolicy:
    """The ``[enquiries]`` settings the services need."""

    expire_days: int = 30
    keep_days: int = 365
    confirm_hours: int = 48
    max_per_sender_per_day: int = 10
    max_per_address_per_day: int = 20
    max_per_listing_per_day: int = 30

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> EnquiryPolicy:
        """Take the known keys of the ``[enquiries]`` table."""
        return cls(**{k: v for k, v in section.items() if k in cls.__dataclass_fields__})


def sender_reference(node_id: str, secret_key: str, email: str) -> str:
    """The opaque, stable reference of a sender address on this node (blocks use it)."""
    mac = hmac.new(secret_key.encode(), b"enquiry-sender:" + email.encode(), hashlib.sha256)
    return f"{node_id}:{mac.hexdigest()[:16]}"


def accepts_enquiries(listing: Listing) -> bool:
    """A published listing whose SME did not switch enquiries off in its sharing choices."""
    if listing.state != ListingState.PUBLISHED or not listing.document:
        return False
    return parse_json(listing.document).get("sharing", {}).get("enquiries") is not False


def enquirable_listing(session: Session, listing_id: str) -> Listing:
    """The published, publicly shown listing ``listing_id`` that takes enquiries."""
    listing = session.get(Listing, listing_id) if len(listing_id) <= 100 else None
    if listing is None or listing.state != ListingState.PUBLISHED or not listing.share_public:
        raise NotFound("listing-not-found", id=listing_id)
    if not accepts_enquiries(listing):
        raise InvalidTransition("enquiries-off")
    return listing


def request_from_form(listing_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The enquiry-request document of a form (blank fields absent, codes upper-cased)."""
    doc: dict[str, Any] = {"listing": listing_id}
    for key in (*REQUEST_FIELDS, "country"):
        value = (form.get(key) or "").replace("\r\n", "\n").strip()
        if value:
            doc[key] = value.upper() if key in ("target_market", "country") else value
    return doc


def sender_contact_from_form(form: dict[str, str], email: str) -> tuple[dict, list]:
    """The buyer's contact details (shown to the owner only after an answer), and problems."""
    contact: dict[str, str] = {"email": email}
    issues = []
    name = (form.get("name") or "").strip()
    if name:
        contact["name"] = name[:120]
    phone = re.sub(r"[ ()-]", "", form.get("phone") or "")
    if phone:
        if PHONE_RE.match(phone):
            contact["phone"] = phone
        else:
            issues.append(
                ValidationIssue("/phone", "must be in international form, e.g. +66812345678")
            )
    return contact, issues


def send_enquiry(
    session: Session,
    actor: User | None,
    listing_id: str,
    form: dict[str, str],
    *,
    node: Node,
    policy: EnquiryPolicy,
    secret_key: str,
    address: str,
    locale: str,
    peers: list[dict],
) -> Enquiry:
    """Record a buyer's enquiry; delivered now when the sender's address is confirmed.

    ``peers`` are the configured ``[[peers]]`` (routes to other origins). Raises
    InvalidRecord (JSON-pointer issues), PermissionDenied for a blocked sender,
    InvalidTransition when enquiries are off or the origin is unreachable,
    TooManyEnquiries over a limit.
    """
    listing = enquirable_listing(session, listing_id)
    verified = actor is not None and actor.email_confirmed_at is not None
    email = actor.email if verified else normalize_email(form.get("email", ""))
    request = request_from_form(listing.id, form)
    issues = list(validate(request, "enquiry-request"))
    if not EMAIL_RE.match(email) or len(email) > 254:
        issues.append(ValidationIssue("/email", "must be an email address"))
    contact, contact_issues = sender_contact_from_form(form, email)
    if issues or contact_issues:
        raise InvalidRecord(sorted(issues + contact_issues))
    ref = sender_reference(node.id, secret_key, email)
    if is_blocked(session, ref):
        raise PermissionDenied("enquiry-sender-blocked")
    if listing.origin != node.id and next_hop(node, peers, listing.origin) is None:
        raise InvalidTransition("enquiry-no-route")
    count_enquiry(session, policy, sender=email, address=address, listing_id=listing.id)
    enquiry = Enquiry(
        uid=new_uid(node.id),
        listing_id=listing.id,
        listing_origin=listing.origin,
        sender_node=node.id,
        sender_ref=ref,
        state=EnquiryState.UNCONFIRMED,
        **{k: request.get(k) for k in REQUEST_FIELDS},
        country=request["country"],
        sender_email=email,
        sender_user_id=actor.id if actor is not None else None,
        sender_contact=orjson.dumps(contact).decode(),
        locale=locale if locale in ("km", "en") else "en",
    )
    session.add(enquiry)
    session.flush()
    if verified:
        confirm_enquiry_now(session, enquiry, node, peers)
    return enquiry


def confirm_enquiry_now(session: Session, enquiry: Enquiry, node: Node, peers: list[dict]) -> None:
    """The sender's address is confirmed: deliver here, or queue the message to the origin."""
    enquiry.state = EnquiryState.NEW
    enquiry.confirmed_at = utcnow()
    if enquiry.listing_origin == node.id:
        snapshot_listing(session, enquiry)
    else:
        queue_enquiry(session, enquiry, node, peers)
    session.add(enquiry)
    session.flush()


def snapshot_listing(session: Session, enquiry: Enquiry) -> None:
    """Keep the listing's first sector (as its ISIC section) and province, for the counts."""
    listing = session.get(Listing, enquiry.listing_id)
    if listing is None:
        return
    codes = (listing.sectors or "").split()
    enquiry.sector = isic_sections().get(codes[0]) if codes else None
    enquiry.province = listing.province


def count_enquiry(
    session: Session,
    policy: EnquiryPolicy,
    *,
    sender: str | None = None,
    address: str | None = None,
    listing_id: str | None = None,
) -> None:
    """Count one enquiry against each limit that applies; TooManyEnquiries over one."""
    now = utcnow()
    day = now.strftime("%Y-%m-%d")
    until = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    limits = (
        ("sender", sender, policy.max_per_sender_per_day),
        ("address", address, policy.max_per_address_per_day),
        ("listing", listing_id, policy.max_per_listing_per_day),
    )
    for kind, value, limit in limits:
        if value is None:
            continue
        key = f"{kind}:{day}:{value}"[:200]
        if bump_counter(session, key, until) > limit:
            _over_limit(kind, max(int((until - now).total_seconds()), 1))


def _over_limit(kind: str, retry: int) -> None:
    if kind == "sender":
        raise TooManyEnquiries("too-many-enquiries-sender", retry)
    if kind == "address":
        raise TooManyEnquiries("too-many-enquiries-address", retry)
    raise TooManyEnquiries("too-many-enquiries-listing", retry)


def bump_counter(session: Session, key: str, until: datetime) -> int:
    """Add one to a counter in one atomic upsert (row-locked on PostgreSQL); the new count."""
    table = EnquiryCounter.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(key=key, count=1, until=until)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key], set_={"count": table.c.count + 1}
    ).returning(table.c.count)
    return int(session.execute(stmt).scalar_one())


def is_blocked(session: Session, sender_ref: str) -> bool:
    """True when a focal point blocked this sender reference."""
    stmt = select(EnquiryBlock.id).where(EnquiryBlock.sender_ref == sender_ref)
    return session.execute(stmt).first() is not None


def confirmation_token(enquiry: Enquiry, secret_key: str) -> str:
    """The signed token of the link that confirms an enquiry's sender address."""
    return URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT).dumps(enquiry.uid)


def status_token(enquiry: Enquiry, secret_key: str) -> str:
    """The signed token of the buyer's link to the enquiry's status and answer."""
    return URLSafeSerializer(secret_key, salt=STATUS_SALT).dumps(enquiry.uid)


def confirm_enquiry(
    session: Session,
    token: str,
    secret_key: str,
    policy: EnquiryPolicy,
    node: Node,
    peers: list[dict],
) -> tuple[Enquiry, bool]:
    """Confirm the sender address of an enquiry and deliver it; True when it was delivered
    now (opening the link again is fine and changes nothing)."""
    try:
        uid = URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT).loads(
            token, max_age=policy.confirm_hours * 3600
        )
    except BadSignature:
        raise InvalidTransition("enquiry-link-invalid") from None
    enquiry = _by_uid(session, str(uid))
    if enquiry is None or enquiry.sender_node != node.id:
        raise InvalidTransition("enquiry-link-invalid")
    if enquiry.state != EnquiryState.UNCONFIRMED:
        return enquiry, False
    confirm_enquiry_now(session, enquiry, node, peers)
    return enquiry, True


def enquiry_for_status(session: Session, token: str, secret_key: str) -> Enquiry:
    """The enquiry a buyer's status link stands for."""
    try:
        uid = URLSafeSerializer(secret_key, salt=STATUS_SALT).loads(token)
    except BadSignature:
        raise NotFound("enquiry-not-found", id="") from None
    enquiry = _by_uid(session, str(uid))
    if enquiry is None or enquiry.sender_email is None:
        raise NotFound("enquiry-not-found", id="")
    return enquiry


def _by_uid(session: Session, uid: str) -> Enquiry | None:
    return session.execute(select(Enquiry).where(Enquiry.uid == uid[:80])).scalar_one_or_none()


def sent_enquiries(session: Session, actor: User, node: Node) -> list[Enquiry]:
    """The enquiries the actor sent from this node, newest first: signed in, or from their
    confirmed address before they signed in (this node alone holds the buyer's address)."""
    mine = Enquiry.sender_user_id == actor.id
    if actor.email_confirmed_at is not None:
        mine = or_(mine, Enquiry.sender_email == actor.email)
    stmt = (
        select(Enquiry)
        .where(Enquiry.sender_node == node.id, mine)
        .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
        .limit(500)
    )
    return list(session.execute(stmt).scalars())


def received_enquiries(session: Session, actor: User, node: Node) -> list[tuple[Enquiry, Listing]]:
    """The enquiries about the actor's own listings, newest first (any state but unconfirmed)."""
    stmt = (
        select(Enquiry, Listing)
        .join(Listing, Listing.id == Enquiry.listing_id)
        .where(
            Listing.owner_id == actor.id,
            Enquiry.listing_origin == node.id,
            Enquiry.state != EnquiryState.UNCONFIRMED,
            Enquiry.state != EnquiryState.REFUSED,
        )
        .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
        .limit(500)
    )
    return [(e, lst) for e, lst in session.execute(stmt).all()]


def open_enquiry(
    session: Session, actor: User | None, enquiry_id: int, node: Node, *, mark_read: bool = False
) -> tuple[Enquiry, Listing]:
    """An enquiry the actor may answer (the listing's owner), marked read when asked."""
    enquiry = session.get(Enquiry, enquiry_id) if 0 < enquiry_id < 2**31 else None
    listing = session.get(Listing, enquiry.listing_id) if enquiry is not None else None
    if (
        enquiry is None
        or listing is None
        or enquiry.listing_origin != node.id
        or enquiry.state in (EnquiryState.UNCONFIRMED, EnquiryState.REFUSED)
        or not permissions.can_answer_enquiry(actor, listing)
    ):
        raise NotFound("enquiry-not-found", id=enquiry_id)
    if mark_read and enquiry.state == EnquiryState.NEW:
        enquiry.state = EnquiryState.READ
        enquiry.read_at = utcnow()
        session.add(enquiry)
        session.flush()
    return enquiry, listing


def owner_contact_choices(listing: Listing, actor: User) -> dict[str, str]:
    """The contact details the owner may choose to show: the listing's, and the account email."""
    contact = parse_json(listing.document or "{}").get("contact", {})
    choices = {k: contact[k] for k in ("email", "phone", "website") if contact.get(k)}
    choices.setdefault("email", actor.email)
    return choices


def answer_enquiry(
    session: Session,
    actor: User,
    enquiry_id: int,
    answer: str,
    show: list[str],
    node: Node,
    peers: list[dict],
) -> Enquiry:
    """The owner answers with the contact details they chose; the buyer is told (and, across
    nodes, the buyer's node then releases the buyer's contact details)."""
    enquiry, listing = open_enquiry(session, actor, enquiry_id, node)
    _check_open(enquiry)
    text = (answer or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidRecord([ValidationIssue("/answer", "is required")])
    if len(text) > 4000:
        raise InvalidRecord([ValidationIssue("/answer", "must be at most 4000 characters")])
    choices = owner_contact_choices(listing, actor)
    contact = {k: v for k, v in choices.items() if k in show}
    name = (parse_json(listing.document or "{}").get("names") or {}).get("en")
    if name:
        contact["name"] = name[:120]
    enquiry.state, enquiry.answer = EnquiryState.ANSWERED, text
    enquiry.owner_contact = orjson.dumps(contact).decode()
    enquiry.decided_at = utcnow()
    session.add(enquiry)
    session.flush()
    if enquiry.sender_node != node.id:
        queue_reply(session, enquiry, node, peers)
    return enquiry


def decline_enquiry(
    session: Session, actor: User, enquiry_id: int, node: Node, peers: list[dict]
) -> Enquiry:
    """The owner declines: the buyer is told, and nobody's contact details are shown."""
    enquiry, _listing = open_enquiry(session, actor, enquiry_id, node)
    _check_open(enquiry)
    enquiry.state, enquiry.decided_at = EnquiryState.DECLINED, utcnow()
    session.add(enquiry)
    session.flush()
    if enquiry.sender_node != node.id:
        queue_reply(session, enquiry, node, peers)
    return enquiry


def _check_open(enquiry: Enquiry) -> None:
    if enquiry.state not in OPEN_ENQUIRY_STATES:
        raise InvalidTransition("enquiry-closed")


def contact_of(text: str | None) -> dict[str, str]:
    """A stored contact JSON as a dict (empty when none)."""
    return parse_json(text) if text else {}


def block_sender(session: Session, actor: User, sender_ref: str, reason: str = "") -> EnquiryBlock:
    """A focal point (or admin) blocks a sender reference; its enquiries are refused from now."""
    if not permissions.can_block_enquiry_senders(actor):
        raise PermissionDenied("enquiry-block-not-allowed")
    ref = (sender_ref or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,31}:[0-9a-f]{16}", ref):
        raise InvalidRecord([ValidationIssue("/sender_ref", "must look like th:0123456789abcdef")])
    existing = session.execute(
        select(EnquiryBlock).where(EnquiryBlock.sender_ref == ref)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    block = EnquiryBlock(sender_ref=ref, reason=(reason or "").strip()[:500], created_by=actor.id)
    session.add(block)
    session.flush()
    record_audit(session, actor, "enquiry.block", f"sender:{ref}", {"reason": block.reason})
    return block


def unblock_sender(session: Session, actor: User, block_id: int) -> None:
    """Lift a block (focal points and admins)."""
    if not permissions.can_block_enquiry_senders(actor):
        raise PermissionDenied("enquiry-block-not-allowed")
    block = session.get(EnquiryBlock, block_id) if 0 < block_id < 2**31 else None
    if block is None:
        raise NotFound("enquiry-block-not-found", id=block_id)
    record_audit(session, actor, "enquiry.unblock", f"sender:{block.sender_ref}", {})
    session.delete(block)
    session.flush()


def list_blocks(session: Session) -> list[EnquiryBlock]:
    """Every blocked sender, newest first."""
    stmt = select(EnquiryBlock).order_by(EnquiryBlock.created_at.desc(), EnquiryBlock.id.desc())
    return list(session.execute(stmt).scalars())


def expire_enquiries(session: Session, policy: EnquiryPolicy, now: datetime | None = None) -> int:
    """Open enquiries older than ``expire_days`` become expired; how many did."""
    cutoff = (now or utcnow()) - timedelta(days=policy.expire_days)
    stmt = (
        update(Enquiry)
        .where(
            Enquiry.state.in_([EnquiryState.UNCONFIRMED, *OPEN_ENQUIRY_STATES]),
            Enquiry.created_at < cutoff,
        )
        .values(state=EnquiryState.EXPIRED)
    )
    return session.execute(stmt).rowcount or 0


def purge_enquiries(session: Session, policy: EnquiryPolicy, now: datetime | None = None) -> int:
    """Delete enquiries and messages older than ``keep_days``, and spent counters."""
    now = now or utcnow()
    cutoff = now - timedelta(days=policy.keep_days)
    gone = session.execute(delete(Enquiry).where(Enquiry.created_at < cutoff)).rowcount or 0
    session.execute(delete(EnquiryMessage).where(EnquiryMessage.created_at < cutoff))
    session.execute(delete(EnquiryCounter).where(EnquiryCounter.until < now))
    return gone


COUNTED = (
    EnquiryState.NEW,
    EnquiryState.READ,
    EnquiryState.ANSWERED,
    EnquiryState.DECLINED,
    EnquiryState.EXPIRED,
)


def enquiries_this_year(session: Session, listing_ids: list[str]) -> dict[str, int]:
    """Listing id -> enquiries it received since 1 January (delivered ones only)."""
    if not listing_ids:
        return {}
    now = utcnow()
    start = datetime(now.year, 1, 1, tzinfo=UTC)
    stmt = (
        select(Enquiry.listing_id, func.count())
        .where(
            Enquiry.listing_id.in_(listing_ids),
            Enquiry.created_at >= start,
            Enquiry.state.in_(COUNTED),
        )
        .group_by(Enquiry.listing_id)
    )
    return dict(session.execute(stmt).all())


@dataclass
class EnquiryCounts:
    """Enquiries this node's listings received: per sector (ISIC section), province and month."""

    sectors: dict[str, int]
    provinces: dict[str, int]
    months: dict[str, int]
    total: int


def enquiry_counts(session: Session, node: Node, months: int = 12) -> EnquiryCounts:
    """Counts of the last ``months`` months, never contents."""
    since = utcnow() - timedelta(days=31 * months)
    stmt = select(Enquiry.sector, Enquiry.province, Enquiry.created_at).where(
        Enquiry.listing_origin == node.id,
        Enquiry.state.in_(COUNTED),
        Enquiry.created_at >= since,
    )
    sectors: dict[str, int] = {}
    provinces: dict[str, int] = {}
    by_month: dict[str, int] = {}
    total = 0
    for sector, province, created in session.execute(stmt).all():
        total += 1
        sectors[sector or "?"] = sectors.get(sector or "?", 0) + 1
        provinces[province or "?"] = provinces.get(province or "?", 0) + 1
        month = as_utc(created).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
    ordered = dict(sorted(by_month.items()))
    return EnquiryCounts(sectors, provinces, ordered, total)
