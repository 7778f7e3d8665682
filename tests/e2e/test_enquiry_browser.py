"""In Chromium at 375 px: a buyer (in English) finds a listing, sends an enquiry and
confirms it through the mailed link; the owner (in Khmer) reads it in My enquiries and
answers; the buyer reads the answer and the contact details the owner chose.
SQLite only: the pages do not depend on the database (tests/sync/test_enquiries.py and
tests/directory/test_enquiries.py run on both).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from tests.browser import follow, new_page, sign_in
from tests.conftest import load_example
from tests.directory.exchange_fixtures import publish_own
from tests.directory.pages_helpers import PASSWORD, add_account, user_by_email

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
KHMER = re.compile("[\u1780-\u17ff]")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _mail_link(app) -> str:
    mail = read_outbox(outbox_path(app.config["SMEDIR"]))[-1]
    return urlsplit(re.search(r"http://\S+", mail.get_content()).group(0)).path


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_buyer_enquires_in_english_and_the_owner_answers_in_khmer(
    app, live_server, browser, shots
):
    owner_email = add_account(app)
    with new_session(app.extensions["smedir.engine"]) as s:
        owner = user_by_email(s, owner_email)
    pepper = load_example("kampot-pepper-farm")
    data = {k: v for k, v in pepper.items() if k not in ("id", "origin", "version", "updated_at")}
    listing = publish_own(app, data, owner=owner, contact_public=False)
    server = live_server(app)

    buyer = new_page(browser, server.url, "en")
    buyer.set_viewport_size(PHONE)
    buyer.goto("/search?hs=0904&lang=en")
    follow(buyer, buyer.locator(f".result-enquire[href^='/listings/{listing.id}/enquire']"))
    assert buyer.locator("input[name=hs_code]").input_value() == "0904"  # from the search
    buyer.fill("input[name=product]", "Kampot red pepper")
    buyer.fill("input[name=quantity]", "500 kg a month")
    buyer.select_option("select[name=target_market]", "TH")
    buyer.fill("textarea[name=message]", "สวัสดีครับ. We would like samples.")
    buyer.fill("input[name=organisation]", "Bangkok Spice Co.")
    buyer.select_option("select[name=country]", "TH")
    buyer.fill("input[name=email]", "somchai@bangkok-spice.example")
    buyer.fill("input[name=phone]", "+66 81 234 5678")
    _fits(buyer)
    shots(buyer, "buyer-form-en")
    follow(buyer, "form.enquiry-form button[type=submit]")
    assert "somchai@bangkok-spice.example" in buyer.locator("#enquiry-sent").inner_text()
    buyer.goto(_mail_link(app))
    buyer.click("#confirm-enquiry")
    buyer.wait_for_url(re.compile("/enquiries/status/"))
    status_url = urlsplit(buyer.url).path
    _fits(buyer)
    shots(buyer, "buyer-status-en")

    owner_page = new_page(browser, server.url, "km")
    owner_page.set_viewport_size(PHONE)
    sign_in(owner_page, owner_email, PASSWORD)
    follow(owner_page, "a[href='/my/enquiries']")
    assert KHMER.search(owner_page.locator("h1").inner_text())
    _fits(owner_page)
    shots(owner_page, "owner-inbox-km")
    follow(owner_page, owner_page.locator("a", has_text="Kampot red pepper"))
    assert "somchai@" not in owner_page.content()  # no address before the answer
    owner_page.fill("textarea[name=answer]", "សូមអរគុណ។ Samples leave on Monday.")
    owner_page.uncheck("#show-phone")
    _fits(owner_page)
    shots(owner_page, "owner-answer-km")
    follow(owner_page, "#send-answer")
    assert owner_page.locator(".flash.success").count() == 1
    assert "somchai@bangkok-spice.example" in owner_page.content()  # shown after the answer
    _fits(owner_page)
    shots(owner_page, "owner-answered-km")

    buyer.goto(status_url)
    answer = buyer.locator(".enquiry-answer").inner_text()
    assert "Samples leave on Monday." in answer and pepper["contact"]["email"] in answer
    assert pepper["contact"]["phone"] not in answer  # the owner did not choose to show it
    _fits(buyer)
    shots(buyer, "buyer-answer-en")
    buyer.context.close()
    owner_page.context.close()
