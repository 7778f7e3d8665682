"""In a real browser (Debian's Chromium), in Khmer and in English, on both databases:
an SME signs up (confirming the mailed link) and submits a listing written in Khmer, a
focal point asks for a change, the SME fixes it, the focal point approves, and a visitor
finds the listing.

Each step saves a screenshot under test-output/<test name>/NN-step.png.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from directory.mail import outbox_path, read_outbox
from directory.models import Role
from tests.browser import follow, new_page, sign_in
from tests.directory.pages_helpers import PASSWORD, add_account

pytestmark = pytest.mark.e2e
KHMER = re.compile("[\u1780-\u17ff]")
NAME_KM = "ហាងកាហ្វេ ភ្នំសំពៅ"
NAME_EN = "Phnom Sampov Coffee"


def _field(page, pointer: str):
    return page.locator(f'[name="{pointer}"]')


def _fill_listing(page, shots) -> None:
    _field(page, "/names/km").fill(NAME_KM)
    _field(page, "/names/en").fill(NAME_EN)
    _field(page, "/registration/authority").fill("ក្រសួងពាណិជ្ជកម្ម")
    _field(page, "/registration/number").fill("00123456")
    _field(page, "/legal_form").select_option("sole_proprietorship")
    sector = _field(page, "/sectors/0")
    sector.fill("beverage serv")  # search by name: the picker suggests ISIC codes
    page.locator(".isic-suggestions li[data-code='5630']").click()
    assert sector.input_value() == "5630"
    assert page.locator(".sector-row .isic-title").first.inner_text().strip()
    _field(page, "/size_class").select_option("micro")
    _field(page, "/employees").fill("6")
    _field(page, "/founded_year").fill("2019")
    _field(page, "/women_owned").select_option("true")
    _field(page, "/address/province").select_option("KH-12")
    _field(page, "/address/district").fill("ដូនពេញ")
    _field(page, "/address/street").fill("ផ្លូវ ១៩")
    _field(page, "/geo/lat").fill("11.5564")
    _field(page, "/geo/lon").fill("104.9282")
    _field(page, "/contact/email").fill("hello@sampov-coffee.com.kh")
    _field(page, "/contact/phone").fill("+85512345678")
    _field(page, "/products/0/name").fill("កាហ្វេរ៉ូបូស្តា")
    page.locator("[data-repeat='/products'] + button.add-row").click()
    _field(page, "/products/1/name").fill("នំខេក")
    assert page.locator("label[for='f-products-1-name']").inner_text().endswith("(2)")
    page.locator(".country-filter").fill("Thai" if page.locator("html[lang=en]").count() else "ថៃ")
    page.locator("select[name='/export_markets'] option[value=TH]").click()
    assert page.locator(".country-picker .chosen").inner_text().strip()
    _field(page, "/descriptions/km").fill("ហាងកាហ្វេតូចមួយ នៅជិតភ្នំសំពៅ។")
    page.check("input[name='/sharing/contact_public']")
    shots(page, "listing-filled")


@pytest.mark.parametrize("lang", ["km", "en"])
def test_sme_listing_reviewed_fixed_approved_and_public(app, live_server, browser, shots, lang):
    server = live_server(app)
    reviewer_email = add_account(app, Role.FOCAL_POINT, "KH")  # focal points come from the CLI

    # 1. the SME signs up, opens the mailed link, confirms and signs in
    sme = new_page(browser, server.url, lang)
    sme_email = f"owner-{lang}@sampov-coffee.com.kh"
    sme.goto("/signup")
    sme.fill("input[name=email]", sme_email)
    sme.fill("input[name=password]", PASSWORD)
    sme.fill("input[name=password_confirm]", PASSWORD)
    shots(sme, "signup")
    sme.click("form button[type=submit]")
    sme.locator("#signup-sent").wait_for()
    assert sme_email in sme.locator("#signup-sent").inner_text()
    shots(sme, "signup-check-email")
    (mail,) = read_outbox(outbox_path(app.config["SMEDIR"]))
    link = re.search(r"http://\S+/signup/confirm/\S+", mail.get_content())[0]
    sme.goto(urlsplit(link).path)
    shots(sme, "signup-confirm")
    sme.click("#confirm-email")
    sme.wait_for_url(re.compile(r".*/login(\?.*)?$"))
    sign_in(sme, sme_email, PASSWORD)

    # 2. fills a listing in Khmer and submits it
    sme.goto("/my/listings/new?all=1")  # every field on one page (the steps: test_listing_steps)
    assert sme.locator("html").get_attribute("lang") == lang
    _fill_listing(sme, shots)
    sme.click("button[name=action][value=submit]")
    sme.wait_for_url(re.compile(r".*/my/listings/.+/edit"))
    assert sme.locator(".status-pending").count() == 1
    shots(sme, "submitted")

    # 3. the focal point asks for a change
    fp = new_page(browser, server.url, lang)
    sign_in(fp, reviewer_email, PASSWORD)
    fp.goto("/review")
    follow(fp, fp.locator("table.queue a", has_text=NAME_KM if lang == "km" else NAME_EN))
    assert fp.locator(".submitted").inner_text().count(NAME_KM) == 1
    reason = "សូមបញ្ចូលលេខទូរស័ព្ទផ្សេង" if lang == "km" else "Please give the shop's own phone"
    fp.fill("textarea[name=reason]", reason)
    shots(fp, "review-request-changes")
    fp.click("button[name=decision][value=request_changes]")
    fp.wait_for_url(re.compile(r".*/review(\?.*)?$"))
    shots(fp, "queue-after-request")

    # 4. the SME sees the reason, fixes the listing and resubmits
    sme.goto("/my/listings")
    assert reason in sme.locator(".review-reason").first.inner_text()
    shots(sme, "reason-shown")
    follow(sme, sme.locator("a[href$='/edit']").first)
    assert reason in sme.locator(".status-box").inner_text()
    sme.click("[data-step=basics] a")
    _field(sme, "/contact/phone").fill("087 654 321")  # as dialled: stored as +85587654321
    sme.click("button[name=action][value=save_close]")
    sme.wait_for_url(re.compile(r".*/my/listings/.+/edit$"))
    sme.click("form[action$='/submit'] button[type=submit]")
    sme.wait_for_url(re.compile(r".*/my/listings$"))
    assert sme.locator(".status-pending").count() == 1
    shots(sme, "resubmitted")

    # 5. the focal point approves
    fp.goto("/review")
    follow(fp, fp.locator("table.queue a").first)
    shots(fp, "review-approve")
    fp.click("button[name=decision][value=approve]")
    fp.wait_for_url(re.compile(r".*/review(\?.*)?$"))
    assert fp.locator("table.queue").count() == 0  # nothing left to review

    # 6. a visitor finds the listing and its public page
    visitor = new_page(browser, server.url, lang)
    visitor.fill("input[name=q]", "សំពៅ" if lang == "km" else "sampov")
    follow(visitor, "form.search-form button[type=submit]")
    follow(visitor, visitor.locator("a.result-name").first)
    heading = visitor.locator("h1").inner_text()
    assert heading == (NAME_KM if lang == "km" else NAME_EN)
    body = visitor.locator("main").inner_text()
    assert "+85587654321" in body and "hello@sampov-coffee.com.kh" in body
    if lang == "km":
        nav = visitor.locator("header").inner_text()
        assert KHMER.search(nav), nav  # the page itself is in Khmer, not only the data
    shots(visitor, "public-page")
    for page in (sme, fp, visitor):
        page.context.close()


def test_the_listing_form_submits_without_javascript(app, live_server, browser, shots):
    server = live_server(app)
    add = add_account(app)
    page = new_page(browser, server.url, "en", javascript=False)
    sign_in(page, add, PASSWORD)
    page.goto("/my/listings/new?all=1")
    assert page.locator(".isic-suggestions").count() == 0  # no script ran
    _field(page, "/names/km").fill(NAME_KM)
    _field(page, "/registration/authority").fill("Ministry of Commerce")
    _field(page, "/registration/number").fill("00999")
    _field(page, "/legal_form").select_option("cooperative")
    _field(page, "/sectors/0").fill("0127")
    _field(page, "/size_class").select_option("small")
    _field(page, "/contact/email").fill("not an email")
    page.locator("select[name='/export_markets']").select_option(["TH", "VN"])
    follow(page, "button[name=action][value=save]")
    assert page.locator("#f-contact-email-error").count() == 1
    shots(page, "error-without-js")
    _field(page, "/contact/email").fill("coop@example.com")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/my/listings/.+/edit"))
    page.goto(page.url + "?all=1")
    assert page.locator("select[name='/export_markets'] option:checked").count() == 2
    shots(page, "saved-without-js")
    page.context.close()
