"""Visitors' search and browse pages come from the page cache until the data changes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from directory.db import new_session
from directory.services.changes import apply_remote_changes
from directory.services.search import settle_recounts
from directory.web.page_cache import HOLE
from tests.directory.pages_helpers import csrf_from, signed_in
from tests.directory.search_data import make_doc

URL = "/search?q=pepper&lang=en"


@pytest.fixture
def site(app, node):
    """The app with one published pepper farm, and a function to apply more changes."""

    def change(*docs):
        with new_session(app.extensions["smedir.engine"], write=True) as session:
            apply_remote_changes(session, list(docs), node=node, source_peer="th")
            session.commit()

    change(make_doc("a", en="Kampot Pepper Farm"))
    return app, change


def plain(response) -> str:
    """The page's text without the highlighting of the query words."""
    return response.text.replace("<mark>", "").replace("</mark>", "")


def _rename_behind_the_change_log(app, listing_id: str, old: str, new: str) -> None:
    """Edit a stored document without taking a sequence number (no write path does this)."""
    with app.extensions["smedir.engine"].begin() as conn:
        sql = "UPDATE listings SET document = replace(document, :old, :new) WHERE id = :id"
        conn.execute(text(sql), {"old": old, "new": new, "id": listing_id})


def test_a_visitor_page_is_kept_until_a_change_and_answers_304(site):
    app, change = site
    client = app.test_client()
    first = client.get(URL)
    assert first.status_code == 200 and "Kampot Pepper Farm" in plain(first)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"].endswith("max-age=30")
    assert {"Accept-Language", "Cookie"} <= set(first.headers["Vary"].replace(" ", "").split(","))
    # a change that took no sequence number is not seen: the page came from the cache
    _rename_behind_the_change_log(app, "th:a", "Kampot Pepper Farm", "Kampot Pepper Garden")
    again = client.get(URL)
    assert "Kampot Pepper Farm" in plain(again) and again.headers["ETag"] == etag
    not_modified = client.get(URL, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    # a published change takes a number: the next page is rendered afresh, with a new ETag
    change(make_doc("b", en="Kep Pepper Shop"))
    fresh = client.get(URL, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert "Kep Pepper Shop" in plain(fresh) and "Kampot Pepper Garden" in plain(fresh)
    assert fresh.headers["ETag"] != etag
    # a withdrawal too
    tomb = {"id": "th:b", "origin": "th", "version": 2, "deleted": True, "reason": "withdrawn"}
    change({**tomb, "updated_at": "2026-11-29T00:00:00Z"})
    after = client.get(URL)
    assert "Kep Pepper Shop" not in plain(after) and "Kampot Pepper Garden" in plain(after)


def test_languages_are_kept_apart(site):
    app, _change = site
    khmer = app.test_client().get("/search?q=pepper", headers={"Accept-Language": "km"})
    english = app.test_client().get("/search?q=pepper", headers={"Accept-Language": "en"})
    assert '<html lang="km">' in khmer.text and "ស្វែងរក" in khmer.text
    assert '<html lang="en">' in english.text and "Search businesses" in english.text
    assert khmer.headers["ETag"] != english.headers["ETag"]
    by_cookie = app.test_client()
    by_cookie.set_cookie("lang", "en")
    assert '<html lang="en">' in by_cookie.get("/search?q=pepper").text
    browse = app.test_client().get("/browse/provinces", headers={"Accept-Language": "en"})
    assert browse.headers["ETag"] and '<html lang="en">' in browse.text


def test_a_signed_in_user_never_gets_a_visitors_page(site):
    app, _change = site
    visitor = app.test_client().get(URL)
    assert "Sign in" in visitor.text
    user, email = signed_in(app)
    page = user.get(URL, headers={"If-None-Match": visitor.headers["ETag"]})
    assert page.status_code == 200
    assert email in page.text and "Sign out" in page.text and "Sign in" not in page.text
    assert "ETag" not in page.headers and "max-age" not in page.headers.get("Cache-Control", "")


def test_each_visitor_gets_their_own_csrf_token_in_a_cached_page(site):
    app, _change = site
    url = "/search?q=pepper&lang=en&province=KH-8"  # with filters: the "save this search" form
    first, second = app.test_client(), app.test_client()
    one, two = first.get(url), second.get(url)
    assert HOLE not in one.text and HOLE not in two.text
    assert csrf_from(one.text) != csrf_from(two.text)
    assert one.headers["Cache-Control"].startswith("private")
    # the second visitor's token (filled into the cached page) is accepted with their session
    data = {"email": "buyer@example.com", "q": "pepper", "csrf_token": csrf_from(two.text)}
    assert second.post("/search/save", data=data).status_code == 200
    # a 304 holds only for the same session's token
    assert second.get(url, headers={"If-None-Match": one.headers["ETag"]}).status_code == 200
    etag = two.headers["ETag"]
    assert second.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_expensive_counts_are_shown_stale_once_while_counted_again(app_factory, db_url, node):
    app = app_factory(db_url, search={"stale_counts_ms": 0})  # every count counts as expensive
    engine = app.extensions["smedir.engine"]
    with new_session(engine, write=True) as session:
        apply_remote_changes(
            session, [make_doc("a", en="Kampot Pepper Farm")], node=node, source_peer="th"
        )
        session.commit()
    client = app.test_client()
    first = client.get(URL)
    assert "1 business found" in first.text and "counts updating" not in first.text
    with new_session(engine, write=True) as session:
        apply_remote_changes(
            session, [make_doc("b", en="Kep Pepper Shop")], node=node, source_peer="th"
        )
        session.commit()
    stale = client.get(URL)
    # the rows are the new data's; the total is the old one, marked, and not cached
    assert "Kep Pepper Shop" in plain(stale) and "Kampot Pepper Farm" in plain(stale)
    assert "1 business found" in stale.text and "(counts updating)" in stale.text
    assert "ETag" not in stale.headers
    with new_session(engine) as session:
        settle_recounts(session)
    fresh = client.get(URL)
    assert "2 businesses found" in fresh.text and "counts updating" not in fresh.text
    with new_session(engine, write=True) as session:
        apply_remote_changes(
            session, [make_doc("c", en="Pepper Mill")], node=node, source_peer="th"
        )
        session.commit()
    khmer = client.get("/search?q=pepper&lang=km")  # the first request after a change: stale
    assert "(កំពុងរាប់ឡើងវិញ)" in khmer.text and "counts updating" not in khmer.text


def test_cheap_counts_are_exact_at_once(site):
    app, change = site
    client = app.test_client()
    assert "1 business found" in client.get(URL).text
    change(make_doc("b", en="Kep Pepper Shop"))
    page = client.get(URL)
    assert "2 businesses found" in page.text and "counts updating" not in page.text
