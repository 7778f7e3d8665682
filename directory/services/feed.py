"""The change feed one peer reads: changes after a cursor, filtered by sharing consent.

Who sees what (the rule, stated once):

- A record is never sent to its own origin, in any form, nor to the peer this
  node received it from (``source_peer``): that peer holds it already. A hub
  still relays: what it received from kh goes on to th, never back to kh.
- A live record is visible to peer P when ``P`` is in ``sharing.peers``, or
  when ``sharing.hub`` is true and either P is configured with ``hub = true``
  or this node itself is a hub (a hub passes hub-shared records on to all of
  its peers).
- A record that is not visible to P (a tombstone, or a live record whose
  sharing does not cover P) goes to P only if some earlier published version
  was visible to P by the same rule (``shared_hub_ever``, ``shared_peers_ever``):
  a tombstone (deleted, withdrawn, closed, merged) as stored, a live record as
  a consent tombstone ``{id, origin, version, updated_at, deleted: true,
  reason: "consent_withdrawn"}`` with the record's own version. A record never
  shared with P leaves no trace there, not even its id; a later version that
  shares it with P again replaces the tombstone.

Documents are served as the stored canonical JSON text, joined into the page
by concatenation: nothing is parsed or re-serialised on the visible path.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson
from sqlmodel import Session

from directory.node import Node
from directory.services.changes import ChangeRow, read_changes

CURSOR_PREFIX = b"seq:"
_UPDATED_AT = '"updated_at":"'


class BadCursor(ValueError):
    """The ``since`` cursor is not one this node handed out."""


@dataclass(frozen=True)
class PeerView:
    """What the feed needs to know about the calling peer."""

    id: str
    hub: bool = False


@dataclass(frozen=True)
class FeedPage:
    """One page, already rendered: ``body`` is the JSON text of the feed-page document."""

    body: bytes
    count: int
    next_cursor: str
    has_more: bool


def encode_cursor(seq: int) -> str:
    """The opaque cursor for "after sequence number ``seq``" (base64url of ``seq:<n>``)."""
    return base64.urlsafe_b64encode(CURSOR_PREFIX + str(seq).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The sequence number in a cursor; empty means the start. Raises BadCursor."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise BadCursor("not a cursor this node handed out") from None
    digits = raw[len(CURSOR_PREFIX) :]
    if not raw.startswith(CURSOR_PREFIX) or not digits.isdigit() or len(digits) > 18:
        raise BadCursor("not a cursor this node handed out")
    return int(digits)


def is_visible(row: ChangeRow, peer: PeerView, node: Node) -> bool:
    """True when the live record ``row`` may be sent in full to ``peer`` (see module doc)."""
    if row.share_hub and (peer.hub or node.is_hub):
        return True
    return row.share_peers is not None and f" {peer.id} " in row.share_peers


def was_shared(row: ChangeRow, peer: PeerView, node: Node) -> bool:
    """True when some published version of ``row`` was visible to ``peer`` (see module doc)."""
    if row.shared_hub_ever and (peer.hub or node.is_hub):
        return True
    return row.shared_peers_ever is not None and f" {peer.id} " in row.shared_peers_ever


def consent_tombstone(row: ChangeRow) -> str:
    """The tombstone a peer gets for a record whose sharing does not cover it."""
    updated_at = _updated_at(row.document)
    doc = {
        "deleted": True,
        "id": row.id,
        "origin": row.origin,
        "reason": "consent_withdrawn",
        "updated_at": updated_at,
        "version": row.version,
    }
    return orjson.dumps(doc).decode()


def _updated_at(document: str) -> str:
    """The top-level ``updated_at`` of a stored canonical record, without parsing all of it.

    No object nested in a record has an ``updated_at`` key (the schema forbids
    unknown keys), so the first occurrence is the envelope's.
    """
    start = document.find(_UPDATED_AT)
    if start < 0:
        return orjson.loads(document)["updated_at"]
    start += len(_UPDATED_AT)
    return document[start : document.index('"', start)]


def feed_items(rows: list[ChangeRow], peer: PeerView, node: Node) -> list[str]:
    """The JSON text of each change ``peer`` gets from ``rows``, in order."""
    items = []
    for row in rows:
        if row.origin == peer.id or row.source_peer == peer.id:
            continue
        if not row.deleted and is_visible(row, peer, node):
            items.append(row.document)
        elif was_shared(row, peer, node):
            items.append(row.document if row.deleted else consent_tombstone(row))
    return items


def read_feed_page(
    session: Session, *, node: Node, peer: PeerView, after_seq: int, limit: int
) -> FeedPage:
    """The page of changes after ``after_seq`` for ``peer``: at most ``limit`` rows read.

    ``next_cursor`` points after the last row read (even if it was filtered out),
    so a page of only filtered rows still moves the reader forward. The page
    declares ``ordered_cursors``: a reader may compare cursors (``seq:<n>``,
    base64url without padding) and must refuse one that goes back.
    """
    rows = read_changes(session, after_seq, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].seq if rows else after_seq
    items = feed_items(rows, peer, node)
    cursor = encode_cursor(last)
    body = "".join(
        (
            '{"node":',
            orjson.dumps(node.id).decode(),
            ',"changes":[',
            ",".join(items),
            '],"next_cursor":"',
            cursor,
            '","has_more":',
            "true" if has_more else "false",
            ',"ordered_cursors":true}',
        )
    )
    return FeedPage(body.encode(), len(items), cursor, has_more)
