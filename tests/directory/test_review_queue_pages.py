"""The review queue a page at a time, with the duplicate markers of one batched lookup,
and the quality score's duplicate part counted once per state of the data; both databases."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import event

from directory.context import get_node
from directory.db import new_session
from directory.models import Revision, Role
from directory.records import parse_json
from directory.services.duplicates import likely_duplicates
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    pending_edit,
    pending_listing,
    post_form,
    published_listing,
    signed_in,
)

RICE = load_example("battambang-rice-mill")
PEPPER = load_example("kampot-pepper-farm")
ROW = re.compile(r'<tr data-revision="(\d+)">(.*?)</tr>', re.S)


def _page(client, url: str) -> tuple[dict[int, str], str | None]:
    """The rows of one queue page (revision id -> its marker text) and the next page's link."""
    page = client.get(url).text
    rows = {}
    for rid, cells in ROW.findall(page):
        marker = re.search(r'class="tag duplicate-marker( probable)?">([^<]*)<', cells)
        rows[int(rid)] = f"{marker.group(2)}{marker.group(1) or ''}" if marker else ""
    found = re.search(r'<a rel="next" href="([^"]+)"', page)
    return rows, htmllib.unescape(found.group(1)) if found else None


def _expected_marker(app, revision_id: int) -> str:
    """The marker the queue showed before: one ``likely_duplicates`` lookup for the row."""
    with new_session(app.extensions["smedir.engine"]) as session:
        revision = session.get(Revision, revision_id)
        found = likely_duplicates(
            session,
            parse_json(revision.document),
            exclude_id=revision.listing_id,
            bands=get_node(app).duplicate_bands,
        )
    if not found:
        return ""
    word = "duplicate" if len(found) == 1 else "duplicates"
    probable = " probable" if any(c.band == "probable" for c in found) else ""
    return f"{len(found)} likely {word}{probable}"


def _duplicate_part(page: str) -> str:
    """The "no open duplicate" part of the public page's quality score: "10 of 10"."""
    return re.search(r'data-part="duplicates">[^:]*:\s*([^<]*)<', page).group(1).strip()


def _data(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("id", "origin", "version", "updated_at")}


def test_the_queue_pages_keep_filters_and_show_the_same_markers(app_factory, db_url):
    app = app_factory(db_url, review={"queue_page_size": 2})
    owner, other_owner = add_account(app), add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    data = _data(RICE)
    published_listing(app, owner, data, focal)
    twin_data = {**data, "registration": {**data["registration"], "number": "00099999"}}
    twin = published_listing(app, other_owner, twin_data, focal)
    namesake = {**twin_data, "registration": {**data["registration"], "number": "00088888"}}
    namesake["contact"] = {"phone": "+85512777666"}
    _, namesake_rev = pending_listing(app, add_account(app), namesake)
    _, pepper_rev = pending_listing(app, add_account(app), _data(PEPPER))
    twin_rev = pending_edit(
        app, other_owner, twin, {**twin_data, "names": {"km": data["names"]["km"]}}
    )
    _, lone_rev = pending_listing(
        app, add_account(app), {**_data(PEPPER), "names": {"en": "Lone Pepper Farm"}}
    )
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")

    seen, url, pages = {}, "/review?lang=en", 0
    while url:
        rows, url = _page(client, url)
        assert len(rows) <= 2
        seen.update(rows)
        pages += 1
    assert pages == 2
    assert list(seen) == [namesake_rev, pepper_rev, twin_rev, lone_rev]  # oldest first, once
    assert seen == {rid: _expected_marker(app, rid) for rid in seen}
    assert seen[twin_rev].endswith("probable") and seen[namesake_rev] == "2 likely duplicates"

    province = PEPPER["address"]["province"]  # two pepper farms: one page, the filter kept
    first, next_url = _page(client, f"/review?lang=en&province={province}&sector=01")
    assert list(first) == [pepper_rev, lone_rev] and next_url is None
    rice = RICE["address"]["province"]
    first, next_url = _page(client, f"/review?lang=en&province={rice}")
    assert list(first) == [namesake_rev, twin_rev] and next_url is None
    first, next_url = _page(client, "/review?lang=en&kind=new")
    assert list(first) == [namesake_rev, pepper_rev]
    assert "kind=new" in next_url and "after=" in next_url
    second, last = _page(client, next_url)
    assert list(second) == [lone_rev] and last is None
    khmer = client.get(f"{next_url}&lang=km").text
    assert "ទំព័រដំបូង" in khmer and "First page" not in khmer  # the link back, in Khmer
    assert client.get("/review?after=abc").status_code == 400


def test_the_quality_duplicate_part_is_counted_once_per_state_of_the_data(app):
    owner, focal = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    data = _data(RICE)
    kept = published_listing(app, owner, data, focal)
    lookups = []

    def count(conn, cursor, statement, *args):
        if "listing_match_keys" in statement and statement.startswith("SELECT"):
            lookups.append(statement)

    engine = app.extensions["smedir.engine"]
    event.listen(engine, "before_cursor_execute", count)
    visitor = app.test_client()
    page = visitor.get(f"/listings/{kept}?lang=en").text
    assert _duplicate_part(page) == "10 of 10"
    assert len(lookups) == 1
    visitor.get(f"/listings/{kept}?lang=en")
    assert len(lookups) == 1  # the second view reads the count remembered

    twin = {**data, "registration": {**data["registration"], "number": "00099999"}}
    _, twin_rev = pending_listing(app, add_account(app), twin)  # a likely duplicate arrives
    page = visitor.get(f"/listings/{kept}?lang=en").text
    assert _duplicate_part(page) == "0 of 10"
    assert len(lookups) == 2

    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    post_form(reviewer, f"/review/{twin_rev}/duplicates", {"duplicate": "distinct", "other": kept})
    assert _duplicate_part(visitor.get(f"/listings/{kept}?lang=en").text) == "10 of 10"
    event.remove(engine, "before_cursor_execute", count)
