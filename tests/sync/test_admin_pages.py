"""The sync admin pages: who may see them, and the actions they offer (run, retry, confirm)."""

from __future__ import annotations

import pytest

from directory.models import Role
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec
from sync.runner import run_peer
from tests.directory.pages_helpers import csrf_from, signed_in
from tests.sync.conftest import FAST, peer_doc, quarantine_rows, tombstone


@pytest.fixture
def setup(app_factory, db_url, peer_server):
    bad = peer_doc("th", 9)
    bad["contact"] = {"email": "nope"}
    server = peer_server("th", [peer_doc("th", n) for n in range(4)] + [bad])
    peers = [{"id": "th", "base_url": server.url, "trust": "publish"}]
    app = app_factory(db_url, peers=peers, sync={"tombstone_guard_min": 0, "retries": 0})
    store = SqlSyncStore(app.extensions["smedir.engine"], app.extensions["smedir.node"])
    yield app, server, store
    app.extensions["smedir.engine"].dispose()


def test_pages_are_for_admins_and_focal_points_only(setup):
    app, _server, _store = setup
    anonymous = app.test_client()
    assert anonymous.get("/admin/peers").status_code in (302, 401)  # to the sign-in page
    owner, _ = signed_in(app, Role.OWNER)
    focal, _ = signed_in(app, Role.FOCAL_POINT)
    for url in ("/admin/peers", "/admin/runs", "/admin/quarantine", "/admin/held"):
        assert owner.get(url).status_code == 403, url
    assert focal.get("/admin/peers").status_code == 403
    assert focal.get("/admin/quarantine").status_code == 200
    assert focal.get("/admin/held").status_code == 200


def test_run_now_then_history_chart_quarantine_and_held_runs(setup):
    app, server, store = setup
    admin, _ = signed_in(app, Role.ADMIN)
    page = admin.get("/admin/peers")
    assert page.status_code == 200 and 'data-peer="th"' in page.text
    response = admin.post("/admin/peers/th/run", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    assert store.live_count("th") == 4

    runs = admin.get("/admin/runs").text
    assert "<svg" in runs and "<rect" in runs and "outcome-success" in runs

    quarantine = admin.get("/admin/quarantine").text
    [entry] = quarantine_rows(app.extensions["smedir.engine"])
    assert "th:rec9" in quarantine and "/contact/email" in quarantine
    retry = admin.post(
        f"/admin/quarantine/{entry.id}/retry",
        data={"csrf_token": csrf_from(quarantine)},
        follow_redirects=True,
    )
    assert 'class="flash error"' in retry.text  # "still invalid" (in the page language)
    assert quarantine_rows(app.extensions["smedir.engine"])[0].resolved_at is None

    server.docs += [tombstone("th", n, 2) for n in range(3)]
    peer = PeerSpec(id="th", base_url=server.url, trust="publish")
    settings = FAST.__class__(**{**FAST.__dict__, "tombstone_guard_min": 0})
    assert run_peer(store, peer, settings, "pull").outcome == "held"
    focal, _ = signed_in(app, Role.FOCAL_POINT)
    held = focal.get("/admin/held?lang=en").text
    assert "3 deletions" in held
    held_id = store.pending_held("th")
    done = focal.post(
        f"/admin/held/{held_id}/confirm",
        data={"csrf_token": csrf_from(held)},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert store.live_count("th") == 1 and store.pending_held("th") is None
    assert "held-run" not in done.text


def test_focal_points_see_records_a_peer_refused_on_push(app_factory, db_url, peer_server):
    from directory.node import Node
    from tests.sync import local

    server = peer_server("th")
    app = app_factory(db_url, peers=[{"id": "th", "base_url": server.url, "push": True}])
    engine = app.extensions["smedir.engine"]
    store = SqlSyncStore(engine, app.extensions["smedir.node"])
    user = local.owner(engine)
    kh = Node("kh", "KH")
    refused = local.publish(engine, kh, user, local.draft(1, peers=["th"]))
    accepted = local.publish(engine, kh, user, local.draft(2, peers=["th"]))
    server.reject_ids.add(refused)
    peer = PeerSpec(id="th", base_url=server.url, push=True)
    assert run_peer(store, peer, FAST, "push").outcome == "success"
    focal, _ = signed_in(app, Role.FOCAL_POINT)
    page = focal.get("/admin/quarantine").text
    assert f'data-record="{refused}"' in page and "not accepted here" in page
    assert f'data-record="{accepted}"' not in page
    # a later version the peer accepts clears it
    server.reject_ids.clear()
    local.edit(engine, kh, user, refused, local.draft(1, peers=["th"], hub=True))
    run_peer(store, peer, FAST, "push")
    assert f'data-record="{refused}"' not in focal.get("/admin/quarantine").text
    engine.dispose()
