"""Three real nodes (two national, one hub) converge, and nothing loops back as a change
or comes back as a conflict."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import ListingState
from directory.records import business_data
from tests.sync import local
from tests.sync.network import Member, build_network, sync_round

NATIONALS = ("kh", "th")

operation = st.tuples(
    st.sampled_from(NATIONALS),
    st.sampled_from(["create", "create", "edit", "withdraw", "share"]),
    st.integers(0, 1000),
    st.booleans(),
    st.sets(st.sampled_from(["kh", "th", "la"])).map(sorted),
)


class Owners:
    """The SME owner of each national node, and a counter for new listings."""

    def __init__(self, net):
        self.users = {n: local.owner(net[n].engine, f"owner@{n}.example") for n in NATIONALS}
        self.count = 0


def apply_operation(net: dict[str, Member], owners: Owners, op) -> None:
    name, kind, pick, hub, peers = op
    member, user = net[name], owners.users[name]
    live = [r for r in member.own_records() if r.state == ListingState.PUBLISHED]
    if kind == "create" or not live:
        owners.count += 1
        data = local.draft(owners.count, hub=hub, peers=peers)
        local.publish(member.engine, member.node, user, data)
        return
    target = live[pick % len(live)]
    if kind == "withdraw":
        local.withdraw(member.engine, member.node, user, target.id)
        return
    data = business_data(orjson.loads(target.document))
    if kind == "edit":
        data["names"] = {**data["names"], "en": f"Renamed {pick}"}
    else:
        data["sharing"] = {**data["sharing"], "hub": hub, "peers": peers}
    local.edit(member.engine, member.node, user, target.id, data)


def expected_views(net: dict[str, Member]) -> dict[str, dict[str, str]]:
    """What each node should hold of the others: live, hub-shared records, latest version."""
    shared = {}
    for name in NATIONALS:
        shared[name] = {
            r.id: r.document
            for r in net[name].own_records()
            if r.state == ListingState.PUBLISHED and r.share_hub
        }
    return {"asean": {**shared["kh"], **shared["th"]}, "kh": shared["th"], "th": shared["kh"]}


def test_three_nodes_converge_after_random_changes(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build_network(db_url, db_factory, app_factory, live_server, monkeypatch)
    owners = Owners(net)

    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=8))
    def converge(operations):
        for op in operations:
            apply_operation(net, owners, op)
        sync_round(net)
        expected = expected_views(net)
        for name, member in net.items():
            assert member.live_foreign() == expected[name], name
        own_before = {n: {r.id: r.document for r in net[n].own_records()} for n in NATIONALS}
        # a second round changes nothing anywhere: no record comes back as a change
        for report in sync_round(net):
            counts = report.counts
            assert counts.created == counts.updated == counts.deleted == 0, report
            assert counts.rejected == counts.conflict == 0, report
        for n in NATIONALS:
            assert {r.id: r.document for r in net[n].own_records()} == own_before[n]

    converge()


def test_a_node_harvests_another_nodes_oai_pmh_in_the_native_format(
    db_url, db_factory, app_factory, live_server
):
    from directory.db import make_engine
    from directory.node import Node
    from directory.sync_store.store import SqlSyncStore
    from sync.peers import PeerSpec
    from sync.runner import run_peer
    from tests.sync.network import SETTINGS

    kh_app = app_factory(db_url, node={"id": "kh", "country": "KH"})
    server = live_server(kh_app)
    kh_engine = kh_app.extensions["smedir.engine"]
    user = local.owner(kh_engine)
    ids = [local.publish(kh_engine, Node("kh", "KH"), user, local.draft(n)) for n in range(4)]
    local.withdraw(kh_engine, Node("kh", "KH"), user, ids[0])

    th_engine = make_engine(db_factory())
    store = SqlSyncStore(th_engine, Node("th", "TH"))
    peer = PeerSpec(
        id="kh",
        base_url=f"{server.url}/oai",
        protocol="oai-pmh",
        metadata_prefix="sme_json",
        trust="publish",
    )
    report = run_peer(store, peer, SETTINGS, "pull")
    assert report.outcome == "success", report.error
    assert (report.counts.created, report.counts.deleted, report.counts.rejected) == (3, 1, 0)
    assert store.live_count("kh") == 3
    again = run_peer(store, peer, SETTINGS, "pull")
    assert again.counts.created == again.counts.updated == again.counts.deleted == 0
    th_engine.dispose()


def test_a_national_pushes_to_another_node_and_keeps_its_receipts(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    from directory.db import new_session
    from directory.node import Node
    from directory.sync_store.status import push_rejections_for_listing
    from directory.sync_store.store import SqlSyncStore
    from sync.peers import PeerSpec
    from sync.runner import run_peer
    from tests.sync.network import SETTINGS, issue_token

    kh_app = app_factory(db_url, node={"id": "kh", "country": "KH"})
    th_app = app_factory(
        db_factory(),
        node={"id": "th", "country": "TH"},
        peers=[{"id": "kh", "base_url": "http://127.0.0.1:9", "trust": "publish"}],
    )
    th = Member(Node("th", "TH"), th_app, live_server(th_app).url)
    monkeypatch.setenv("SMEDIR_TEST_PUSH_TOKEN", issue_token(th, "kh"))
    kh_engine = kh_app.extensions["smedir.engine"]
    user = local.owner(kh_engine)
    kh = Node("kh", "KH")
    shared = [local.publish(kh_engine, kh, user, local.draft(n, peers=["th"])) for n in range(3)]
    private = local.publish(kh_engine, kh, user, local.draft(7, peers=["la"]))
    peer = PeerSpec(
        id="th", base_url=th.url, push=True, pull=False, token_env="SMEDIR_TEST_PUSH_TOKEN"
    )
    store = SqlSyncStore(kh_engine, kh)
    report = run_peer(store, peer, SETTINGS, "push")
    assert report.outcome == "success", report.error
    assert (report.counts.updated, report.counts.deleted) == (3, 0)  # `private`: no trace
    assert sorted(th.live_foreign()) == sorted(shared)
    local.withdraw(kh_engine, kh, user, shared[0])
    again = run_peer(store, peer, SETTINGS, "push")
    assert again.counts.deleted == 1 and sorted(th.live_foreign()) == sorted(shared[1:])
    with new_session(kh_engine) as s:
        assert push_rejections_for_listing(s, private) == []
