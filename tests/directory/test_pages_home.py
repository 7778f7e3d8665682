"""The home page on both databases: what the directory is, live counts, recent listings,
"List your business", and with no data what to do next (for an admin: import or the demo)."""

from __future__ import annotations

import re

from directory.context import get_engine
from directory.db import transaction
from directory.models import Role
from directory.node import Node
from directory.sampledata import generate_records
from directory.services.bulk import import_records, system_admin
from tests.directory.pages_helpers import login, signed_in

KHMER = re.compile("[\u1780-\u17ff]")


def _load(app, records: list[dict]) -> None:
    with transaction(get_engine(app)) as session:
        import_records(session, system_admin(), records, node=Node("kh", "KH"))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_empty_directory_explains_itself_and_says_what_to_do_next(app):
    visitor = app.test_client()
    page = _text(visitor.get("/?lang=en").text)
    assert "SME directory of Cambodia" in page
    assert "a national focal point checks every listing" in page
    assert "No businesses are listed yet" in page
    assert "How to list your business" in page
    html = visitor.get("/?lang=en").text
    assert re.search(r'<a class="button primary cta" href="/signup">List your business</a>', html)
    assert "smedir import" not in page  # commands are for admins only

    admin, _email = signed_in(app, Role.ADMIN)
    admin_page = _text(admin.get("/?lang=en").text)
    assert "smedir import records.jsonl" in admin_page and "smedir demo" in admin_page
    assert 'href="/admin/peers"' in admin.get("/?lang=en").text
    assert "List your business" not in admin_page  # admins do not create listings


def test_with_data_it_shows_live_counts_recent_listings_and_search(app):
    records = generate_records(40, "KH", 9)
    _load(app, records)
    page = app.test_client().get("/?lang=en").text
    counts = _text(re.search(r'<section class="counts".*?</section>', page, re.S).group(0))
    women = sum(1 for r in records if r.get("women_owned"))
    provinces = len({r["address"]["province"] for r in records})
    assert "40 businesses listed" in counts
    assert f"{provinces} provinces" in counts
    assert f"{women} women-owned" in counts
    assert "No businesses are listed yet" not in page
    recent = re.findall(r'<li class="result">\s*<a href="/listings/([^"]+)"', page)
    assert len(recent) == 6
    assert 'action="/search"' in page
    # the search page lives at /search; older links to /?q= still search
    name = records[0]["names"].get("en") or records[0]["names"]["km"]
    for url in ("/search?lang=en&q=", "/?lang=en&q="):
        results = app.test_client().get(url + name.split()[0]).text
        assert "Search businesses" in results and "found" in results


def test_the_home_page_reads_in_khmer_and_an_owner_is_sent_to_a_new_listing(app):
    _load(app, generate_records(5, "KH", 2))
    owner, _email = signed_in(app, Role.OWNER)
    html = owner.get("/?lang=km").text
    main = _text(re.search(r"<main[^>]*>.*</main>", html, re.S).group(0))
    assert KHMER.search(main)
    for english in ("List your business", "How to list your business", "Who it is for"):
        assert english not in main
    assert 'class="button primary cta" href="/my/listings/new"' in html


def test_the_focal_point_sees_no_call_to_list(app):
    client, email = signed_in(app, Role.FOCAL_POINT, "KH")
    login(client, email)
    assert "List your business" not in client.get("/?lang=en").text


def test_a_hub_presents_itself_as_regional_and_counts_countries(app_factory, db_url):
    hub = app_factory(db_url, node={"id": "asean", "role": "hub", "country": "ID"})
    with transaction(get_engine(hub)) as session:  # replicas of two national nodes' records
        for origin, country in (("kh", "KH"), ("th", "TH")):
            records = generate_records(5, country, 4)
            import_records(session, system_admin(), records, node=Node(origin, country))
    page = _text(hub.test_client().get("/?lang=en").text)
    assert "Regional SME directory" in page
    assert "10 businesses listed" in page and "2 countries" in page
    assert "from 2 partner directories" in page
    assert "List your business" not in page and "How to list your business" not in page
    hub.extensions["smedir.engine"].dispose()
