"""Run one peer's pull or push: build the adapter, call the engine, always close connections."""

from __future__ import annotations

from sync.adapters import make_adapter
from sync.errors import PeerConfigError
from sync.peers import PULL, PUSH, PeerSpec, SyncSettings
from sync.pull import Progress, pull
from sync.push import push
from sync.runs import RunCounts, RunOutcome, RunReport
from sync.store import SyncStore


def directions(peer: PeerSpec, requested: str | None = None) -> list[str]:
    """The directions to run for ``peer``: the requested one, else those its config enables."""
    enabled = [d for d, on in ((PULL, peer.pull), (PUSH, peer.push)) if on]
    if requested is None:
        return enabled
    if requested not in enabled:
        raise PeerConfigError(f"peer {peer.id}: {requested} is not enabled in its config")
    return [requested]


def run_peer(
    store: SyncStore,
    peer: PeerSpec,
    settings: SyncSettings,
    direction: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """One run of ``peer`` in ``direction``; the run is recorded in the store, including one
    that cannot start because the peer is misconfigured (then PeerConfigError is raised)."""
    try:
        if direction == PUSH and peer.protocol != "feed":
            raise PeerConfigError(
                f"peer {peer.id}: push needs protocol 'feed', not {peer.protocol}"
            )
        adapter = make_adapter(peer, settings, peer.token())
    except PeerConfigError as exc:
        cursor = store.checkpoint(peer.id, direction)
        run_id = store.start_run(peer.id, direction, cursor, "")
        store.finish_run(run_id, RunOutcome.FAILED, RunCounts(), cursor, str(exc))
        raise
    try:
        if direction == PULL:
            return pull(store, peer, adapter, settings, full=full, progress=progress)
        return push(store, peer, adapter, settings, full=full, progress=progress)
    finally:
        adapter.close()
