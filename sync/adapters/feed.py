"""Our own change feed (GET /api/v1/changes) and push (POST /api/v1/changes)."""

from __future__ import annotations

import base64
import binascii

from schemas import validate
from sync.adapters import Page, PageItem, Receipt
from sync.errors import FeedError
from sync.http import PeerHttp, parse_json_body
from sync.peers import PeerSpec, SyncSettings

CHANGES_PATH = "api/v1/changes"
SEQ_PREFIX = b"seq:"
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class FeedAdapter:
    """Pull and push adapter for a node running this software."""

    def __init__(self, peer: PeerSpec, settings: SyncSettings, token: str | None = None):
        self.peer = peer
        self.http = PeerHttp(peer.base_url, settings, token)

    def fetch_page(self, cursor: str | None, limit: int) -> Page:
        """One feed page; the page must validate as a feed-page and name the expected node."""
        params = {"limit": limit} if cursor is None else {"since": cursor, "limit": limit}
        data = self.http.get_json(CHANGES_PATH, params)
        url = self.http.url(CHANGES_PATH)
        issues = validate(data, "feed-page")
        if issues:
            detail = "; ".join(f"{i.path or '/'}: {i.message}" for i in issues[:3])
            raise FeedError("schema", f"page is not a valid feed page: {detail}", url)
        if data.get("node") not in (None, self.peer.id):
            raise FeedError("schema", f"/node: page is from {data['node']!r}, not {self.peer.id!r}")
        items = [PageItem(doc) for doc in data["changes"]]
        ordered = data.get("ordered_cursors") is True
        return Page(items, data["next_cursor"], data["has_more"], ordered)

    def cursor_order(self, before: str | None, after: str) -> int | None:
        """Compare cursors that encode a sequence number (digits, or base64url of 'seq:N')."""
        if before is None:
            return 1
        a, b = cursor_seq(before), cursor_seq(after)
        if a is None or b is None:
            return 0 if before == after else None
        return (b > a) - (b < a)

    def reparse(self, raw: str) -> PageItem:
        """A quarantined item is the JSON text of the change."""
        return PageItem(parse_json_body(raw.encode(), "quarantine"), raw)

    def push_batch(self, source: str, changes: list[dict]) -> list[Receipt]:
        """POST one batch; the answer must validate and hold one receipt per change, in order."""
        data = self.http.post_json(CHANGES_PATH, {"source": source, "changes": changes})
        url = self.http.url(CHANGES_PATH)
        issues = validate(data, "push-receipts")
        if issues:
            detail = "; ".join(f"{i.path or '/'}: {i.message}" for i in issues[:3])
            raise FeedError("schema", f"answer is not valid push receipts: {detail}", url)
        receipts = [Receipt(**r) for r in data["receipts"]]
        sent = [(c.get("id"), c.get("version")) for c in changes]
        if [(r.id, r.version) for r in receipts] != sent:
            raise FeedError("schema", "receipts do not match the pushed batch one to one", url)
        return receipts

    def close(self) -> None:
        """Release connections."""
        self.http.close()


def cursor_seq(cursor: str) -> int | None:
    """The sequence number a cursor encodes, when it uses one of the known forms.

    The forms: plain digits, or what this software's feed writes
    (``directory.services.feed.encode_cursor``): base64url of ``seq:<n>``
    without padding. Padding is accepted too; anything else (another
    alphabet, stray characters, non-canonical bits) is not a sequence.
    """
    if cursor.isascii() and cursor.isdigit():
        return int(cursor) if len(cursor) <= 18 else None
    text = cursor.rstrip("=")
    if not text or not _URLSAFE.issuperset(text) or len(cursor) - len(text) > 2:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        return None  # non-canonical trailing bits: not something an encoder wrote
    digits = raw[len(SEQ_PREFIX) :]
    if not raw.startswith(SEQ_PREFIX) or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits)
