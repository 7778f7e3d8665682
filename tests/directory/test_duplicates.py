"""Duplicate candidates: blocking keys kept by every write path, scores, bands, "not the same"."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from directory.config import ConfigError, load_config
from directory.models import AuditEntry, Listing, ListingMatchKey, Revision, RevisionState, Role
from directory.node import Node
from directory.records import parse_json
from directory.sampledata import generate_records
from directory.services.bulk import import_records, system_admin
from directory.services.changes import apply_remote_changes
from directory.services.duplicates import likely_duplicates
from directory.services.errors import InvalidTransition, PermissionDenied
from directory.services.listings import create_draft, submit_for_review, tombstone_listing
from directory.services.match_keys import match_keys
from directory.services.merges import mark_distinct, merge_duplicate
from directory.services.reviews import hold_remote_changes
from schemas import validate_record
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    pending_edit,
    pending_listing,
    post_form,
    published_listing,
    read,
    signed_in,
)

PLACE = {"country": "KH", "province": "KH-12", "district": "Daun Penh"}
SOVANN = {
    "names": {"km": "ភោជនីយដ្ឋាន សុវណ្ណ"},
    "registration": {"country": "KH", "authority": "Ministry of Commerce", "number": "00012345"},
    "address": PLACE,
    "contact": {"phone": "+85512345678", "email": "sovann.kitchen@gmail.com"},
    "sectors": ["5610"],
}


def _keys(session, listing_id):
    stmt = select(ListingMatchKey.key).where(ListingMatchKey.listing_id == listing_id)
    return set(session.execute(stmt).scalars())


def test_keys_are_script_independent_and_contacts_normalised():
    romanised = {
        "names": {"en": "Phochniyathan Sovann Co., Ltd."},
        "address": PLACE,
        "contact": {"phone": "+855 12 345 678", "email": "Info@Sovann.com.kh"},
    }
    keys = match_keys(romanised)
    assert {"tel:+85512345678", "mail:info@sovann.com.kh", "dom:sovann.com.kh"} <= keys
    assert "nm:svn" in keys and "nm:svn" in match_keys(SOVANN)  # សុវណ្ណ = Sovann
    assert not any(k.startswith(("nm:c", "nm:lt")) for k in keys)  # "Co., Ltd." says nothing
    assert "dom:gmail.com" not in match_keys(SOVANN)  # free mail: only the address is a key
    assert match_keys({"deleted": True, "id": "kh:1"}) == set()


def test_every_write_path_keeps_the_keys(session, node, make_user):
    records = generate_records(30, "KH", 4)
    import_records(session, system_admin(), records, node=node)  # the bulk path
    first = session.execute(select(ListingMatchKey.listing_id)).scalars().first()
    assert first is not None and len(_keys(session, first)) >= 4
    owner = make_user()
    listing = create_draft(session, owner, SOVANN, node=node)
    assert _keys(session, listing.id) == set()  # a draft is nobody's business yet
    submit_for_review(session, owner, listing.id, node=node)
    assert _keys(session, listing.id) == match_keys(SOVANN)
    replica = {**copy.deepcopy(records[0]), "id": "th:1", "origin": "th", "version": 1}
    replica["updated_at"] = "2026-11-01T00:00:00Z"
    apply_remote_changes(session, [replica], node=node, source_peer="th")
    assert _keys(session, "th:1") == match_keys(replica)
    tombstone = {**{k: replica[k] for k in ("id", "origin")}, "version": 2, "deleted": True}
    tombstone |= {"reason": "closed", "updated_at": "2026-11-02T00:00:00Z"}
    apply_remote_changes(session, [tombstone], node=node, source_peer="th")
    assert _keys(session, "th:1") == set()


def test_candidates_khmer_and_romanised_typos_word_order_and_bands(session, node):
    records = generate_records(60, "KH", 4)
    import_records(session, system_admin(), [SOVANN, *records], node=node)
    romanised = {  # the same kitchen, its Khmer name romanised, the same phone number
        "names": {"en": "Phochniyathan Sovann"},
        "address": PLACE,
        "contact": {"phone": "+855 12 345 678"},
    }
    [found] = likely_duplicates(session, romanised)
    assert found.band == "probable" and {"name", "phone"} <= set(found.reasons)
    assert found.names == SOVANN["names"]
    other = next(r for r in records if "en" in r["names"])
    swapped = copy.deepcopy(other)  # words swapped, a typo, a new phone, no registration
    words = other["names"]["en"].split()
    swapped["names"] = {"en": " ".join(reversed(words)).replace("a", "e", 1)}
    swapped["contact"]["phone"] = "+85517000111"
    del swapped["registration"]
    probable = [c for c in likely_duplicates(session, swapped) if c.band == "probable"]
    assert probable and "email" in probable[0].reasons
    assert probable[0].doc["registration"] == other["registration"]
    namesake = {"names": {"en": "Phochniyathan Sovann"}, "address": PLACE}  # no contact
    [maybe] = likely_duplicates(session, namesake)
    assert maybe.band == "possible"
    assert likely_duplicates(session, namesake, bands=(0.99, 0.95)) == []


def test_a_withdrawn_listing_is_no_candidate(session, node):
    import_records(session, system_admin(), [SOVANN], node=node)
    [found] = likely_duplicates(session, {**SOVANN, "names": {"en": "Sovann"}})
    tombstone_listing(session, session.get(Listing, found.listing_id), reason="closed")
    assert likely_duplicates(session, {**SOVANN, "names": {"en": "Sovann"}}) == []


RICE = load_example("battambang-rice-mill")


def test_a_focal_point_merges_a_duplicate_or_keeps_a_namesake_apart(app):
    owner, other_owner = add_account(app), add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    data = {k: v for k, v in RICE.items() if k not in ("id", "origin", "version", "updated_at")}
    kept = published_listing(app, owner, data, focal)
    twin_data = {**data, "registration": {**data["registration"], "number": "00099999"}}
    twin = published_listing(app, other_owner, twin_data, focal)
    namesake = {**twin_data, "registration": {**data["registration"], "number": "00088888"}}
    namesake["contact"] = {"phone": "+85512777666"}
    namesake_id, namesake_rev = pending_listing(app, add_account(app), namesake)
    renamed = {**twin_data, "names": {"km": data["names"]["km"]}}  # the twin drops its English
    twin_rev = pending_edit(app, other_owner, twin, renamed)
    client, reviewer = signed_in(app, Role.FOCAL_POINT, "KH")
    assert client.get("/review?lang=en").text.count("2 likely duplicates") == 2

    page = client.get(f"/review/{namesake_rev}?lang=en").text
    assert f'data-listing="{kept}"' in page and "band-possible" in page
    post_form(
        client, f"/review/{namesake_rev}/duplicates", {"duplicate": "distinct", "other": kept}
    )
    page = client.get(f"/review/{namesake_rev}?lang=en").text
    assert f'data-listing="{kept}"' not in page and f'data-listing="{twin}"' in page  # once

    page = client.get(f"/review/{twin_rev}?lang=km").text
    assert "band-probable" in page and "លេខទូរស័ព្ទដូចគ្នា" in page  # same phone, in Khmer
    assert 'class="compare"' in page and "+85553952111" in page
    done = post_form(client, f"/review/{twin_rev}/duplicates", {"duplicate": "same", "other": kept})
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    moved = app.test_client().get(f"/listings/{twin}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/listings/{kept}")
    tombstone = read(app, lambda s: parse_json(s.get(Listing, twin).document))
    assert tombstone["reason"] == "merged" and tombstone["merged_into"] == kept
    assert validate_record(tombstone) == []
    assert read(app, lambda s: s.get(Revision, twin_rev).state) == RevisionState.SUPERSEDED
    audit = read(app, lambda s: s.execute(select(AuditEntry).order_by(AuditEntry.id)).all())
    assert [(a.action, a.target, a.actor_email) for (a,) in audit] == [
        ("duplicates.distinct", f"listing:{namesake_id}", reviewer),
        ("duplicates.merge", f"listing:{twin}", reviewer),
    ]
    again = post_form(
        client, f"/review/{twin_rev}/duplicates", {"duplicate": "same", "other": kept}
    )
    assert again.status_code == 302  # the revision is no longer pending: a message, no change


@pytest.mark.parametrize(
    ("review", "key"),
    [
        ({"duplicate_possible": 0.9}, "review.duplicate_possible"),  # above probable
        ({"duplicate_probable": 1.5}, "review.duplicate_probable"),
        ({"duplicate_possible": "high"}, "review.duplicate_possible"),
    ],
)
def test_the_two_bands_are_checked_when_the_config_loads(review, key):
    with pytest.raises(ConfigError) as caught:
        load_config(overrides={"review": review}, environ={})
    assert caught.value.key == key
    assert Node.from_config(load_config(environ={})).duplicate_bands == (0.85, 0.65)


def test_a_merge_tombstones_only_a_listing_of_this_node_in_the_actors_scope(
    session, node, make_user
):
    data = {k: v for k, v in RICE.items() if k not in ("id", "origin", "version", "updated_at")}
    [local] = import_records(session, system_admin(), [data], node=node)
    copy_of = {**RICE, "id": "th:1", "origin": "th", "version": 1}
    copy_of["registration"] = {**RICE["registration"], "number": "00012399"}
    hold_remote_changes(session, [copy_of], node=node, source_peer="th", relay=True)
    hold_remote_changes(session, [{**copy_of, "id": "th:2"}], node=node, source_peer="th")
    first, second = (
        session.execute(select(Revision.id).where(Revision.listing_id == rid)).scalar_one()
        for rid in ("th:1", "th:2")
    )
    with pytest.raises(PermissionDenied):  # a Thai focal point: the Cambodian listing is not theirs
        merge_duplicate(
            session, make_user(Role.FOCAL_POINT, country="TH"), first, local.id, node=node
        )
    with pytest.raises(InvalidTransition):  # two copies of th's records: only th may merge them
        merge_duplicate(
            session, make_user(Role.FOCAL_POINT, country="KH"), first, "th:2", node=node
        )
    focal = make_user(Role.FOCAL_POINT, country="KH")
    merged, survivor = merge_duplicate(session, focal, first, local.id, node=node)
    assert (merged.id, survivor.id) == (local.id, "th:1")  # ours goes, the peer's record stays
    assert parse_json(merged.document)["merged_into"] == "th:1"
    assert session.get(Revision, first).state == RevisionState.PENDING  # still to be decided
    assert [c.listing_id for c in likely_duplicates(session, copy_of, exclude_id="th:1")] == [
        "th:2"
    ]
    mark_distinct(session, focal, second, "th:1", node=node)
    assert likely_duplicates(session, copy_of, exclude_id="th:2") == []
