"""Fixtures the browser journeys share with the sync tests (a peer serving a feed)."""

from tests.sync.conftest import peer_server  # noqa: F401  (fixture)
