"""``smedir sync run`` output, and ``smedir sync status`` as a table."""

from __future__ import annotations

from tests.sync.conftest import peer_doc
from tests.sync.nodes import node_config, smedir


def test_sync_run_and_status(db_url, peer_server, tmp_path):
    server = peer_server("th", [peer_doc("th", n) for n in range(3)])
    peers = [{"id": "th", "base_url": server.url, "trust": "publish"}]
    config = str(node_config(tmp_path, "kh", db_url, peers))
    out, err = smedir("sync", "run", "th", "--config", config).communicate(timeout=60)
    assert "th pull: success (created 3)" in out, err
    out, _err = smedir("sync", "status", "--config", config).communicate(timeout=60)
    header, row = out.splitlines()[:2]
    assert header.split()[:3] == ["peer", "dir", "checkpoint"]
    assert row.split()[:3] == ["th", "pull", "3"] and "success" in row


def test_sync_run_names_records_sent_to_review_apart_from_a_stopped_run(
    db_url, peer_server, tmp_path
):
    server = peer_server("th", [peer_doc("th", n) for n in range(2)])
    peers = [{"id": "th", "base_url": server.url, "trust": "review"}]
    config = str(node_config(tmp_path, "kh", db_url, peers))
    out, err = smedir("sync", "run", "th", "--quiet", "--config", config).communicate(timeout=60)
    assert "th pull: success (sent to review 2)" in out, (out, err)
