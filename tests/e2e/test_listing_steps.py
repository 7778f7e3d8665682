"""In Chromium at 375 px, in Khmer and English: an SME lists its business in steps. The basics
first (a sector found by a Khmer or English word, the phone as dialled), then steps that
save on their own or are skipped, with the progress shown. The Khmer run takes the README's
screenshots (into docs/screenshots/ with SMEDIR_SCREENSHOTS=1, see tests.browser)."""

from __future__ import annotations

import re

import pytest

from tests.browser import new_page, sign_in
from tests.directory.pages_helpers import PASSWORD, add_account

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
WORDS = {"km": "ម្ហូបចល័ត", "en": "mobile food"}  # ISIC 5610, found by words, not by code


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_an_sme_lists_its_business_in_steps_on_a_phone(
    app, live_server, browser, shots, readme_screenshots, lang
):
    server = live_server(app)
    page = new_page(browser, server.url, lang)
    page.set_viewport_size(PHONE)
    sign_in(page, add_account(app), PASSWORD)

    def shoot(step: str) -> None:
        _fits(page)
        path = shots(page, step)
        if lang == "km":
            (readme_screenshots / f"listing-{step}-km.png").write_bytes(path.read_bytes())

    page.goto("/my/listings/new")
    page.fill("[name='/names/km']", "ហាងបាយ ម៉ែស្រី")
    sector = page.locator("[name='/sectors/0']")
    sector.fill(WORDS[lang])
    page.locator(".isic-suggestions li[data-code='5610']").click()
    assert sector.input_value() == "5610"
    page.select_option("[name='/address/province']", "KH-12")
    page.fill("[name='/address/district']", "ដូនពេញ")
    page.fill("[name='/contact/phone']", "012 345 678")
    shoot("1-basics")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/my/listings/.+/edit$"))
    progress = page.locator("#progress-text").inner_text()
    assert "0" in progress and "6" in progress  # sharing's defaults are not a choice made
    shoot("2-steps")

    page.click("[data-step=registration] a")
    page.click("a.button[href$='/step/size']")  # skip: most businesses are not registered
    page.fill("[name='/employees']", "4")
    shoot("3-size")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/step/products$"))
    page.goto(page.url.replace("/step/products", "/edit"))
    assert page.locator("[data-step=size].done").count() == 1
    assert page.locator("[data-step=registration].done").count() == 0
    page.click("form[action$='/submit'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/my/listings$"))
    assert page.locator(".status-pending").count() == 1
    shoot("4-submitted")
    page.goto(page.locator("a[href$='/edit']").first.get_attribute("href") + "/../step/basics")
    assert page.locator("[name='/contact/phone']").input_value() == "+85512345678"
    page.context.close()
