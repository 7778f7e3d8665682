"""The node-to-node exchange: read the change feed, push changes (peer tokens only)."""

from __future__ import annotations

from flask import Response, current_app, request

from directory.api.auth import (
    commit_peer_batch,
    current_peer,
    json_body,
    peer_config,
    record_peer_use,
    require_peer,
)
from directory.api.blueprint import bp, json_response
from directory.api.problems import ApiError
from directory.context import db_session, get_node
from directory.params import bounded_int
from directory.services.feed import BadCursor, PeerView, decode_cursor, read_feed_page
from directory.services.push import push_changes

MAX_CURSOR = 100  # the maxLength of ``since`` in the OpenAPI document
MAX_FEED_LIMIT = 1_000_000  # the maximum of ``limit`` there (pages are capped far lower)


def _limit() -> int:
    api = current_app.config["SMEDIR"]["api"]
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return api["feed_default_limit"]
    value = bounded_int(raw, 1, MAX_FEED_LIMIT)
    if value is None:
        detail = f"must be an integer from 1 to {MAX_FEED_LIMIT}"
        raise ApiError(
            "query-integer-range",
            400,
            errors=[("/limit", detail)],
            name="limit",
            low=1,
            high=MAX_FEED_LIMIT,
        )
    return min(value, api["feed_max_limit"])


@bp.get("/v1/changes")
@require_peer("feed:read")
def read_changes():
    """A page of changes after ``since``, filtered by what the calling peer may see."""
    since = request.args.get("since")
    if since is not None and len(since) > MAX_CURSOR:
        detail = f"must be at most {MAX_CURSOR} characters"
        raise ApiError(
            "query-too-long", 400, errors=[("/since", detail)], name="since", n=MAX_CURSOR
        )
    try:
        after = decode_cursor(since)
    except BadCursor as exc:
        raise ApiError("cursor-unknown", 400, errors=[("/since", str(exc))]) from None
    limit = _limit()
    token = current_peer()
    config = peer_config(token.peer_id) or {}
    peer = PeerView(token.peer_id, hub=bool(config.get("hub")))
    page = read_feed_page(
        db_session(), node=get_node(current_app), peer=peer, after_seq=after, limit=limit
    )
    record_peer_use(page.count)
    return Response(page.body, mimetype="application/json")


@bp.post("/v1/changes")
@require_peer("changes:push")
def push():
    """Apply a batch of records and tombstones from the calling peer; one receipt each."""
    token = current_peer()
    config = peer_config(token.peer_id)
    if config is None:
        raise ApiError("peer-not-configured", 403, peer=token.peer_id)
    body = json_body()
    node = get_node(current_app)
    answer = commit_peer_batch(
        lambda session: push_changes(
            session, body, node=node, peer_id=token.peer_id, peer_config=config
        )
    )
    return json_response(answer)
