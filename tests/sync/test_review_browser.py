"""In a real browser: records pulled from a peer with trust "review" reach this node's reviewers,
whatever their country, who approve (the copy is published here) or reject (it stays out)."""

from __future__ import annotations

import copy
import re

import pytest

from directory.models import Role
from tests.browser import follow, new_page, sign_in
from tests.conftest import load_example
from tests.directory.pages_helpers import PASSWORD, add_account

pytestmark = pytest.mark.e2e


def thai_record(n: int, name: str) -> dict:
    """A valid record of node th (a Thai address: another country than this node's)."""
    doc = copy.deepcopy(load_example("thai-peer-record"))
    doc.update(id=f"th:TH-{n}", origin="th", version=1)
    doc["names"] = {"en": name}
    doc["sharing"] = {**doc["sharing"], "peers": ["kh"]}
    return doc


def test_pull_for_review_then_approve_and_reject_in_the_browser(
    app_factory, db_url, live_server, peer_server, browser, shots
):
    docs = [thai_record(1, "Chanthaburi Durian Exporters"), thai_record(2, "Rayong Fish Sauce")]
    feed = peer_server("th", docs)
    peers = [{"id": "th", "base_url": feed.url, "trust": "review"}]
    app = app_factory(db_url, node={"id": "kh", "country": "KH"}, peers=peers)
    server = live_server(app)

    admin = new_page(browser, server.url, "en")
    sign_in(admin, add_account(app, Role.ADMIN), PASSWORD)
    admin.goto("/admin/peers")
    admin.click("tr[data-peer=th] button[type=submit]")  # run now: a pull over HTTP
    admin.wait_for_url(re.compile(r".*/admin/peers$"))
    admin.goto("/admin/runs")
    assert admin.locator("tr.run td.for-review").first.inner_text() == "2"
    shots(admin, "runs")

    focal = new_page(browser, server.url, "en")
    sign_in(focal, add_account(app, Role.FOCAL_POINT, "KH"), PASSWORD)  # a Cambodian reviewer
    focal.goto("/review")
    assert focal.locator("tr[data-revision]").count() == 2
    focal.select_option("#kind", "remote")  # the "From a peer" filter
    follow(focal, "form.filters button[type=submit]")
    rows = focal.locator("tr[data-revision]")
    assert rows.count() == 2 and "(th)" in rows.first.inner_text()
    shots(focal, "queue")
    follow(focal, "text=Chanthaburi Durian Exporters")
    assert focal.locator("button[value=request_changes]").count() == 0  # never edit a copy
    shots(focal, "detail")
    focal.click("button[value=approve]")
    focal.wait_for_url(re.compile(r".*/review$"))
    assert focal.locator(".flash").first.inner_text().startswith("Approved")
    assert focal.locator("tr[data-revision]").count() == 1

    # an admin decides too: rejected, the copy stays out
    admin.goto("/review?kind=remote")
    follow(admin, "text=Rayong Fish Sauce")
    admin.fill("#reason", "Not a registered business")
    admin.click("button[value=reject]")
    admin.wait_for_url(re.compile(r".*/review$"))
    assert admin.locator("tr[data-revision]").count() == 0

    visitor = new_page(browser, server.url, "en")
    visitor.goto("/listings/th:TH-1")
    assert "Chanthaburi Durian Exporters" in visitor.locator("h1").inner_text()
    shots(visitor, "published")
    assert visitor.goto("/listings/th:TH-2").status == 404
    app.extensions["smedir.engine"].dispose()
