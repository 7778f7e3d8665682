"""In a real browser (Debian's Chromium): an admin creates a peer token, sees it once, the peer
reads the feed with it, the admin revokes it and it stops working; the API docs page renders."""

from __future__ import annotations

import re

import pytest
import requests

from directory.models import Role
from tests.browser import new_page, sign_in
from tests.directory.exchange_fixtures import PEERS, bearer, engine_of
from tests.directory.pages_helpers import PASSWORD, add_account

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def test_admin_creates_uses_and_revokes_a_token(app, live_server, browser):
    server = live_server(app)
    email = add_account(app, Role.ADMIN)
    page = new_page(browser, server.url, "en")
    sign_in(page, email, PASSWORD)
    page.goto("/admin/tokens?lang=en")
    page.select_option("select[name=peer_id]", "th")
    page.fill("input[name=name]", "Thai node")
    page.check("input[name=scopes][value='feed:read']")
    page.click("form[action$='/admin/tokens'] button[type=submit]")
    token = page.inner_text("#new-token").strip()
    assert token.startswith("smedir_peer_")
    feed = f"{server.url}/api/v1/changes"
    assert requests.get(feed, headers=bearer(token), timeout=10).status_code == 200
    page.goto("/admin/tokens?lang=en")
    assert token not in page.content()
    assert "Thai node" in page.content()
    page.click("form[action*='/revoke'] button[type=submit]")
    page.wait_for_load_state()
    assert "revoked" in page.content()
    assert requests.get(feed, headers=bearer(token), timeout=10).status_code == 401
    page.goto("/api/docs?lang=en")
    assert page.locator("section.api-operation").count() >= 9
    assert re.search(r"GET /api/v1/changes", page.inner_text("main"))
    page.context.close()
