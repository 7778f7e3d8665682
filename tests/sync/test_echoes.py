"""Echoes: a node's feed does not carry records back to their origin or to the peer they came
from (the hub still relays), and an echo that arrives anyway counts as ``unchanged``."""

from __future__ import annotations

import orjson

from directory.db import new_session
from directory.node import Node
from directory.services.changes import apply_remote_changes
from sync.adapters.feed import FeedAdapter
from sync.peers import PeerSpec
from tests.sync import local
from tests.sync.conftest import FAST, held_documents, peer_doc
from tests.sync.network import Member, build_network, issue_token, sync_round
from tests.sync.test_pull import run_pull

KH_RECORDS, TH_RECORDS = 8, 12


def counts(reports) -> dict[str, dict[str, int]]:
    """puller<-peer -> the run's counts, in sync_round order."""
    names = ["asean<-kh", "asean<-th", "kh<-asean", "th<-asean"]
    return {name: r.counts.as_dict() for name, r in zip(names, reports, strict=True)}


def test_round_two_sends_nothing_back_and_counts_no_conflict(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build_network(db_url, db_factory, app_factory, live_server, monkeypatch)
    for name, total in (("kh", KH_RECORDS), ("th", TH_RECORDS)):
        member = net[name]
        user = local.owner(member.engine, f"owner@{name}.example")
        for n in range(total):
            local.publish(member.engine, member.node, user, local.draft(n, hub=True))
    first = counts(sync_round(net))
    assert first["asean<-kh"]["created"] == KH_RECORDS
    assert first["asean<-th"]["created"] == TH_RECORDS
    # the hub relays each national's records to the other, and never back to their origin
    assert first["kh<-asean"]["created"] == TH_RECORDS
    assert first["th<-asean"]["created"] == KH_RECORDS
    assert len(net["kh"].live_foreign()) == TH_RECORDS
    assert len(net["th"].live_foreign()) == KH_RECORDS

    second = counts(sync_round(net))
    print("round 2:", second)
    for name, run in second.items():
        assert run["conflict"] == 0, (name, second)
        # nothing at all: the nationals' feeds hold the relayed copies, which are not sent back
        assert sum(run.values()) == 0, (name, second)


def test_an_echo_from_a_peer_that_is_not_a_relay_counts_as_unchanged(
    store, engine, peer_server, settings
):
    hub = peer_server("asean", [peer_doc("la", 1), peer_doc("la", 2)])
    assert run_pull(store, hub, settings, relay=True, hub=True).counts.created == 2
    own = local.publish(engine, Node("kh", "KH"), local.owner(engine), local.draft(4))
    own_doc = orjson.loads(held_documents(engine)[own])
    # an older peer echoes what it got through the hub, and our own record
    echoing = peer_server(
        "th",
        [
            peer_doc("la", 1),  # held here at this version: an echo
            peer_doc("la", 2, version=2),  # newer than held, but th may not relay it: conflict
            peer_doc("la", 3),  # never held here: conflict
            own_doc,  # our own record, same version: an echo
            peer_doc("th", 5),
        ],
    )
    report = run_pull(store, echoing, settings)
    assert report.outcome == "success", report.error
    counts = report.counts
    assert (counts.created, counts.unchanged, counts.conflict) == (1, 2, 2), counts


def test_an_echo_pushed_by_a_peer_that_is_not_a_relay_is_unchanged(
    db_url, app_factory, live_server, monkeypatch
):
    th_app = app_factory(
        db_url,
        node={"id": "th", "country": "TH"},
        peers=[{"id": "kh", "base_url": "http://127.0.0.1:9", "trust": "publish"}],
    )
    th = Member(Node("th", "TH"), th_app, live_server(th_app).url)
    with new_session(th.engine, write=True) as s:  # th holds la:rec1 from the hub
        apply_remote_changes(s, [peer_doc("la", 1)], node=th.node, source_peer="asean", relay=True)
        s.commit()
    token = issue_token(th, "kh")
    adapter = FeedAdapter(PeerSpec(id="th", base_url=th.url), FAST, token)
    try:
        receipts = adapter.push_batch("kh", [peer_doc("la", 1), peer_doc("la", 6)])
    finally:
        adapter.close()
    assert [r.status for r in receipts] == ["unchanged", "rejected"]
    assert receipts[1].errors[0]["path"] == "/origin"
    th_app.extensions["smedir.engine"].dispose()
