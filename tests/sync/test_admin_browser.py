"""In a real browser (Debian's Chromium): an admin reads peer health and the run chart, a focal
point retries a quarantined record and confirms a held run. Screenshots go to test-output/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from directory.models import Role
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec
from sync.runner import run_peer
from tests.browser import follow, new_page, sign_in
from tests.directory.pages_helpers import PASSWORD, add_account
from tests.sync.conftest import FAST, peer_doc, tombstone

pytestmark = pytest.mark.e2e


def _page(browser, base_url: str, email: str, shots_dir: Path):
    page = new_page(browser, base_url, "en")
    sign_in(page, email, PASSWORD)
    return page


def test_admin_and_focal_point_work_the_sync_pages(
    app_factory, db_url, live_server, peer_server, browser, request
):
    shots = Path(request.config.rootpath) / "test-output" / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    bad = peer_doc("th", 9)
    bad["contact"] = {"email": "nope"}
    feed = peer_server("th", [peer_doc("th", n) for n in range(4)] + [bad])
    peers = [{"id": "th", "base_url": feed.url, "trust": "publish"}]
    app = app_factory(db_url, peers=peers, sync={"tombstone_guard_min": 0, "retries": 0})
    server = live_server(app)
    admin = _page(browser, server.url, add_account(app, Role.ADMIN), shots)

    admin.goto("/admin/peers")
    admin.click("tr[data-peer=th] button[type=submit]")  # run now
    admin.wait_for_url(re.compile(r".*/admin/peers$"))
    assert admin.locator(".flash.ok").count() == 1
    admin.screenshot(path=str(shots / "01-peers.png"), full_page=True)
    admin.goto("/admin/runs")
    assert admin.locator("svg.runs-chart rect").count() >= 1
    admin.screenshot(path=str(shots / "02-runs.png"), full_page=True)

    store = SqlSyncStore(app.extensions["smedir.engine"], app.extensions["smedir.node"])
    feed.docs += [tombstone("th", n, 2) for n in range(3)]
    settings = FAST.__class__(**{**FAST.__dict__, "tombstone_guard_min": 0})
    assert run_peer(store, PeerSpec(id="th", base_url=feed.url), settings, "pull").outcome == "held"

    focal = _page(browser, server.url, add_account(app, Role.FOCAL_POINT, "KH"), shots)
    focal.goto("/admin/quarantine")
    entry = focal.locator(".quarantine-entry")
    assert entry.count() == 1 and "/contact/email" in entry.inner_text()
    focal.screenshot(path=str(shots / "03-quarantine.png"), full_page=True)
    follow(focal, entry.locator("button[type=submit]"))
    assert focal.locator(".flash.error").count() == 1  # still invalid: nothing was fixed
    focal.goto("/admin/held")
    assert "3 deletions" in focal.locator(".held-run").inner_text()
    focal.screenshot(path=str(shots / "04-held.png"), full_page=True)
    focal.locator(".held-run form").first.locator("button").click()
    focal.wait_for_url(re.compile(r".*/admin/held$"))
    assert focal.locator(".held-run").count() == 0
    assert store.live_count("th") == 1
    app.extensions["smedir.engine"].dispose()
