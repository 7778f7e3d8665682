"""Protocol adapters: how the engine reads pages from, and pushes batches to, one kind of peer.

An adapter only speaks the wire protocol. It never validates records against the
schema, never touches the store and never decides outcomes: the engine does. Its
duties are written on the Protocols below; ``make_adapter`` picks one per peer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from sync.errors import PeerConfigError
from sync.peers import PeerSpec, SyncSettings


@dataclass
class PageItem:
    """One item of a page: the document to apply and the raw payload kept if it is quarantined.

    ``issues`` holds problems the adapter found before schema validation (a mapping
    that could not fill a field, a line that is not JSON) as (JSON pointer, message).
    """

    doc: Any
    raw: str | None = None
    issues: list[tuple[str, str]] = field(default_factory=list)

    def raw_text(self) -> str:
        """The payload as received (or as parsed, re-serialised, when the adapter kept none)."""
        if self.raw is not None:
            return self.raw
        try:
            return orjson.dumps(self.doc).decode()
        except TypeError:
            return repr(self.doc)


@dataclass
class Page:
    """One page of changes after a cursor.

    ``ordered_cursors``: the peer declares that its cursors encode a sequence the
    adapter's ``cursor_order`` can read, so a cursor it cannot read is a protocol error.
    """

    items: list[PageItem]
    next_cursor: str
    has_more: bool
    ordered_cursors: bool = False


@dataclass
class Receipt:
    """A peer's answer for one pushed record."""

    id: str
    version: int
    status: str  # applied | unchanged | rejected | conflict
    errors: list[dict[str, str]] = field(default_factory=list)
    message: str = ""


class PullAdapter(Protocol):
    """Reads a peer's changes, page by page, after an opaque cursor."""

    def fetch_page(self, cursor: str | None, limit: int) -> Page:
        """The page after ``cursor`` (None: from the start). Raises FeedError if unusable.

        Must return every item of the page (invalid ones too, for quarantine) and a
        ``next_cursor`` that resumes right after the last item returned.
        """
        ...

    def cursor_order(self, before: str | None, after: str) -> int | None:
        """-1/0/1 when ``after`` is behind/equal/ahead of ``before``; None if not comparable."""
        ...

    def reparse(self, raw: str) -> PageItem:
        """Turn a quarantined raw payload into an item again (after a mapping or schema fix)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class PushAdapter(Protocol):
    """Sends a batch of changes to a peer."""

    def push_batch(self, source: str, changes: list[dict]) -> list[Receipt]:
        """POST the batch; one receipt per change, in order. Raises FeedError if unusable."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def make_adapter(peer: PeerSpec, settings: SyncSettings, token: str | None = None):
    """The adapter for ``peer.protocol`` (feed, oai-pmh or jsonl)."""
    from sync.adapters.feed import FeedAdapter
    from sync.adapters.jsonl import JsonLinesAdapter
    from sync.adapters.oai import OaiAdapter

    factories: dict[str, Callable[..., Any]] = {
        "feed": FeedAdapter,
        "oai-pmh": OaiAdapter,
        "jsonl": JsonLinesAdapter,
    }
    if peer.protocol not in factories:
        raise PeerConfigError(f"peer {peer.id}: unknown protocol {peer.protocol!r}")
    return factories[peer.protocol](peer, settings, token)
