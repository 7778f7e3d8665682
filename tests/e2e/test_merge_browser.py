"""In a real browser, in Khmer, on a 375 px phone: a focal point sees that a waiting listing is
probably a duplicate, compares the two side by side and merges them; the old address then
leads to the listing that stays."""

from __future__ import annotations

import re

import pytest

from directory.models import Role
from tests.browser import new_page, sign_in
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    PASSWORD,
    add_account,
    pending_edit,
    published_listing,
)

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_focal_point_merges_two_listings_in_khmer(
    app_factory, db_url, live_server, browser, shots
):
    app = app_factory(db_url)
    server = live_server(app)
    owner, other_owner = add_account(app), add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    rice = {k: v for k, v in load_example("battambang-rice-mill").items() if k != "id"}
    for key in ("origin", "version", "updated_at"):
        rice.pop(key)
    rice["names"] = {"km": rice["names"]["km"]}  # រោងម៉ាស៊ីនកិនស្រូវ បាត់ដំបង មាស
    kept = published_listing(app, owner, rice, focal)
    twin = {**rice, "registration": {**rice["registration"], "number": "00099999"}}
    twin_id = published_listing(app, other_owner, twin, focal)
    pending_edit(app, other_owner, twin_id, {**twin, "names": {"km": "ម៉ាស៊ីនកិនស្រូវ មាស"}})

    page = new_page(browser, server.url, "km")
    page.set_viewport_size(PHONE)
    sign_in(page, add_account(app, Role.FOCAL_POINT, "KH"), PASSWORD)
    page.goto("/review")
    row = page.locator("tr[data-revision]", has=page.locator(".duplicate-marker"))
    assert row.count() == 1
    shots(page, "queue")
    row.locator("a").first.click()
    candidate = page.locator(f"article.candidate[data-listing='{kept}']")
    assert "band-probable" in candidate.get_attribute("class")
    assert "លេខទូរស័ព្ទដូចគ្នា" in candidate.inner_text()  # same phone number
    assert candidate.locator("table.compare tr").count() >= 4
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "side-by-side")
    candidate.locator("button[value=same]").click()  # អាជីវកម្មតែមួយ៖ បញ្ចូលគ្នា
    page.wait_for_url(re.compile(r".*/review$"))
    assert "បានបញ្ចូលគ្នា" in page.locator(".flash").first.inner_text()
    assert page.locator("tr[data-revision]").count() == 0
    shots(page, "merged")

    visitor = new_page(browser, server.url, "km")
    visitor.set_viewport_size(PHONE)
    visitor.goto(f"/listings/{twin_id}")
    assert visitor.url.endswith(f"/listings/{kept}")  # the old address leads to the survivor
    assert "រោងម៉ាស៊ីនកិនស្រូវ បាត់ដំបង មាស" in visitor.locator("h1").inner_text()
    shots(visitor, "survivor")
    page.context.close()
    visitor.context.close()
