"""Every role x every permission function x own/foreign object, against an explicit table.

The expected answers are written out by hand below (not computed from the
functions under test). A permission function added to directory/permissions.py
without rows here fails ``test_every_permission_is_in_the_table``.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from directory import permissions
from directory.models import Listing, ListingState, Revision, RevisionKind, RevisionState, User

NODE_ID, NODE_COUNTRY, OTHER_NODE = "kh", "KH", "th"

# actors: id, role, country, active
ACTORS = {
    "visitor": None,
    "owner": (1, "owner", None, True),
    "other_owner": (2, "owner", None, True),
    "fp_kh": (3, "focal_point", "KH", True),
    "fp_th": (4, "focal_point", "TH", True),
    "admin": (5, "admin", None, True),
    "owner_off": (6, "owner", None, False),  # deactivated
    "admin_off": (7, "admin", None, False),  # deactivated
}
ROLES = list(ACTORS)
T, F = True, False

# (action, object): expected answer per role, in the order of ROLES:
#   visitor owner other_owner fp_kh fp_th admin owner_off admin_off
TABLE: dict[tuple[str, str], tuple[bool, ...]] = {
    ("can_create_listing", "-"): (F, T, T, F, F, F, F, F),
    # listing objects: "own" is owned by the actor (for the visitor: an ownerless listing)
    ("can_edit_listing", "own"): (F, T, T, T, T, T, F, F),
    ("can_edit_listing", "foreign"): (F, F, F, F, F, F, F, F),
    ("can_edit_listing", "own_withdrawn"): (F, F, F, F, F, F, F, F),
    ("can_edit_listing", "own_replica"): (F, F, F, F, F, F, F, F),
    ("can_withdraw_listing", "own"): (F, T, T, T, T, T, F, F),
    ("can_withdraw_listing", "foreign"): (F, F, F, F, F, F, F, F),
    ("can_withdraw_listing", "own_withdrawn"): (F, F, F, F, F, F, F, F),
    ("can_withdraw_listing", "own_replica"): (F, F, F, F, F, F, F, F),
    ("can_view_listing_private", "own"): (F, T, T, T, T, T, F, F),
    ("can_view_listing_private", "foreign"): (F, F, F, T, F, T, F, F),
    ("can_view_listing_private", "foreign_th_record"): (F, F, F, F, T, T, F, F),
    ("can_view_listing_private", "foreign_replica"): (F, F, F, F, F, T, F, F),
    ("can_read_draft", "own"): (F, T, T, T, T, T, F, F),
    ("can_read_draft", "foreign"): (F, F, F, F, F, F, F, F),
    # revisions: "own" = the actor's listing and revision; foreign ones vary by
    # record country (KH/TH), origin (this node / a peer) and kind; a record a
    # review-trust peer sent is decided by every focal point and admin of this node
    ("can_review_revision", "own"): (F, F, F, F, F, F, F, F),
    ("can_review_revision", "foreign"): (F, F, F, T, F, F, F, F),
    ("can_review_revision", "foreign_authored_by_actor"): (F, F, F, F, F, F, F, F),
    ("can_review_revision", "foreign_th_record"): (F, F, F, F, T, F, F, F),
    ("can_review_revision", "foreign_replica_edit"): (F, F, F, F, F, F, F, F),
    ("can_review_revision", "foreign_replica_incoming"): (F, F, F, T, T, T, F, F),
    ("can_review_revision", "foreign_replica_incoming_th"): (F, F, F, T, T, T, F, F),
    # reading a revision: the deciding scope (own listing included), admins everything;
    # a draft never submitted: nobody on the review pages
    ("can_read_revision", "own"): (F, F, F, T, F, T, F, F),
    ("can_read_revision", "foreign"): (F, F, F, T, F, T, F, F),
    ("can_read_revision", "foreign_draft"): (F, F, F, F, F, F, F, F),
    ("can_read_revision", "foreign_th_record"): (F, F, F, F, T, T, F, F),
    ("can_read_revision", "foreign_replica_edit"): (F, F, F, F, F, T, F, F),
    ("can_read_revision", "foreign_replica_incoming"): (F, F, F, T, T, T, F, F),
    ("can_manage_users", "-"): (F, F, F, F, F, T, F, F),
    ("can_manage_user", "own"): (F, F, F, F, F, F, F, F),
    ("can_manage_user", "foreign"): (F, F, F, F, F, T, F, F),
    ("can_read_audit", "-"): (F, F, F, F, F, T, F, F),
    ("can_import", "-"): (F, F, F, F, F, T, F, F),
    ("can_run_sync", "-"): (F, F, F, F, F, T, F, F),
    ("can_read_quarantine", "-"): (F, F, F, T, T, T, F, F),
    ("can_answer_enquiry", "own"): (F, T, T, T, T, T, F, F),
    ("can_answer_enquiry", "foreign"): (F, F, F, F, F, F, F, F),
    ("can_block_enquiry_senders", "-"): (F, F, F, T, T, T, F, F),
    # claims: only a published listing of this node that nobody owns here is claimable
    ("can_claim_listing", "own"): (F, F, F, F, F, F, F, F),
    ("can_claim_listing", "foreign"): (F, F, F, F, F, F, F, F),
    ("can_claim_listing", "unowned"): (F, T, T, F, F, F, F, F),
    ("can_claim_listing", "unowned_replica"): (F, F, F, F, F, F, F, F),
    # deciding a claim: "own" is the actor's own claim
    ("can_decide_claim", "own"): (F, F, F, F, F, F, F, F),
    ("can_decide_claim", "foreign"): (F, F, F, T, F, T, F, F),
    ("can_decide_claim", "foreign_th_record"): (F, F, F, F, T, T, F, F),
    ("can_decide_claim", "foreign_replica"): (F, F, F, F, F, F, F, F),
    ("can_confirm_listing", "own"): (F, T, T, T, T, T, F, F),
    ("can_confirm_listing", "foreign"): (F, F, F, F, F, F, F, F),
    ("can_confirm_listing", "own_withdrawn"): (F, F, F, F, F, F, F, F),
    ("can_confirm_listing", "own_replica"): (F, F, F, F, F, F, F, F),
    ("can_read_dashboard", "-"): (F, F, F, T, T, T, F, F),
    ("can_mark_bounced", "-"): (F, F, F, F, F, T, F, F),
}


def make_actor(role: str) -> User | None:
    spec = ACTORS[role]
    if spec is None:
        return None
    uid, user_role, country, active = spec
    return User(id=uid, email=f"{role}@example.com", role=user_role, country=country, active=active)


def _own_id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _foreign_id(actor: User | None) -> int:
    return 2 if actor is not None and actor.id == 1 else 1


def make_listing(actor: User | None, obj: str) -> Listing:
    owner_id = _own_id(actor) if obj.startswith("own") else _foreign_id(actor)
    if obj.startswith("unowned"):
        owner_id = None
    origin = OTHER_NODE if "replica" in obj else NODE_ID
    state = ListingState.WITHDRAWN if obj == "own_withdrawn" else ListingState.PUBLISHED
    country = "TH" if obj.endswith("_th") or obj.endswith("th_record") else "KH"
    return Listing(
        id=f"{origin}-{obj}", origin=origin, owner_id=owner_id, state=state, country=country
    )


def make_revision(actor: User | None, obj: str, listing: Listing) -> Revision:
    if "incoming" in obj:
        kind, author = RevisionKind.REMOTE, None
    elif obj == "own" or obj == "foreign_authored_by_actor":
        kind, author = RevisionKind.EDIT, _own_id(actor)
    else:
        kind, author = RevisionKind.NEW, listing.owner_id
    return Revision(
        id=1,
        listing_id=listing.id,
        number=2,
        kind=kind,
        state=RevisionState.PENDING,
        document="{}",
        author_id=author,
        submitted_at=None if obj.endswith("_draft") else datetime(2026, 11, 1, tzinfo=UTC),
    )


def decide(action: str, obj: str, actor: User | None) -> bool:
    fn = getattr(permissions, action)
    if obj == "-":
        return fn(actor)
    if action == "can_manage_user":
        target = actor if obj == "own" and actor is not None else make_actor("other_owner")
        if obj == "foreign" and actor is not None and actor.id == 2:
            target = make_actor("owner")
        return fn(actor, target)
    listing = make_listing(actor, obj)
    if action in ("can_edit_listing", "can_withdraw_listing", "can_confirm_listing"):
        return fn(actor, listing, NODE_ID)
    if action == "can_claim_listing":
        return fn(actor, listing, NODE_ID)
    if action == "can_decide_claim":
        claimant = _own_id(actor) if obj == "own" else 99
        return fn(actor, listing, claimant, node_id=NODE_ID, node_country=NODE_COUNTRY)
    if action in ("can_edit_listing", "can_withdraw_listing"):
        return fn(actor, listing, NODE_ID)
    if action == "can_view_listing_private":
        return fn(actor, listing, node_id=NODE_ID, node_country=NODE_COUNTRY)
    if action in ("can_read_draft", "can_answer_enquiry"):
        return fn(actor, listing)
    if action in ("can_review_revision", "can_read_revision"):
        revision = make_revision(actor, obj, listing)
        return fn(
            actor,
            listing,
            revision,
            node_id=NODE_ID,
            node_country=NODE_COUNTRY,
            record_country=listing.country,
        )
    raise AssertionError(f"no way to call {action}; add it to decide()")


CELLS = [
    pytest.param(action, obj, role, expected[i], id=f"{action}-{obj}-{role}")
    for (action, obj), expected in TABLE.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize("action,obj,role,expected", CELLS)
def test_permission_cell(action, obj, role, expected):
    assert decide(action, obj, make_actor(role)) is expected


def test_every_permission_is_in_the_table():
    functions = {
        name
        for name, fn in inspect.getmembers(permissions, inspect.isfunction)
        if name.startswith("can_") and fn.__module__ == permissions.__name__
    }
    assert functions == {action for action, _obj in TABLE}


def test_every_row_covers_every_role():
    assert all(len(row) == len(ROLES) for row in TABLE.values())


def test_actions_with_an_object_have_own_and_foreign_rows():
    with_object = {action for action, obj in TABLE if obj != "-"}
    for action in with_object:
        assert (action, "own") in TABLE and (action, "foreign") in TABLE, action
