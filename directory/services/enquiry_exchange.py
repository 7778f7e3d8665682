"""Enquiry messages between nodes: queue, route, receive (idempotent), and apply.

Kinds (``schemas/enquiry-message.schema.json``): ``enquiry`` goes from the
buyer's node to the listing's origin, without contact data; ``reply`` comes back
(answered, with the contact details the owner chose, or declined);
``sender_contact`` then releases the buyer's contact details to the origin;
``refused`` tells the buyer's node that the origin did not accept the enquiry.

Routing: a message goes straight to its destination when that node is a
configured peer, else to the peer configured with ``hub = true``; a hub relays a
message it cannot deliver itself to the destination when that is one of its
peers. Only nodes on the path ever store a message. A message id seen before is
answered ``duplicate`` and changes nothing, so a sender may repeat a batch
whose receipts it lost. Nothing here touches the change log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlmodel import Session

from directory.models import Enquiry, EnquiryMessage, EnquiryState, Listing
from directory.models.base import utcnow
from directory.node import Node
from directory.services.enquiries import (
    REQUEST_FIELDS,
    EnquiryPolicy,
    TooManyEnquiries,
    accepts_enquiries,
    contact_of,
    count_enquiry,
    is_blocked,
    snapshot_listing,
)
from directory.services.enquiry_outbox import (
    FAILED,
    PENDING,
    RECEIVED,
    SENT,
    message,
    message_row,
    next_hop,
    queue,
)
from directory.services.errors import InvalidRecord, PermissionDenied
from schemas import validate


@dataclass
class Arrivals:
    """What a received batch changed here, for the mails the caller sends after commit."""

    new: list[Enquiry] = field(default_factory=list)  # to the listing owner
    replies: list[Enquiry] = field(default_factory=list)  # to the buyer (answer, decline, refusal)


def receive_messages(
    session: Session,
    body: Any,
    *,
    node: Node,
    peer_id: str,
    peers: list[dict[str, Any]],
    policy: EnquiryPolicy,
) -> tuple[dict[str, Any], Arrivals]:
    """Take a batch from ``peer_id``: one receipt per message; returns receipts and arrivals."""
    issues = validate(body, "enquiry-batch")
    if issues:
        raise InvalidRecord(issues)
    if body["source"] != peer_id:
        raise PermissionDenied("push-source-mismatch", source=body["source"], peer=peer_id)
    arrivals = Arrivals()
    receipts = [
        _receive_one(session, m, node, peer_id, peers, policy, arrivals) for m in body["messages"]
    ]
    return {"receipts": receipts}, arrivals


MESSAGE_ID = re.compile(r"^[a-z][a-z0-9-]{1,31}:m:[0-9a-f]{32}$")


def _safe_id(mid: Any) -> str:
    """A message id to echo in a receipt: as sent when well-formed, else empty."""
    return mid if isinstance(mid, str) and MESSAGE_ID.match(mid) else ""


def _rejected(mid: Any, path: str, message: str) -> dict[str, Any]:
    errors = [{"path": path, "message": message}]
    return {"id": _safe_id(mid), "status": "rejected", "errors": errors}


def _receive_one(session, msg, node, peer_id, peers, policy, arrivals) -> dict[str, Any]:
    issues = validate(msg, "enquiry-message")
    if issues:
        return {
            "id": _safe_id(msg.get("id")),
            "status": "rejected",
            "errors": [{"path": i.path, "message": i.message} for i in issues],
        }
    if session.get(EnquiryMessage, msg["id"]) is not None:
        return {"id": msg["id"], "status": "duplicate"}
    from_hub = any(p["id"] == peer_id and p.get("hub") for p in peers)
    if msg["from"] != peer_id and not from_hub:
        return _rejected(
            msg["id"], "/from", f"only a hub relays messages of other nodes, not {peer_id}"
        )
    if msg["to"] != node.id:
        if node.role != "hub" or next_hop(node, peers, msg["to"]) in (None, peer_id):
            return _rejected(msg["id"], "/to", f"no route from {node.id} to {msg['to']}")
        queue(session, node, peers, msg, received_from=peer_id)
        return {"id": msg["id"], "status": "accepted"}
    session.add(message_row(msg, state=RECEIVED, received_from=peer_id))
    session.flush()
    problem = APPLY[msg["kind"]](session, msg, node, peers, policy, arrivals)
    if problem:
        return _rejected(msg["id"], *problem)
    return {"id": msg["id"], "status": "accepted"}


def _apply_enquiry(session, msg, node, peers, policy, arrivals):
    """A new enquiry about one of this node's listings; refused ones answer with ``refused``."""
    request = msg["request"]
    if msg["enquiry"].split(":", 1)[0] != msg["from"]:
        return "/enquiry", "an enquiry's id must start with the sending node's id"
    if _find(session, msg["enquiry"]) is not None:
        return None  # the same enquiry again under another message id: nothing to do
    listing = session.get(Listing, request["listing"])
    code = None
    if listing is None or listing.origin != node.id or not accepts_enquiries(listing):
        code = "enquiries-off"
    elif is_blocked(session, msg["sender_ref"]):
        code = "enquiry-sender-blocked"
    else:
        try:
            count_enquiry(session, policy, listing_id=listing.id)
        except TooManyEnquiries as exc:
            code = exc.code
    enquiry = Enquiry(
        uid=msg["enquiry"],
        listing_id=request["listing"],
        listing_origin=node.id,
        sender_node=msg["from"],
        sender_ref=msg["sender_ref"],
        state=EnquiryState.REFUSED if code else EnquiryState.NEW,
        refusal=code,
        **{k: request.get(k) for k in REQUEST_FIELDS},
        country=request["country"],
        confirmed_at=utcnow(),
    )
    if code is None:
        snapshot_listing(session, enquiry)
    session.add(enquiry)
    session.flush()
    if code:
        body = message(node, "refused", enquiry, msg["from"], code=code)
        queue(session, node, peers, body)
    else:
        arrivals.new.append(enquiry)
    return None


def _apply_reply(session, msg, node, peers, policy, arrivals):
    """The owner answered or declined: the buyer's node records it and, on an answer,
    releases the buyer's contact details to the origin."""
    enquiry = _find(session, msg["enquiry"])
    if enquiry is None or enquiry.sender_node != node.id or enquiry.listing_origin != msg["from"]:
        return "/enquiry", "no enquiry of this node to that origin has this id"
    if enquiry.state in (EnquiryState.ANSWERED, EnquiryState.DECLINED):
        return None
    enquiry.state = EnquiryState(msg["outcome"])
    enquiry.decided_at = utcnow()
    if enquiry.state == EnquiryState.ANSWERED:
        enquiry.answer = msg.get("answer")
        enquiry.owner_contact = orjson.dumps(msg.get("contact", {})).decode()
        contact = contact_of(enquiry.sender_contact)
        queue(
            session,
            node,
            peers,
            message(node, "sender_contact", enquiry, msg["from"], contact=contact),
        )
    session.add(enquiry)
    session.flush()
    arrivals.replies.append(enquiry)
    return None


def _apply_sender_contact(session, msg, node, peers, policy, arrivals):
    """After its answer, the origin learns the buyer's chosen contact details."""
    enquiry = _find(session, msg["enquiry"])
    if enquiry is None or enquiry.listing_origin != node.id or enquiry.sender_node != msg["from"]:
        return "/enquiry", "no enquiry from that node about this node's listings has this id"
    if enquiry.state != EnquiryState.ANSWERED:
        return "/kind", "contact details come only after an answer"
    enquiry.sender_contact = orjson.dumps(msg["contact"]).decode()
    session.add(enquiry)
    session.flush()
    return None


def _apply_refused(session, msg, node, peers, policy, arrivals):
    """The origin did not accept the enquiry: the buyer is told why."""
    enquiry = _find(session, msg["enquiry"])
    if enquiry is None or enquiry.sender_node != node.id or enquiry.listing_origin != msg["from"]:
        return "/enquiry", "no enquiry of this node to that origin has this id"
    enquiry.state, enquiry.refusal, enquiry.decided_at = EnquiryState.REFUSED, msg["code"], utcnow()
    session.add(enquiry)
    session.flush()
    arrivals.replies.append(enquiry)
    return None


APPLY = {
    "enquiry": _apply_enquiry,
    "reply": _apply_reply,
    "sender_contact": _apply_sender_contact,
    "refused": _apply_refused,
}


def _find(session: Session, uid: str) -> Enquiry | None:
    return session.execute(select(Enquiry).where(Enquiry.uid == uid)).scalar_one_or_none()


def pending_messages(session: Session, peer_id: str, limit: int) -> list[dict[str, Any]]:
    """The oldest messages waiting for ``peer_id``, as sent."""
    stmt = (
        select(EnquiryMessage.body)
        .where(EnquiryMessage.next_hop == peer_id, EnquiryMessage.state == PENDING)
        .order_by(EnquiryMessage.created_at, EnquiryMessage.id)
        .limit(limit)
    )
    return [orjson.loads(b) for b in session.execute(stmt).scalars()]


def record_receipts(session: Session, peer_id: str, receipts: list[dict[str, Any]]) -> None:
    """Accepted and duplicate messages are sent; rejected ones fail with their errors."""
    now = utcnow()
    for receipt in receipts:
        values: dict[str, Any] = {"attempts": EnquiryMessage.attempts + 1}
        if receipt["status"] == "rejected":
            errors = "; ".join(f"{e['path'] or '/'}: {e['message']}" for e in receipt["errors"])
            values.update(state=FAILED, last_error=errors[:2000])
        else:
            values.update(state=SENT, sent_at=now, last_error=None)
        session.execute(
            update(EnquiryMessage)
            .where(EnquiryMessage.id == receipt["id"], EnquiryMessage.next_hop == peer_id)
            .values(**values)
        )


def record_failure(session: Session, peer_id: str, ids: list[str], error: str) -> None:
    """A batch that did not get through stays pending; the attempt and error are kept."""
    session.execute(
        update(EnquiryMessage)
        .where(EnquiryMessage.id.in_(ids), EnquiryMessage.next_hop == peer_id)
        .values(attempts=EnquiryMessage.attempts + 1, last_error=error[:2000])
    )
