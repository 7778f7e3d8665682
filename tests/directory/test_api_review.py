"""Duplicate decisions over the JSON API with a personal token: list, decide, errors with JSON
pointers in English and Khmer, scope and roles, audited as on the review page; both databases."""

from __future__ import annotations

from sqlalchemy import select

from directory.db import new_session
from directory.models import AuditEntry, Listing, Role
from directory.records import parse_json
from directory.services.personal_tokens import create_personal_token
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    pending_edit,
    pending_listing,
    published_listing,
    read,
    user_by_email,
)

RICE = {
    k: v
    for k, v in load_example("battambang-rice-mill").items()
    if k not in ("id", "origin", "version", "updated_at")
}


def _token(app, email: str) -> dict[str, str]:
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        _, plaintext = create_personal_token(session, user_by_email(session, email), "script")
        session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def test_a_focal_point_lists_and_decides_duplicates_through_the_api(app):
    owner, other_owner = add_account(app), add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    kept = published_listing(app, owner, RICE, focal)
    twin_data = {**RICE, "registration": {**RICE["registration"], "number": "00099999"}}
    twin = published_listing(app, other_owner, twin_data, focal)
    namesake = {**twin_data, "registration": {**RICE["registration"], "number": "00088888"}}
    namesake["contact"] = {"phone": "+85512777666"}
    namesake_id, namesake_rev = pending_listing(app, add_account(app), namesake)
    twin_rev = pending_edit(
        app, other_owner, twin, {**twin_data, "names": {"km": RICE["names"]["km"]}}
    )
    api, url = app.test_client(), f"/api/v1/review/revisions/{namesake_rev}/duplicates"
    auth = _token(app, focal)

    listed = api.get(url, headers=auth)
    assert listed.status_code == 200 and listed.json["listing_id"] == namesake_id
    found = {c["listing_id"]: c for c in listed.json["candidates"]}
    assert set(found) == {kept, twin} and found[kept]["band"] in ("probable", "possible")
    assert "name" in found[kept]["reasons"]

    bad = api.post(url, json={"decision": "maybe", "extra": 1}, headers=auth)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.json["type"] == "about:blank" and "not valid" in bad.json["detail"]
    assert [e["path"] for e in bad.json["errors"]] == ["/decision", "/extra", "/other"]
    khmer = api.post(url, json={}, headers={**auth, "Accept-Language": "km"})
    assert [e["path"] for e in khmer.json["errors"]] == ["/decision", "/other"]
    assert khmer.json["errors"][0]["message"] == "ត្រូវតែបំពេញចន្លោះនេះ។"
    assert "ខ្លឹមសារ" in khmer.json["detail"]
    unknown = api.post(url, json={"decision": "distinct", "other": "kh:nope"}, headers=auth)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["path"] == "/other"

    assert api.get(url, headers=_token(app, owner)).status_code == 403  # an owner
    abroad = _token(app, add_account(app, Role.FOCAL_POINT, "TH"))
    assert api.get(url, headers=abroad).status_code == 404  # outside the scope: not there
    assert api.post(url, json={"decision": "same", "other": kept}).status_code == 401
    huge = api.post(
        "/api/v1/review/revisions/2147483648/duplicates", json={"decision": "same"}, headers=auth
    )
    assert huge.status_code == 404 and huge.json["type"].endswith(":revision-not-found")

    done = api.post(url, json={"decision": "distinct", "other": kept}, headers=auth)
    assert done.status_code == 200 and done.json["listings"] == sorted([kept, namesake_id])
    again = api.get(url, headers=auth).json["candidates"]
    assert [c["listing_id"] for c in again] == [twin]  # never suggested again

    twin_url = f"/api/v1/review/revisions/{twin_rev}/duplicates"
    merged = api.post(twin_url, json={"decision": "same", "other": kept}, headers=auth)
    assert merged.json == {"decision": "same", "merged": twin, "merged_into": kept}
    tombstone = read(app, lambda s: parse_json(s.get(Listing, twin).document))
    assert tombstone["merged_into"] == kept
    late = api.post(twin_url, json={"decision": "same", "other": kept}, headers=auth)
    assert late.status_code == 409
    assert late.json["type"] == "urn:smedir:problem:revision-not-pending"

    audit = read(app, lambda s: s.execute(select(AuditEntry).order_by(AuditEntry.id)).all())
    trail = [(a.action, a.target, a.actor_email) for (a,) in audit]
    assert ("duplicates.distinct", f"listing:{namesake_id}", focal) in trail
    assert ("duplicates.merge", f"listing:{twin}", focal) in trail
