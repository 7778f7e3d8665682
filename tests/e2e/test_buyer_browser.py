"""In Chromium at 375 px, in Khmer: a signed-in buyer opens "Sent enquiries" from the account
menu and reads the answer, then pauses a saved search on "Saved searches". The enquiry and
the search are made through the same pages by the test client first. SQLite only: the pages
do not depend on the database (tests/directory/test_buyer_pages.py runs on both).
"""

from __future__ import annotations

import re

import pytest

from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from tests.browser import follow, new_page, sign_in
from tests.conftest import load_example
from tests.directory.exchange_fixtures import publish_own
from tests.directory.pages_helpers import (
    PASSWORD,
    add_account,
    csrf_from,
    login,
    post_form,
    user_by_email,
)

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
KHMER = re.compile("[\u1780-\u17ff]")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_buyer_reads_answers_and_pauses_a_saved_search_in_khmer(app, live_server, browser, shots):
    owner_email, buyer_email = add_account(app), add_account(app)
    with new_session(app.extensions["smedir.engine"]) as s:
        owner = user_by_email(s, owner_email)
    pepper = load_example("kampot-pepper-farm")
    data = {k: v for k, v in pepper.items() if k not in ("id", "origin", "version", "updated_at")}
    listing = publish_own(app, data, owner=owner, contact_public=False)
    client = app.test_client()
    login(client, buyer_email)
    request = {
        "product": "Kampot red pepper",
        "message": "We would like samples.",
        "organisation": "Bangkok Spice Co.",
        "country": "TH",
        "email": buyer_email,
    }
    post_form(client, f"/listings/{listing.id}/enquire", request)
    post_form(client, "/search/save", {"hs": "0904", "email": buyer_email}, "/search?hs=0904")
    mail = read_outbox(outbox_path(app.config["SMEDIR"]))[-1].get_content()
    link = re.search(r"(/search/saved/confirm/\S+)", mail).group(1)
    client.post(link, data={"csrf_token": csrf_from(client.get(link).text)})
    answerer = app.test_client()
    login(answerer, owner_email)
    enquiry = re.search(r"/my/enquiries/(\d+)", answerer.get("/my/enquiries").text).group(1)
    post_form(
        answerer,
        f"/my/enquiries/{enquiry}/answer",
        [("answer", "សូមអរគុណ។ Samples leave on Monday."), ("show", "email")],
        page_url=f"/my/enquiries/{enquiry}",
    )
    server = live_server(app)

    page = new_page(browser, server.url, "km")
    page.set_viewport_size(PHONE)
    sign_in(page, buyer_email, PASSWORD)
    follow(page, "a[href='/my/sent-enquiries']")  # the account menu
    assert KHMER.search(page.locator("h1").inner_text())
    row = page.locator("tr[data-enquiry]")
    assert row.count() == 1 and "Samples leave on Monday." in row.inner_text()
    _fits(page)
    shots(page, "sent-enquiries-km")
    follow(page, row.locator(".enquiry-answer-text + br + a"))
    assert pepper["contact"]["email"] in page.locator(".enquiry-answer").inner_text()

    follow(page, "a[href='/my/saved-searches']")
    assert KHMER.search(page.locator("h1").inner_text())
    saved = page.locator("tr[data-saved-search]")
    assert saved.count() == 1 and "0904" in saved.inner_text()
    _fits(page)
    shots(page, "saved-searches-km")
    follow(page, saved.locator("form[action$='/pause'] button"))
    assert page.locator(".saved-state").inner_text().strip() == "បានផ្អាក"  # paused
    assert page.locator(".flash.success").count() == 1
    _fits(page)
    shots(page, "saved-search-paused-km")
    page.context.close()
