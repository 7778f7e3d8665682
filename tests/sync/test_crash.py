"""A pull killed with SIGKILL at many points, then rerun, ends exactly like an uninterrupted one."""

from __future__ import annotations

import random
import time

from directory.db import make_engine
from directory.node import Node
from directory.sync_store.store import SqlSyncStore
from sync.adapters import make_adapter
from sync.pull import pull
from sync.runs import RunOutcome
from tests.sync.conftest import FAST, held_documents, peer_doc, peer_spec, tombstone
from tests.sync.nodes import node_config, smedir

PAGE = 5


def feed_docs() -> list[dict]:
    """Creates, then newer versions of some, then tombstones of others: 60 changes."""
    docs = [peer_doc("th", n) for n in range(40)]
    docs += [peer_doc("th", n, version=2, employees=n + 100) for n in range(0, 20, 2)]
    docs += [tombstone("th", n, version=2) for n in range(21, 40, 2)]
    return docs


def pull_in_process(url: str, server) -> None:
    engine = make_engine(url)
    store = SqlSyncStore(engine, Node("kh", "KH"))
    settings = FAST.__class__(**{**FAST.__dict__, "page_size": PAGE, "tombstone_guard_min": 10**6})
    peer = peer_spec(server)
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    engine.dispose()


def state(url: str) -> tuple[dict, str | None]:
    engine = make_engine(url)
    docs = held_documents(engine)
    cursor = SqlSyncStore(engine, Node("kh", "KH")).checkpoint("th", "pull")
    engine.dispose()
    return docs, cursor


def start_pull(config) -> object:
    return smedir("sync", "run", "th", "--quiet", "--config", str(config))


def test_sigkill_at_many_points_then_rerun_ends_in_the_uninterrupted_state(
    db_url, db_factory, peer_server, tmp_path
):
    server = peer_server("th", feed_docs())
    reference = db_factory()
    pull_in_process(reference, server)
    expected = state(reference)
    assert len(expected[0]) == 40 and expected[1] == "60"

    peers = [{"id": "th", "base_url": server.url, "trust": "publish"}]
    config = node_config(tmp_path, "kh", db_url, peers, page_size=PAGE)

    # 1. stalled at chosen pages: killed while waiting for page N
    for stall_page in (1, 5, 9):
        server.faults = {stall_page: "stall"}
        server.stall.clear()
        server.release.clear()
        proc = start_pull(config)
        while not server.stall.wait(0.05):
            assert proc.poll() is None, proc.communicate()
        proc.kill()
        proc.wait()
        server.release.set()
        # the next page is fetched while one is applied: the kill lands just before, during
        # or after the commit of the page before the stalled one
        before = str((stall_page - 1) * PAGE) if stall_page > 1 else None
        assert state(db_url)[1] in (before, str(stall_page * PAGE))

    # 2. killed at random moments while pages are being applied (mid-transaction included)
    other = db_factory()
    config2 = node_config(tmp_path, "kh2", other, peers, page_size=PAGE)
    server.faults = {}
    server.delay = 0.005
    rng = random.Random(5)
    for _ in range(3):
        seen = len(server.requests)
        proc = start_pull(config2)
        while len(server.requests) < seen + rng.randint(1, 6) and proc.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        proc.kill()
        proc.wait()

    # 3. rerun to the end: exactly the uninterrupted state, on both databases
    server.delay = 0.0
    for url in (db_url, other):
        pull_in_process(url, server)
        assert state(url) == expected
