"""Errors the sync engine raises. They carry data and never write to the database."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure; ``str()`` is one line an admin can act on."""


class PeerConfigError(SyncError):
    """A peer entry cannot be used as configured (unknown protocol, missing token...)."""


class FeedError(SyncError):
    """A feed-level failure: the whole page (or response) is unusable, so the run fails.

    ``kind`` names the failure for run history and tests: timeout, connection,
    http_status, auth, not_json, truncated, oversized, redirect, schema, cursor.
    """

    def __init__(self, kind: str, message: str, url: str = ""):
        self.kind, self.message, self.url = kind, message, url
        super().__init__(f"{kind}: {message}" + (f" ({url})" if url else ""))


class CheckpointMoved(SyncError):
    """Another run moved the checkpoint since this run read it; this page was not applied."""


class HeldRunPending(SyncError):
    """A held run awaits a focal point's decision; pulls from the peer wait until then."""
