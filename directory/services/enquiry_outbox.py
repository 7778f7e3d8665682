"""The enquiry outbox: exchange messages written here, each queued for its next hop.

A message goes straight to its destination when that node is a configured peer,
else to the peer configured with ``hub = true``; a hub relays only to its own
peers. A message with no route is stored as ``failed`` with the reason.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from sqlmodel import Session

from directory.models import Enquiry, EnquiryMessage, EnquiryState
from directory.models.base import isoformat_z, utcnow
from directory.node import Node

PENDING, SENT, RECEIVED, FAILED = "pending", "sent", "received", "failed"
REQUEST_FIELDS = ("product", "hs_code", "quantity", "target_market", "message", "organisation")


def new_uid(node_id: str, kind: str = "e") -> str:
    """A fresh id for an enquiry (``e``) or an exchange message (``m``) written on ``node_id``."""
    return f"{node_id}:{kind}:{secrets.token_hex(16)}"


def next_hop(node: Node, peers: list[dict[str, Any]], destination: str) -> str | None:
    """The peer a message for ``destination`` goes to from here, or None (no route)."""
    ids = {p["id"] for p in peers}
    if destination in ids:
        return destination
    if node.role == "hub":
        return None
    return next((p["id"] for p in peers if p.get("hub")), None)


def message(node: Node, kind: str, enquiry: Enquiry, to: str, **extra: Any) -> dict[str, Any]:
    """A new message of ``kind`` about ``enquiry`` from this node to ``to``."""
    return {
        "id": new_uid(node.id, "m"),
        "kind": kind,
        "enquiry": enquiry.uid,
        "from": node.id,
        "to": to,
        "sent_at": isoformat_z(utcnow()),
        **extra,
    }


def message_row(body: dict, **fields) -> EnquiryMessage:
    """The stored row of message ``body`` (its addressing copied out of it), with ``fields``."""
    return EnquiryMessage(
        id=body["id"],
        kind=body["kind"],
        enquiry_uid=body["enquiry"],
        from_node=body["from"],
        to_node=body["to"],
        body=orjson.dumps(body).decode(),
        **fields,
    )


def queue(session: Session, node: Node, peers: list[dict], body: dict, received_from=None):
    """Store a message to send (or relay) to its next hop; FAILED when there is no route."""
    hop = next_hop(node, peers, body["to"])
    row = message_row(
        body,
        next_hop=hop,
        state=PENDING if hop else FAILED,
        last_error=None if hop else f"no route to {body['to']}",
        received_from=received_from,
    )
    session.add(row)
    session.flush()
    return row


def queue_enquiry(session: Session, enquiry: Enquiry, node: Node, peers: list[dict]) -> None:
    """Queue the enquiry itself for its origin: the request and the sender's reference only."""
    request = {"listing": enquiry.listing_id, "country": enquiry.country}
    request.update({k: getattr(enquiry, k) for k in REQUEST_FIELDS if getattr(enquiry, k)})
    body = message(
        node,
        "enquiry",
        enquiry,
        enquiry.listing_origin,
        request=request,
        sender_ref=enquiry.sender_ref,
    )
    queue(session, node, peers, body)


def queue_reply(session: Session, enquiry: Enquiry, node: Node, peers: list[dict]) -> None:
    """Queue the owner's answer (with the chosen contact details) or decline for the buyer."""
    extra: dict[str, Any] = {"outcome": str(enquiry.state)}
    if enquiry.state == EnquiryState.ANSWERED:
        extra["answer"] = enquiry.answer
        extra["contact"] = orjson.loads(enquiry.owner_contact or "{}")
    body = message(node, "reply", enquiry, enquiry.sender_node, **extra)
    queue(session, node, peers, body)
