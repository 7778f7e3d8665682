"""Listing lifecycle services on both databases: every transition and the forbidden ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from directory.models import (
    ChangeLogEntry,
    Listing,
    ListingState,
    ReviewDecision,
    Revision,
    RevisionState,
    Role,
)
from directory.records import parse_json
from directory.services import listings as svc
from directory.services import reviews
from directory.services.errors import (
    InvalidRecord,
    InvalidTransition,
    PermissionDenied,
)
from schemas import validate_record


@pytest.fixture
def owner(make_user):
    return make_user(Role.OWNER)


@pytest.fixture
def reviewer(make_user):
    return make_user(Role.FOCAL_POINT, country="KH")


def _log(session, listing_id):
    stmt = select(ChangeLogEntry).where(ChangeLogEntry.record_id == listing_id)
    return list(session.execute(stmt.order_by(ChangeLogEntry.seq)).scalars())


def _submitted(session, owner, data, node):
    listing = svc.create_draft(session, owner, data, node=node)
    revision = svc.submit_for_review(session, owner, listing.id, node=node)
    session.commit()
    return listing, revision


def test_draft_submit_approve_publishes_version_1(session, owner, reviewer, draft_data, node):
    listing, revision = _submitted(session, owner, draft_data, node)
    assert revision.state == RevisionState.PENDING
    assert listing.state == ListingState.DRAFT and listing.document is None
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    session.refresh(listing)
    assert listing.state == ListingState.PUBLISHED and listing.version == 1
    doc = parse_json(listing.document)
    assert doc["id"] == listing.id and doc["origin"] == "kh" and doc["version"] == 1
    assert validate_record(doc) == []
    [entry] = _log(session, listing.id)
    assert entry.version == 1 and entry.seq == listing.change_seq and not entry.deleted
    decision = session.execute(select(ReviewDecision)).scalar_one()
    assert decision.reviewer_id == reviewer.id and decision.decision == "approve"


def test_invalid_draft_reports_json_pointer_paths(session, owner, draft_data, node):
    draft_data["contact"] = {"email": "not-an-email"}
    with pytest.raises(InvalidRecord) as info:
        svc.create_draft(session, owner, draft_data, node=node)
    assert "/contact/email" in [i.path for i in info.value.issues]


def test_request_changes_then_fix_and_approve(session, owner, reviewer, draft_data, node):
    listing, revision = _submitted(session, owner, draft_data, node)
    with pytest.raises(InvalidTransition):
        reviews.request_changes(session, reviewer, revision.id, node=node, reason=" ")
    reviews.request_changes(session, reviewer, revision.id, node=node, reason="Add a phone")
    session.commit()
    assert revision.state == RevisionState.CHANGES_REQUESTED and revision.reason == "Add a phone"
    draft_data["contact"] = {"phone": "+85512345678"}
    svc.update_draft(session, owner, listing.id, draft_data, node=node)
    again = svc.submit_for_review(session, owner, listing.id, node=node)
    assert again.id != revision.id and again.state == RevisionState.PENDING
    # the reviewed revision is kept as it was, with the reviewer's reason
    session.refresh(revision)
    assert revision.state == RevisionState.SUPERSEDED and revision.reason == "Add a phone"
    assert svc.reviewed_predecessor(session, again).id == revision.id
    reviews.approve_revision(session, reviewer, again.id, node=node)
    session.commit()
    assert parse_json(listing.document)["contact"]["phone"] == "+85512345678"


def test_reject_keeps_listing_unpublished(session, owner, reviewer, draft_data, node):
    listing, revision = _submitted(session, owner, draft_data, node)
    reviews.reject_revision(session, reviewer, revision.id, node=node, reason="Not an SME")
    session.commit()
    assert revision.state == RevisionState.REJECTED
    assert listing.state == ListingState.DRAFT and _log(session, listing.id) == []
    with pytest.raises(InvalidTransition):
        reviews.approve_revision(session, reviewer, revision.id, node=node)


def _published(session, owner, reviewer, data, node):
    listing, revision = _submitted(session, owner, data, node)
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    return listing


def test_minor_edit_publishes_at_once(session, owner, reviewer, draft_data, node):
    listing = _published(session, owner, reviewer, draft_data, node)
    draft_data["descriptions"] = {"en": "Now with a shop in Kampot town."}
    svc.update_draft(session, owner, listing.id, draft_data, node=node)
    revision = svc.submit_for_review(session, owner, listing.id, node=node)
    session.commit()
    assert revision.state == RevisionState.PUBLISHED and listing.version == 2
    assert revision.changed_fields.split() == ["descriptions"]


def test_verified_field_edit_waits_while_old_version_stays_live(
    session, owner, reviewer, draft_data, node
):
    listing = _published(session, owner, reviewer, draft_data, node)
    draft_data["names"] = {**draft_data["names"], "en": "Renamed Enterprise"}
    svc.update_draft(session, owner, listing.id, draft_data, node=node)
    revision = svc.submit_for_review(session, owner, listing.id, node=node)
    session.commit()
    assert revision.state == RevisionState.PENDING and "names" in revision.changed_fields.split()
    assert listing.version == 1 and listing.state == ListingState.PUBLISHED
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    assert (
        listing.version == 2 and parse_json(listing.document)["names"]["en"] == "Renamed Enterprise"
    )


def test_unchanged_resubmission_is_refused(session, owner, reviewer, draft_data, node):
    listing = _published(session, owner, reviewer, draft_data, node)
    svc.update_draft(session, owner, listing.id, draft_data, node=node)
    with pytest.raises(InvalidTransition):
        svc.submit_for_review(session, owner, listing.id, node=node)


def test_withdraw_publishes_tombstone(session, owner, reviewer, draft_data, node):
    listing = _published(session, owner, reviewer, draft_data, node)
    svc.withdraw_listing(session, owner, listing.id, node=node)
    session.commit()
    doc = parse_json(listing.document)
    assert doc["deleted"] is True and doc["version"] == 2 and doc["reason"] == "withdrawn"
    assert validate_record(doc) == []
    assert [e.deleted for e in _log(session, listing.id)] == [False, True]
    with pytest.raises(PermissionDenied):
        svc.update_draft(session, owner, listing.id, draft_data, node=node)


def test_withdraw_unpublished_draft_logs_nothing(session, owner, draft_data, node):
    listing = svc.create_draft(session, owner, draft_data, node=node)
    svc.withdraw_listing(session, owner, listing.id, node=node)
    session.commit()
    assert listing.state == ListingState.WITHDRAWN and _log(session, listing.id) == []


def test_others_cannot_touch_a_listing(session, owner, make_user, draft_data, node):
    intruder = make_user(Role.OWNER)
    listing = svc.create_draft(session, owner, draft_data, node=node)
    session.commit()
    for call in (
        lambda: svc.update_draft(session, intruder, listing.id, draft_data, node=node),
        lambda: svc.submit_for_review(session, intruder, listing.id, node=node),
        lambda: svc.withdraw_listing(session, intruder, listing.id, node=node),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_focal_point_cannot_review_own_or_foreign_country(session, make_user, draft_data, node):
    focal_owner = make_user(Role.FOCAL_POINT, country="KH")
    thai_reviewer = make_user(Role.FOCAL_POINT, country="TH")
    owner = make_user(Role.OWNER)
    listing, revision = _submitted(session, owner, draft_data, node)
    with pytest.raises(PermissionDenied):
        reviews.approve_revision(session, thai_reviewer, revision.id, node=node)
    with pytest.raises(PermissionDenied):
        reviews.approve_revision(session, owner, revision.id, node=node)
    # a focal point who is also the author of the revision may not approve it
    revision.author_id = focal_owner.id
    session.commit()
    with pytest.raises(PermissionDenied):
        reviews.approve_revision(session, focal_owner, revision.id, node=node)


def test_one_open_revision_per_listing_is_enforced_by_database(session, owner, draft_data, node):
    listing = svc.create_draft(session, owner, draft_data, node=node)
    session.commit()
    session.add(
        Revision(listing_id=listing.id, number=2, kind="edit", state="pending", document="{}")
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_decision_without_reviewer_is_refused_by_database(session, owner, draft_data, node):
    listing = svc.create_draft(session, owner, draft_data, node=node)
    session.commit()
    revision = svc.open_revision(session, listing.id)
    revision.state = RevisionState.APPROVED
    session.add(revision)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_owner_sees_own_listings(session, owner, make_user, draft_data, node):
    other = make_user(Role.OWNER)
    mine = svc.create_draft(session, owner, draft_data, node=node)
    svc.create_draft(session, other, draft_data, node=node)
    session.commit()
    assert [x.id for x in svc.listings_of(session, owner)] == [mine.id]
    assert session.get(Listing, mine.id).owner_id == owner.id
