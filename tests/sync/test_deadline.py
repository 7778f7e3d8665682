"""A peer that trickles its answer one byte at a time cannot hold a run past the request deadline.

Every byte arrives well within the read timeout; only the whole-request deadline
(``sync.request_deadline_seconds``) can end the request. The peer records that the
client hung up before the answer was complete, so nothing here is timed.
"""

from __future__ import annotations

import dataclasses
import signal
import time

import pytest

from directory.db import make_engine
from sync.adapters import make_adapter
from sync.pull import pull
from sync.runs import RunOutcome
from tests.sync.conftest import FAST, held_documents, peer_doc, runs
from tests.sync.nodes import node_config, smedir
from tests.sync.slow_peer import SlowPeer

DEADLINE = 1.0
SLOW = dataclasses.replace(FAST, read_timeout=5.0, request_deadline_seconds=DEADLINE)


@pytest.fixture
def slow_peer():
    peers: list[SlowPeer] = []

    def start(mode: str) -> SlowPeer:
        peers.append(SlowPeer("th", [peer_doc("th", 1)], mode))
        return peers[-1]

    yield start
    for peer in peers:
        peer.stop()


@pytest.mark.parametrize("mode", ["headers", "body", "chunked"])
def test_a_trickling_peer_fails_the_pull_at_the_deadline(store, engine, slow_peer, mode):
    from sync.peers import PeerSpec

    server = slow_peer(mode)
    peer = PeerSpec(id="th", base_url=server.url, trust="publish")
    adapter = make_adapter(peer, SLOW)
    try:
        report = pull(store, peer, adapter, SLOW)
    finally:
        adapter.close()
    assert report.outcome == RunOutcome.FAILED
    assert report.error.startswith("timeout: no complete answer within the 1 s deadline")
    assert server.wait_for_hang_up() and not server.completed.is_set()
    assert store.checkpoint("th", "pull") is None and held_documents(engine) == {}


def test_smedir_sync_run_is_not_held_by_a_trickling_peer(db_url, slow_peer, tmp_path):
    server = slow_peer("body")
    peers = [{"id": "th", "base_url": server.url, "trust": "publish"}]
    config = node_config(tmp_path, "kh", db_url, peers, request_deadline_seconds=DEADLINE)
    out, err = smedir("sync", "run", "th", "--config", str(config)).communicate(timeout=120)
    assert "th pull: failed" in out + err and "deadline" in out + err, (out, err)
    assert server.wait_for_hang_up() and not server.completed.is_set()


def test_the_scheduler_job_is_not_held_by_a_trickling_peer(db_url, slow_peer, tmp_path):
    server = slow_peer("body")
    peers = [{"id": "th", "base_url": server.url, "trust": "publish", "schedule_seconds": 1}]
    config = node_config(tmp_path, "kh", db_url, peers, request_deadline_seconds=DEADLINE)
    log = tmp_path / "scheduler.log"
    proc = smedir("scheduler", "--config", str(config), stderr=log.open("w"))
    engine = make_engine(db_url)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not [r for r in runs(engine) if r.finished_at]:
            time.sleep(0.1)
        [first, *_] = [r for r in runs(engine) if r.finished_at] or [None]
        assert first is not None, log.read_text()
        assert first.outcome == "failed" and "deadline" in first.error, first.error
        assert server.wait_for_hang_up() and not server.completed.is_set()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        engine.dispose()
