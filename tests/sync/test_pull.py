"""Pull from a peer on a real socket: pages, checkpoints, quarantine, and every way a peer fails."""

from __future__ import annotations

import pytest

from sync.adapters import make_adapter
from sync.pull import pull
from sync.runs import RunOutcome
from tests.sync.conftest import (
    held_documents,
    peer_doc,
    peer_spec,
    quarantine_rows,
    runs,
    tombstone,
)


def run_pull(store, server, settings, **peer_kw):
    peer = peer_spec(server, **peer_kw)
    adapter = make_adapter(peer, settings)
    try:
        return pull(store, peer, adapter, settings)
    finally:
        adapter.close()


def test_pull_applies_every_page_and_saves_the_checkpoint(store, engine, peer_server, settings):
    server = peer_server("th", [peer_doc("th", n) for n in range(25)])
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert report.counts.created == 25
    assert store.checkpoint("th", "pull") == "25"
    assert len(held_documents(engine)) == 25
    [run] = runs(engine)
    assert (run.outcome, run.created, run.cursor_before, run.cursor_after) == (
        "success",
        25,
        None,
        "25",
    )
    # a second run reads from the checkpoint: nothing new
    server.docs.append(peer_doc("th", 1, version=2))
    again = run_pull(store, server, settings)
    assert (again.counts.updated, again.counts.created, again.cursor_after) == (1, 0, "26")
    assert server.requests[-1][1].startswith("/api/v1/changes?since=25")


def test_full_pull_rereads_from_the_start_and_changes_nothing(store, peer_server, settings):
    server = peer_server("th", [peer_doc("th", n) for n in range(12)])
    run_pull(store, server, settings)
    peer = peer_spec(server)
    report = pull(store, peer, make_adapter(peer, settings), settings, full=True)
    assert report.outcome == RunOutcome.SUCCESS
    assert (report.counts.unchanged, report.counts.created) == (12, 0)
    assert store.checkpoint("th", "pull") == "12"


def test_invalid_records_are_quarantined_and_the_rest_applies(store, engine, peer_server, settings):
    bad_email = peer_doc("th", 3)
    bad_email["contact"] = {"email": "not an email"}
    wrong_prefix = peer_doc("th", 4)
    wrong_prefix["id"] = "la:rec4"
    partial = {"id": "th:rec9", "version": 1, "names": {"en": "no envelope"}}
    docs = [peer_doc("th", 1), bad_email, partial, wrong_prefix, peer_doc("th", 5)]
    server = peer_server("th", docs)
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS
    assert (report.counts.created, report.counts.rejected) == (2, 3)
    assert sorted(held_documents(engine)) == ["th:rec1", "th:rec5"]
    rows = quarantine_rows(engine)
    assert [r.record_id for r in rows] == ["th:rec3", "th:rec9", "la:rec4"]
    assert "/contact/email" in rows[0].errors
    assert '"no envelope"' in rows[1].payload and '"/origin"' in rows[1].errors
    assert '"/id"' in rows[2].errors
    assert all(r.run_id == report.run_id and r.resolved_at is None for r in rows)
    assert store.checkpoint("th", "pull") == "5"
    # a full re-read counts them again but does not quarantine them twice
    peer = peer_spec(server)
    again = pull(store, peer, make_adapter(peer, settings), settings, full=True)
    assert again.counts.rejected == 3 and len(quarantine_rows(engine)) == 3


def test_records_of_other_origins_from_a_non_relay_peer_are_conflicts(
    store, engine, peer_server, settings
):
    docs = [peer_doc("th", 1), peer_doc("la", 2), peer_doc("kh", 3)]
    server = peer_server("th", docs)
    report = run_pull(store, server, settings)
    assert (report.counts.created, report.counts.conflict, report.counts.rejected) == (1, 2, 0)
    assert list(held_documents(engine)) == ["th:rec1"]
    relayed = run_pull(store, server, settings, relay=True)  # from the start again: full
    assert relayed.counts.created == 0  # checkpoint is past them; nothing re-read


def test_review_trust_holds_records_for_focal_points(store, engine, peer_server, settings):
    server = peer_server("th", [peer_doc("th", 1), peer_doc("th", 2)])
    report = run_pull(store, server, settings, trust="review")
    assert (report.counts.held, report.counts.created) == (2, 0)
    assert store.live_count("th") == 0


FEED_FAULTS = [
    ("timeout", "timeout"),
    ("500", "http_status"),
    ("503", "http_status"),  # still 503 after the retries
    ("401", "auth"),
    ("html", "not_json"),
    ("truncated", "truncated"),
    ("truncated_json", "not_json"),
    ("oversized", "oversized"),
    ("oversized_chunked", "oversized"),
    ("redirect_other_host", "redirect"),
    ("cursor_backwards", "cursor"),
    ("cursor_stuck", "cursor"),
    ("bad_page", "schema"),
    ("wrong_node", "schema"),
]


@pytest.mark.parametrize(("fault", "kind"), FEED_FAULTS)
def test_a_feed_failure_fails_the_run_and_keeps_the_checkpoint(
    store, engine, peer_server, settings, fault, kind
):
    server = peer_server("th", [peer_doc("th", n) for n in range(35)])
    server.faults[2] = fault  # pages 0 and 1 are fine
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.FAILED
    assert report.error.startswith(f"{kind}:"), report.error
    assert store.checkpoint("th", "pull") == "20"  # the last committed page, no further
    assert sorted(held_documents(engine)) == sorted(f"th:rec{n}" for n in range(20))
    [run] = runs(engine)
    assert (run.outcome, run.created, run.cursor_after) == ("failed", 20, "20")
    assert kind in run.error
    # the peer recovers: the next run resumes from the checkpoint and completes
    server.faults.clear()
    after = run_pull(store, server, settings)
    assert after.outcome == RunOutcome.SUCCESS, after.error
    assert (after.counts.created, after.counts.unchanged) == (15, 0)
    assert len(held_documents(engine)) == 35


def test_retries_idempotent_reads_on_503_but_never_on_500_or_401(store, peer_server, settings):
    server = peer_server("th", [peer_doc("th", n) for n in range(5)])
    server.faults[0] = "503"
    server.fault_once.add(0)
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert len(server.requests) == 2  # one 503, one retry that worked

    server.fault_once.clear()
    for status in ("500", "401"):
        server.requests.clear()
        server.faults[0] = status
        peer = peer_spec(server)
        failed = pull(store, peer, make_adapter(peer, settings), settings, full=True)
        assert failed.outcome == RunOutcome.FAILED
        assert len(server.requests) == 1, status

    server.requests.clear()
    server.faults[0] = "503"
    peer = peer_spec(server)
    pull(store, peer, make_adapter(peer, settings), settings, full=True)
    assert len(server.requests) == 1 + settings.retries


def test_a_redirect_to_the_same_host_is_followed(store, peer_server, settings):
    server = peer_server("th", [peer_doc("th", n) for n in range(5)])
    server.faults[0] = "redirect_same_host"
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert report.counts.created == 5


def test_the_tombstone_guard_holds_a_mass_deletion_for_a_focal_point(
    store, engine, peer_server, settings
):
    from sync.pull import confirm_held, discard_held

    server = peer_server("th", [peer_doc("th", n) for n in range(20)])
    run_pull(store, server, settings)
    server.docs += [tombstone("th", n, 2) for n in range(10)]  # half of what we hold
    held = run_pull(store, server, settings)
    assert held.outcome == RunOutcome.HELD
    assert store.checkpoint("th", "pull") == "20"
    assert store.live_count("th") == 20  # nothing applied
    assert store.pending_held("th") == held.held_id
    # while it waits, pulls from that peer are skipped
    skipped = run_pull(store, server, settings)
    assert skipped.outcome == RunOutcome.SKIPPED
    # discard: nothing applied, the checkpoint stays, the next pull holds again
    discard_held(store, held.held_id, "fp@example.com")
    again = run_pull(store, server, settings)
    assert again.outcome == RunOutcome.HELD and again.held_id != held.held_id
    # confirm: exactly the held pages apply, and the checkpoint moves past them
    peer = peer_spec(server)
    server.docs.append(peer_doc("th", 30))  # arrives after the hold: not part of it
    done = confirm_held(store, peer, settings, again.held_id, "fp@example.com")
    assert done.outcome == RunOutcome.SUCCESS, done.error
    assert done.counts.deleted == 10
    assert store.live_count("th") == 10
    assert store.checkpoint("th", "pull") == "30"
    assert store.pending_held("th") is None
    final = run_pull(store, server, settings)
    assert final.counts.created == 1


def test_a_page_whose_checkpoint_moved_meanwhile_is_not_applied(store, engine, settings):
    from sync.adapters import PageItem
    from sync.errors import CheckpointMoved
    from sync.peers import PeerSpec

    peer = PeerSpec(id="th", base_url="http://127.0.0.1:9", trust="publish")
    run = store.start_run("th", "pull", None, "")
    store.apply_page(run, peer, [PageItem(peer_doc("th", 1))], [], None, "1")
    # a second run that read the checkpoint before the first one moved it
    with pytest.raises(CheckpointMoved):
        store.apply_page(run, peer, [PageItem(peer_doc("th", 2))], [], None, "2")
    assert store.checkpoint("th", "pull") == "1"
    assert list(held_documents(engine)) == ["th:rec1"]
