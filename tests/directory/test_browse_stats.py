"""Browse pages and the statistics page: counts equal a brute-force count, charts are SVG."""

from __future__ import annotations

import re
from collections import Counter

from directory.context import get_engine
from directory.db import new_session, transaction
from directory.services.changes import isic_sections, write_listings
from directory.services.stats import directory_stats
from tests.directory.search_data import random_docs


def _publish(app, docs) -> list[dict]:
    with transaction(get_engine(app)) as session:
        write_listings(session, docs, [], source_peer="th")
    return [d for d in docs if d["sharing"]["public"]]


def test_stats_equal_a_brute_force_count(app):
    public = _publish(app, random_docs(120))
    with new_session(get_engine(app)) as session:
        stats = directory_stats(session)
    sections = isic_sections()
    assert stats.total == len(public)
    assert stats.provinces == dict(Counter(d["address"]["province"] for d in public))
    assert stats.size_classes == dict(Counter(d["size_class"] for d in public))
    assert stats.sections == dict(
        Counter(s for d in public for s in {sections[c] for c in d["sectors"]})
    )
    assert stats.divisions == dict(
        Counter(v for d in public for v in {c[:2] for c in d["sectors"]})
    )
    assert stats.women_owned == sum(d["women_owned"] for d in public)
    assert stats.youth_owned == sum(d["youth_owned"] for d in public)
    assert sum(n for _, n in stats.months) == len(public)


def test_browse_pages_link_into_the_search_with_counts(app):
    public = _publish(app, random_docs(60))
    client = app.test_client()
    html = client.get("/browse/provinces?lang=en").text
    rows = re.findall(
        r'href="/search\?province=(KH-\d+)">[^<]+</a> <span class="count">(\d+)', html
    )
    assert len(rows) == 25
    assert {p: int(n) for p, n in rows if n != "0"} == dict(
        Counter(d["address"]["province"] for d in public)
    )
    html = client.get("/browse/sectors?lang=km").text
    assert 'href="/search?section=C"' in html and 'href="/search?sector=10"' in html
    province, n = next((p, int(n)) for p, n in rows if n != "0")
    found = client.get(f"/search?lang=en&province={province}&per_page=100").text
    assert len(set(re.findall(r'href="/listings/([^"/]+)"', found))) == n


def test_stats_page_draws_svg_charts_in_both_languages(app):
    public = _publish(app, random_docs(40))
    client = app.test_client()
    for lang in ("en", "km"):
        html = client.get(f"/stats?lang={lang}").text
        for chart in ("ownership", "sizes", "months", "sections", "provinces"):
            assert f'id="chart-{chart}"' in html
        # five charts of listings, and enquiries per month (no enquiries: no bars by sector)
        assert html.count("<svg") == 6 and "<script" not in html.split("</head>")[1]
        provinces = {d["address"]["province"] for d in public}
        assert html.count('href="/search?province=') == len(provinces)
    assert "chart-countries" not in html  # origin countries only on a hub
