"""What visitors see, on both databases: search filters, paging, hidden contact, 404s."""

from __future__ import annotations

import html
import re

import pytest

from directory.models import Role
from tests.conftest import valid_examples
from tests.directory.pages_helpers import (
    add_account,
    form_fields,
    login,
    pending_listing,
    post_form,
    published_listing,
)

EXAMPLES = {doc["names"].get("en") or doc["names"]["km"]: doc for doc in valid_examples("record")}
KH_EXAMPLES = {k: d for k, d in EXAMPLES.items() if d["address"]["country"] == "KH"}


@pytest.fixture
def directory(app):
    """Every Cambodian valid example published: (app, {name: listing id}, owner, reviewer)."""
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    ids = {name: published_listing(app, owner, doc, reviewer) for name, doc in KH_EXAMPLES.items()}
    return app, ids, owner, reviewer


def _found(client, query: str) -> set[str]:
    html = client.get(f"/?lang=en&per_page=100{query}").text
    return set(re.findall(r'href="/listings/([^"/]+)"', html))


def _expected(ids, predicate) -> set[str]:
    return {ids[name] for name, doc in KH_EXAMPLES.items() if predicate(doc)}


def test_filters_narrow_the_results(directory):
    app, ids, _, _ = directory
    client = app.test_client()
    public = _expected(ids, lambda d: d["sharing"]["public"])
    assert len(public) >= 5
    assert _found(client, "") == public
    province = "KH-2"
    assert _found(client, f"&province={province}") == _expected(
        ids, lambda d: d["sharing"]["public"] and d["address"].get("province") == province
    )
    assert _found(client, "&section=C") == _expected(
        ids, lambda d: d["sharing"]["public"] and any("10" <= s[:2] <= "33" for s in d["sectors"])
    )
    assert _found(client, "&women_owned=true") == _expected(
        ids, lambda d: d["sharing"]["public"] and d.get("women_owned") is True
    )
    assert _found(client, "&size_class=micro") == _expected(
        ids, lambda d: d["sharing"]["public"] and d["size_class"] == "micro"
    )
    assert _found(client, "&q=pepper") == _expected(
        ids, lambda d: d["sharing"]["public"] and "pepper" in str(d).lower()
    )


def test_a_sector_filter_that_is_not_an_isic_code_is_refused_not_matched(directory):
    app, ids, _, _ = directory
    client = app.test_client()
    assert _found(client, "&sector=10") == _expected(
        ids, lambda d: d["sharing"]["public"] and any(s.startswith("10") for s in d["sectors"])
    )
    page = client.get("/?lang=en&sector=%25").text
    assert "An ISIC code has 2 to 4 digits" in page


def test_results_are_paged(directory):
    app, ids, _, _ = directory
    client = app.test_client()
    first = client.get("/?lang=en&per_page=2").text
    next_url = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    second = client.get(next_url).text
    by_number = client.get("/?lang=en&per_page=2&page=2").text
    found_first = set(re.findall(r'href="/listings/([^"/]+)"', first))
    found_second = set(re.findall(r'href="/listings/([^"/]+)"', second))
    assert len(found_first) == 2 and len(found_second) == 2 and not found_first & found_second
    assert set(re.findall(r'href="/listings/([^"/]+)"', by_number)) == found_second
    assert "First page" in second and "First page" not in first


def test_hidden_contact_stays_hidden(app):
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    doc = next(d for d in KH_EXAMPLES.values() if d.get("contact", {}).get("email"))
    hidden = {**doc, "sharing": {**doc["sharing"], "public": True, "contact_public": False}}
    listing_id = published_listing(app, owner, hidden, reviewer)
    page = app.test_client().get(f"/listings/{listing_id}?lang=en").text
    assert doc["contact"]["email"] not in page and "chose not to show its contact" in page
    owner_client = app.test_client()
    login(owner_client, owner)
    assert doc["contact"]["email"] in owner_client.get(f"/listings/{listing_id}").text
    shown = {**doc, "sharing": {**doc["sharing"], "public": True, "contact_public": True}}
    shown["registration"] = {**doc["registration"], "number": "SHOWN-1"}
    shown_id = published_listing(app, owner, shown, reviewer)
    assert doc["contact"]["email"] in app.test_client().get(f"/listings/{shown_id}").text


def test_hidden_contact_shows_only_to_focal_points_whose_scope_holds_the_listing(app):
    """A Thai focal point reads a Cambodian listing's page as a visitor does."""
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    doc = next(d for d in KH_EXAMPLES.values() if d.get("contact", {}).get("email"))
    hidden = {**doc, "sharing": {**doc["sharing"], "public": True, "contact_public": False}}
    listing_id = published_listing(app, owner, hidden, reviewer)
    seen = {}
    for name, role, country in [
        ("fp_kh", Role.FOCAL_POINT, "KH"),
        ("fp_th", Role.FOCAL_POINT, "TH"),
        ("admin", Role.ADMIN, None),
    ]:
        client = app.test_client()
        login(client, add_account(app, role, country))
        seen[name] = doc["contact"]["email"] in client.get(f"/listings/{listing_id}").text
    assert seen == {"fp_kh": True, "fp_th": False, "admin": True}


def test_drafts_pending_and_unshared_listings_are_404_for_visitors(app):
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    doc = next(iter(KH_EXAMPLES.values()))
    pending_id, _ = pending_listing(app, owner, doc)
    private = {**doc, "sharing": {**doc["sharing"], "public": False}}
    private["registration"] = {**doc["registration"], "number": "PRIVATE-1"}
    private_id = published_listing(app, owner, private, reviewer)
    visitor = app.test_client()
    assert visitor.get(f"/listings/{pending_id}").status_code == 404
    assert visitor.get(f"/listings/{private_id}").status_code == 404
    assert visitor.get("/listings/kh:does-not-exist").status_code == 404
    assert _found(visitor, "") == set()


def test_a_pending_edit_is_not_shown_to_visitors(app):
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    doc = next(d for d in KH_EXAMPLES.values() if d["sharing"]["public"])
    listing_id = published_listing(app, owner, doc, reviewer)
    owner_client = app.test_client()
    login(owner_client, owner)
    renamed = {**doc, "names": {"en": "Secret New Name"}}
    post_form(
        owner_client, f"/my/listings/{listing_id}/edit", [*form_fields(renamed), ("action", "save")]
    )
    assert "Secret New Name" not in app.test_client().get(f"/listings/{listing_id}").text
    assert _found(app.test_client(), "&q=secret") == set()


def test_the_language_choice_is_remembered(app):
    client = app.test_client()
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers.get("Set-Cookie", "")
    assert "Search businesses" in client.get("/").text
    client.get("/?lang=km")
    page = client.get("/").text
    assert '<html lang="km">' in page


HOSTILE = ["x" * 3000, "!!!", '"pepper', "pepper*", "NEAR(a b)", "'; DROP TABLE x; --", "%_\\"]


def test_hostile_queries_get_a_results_page(directory):
    app, _, _, _ = directory
    client = app.test_client()
    for query in HOSTILE:
        response = client.get("/", query_string={"q": query, "lang": "en"})
        assert response.status_code == 200, query
        assert 'class="result-count"' in response.text
