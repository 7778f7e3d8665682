"""A merged listing stays findable: the survivor keeps its names, registration and phone as
``aliases`` (record 1.2.0), search finds it by the old name, and the API answers the merged
id with 301 and the tombstone; both databases."""

from __future__ import annotations

from directory.context import get_node
from directory.db import new_session
from directory.models import Listing, Role
from directory.records import parse_json
from directory.services import listings as listing_svc
from directory.services.duplicates import likely_duplicates
from schemas import validate_record
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    pending_edit,
    post_form,
    published_listing,
    read,
    signed_in,
    user_by_email,
)

RICE = {
    k: v
    for k, v in load_example("battambang-rice-mill").items()
    if k not in ("id", "origin", "version", "updated_at")
}
RICE["sharing"] = {**RICE["sharing"], "contact_public": False}
OLD_NAME = {"en": "Sokha Paddy Traders", "km": "ឈ្មួញស្រូវ សុខា"}


def _search_ids(client, q: str) -> list[str]:
    return [
        item["id"] for item in client.get("/api/v1/listings", query_string={"q": q}).json["items"]
    ]


def test_a_merged_listing_lives_on_as_an_alias_of_the_survivor(app):
    owner, other_owner = add_account(app), add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    kept = published_listing(app, owner, RICE, focal)
    twin_data = {
        **RICE,
        "names": OLD_NAME,
        "registration": {**RICE["registration"], "number": "00077777"},
        "contact": {"phone": "+85512777666"},
    }
    twin = published_listing(app, other_owner, twin_data, focal)
    visitor = app.test_client()
    assert _search_ids(visitor, "Paddy") == [twin]
    twin_rev = pending_edit(app, other_owner, twin, {**twin_data, "sectors": ["1061"]})
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    post_form(client, f"/review/{twin_rev}/duplicates", {"duplicate": "same", "other": kept})

    doc = read(app, lambda s: parse_json(s.get(Listing, kept).document))
    assert doc["aliases"] == [
        {
            "id": twin,
            "names": OLD_NAME,
            "registration": twin_data["registration"],
            "phone": "+85512777666",
        }
    ]
    assert validate_record(doc) == [] and doc["names"] == RICE["names"]  # its own data unchanged
    assert _search_ids(visitor, "Paddy") == [kept]  # the old name finds the survivor
    assert _search_ids(visitor, "ឈ្មួញស្រូវ") == [kept]

    moved = visitor.get(f"/api/v1/listings/{twin}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/listings/{kept}")
    assert moved.json["merged_into"] == kept and moved.json["reason"] == "merged"
    survivor = visitor.get(moved.headers["Location"]).json
    assert survivor["aliases"][0]["id"] == twin
    assert "phone" not in survivor["aliases"][0]  # contact not public: nor the old phone

    with new_session(app.extensions["smedir.engine"], write=True) as session:
        # the old registration still points at the business
        again = {**twin_data, "names": {"en": "S. Paddy Trading"}}
        found = likely_duplicates(session, again, bands=get_node(app).duplicate_bands)
        assert found[0].listing_id == kept and found[0].band == "probable"
        # an owner's later edit (published at once) keeps the aliases
        actor = user_by_email(session, owner)
        edit = {**RICE, "descriptions": {"en": "Rice milled in Battambang since 1998."}}
        listing_svc.update_draft(session, actor, kept, edit, node=get_node(app))
        listing_svc.submit_for_review(session, actor, kept, node=get_node(app))
        session.commit()
    doc = read(app, lambda s: parse_json(s.get(Listing, kept).document))
    assert doc["descriptions"]["en"].startswith("Rice milled") and doc["aliases"][0]["id"] == twin
