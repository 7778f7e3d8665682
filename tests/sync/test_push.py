"""Push local changes to a peer on a real socket: consent filter, receipts, retries."""

from __future__ import annotations

from directory.db import new_session
from directory.node import Node
from directory.sync_store.status import push_rejections_for_listing, receipt_errors
from sync.runner import run_peer
from sync.runs import RunOutcome
from tests.sync import local
from tests.sync.conftest import peer_spec, runs

KH = Node("kh", "KH")


def test_push_sends_what_the_peer_may_see_and_keeps_every_receipt(
    engine, store, peer_server, settings
):
    server = peer_server("th")
    user = local.owner(engine)
    shared = local.publish(engine, KH, user, local.draft(1, peers=["th"]))
    private = local.publish(engine, KH, user, local.draft(2, peers=["la"]))
    rejected = local.publish(engine, KH, user, local.draft(3, peers=["th"]))
    server.reject_ids.add(rejected)
    peer = peer_spec(server, push=True)

    report = run_peer(store, peer, settings, "push")
    assert report.outcome == RunOutcome.SUCCESS, report.error
    sent = {c["id"]: c for c in server.pushed}
    assert sent[shared]["names"]["en"] == "Enterprise 1"
    assert private not in sent  # never shared with th: not even a tombstone
    assert (report.counts.updated, report.counts.deleted, report.counts.rejected) == (1, 0, 1)
    with new_session(engine) as s:
        [row] = push_rejections_for_listing(s, rejected)
        assert (row.peer, row.status) == ("th", "rejected")
        assert receipt_errors(row) == [{"path": "/names", "message": "not accepted here"}]
        assert push_rejections_for_listing(s, shared) == []

    # nothing new: nothing sent; an edit: only that record is sent
    server.pushed.clear()
    run_peer(store, peer, settings, "push")
    assert server.pushed == []
    local.edit(engine, KH, user, shared, local.draft(1, peers=["th"], hub=True))
    run_peer(store, peer, settings, "push")
    assert [(c["id"], c["version"]) for c in server.pushed] == [(shared, 2)]


def test_a_failed_push_is_not_retried_and_resends_from_the_same_point(
    engine, store, peer_server, settings
):
    server = peer_server("th")
    user = local.owner(engine)
    ids = [local.publish(engine, KH, user, local.draft(n, peers=["th"])) for n in range(3)]
    peer = peer_spec(server, push=True)
    server.push_status = 503
    failed = run_peer(store, peer, settings, "push")
    assert failed.outcome == RunOutcome.FAILED and "503" in failed.error
    assert [m for m, _ in server.requests] == ["POST"]  # a POST is never retried
    assert store.checkpoint("th", "push") is None
    server.push_status = 200
    ok = run_peer(store, peer, settings, "push")
    assert ok.outcome == RunOutcome.SUCCESS
    assert [c["id"] for c in server.pushed] == ids
    assert [r.outcome for r in runs(engine)] == ["failed", "success"]


def test_push_never_sends_a_record_back_to_its_origin(engine, store, peer_server, settings):
    from directory.services.changes import apply_remote_changes
    from tests.sync.conftest import peer_doc

    server = peer_server("th")
    with new_session(engine, write=True) as s:
        apply_remote_changes(s, [peer_doc("th", 1)], node=KH, source_peer="th")
        s.commit()
    run_peer(store, peer_spec(server, push=True), settings, "push")
    assert server.pushed == []
    assert store.checkpoint("th", "push") == "1"


def test_a_peer_whose_token_is_missing_fails_with_a_recorded_run(engine, store, settings):
    import pytest

    from sync.errors import PeerConfigError
    from sync.peers import PeerSpec

    peer = PeerSpec(id="th", base_url="http://127.0.0.1:9", token_env="SMEDIR_TEST_UNSET_TOKEN")
    with pytest.raises(PeerConfigError, match="SMEDIR_TEST_UNSET_TOKEN"):
        run_peer(store, peer, settings, "pull")
    [run] = runs(engine)
    assert run.outcome == "failed" and "SMEDIR_TEST_UNSET_TOKEN" in run.error


def test_the_owner_sees_a_peers_refusal_on_the_listing_page(
    app, engine, store, peer_server, settings
):
    from tests.directory.pages_helpers import add_account, login, user_by_email

    server = peer_server("th")
    email = add_account(app)
    with new_session(engine) as s:
        user = user_by_email(s, email)
    rejected = local.publish(engine, KH, user, local.draft(3, peers=["th"]))
    server.reject_ids.add(rejected)
    run_peer(store, peer_spec(server, push=True), settings, "push")
    client = app.test_client()
    login(client, email)
    page = client.get(f"/my/listings/{rejected}/edit?lang=en").text
    assert "Refused by the peer directory th (version 1)" in page
    # the field, a message in the page's language, and the peer's own words quoted
    assert "<code>/names</code> This value is not valid." in page
    assert '<q class="peer-words">not accepted here</q>' in page
