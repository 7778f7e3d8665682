"""In a real browser (Debian's Chromium): an admin creates a peer token, sees it once, the peer
reads the feed with it, the admin revokes it and it stops working; the API docs page renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from directory.models import Role
from tests.directory.exchange_fixtures import PEERS, bearer, engine_of
from tests.directory.pages_helpers import PASSWORD, add_account

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-khmeros")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def test_admin_creates_uses_and_revokes_a_token(app, live_server, browser):
    server = live_server(app)
    email = add_account(app, Role.ADMIN)
    context = browser.new_context(base_url=server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login?lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_load_state()
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
    context.close()
