"""The focal point's pages on both databases: queue filters, the review page, decisions."""

from __future__ import annotations

import copy
import re

from sqlalchemy import select

from directory.context import get_node
from directory.db import new_session
from directory.models import AuditEntry, Listing, ListingState, Revision, RevisionState, Role
from directory.services import listings as listing_svc
from directory.services import reviews
from sync.outcomes import Outcome
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    form_fields,
    login,
    pending_listing,
    post_form,
    published_listing,
    read,
    signed_in,
    user_by_email,
)

RICE = load_example("battambang-rice-mill")  # KH-2 Battambang, sectors 1061 4630
PEPPER = load_example("kampot-pepper-farm")


def _queue_ids(client, query: str = "") -> list[int]:
    html = client.get(f"/review?lang=en{query}").text
    return [int(n) for n in re.findall(r'data-revision="(\d+)"', html)]


def test_queue_is_oldest_first_and_filters_by_province_sector_and_kind(app):
    owner = add_account(app)
    reviewer = add_account(app, Role.FOCAL_POINT, "KH")
    _, rice_rev = pending_listing(app, owner, RICE)
    _, pepper_rev = pending_listing(app, owner, PEPPER)
    published_id = published_listing(
        app, owner, {**RICE, "registration": {**RICE["registration"], "number": "777"}}, reviewer
    )
    owner_client = app.test_client()
    login(owner_client, owner)
    edit = [*form_fields({**RICE, "registration": {**RICE["registration"], "number": "778"}})]
    post_form(owner_client, f"/my/listings/{published_id}/edit", [*edit, ("action", "submit")])
    edit_rev = read(
        app,
        lambda s: s.execute(
            select(Revision.id).where(
                Revision.listing_id == published_id, Revision.state == RevisionState.PENDING
            )
        ).scalar_one(),
    )
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    assert _queue_ids(client) == [rice_rev, pepper_rev, edit_rev]
    province = PEPPER["address"]["province"]
    assert _queue_ids(client, f"&province={province}") == [pepper_rev]
    assert _queue_ids(client, "&sector=1061") == [rice_rev, edit_rev]
    assert _queue_ids(client, "&kind=edit") == [edit_rev]
    assert _queue_ids(client, "&kind=new") == [rice_rev, pepper_rev]
    assert _queue_ids(client, "&kind=remote") == []


def test_a_focal_point_of_another_country_sees_nothing(app):
    owner = add_account(app)
    pending_listing(app, owner, RICE)
    client, _ = signed_in(app, Role.FOCAL_POINT, "TH")
    assert _queue_ids(client) == []


def test_review_page_shows_diff_verified_fields_history_and_duplicates(app):
    owner = add_account(app)
    reviewer = add_account(app, Role.FOCAL_POINT, "KH")
    listing_id = published_listing(app, owner, RICE, reviewer)
    # another business with the same registration number is waiting too
    twin = {**RICE, "names": {"en": "Meas Rice Twin"}}
    twin_id, twin_rev = pending_listing(app, add_account(app), twin)
    owner_client = app.test_client()
    login(owner_client, owner)
    changed = {**RICE, "names": {**RICE["names"], "en": "Battambang Meas Rice Mill Co"}}
    changed["descriptions"] = {"en": "Rice milling since 1998."}
    post_form(
        owner_client,
        f"/my/listings/{listing_id}/edit",
        [*form_fields(changed), ("action", "submit")],
    )
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    rev_id = _queue_ids(client, "&kind=edit")[0]
    html = client.get(f"/review/{rev_id}?lang=en").text
    assert 'data-field="names"' in html and 'data-field="descriptions"' in html
    assert 'class="verified" data-field="names"' in html
    assert 'class="verified" data-field="descriptions"' not in html
    assert "Verified fields changed:" in html
    assert "<del>Battambang Meas Rice Mill</del>" in html
    assert "<ins>Battambang Meas Rice Mill Co</ins>" in html
    assert 'data-field="registration"' not in html  # unchanged fields are not in the diff
    assert "Possible duplicates" in html and twin_id in html and "same registration" in html
    assert "History" in html and html.count("<tr") >= 3
    twin_page = client.get(f"/review/{twin_rev}?lang=en").text
    assert listing_id in twin_page  # the published listing is the twin's duplicate


def test_request_changes_needs_a_reason_and_the_owner_sees_it(app):
    owner_client, owner = signed_in(app)
    listing_id, rev_id = pending_listing(app, owner, RICE)
    client, reviewer = signed_in(app, Role.FOCAL_POINT, "KH")
    response = post_form(client, f"/review/{rev_id}?lang=en", {"decision": "request_changes"})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"] + "?lang=en").text
    assert "Please give a reason" in follow
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.PENDING
    reason = "Please add the registration certificate number as printed."
    response = post_form(
        client, f"/review/{rev_id}", {"decision": "request_changes", "reason": reason}
    )
    assert response.status_code == 302
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.CHANGES_REQUESTED
    assert reason in owner_client.get("/my/listings").text
    assert reason in owner_client.get(f"/my/listings/{listing_id}/edit").text
    audit = read(app, lambda s: s.execute(select(AuditEntry)).scalars().all())
    assert [(a.action, a.target, a.actor_email) for a in audit] == [
        ("review.request_changes", f"listing:{listing_id}", reviewer)
    ]
    assert reason in audit[0].detail


def test_fix_resubmit_approve_then_public(app):
    owner_client, owner = signed_in(app)
    listing_id, rev_id = pending_listing(app, owner, RICE)
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    post_form(client, f"/review/{rev_id}", {"decision": "request_changes", "reason": "Fix it"})
    fixed = {**RICE, "names": {**RICE["names"], "en": "Battambang Meas Rice Mill Ltd"}}
    post_form(
        owner_client,
        f"/my/listings/{listing_id}/edit",
        [*form_fields(fixed), ("action", "submit")],
    )
    # the reviewed revision stays as it was; the fix is a new pending revision after it
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.SUPERSEDED
    [new_id] = _queue_ids(client)
    assert new_id != rev_id
    review = client.get(f"/review/{new_id}?lang=en").text
    since = review.split("Changes since changes were requested", 1)[1].split("</section>", 1)[0]
    assert "Fix it" in since and "Battambang Meas Rice Mill Ltd" in since
    assert 'data-field="names"' in since and 'data-field="address"' not in since
    khmer = RICE["names"]["km"]  # unchanged: shown plainly, neither removed nor added
    assert f'<span class="same">{khmer}</span>' in since
    assert f"<del>{khmer}</del>" not in since and f"<ins>{khmer}</ins>" not in since
    assert "<del>Battambang Meas Rice Mill</del>" in since
    assert app.test_client().get(f"/listings/{listing_id}").status_code == 404
    response = post_form(client, f"/review/{new_id}", {"decision": "approve"})
    assert response.status_code == 302
    assert read(app, lambda s: s.get(Listing, listing_id)).state == ListingState.PUBLISHED
    page = app.test_client().get(f"/listings/{listing_id}?lang=en")
    assert page.status_code == 200 and "Battambang Meas Rice Mill Ltd" in page.text
    actions = read(app, lambda s: s.execute(select(AuditEntry.action)).scalars().all())
    assert sorted(actions) == ["review.approve", "review.request_changes"]


def test_reject_keeps_the_listing_unpublished(app):
    _, owner = signed_in(app)
    listing_id, rev_id = pending_listing(app, owner, RICE)
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    post_form(client, f"/review/{rev_id}", {"decision": "reject", "reason": "Not a business"})
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.REJECTED
    assert app.test_client().get(f"/listings/{listing_id}").status_code == 404


def test_owners_and_visitors_cannot_review(app):
    owner_client, owner = signed_in(app)
    _, rev_id = pending_listing(app, owner, RICE)
    assert owner_client.get("/review").status_code == 403
    assert owner_client.get(f"/review/{rev_id}").status_code == 403
    visitor = app.test_client().get(f"/review/{rev_id}")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]


def test_an_admin_sees_the_queue_but_cannot_decide(app):
    _, owner = signed_in(app)
    _, rev_id = pending_listing(app, owner, RICE)
    admin, _ = signed_in(app, Role.ADMIN)
    assert _queue_ids(admin) == [rev_id]
    page = admin.get(f"/review/{rev_id}?lang=en").text
    assert 'name="decision"' not in page
    response = post_form(admin, f"/review/{rev_id}", {"decision": "approve"})
    assert response.status_code == 403
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.PENDING


def test_a_record_held_from_a_peer_is_reviewed_as_remote(app):
    doc = {**RICE, "id": "la:held-1", "origin": "la", "version": 3}
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        [result] = reviews.hold_remote_changes(session, [doc], node=get_node(app), source_peer="la")
        session.commit()
    assert result.outcome == Outcome.HELD
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    [rev_id] = _queue_ids(client, "&kind=remote")
    assert _queue_ids(client, "&kind=new") == []
    page = client.get(f"/review/{rev_id}?lang=en").text
    assert "From a peer" in page and "(la)" in page
    assert 'value="request_changes"' not in page and 'value="approve"' in page
    post_form(client, f"/review/{rev_id}", {"decision": "approve"})
    listing = read(app, lambda s: s.get(Listing, "la:held-1"))
    assert listing.state == ListingState.PUBLISHED and listing.version == 3


def test_reading_a_revision_needs_the_deciding_scope(app):
    """Issue 10.2: GET /review/<id> was open to every focal point; ids are sequential."""
    _, owner = signed_in(app)
    _, rev_id = pending_listing(app, owner, RICE)  # a Cambodian listing
    thai, _ = signed_in(app, Role.FOCAL_POINT, "TH")
    assert thai.get(f"/review/{rev_id}").status_code == 404
    assert post_form(thai, f"/review/{rev_id}", {"decision": "approve"}, "/review").status_code == (
        404
    )
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.PENDING
    cambodian, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    assert cambodian.get(f"/review/{rev_id}").status_code == 200
    admin, _ = signed_in(app, Role.ADMIN)
    assert admin.get(f"/review/{rev_id}").status_code == 200


def test_drafts_never_submitted_are_not_shown_to_reviewers(app):
    """Issue 10.2: an owner's unsubmitted draft (or one taken back out of review) is theirs."""
    node = get_node(app)
    owner_client, owner = signed_in(app)
    data = {k: v for k, v in RICE.items() if k not in ("id", "origin", "version", "updated_at")}
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        listing = listing_svc.create_draft(session, user_by_email(session, owner), data, node=node)
        session.commit()
        listing_id = listing.id
    draft_id = read(
        app,
        lambda s: s.execute(select(Revision.id).where(Revision.listing_id == listing_id)).scalar(),
    )
    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    admin, _ = signed_in(app, Role.ADMIN)
    for client in (reviewer, admin):
        assert client.get(f"/review/{draft_id}").status_code == 404
    # submitted, then taken back out of review by an edit: a draft again, hidden again
    post_form(
        owner_client, f"/my/listings/{listing_id}/edit", [*form_fields(RICE), ("action", "submit")]
    )
    assert reviewer.get(f"/review/{draft_id}").status_code == 200
    post_form(
        owner_client, f"/my/listings/{listing_id}/edit", [*form_fields(RICE), ("action", "save")]
    )
    assert read(app, lambda s: s.get(Revision, draft_id)).state == RevisionState.DRAFT
    assert reviewer.get(f"/review/{draft_id}").status_code == 404
    # nor through the owners' API, whose "my listings" is the owner's alone
    assert reviewer.get(f"/api/v1/my/listings/{listing_id}").status_code == 404
    assert owner_client.get(f"/api/v1/my/listings/{listing_id}").status_code == 200


def test_the_review_page_flags_a_phone_number_that_cannot_exist(app):
    doc = copy.deepcopy(load_example("battambang-rice-mill"))
    doc["contact"]["phone"] = "+85512345"  # valid E.164, too short for Cambodia
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    _listing_id, revision = pending_listing(app, owner, doc)
    client = app.test_client()
    login(client, reviewer)
    page = client.get(f"/review/{revision}?lang=en").text
    assert 'data-pointer="/contact/phone"' in page and "cannot exist" in page
    doc["contact"]["phone"] = "+85553952111"
    _listing_id, fine = pending_listing(
        app, owner, doc | {"registration": {**doc["registration"], "number": "00099999"}}
    )
    assert "Check before approving" not in client.get(f"/review/{fine}?lang=en").text


def test_a_revision_stored_before_the_nul_rule_cannot_be_approved_but_can_be_sent_back(app):
    """Issue 10.1: approving a revision with a NUL answered 500 on PostgreSQL, forever."""
    _, owner = signed_in(app)
    listing_id, rev_id = pending_listing(app, owner, RICE)
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        revision = session.get(Revision, rev_id)  # as stored before the schema refused NUL
        revision.document = revision.document.replace('"en":"', '"en":"\\u0000', 1)
        session.add(revision)
        session.commit()
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    response = post_form(client, f"/review/{rev_id}?lang=en", {"decision": "approve"})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"] + "?lang=en").text
    assert "does not pass validation" in follow
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.PENDING
    assert read(app, lambda s: s.get(Listing, listing_id)).state != ListingState.PUBLISHED
    reason = "Please retype the English name."
    sent_back = post_form(
        client, f"/review/{rev_id}", {"decision": "request_changes", "reason": reason}
    )
    assert sent_back.status_code == 302
    assert read(app, lambda s: s.get(Revision, rev_id)).state == RevisionState.CHANGES_REQUESTED
