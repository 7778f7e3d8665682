"""In Chromium at 375 px, in Khmer and English: a search with facets, the statistics page's
charts, and the listing map served by a tile server on 127.0.0.1 (offline).

Screenshots go to test-output/<test name>/NN-step.png.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from directory.context import get_engine
from directory.db import transaction
from directory.services.changes import write_listings
from tests.browser import new_page
from tests.directory.search_data import BASE, make_doc, random_docs

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 800}


def _png(width: int = 256, height: int = 256) -> bytes:
    """A plain light-grey PNG tile."""
    raw = b"".join(b"\x00" + b"\xe0\xe8\xe0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def site(app, live_server):
    docs = random_docs(80)
    docs.append(
        make_doc("pepper-km", km=BASE["names"]["km"], en=BASE["names"]["en"], geo=BASE["geo"])
    )
    with transaction(get_engine(app)) as session:
        write_listings(session, docs, [], source_peer="th")
    return live_server(app)


WIDEST = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 376)
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], page.evaluate(WIDEST)


@pytest.mark.parametrize(("lang", "query"), [("en", "rice"), ("km", "ម្រេ")])
def test_search_with_facets_at_375px(browser, site, shots, lang, query):
    page = new_page(browser, site.url, lang)
    page.set_viewport_size(PHONE)
    page.goto(f"/search?lang={lang}&q={query}")
    assert page.locator(".result").count() > 0
    assert page.locator(".result mark").first.is_visible()
    facets = page.locator("details.facet[open]")
    assert facets.count() >= 3 and facets.first.is_visible()
    _fits(page)
    shots(page, f"search-{lang}")
    link = page.locator("details.facet[open] li a").first
    chosen = link.inner_text()
    link.click()
    page.wait_for_url("**&*=*")
    assert page.locator("li.active a").first.inner_text().endswith(chosen)
    _fits(page)
    shots(page, f"search-{lang}-filtered")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_stats_page_charts_at_375px(browser, site, shots, lang):
    page = new_page(browser, site.url, lang, javascript=False)  # charts need no script
    page.set_viewport_size(PHONE)
    page.goto(f"/stats?lang={lang}")
    for chart in ("provinces", "sections", "sizes", "ownership", "months"):
        bars = page.locator(f"#chart-{chart} rect.chart-bar")
        assert bars.count() > 0
        box = bars.first.bounding_box()
        assert box and box["width"] > 2 and box["height"] > 0, chart
        assert page.locator(f"#chart-{chart} text.chart-label, #chart-{chart} text.chart-axis")
    _fits(page)
    shots(page, f"stats-{lang}")


def test_listing_map_works_offline(app, browser, site, shots, httpserver):
    httpserver.expect_request(re.compile(r"^/tiles/.*")).respond_with_data(
        _png(), content_type="image/png"
    )
    app.config["SMEDIR"]["map"].update(
        tile_url=httpserver.url_for("/tiles/{z}/{x}/{y}.png"), attribution="test tiles"
    )
    page = new_page(browser, site.url, "km")
    page.set_viewport_size(PHONE)
    page.goto("/listings/th:pepper-km?lang=km")
    page.wait_for_selector("#map.map-ready .leaflet-tile-loaded")
    assert page.locator("#map .leaflet-marker-icon").is_visible()
    assert page.locator("a.geo-link").is_visible()
    _fits(page)
    shots(page, "listing-map-km")
