"""Enquiry messages between nodes: ``POST /api/v1/enquiries`` (peer tokens with enquiries:push).

One receipt per message; the batch is one transaction. Owners and buyers are
mailed after the commit, so a rolled-back batch mails nobody.
"""

from __future__ import annotations

from flask import current_app

from directory.api.auth import (
    commit_peer_batch,
    current_peer,
    json_body,
    peer_config,
    require_peer,
)
from directory.api.blueprint import bp, json_response
from directory.api.problems import ApiError
from directory.context import db_session, get_node
from directory.services.enquiries import EnquiryPolicy
from directory.services.enquiry_exchange import receive_messages
from directory.web.enquiry_mails import mail_buyer, mail_owner


@bp.post("/v1/enquiries")
@require_peer("enquiries:push")
def push_enquiries():
    """Take enquiry messages from the calling peer: deliver here, or relay (a hub)."""
    token = current_peer()
    if peer_config(token.peer_id) is None:
        raise ApiError("peer-not-configured", 403, peer=token.peer_id)
    body = json_body()
    cfg = current_app.config["SMEDIR"]
    node = get_node(current_app)
    peers = [p for p in cfg["peers"] if p["protocol"] == "feed"]
    policy = EnquiryPolicy.from_config(cfg["enquiries"])
    arrivals = None

    def receive(session):
        nonlocal arrivals
        answer, arrivals = receive_messages(
            session, body, node=node, peer_id=token.peer_id, peers=peers, policy=policy
        )
        return answer

    answer = commit_peer_batch(receive)  # the same message from two workers at once: duplicate
    session = db_session()
    for enquiry in arrivals.new:
        mail_owner(session, enquiry)
    for enquiry in arrivals.replies:
        mail_buyer(enquiry)
    return json_response(answer)
