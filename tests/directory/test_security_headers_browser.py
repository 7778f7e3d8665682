"""Issue 10.3 in a real browser (Debian's Chromium): under the strict policy no page reports a
Content-Security-Policy violation, the listing form's script still runs, and no page can be
framed by another site."""

from __future__ import annotations

import pytest

from directory.models import Role
from tests.browser import new_page, sign_in
from tests.conftest import load_example
from tests.directory.exchange_fixtures import PEERS, engine_of
from tests.directory.pages_helpers import PASSWORD, add_account, pending_listing

pytestmark = pytest.mark.e2e

RICE = load_example("battambang-rice-mill")
# recorded before any page script runs; evaluating it later is not subject to the policy
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def _visit(page, urls: list[str]) -> list[str]:
    problems = []
    for url in urls:
        page.goto(url)
        page.wait_for_load_state("load")
        problems += [f"{url}: {v}" for v in page.evaluate("window.__csp")]
    return problems


def _page(browser, base_url: str, email: str | None = None):
    page = new_page(browser, base_url, "en")
    page.add_init_script(WATCH)
    messages = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    if email:
        sign_in(page, email, PASSWORD)
    return page, messages


def test_no_page_violates_the_policy_and_scripts_still_run(app, live_server, browser):
    server = live_server(app)
    owner = add_account(app)
    _, rev_id = pending_listing(app, owner, RICE)
    page, messages = _page(browser, server.url, owner)
    problems = _visit(page, ["/?lang=en", "/login", "/my/listings", "/my/listings/new"])
    # listing-form.js adds an "add a row" button to each repeated group: it ran under the policy
    group = page.locator(".rows[data-repeat]").first
    prefix = group.get_attribute("data-repeat")
    rows = group.locator(".row").count()
    page.locator(f".rows[data-repeat='{prefix}'] + button.add-row").click()
    assert group.locator(".row").count() == rows + 1
    page.context.close()
    for role, urls in (
        (Role.FOCAL_POINT, ["/review", f"/review/{rev_id}", "/admin/quarantine"]),
        (Role.ADMIN, ["/admin/users", "/admin/audit", "/admin/tokens", "/api/docs"]),
    ):
        staff, staff_messages = _page(browser, server.url, add_account(app, role, "KH"))
        problems += _visit(staff, urls)
        messages += staff_messages
        staff.context.close()
    assert problems == []
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_another_site_cannot_frame_the_review_page(app, live_server, browser):
    server = live_server(app)
    page = new_page(browser, server.url, "en")
    page.set_content(f'<iframe id="f" src="{server.url}/login"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frame_locator("#f")
    assert frame.locator("input[name=email]").count() == 0  # blocked: nothing rendered
    page.context.close()
