"""OAI-PMH harvest (placeholder until the mapping adapter lands)."""

from __future__ import annotations

from sync.errors import PeerConfigError
from sync.peers import PeerSpec, SyncSettings


class OaiAdapter:
    """Not yet available."""

    def __init__(self, peer: PeerSpec, settings: SyncSettings, token: str | None = None):
        raise PeerConfigError(f"peer {peer.id}: the oai-pmh adapter is not available yet")
