"""Peer entries and sync settings as the engine sees them (plain data, built from the config)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from sync.errors import PeerConfigError

PULL, PUSH = "pull", "push"


@dataclass(frozen=True)
class SyncSettings:
    """The ``[sync]`` section: timeouts, limits, batch sizes, guard and scheduler knobs."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    request_deadline_seconds: float = 120.0
    max_response_bytes: int = 50_000_000
    max_dump_bytes: int = 5_000_000_000
    retries: int = 3
    backoff_factor: float = 0.5
    retry_after_max_seconds: float = 60.0
    page_size: int = 500
    push_batch_size: int = 200
    tombstone_guard_share: float = 0.2
    tombstone_guard_min: int = 10
    misfire_grace_seconds: int = 300
    lease_seconds: int = 30

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> SyncSettings:
        """Take the known keys of the ``[sync]`` table; unknown keys are ignored."""
        known = {k: v for k, v in section.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class PeerSpec:
    """One ``[[peers]]`` entry."""

    id: str
    base_url: str
    protocol: str = "feed"
    pull: bool = True
    push: bool = False
    schedule_minutes: int = 60
    schedule_seconds: int = 0  # overrides minutes when > 0 (tests, demos)
    trust: str = "review"
    token_env: str = ""
    relay: bool = False
    hub: bool = False
    mapping: dict[str, Any] = field(default_factory=dict)
    metadata_prefix: str = "oai_dc"
    oai_set: str = ""

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> PeerSpec:
        """Build from a checked ``[[peers]]`` table (unknown keys are ignored)."""
        known = {k: v for k, v in entry.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def interval_seconds(self) -> int:
        """How often the scheduler runs this peer's jobs."""
        return self.schedule_seconds if self.schedule_seconds > 0 else self.schedule_minutes * 60

    def token(self, environ: dict[str, str] | None = None) -> str | None:
        """The bearer token from the environment variable named by ``token_env`` (None if unset)."""
        if not self.token_env:
            return None
        value = (os.environ if environ is None else environ).get(self.token_env)
        if not value:
            raise PeerConfigError(
                f"peer {self.id}: environment variable {self.token_env} (token_env) is not set"
            )
        return value


def peers_from_config(cfg: dict[str, Any]) -> dict[str, PeerSpec]:
    """Every configured peer by id."""
    return {p["id"]: PeerSpec.from_config(p) for p in cfg.get("peers", [])}


def find_peer(cfg: dict[str, Any], peer_id: str) -> PeerSpec:
    """The configured peer ``peer_id``, or PeerConfigError naming the known ones."""
    peers = peers_from_config(cfg)
    if peer_id not in peers:
        known = ", ".join(sorted(peers)) or "none"
        raise PeerConfigError(f"unknown peer {peer_id!r} (configured: {known})")
    return peers[peer_id]
