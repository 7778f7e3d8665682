"""The focal point's pages: the review queue and one revision with its diff and decision."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from directory import permissions
from directory.context import db_session, get_node
from directory.models import ListingState, RevisionKind, RevisionState, Role
from directory.params import MAX_ID, query_int
from directory.records import business_data, changed_fields, parse_json
from directory.services import history, merges, reviews
from directory.services import listings as listing_svc
from directory.services.audit import record_audit
from directory.services.checks import listing_concerns
from directory.services.duplicates import duplicates_of_many, likely_duplicates
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.quality import listing_quality
from directory.web import forms, labels
from directory.web.access import current_actor, require_role
from schemas import validate

bp = Blueprint("review", __name__, url_prefix="/review")

DECISIONS = {
    "approve": (reviews.approve_revision, _l("Approved and published.")),
    "request_changes": (reviews.request_changes, _l("Sent back to the owner for changes.")),
    "reject": (reviews.reject_revision, _l("Rejected.")),
}


@bp.get("")
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def queue():
    """Pending revisions of the reviewer's country, oldest first, filtered, a page at a time."""
    actor, node = current_actor(), get_node(current_app)
    kind = request.args.get("kind") or None
    filters = {
        "province": request.args.get("province") or None,
        "sector": request.args.get("sector", "").strip() or None,
        "kind": kind if kind in set(RevisionKind) else None,
    }
    session = db_session()
    rows, after = reviews.review_queue_page(
        session,
        after=query_int("after", 0, high=MAX_ID) or None,
        limit=current_app.config["SMEDIR"]["review"]["queue_page_size"],
        country=permissions.reviewer_country(actor, node.country),
        **filters,
    )
    docs = [parse_json(rev.document) for rev, _ in rows]
    found = duplicates_of_many(
        session,
        [(doc, lst.id) for doc, (_, lst) in zip(docs, rows, strict=True)],
        bands=node.duplicate_bands,
    )
    kept = {k: v for k, v in filters.items() if v}
    return render_template(
        "review/queue.html",
        rows=[
            (rev, lst, doc, len(dupes), any(d.band == "probable" for d in dupes))
            for (rev, lst), doc, dupes in zip(rows, docs, found, strict=True)
        ],
        next_url=url_for(".queue", **kept, after=after) if after else None,
        first_url=url_for(".queue", **kept) if request.args.get("after") else None,
        provinces=labels.provinces(),
        kinds=[(k, labels.kind_label(k)) for k in RevisionKind if k != RevisionKind.IMPORT],
    )


@bp.route("/<id:revision_id>", methods=["GET", "POST"])
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def detail(revision_id: int):
    """One revision: the record, what changed, warnings, history, duplicates; and the decision."""
    session = db_session()
    try:
        revision, listing = reviews.read_revision(
            session, current_actor(), revision_id, node=get_node(current_app)
        )
    except NotFound:
        abort(404)
    if request.method == "POST":
        return _decide(revision_id, listing.id)
    return _detail_page(revision, listing)


@bp.post("/<id:revision_id>/duplicates")
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def duplicate(revision_id: int):
    """A decision on one duplicate candidate: the same business (merge) or not the same."""
    action, other = request.form.get("duplicate", ""), request.form.get("other", "")
    if action not in ("same", "distinct") or not other:
        abort(400)
    session, actor, node = db_session(), current_actor(), get_node(current_app)
    try:
        if action == "distinct":
            merges.mark_distinct(session, actor, revision_id, other, node=node)
        else:
            merged, _ = merges.merge_duplicate(session, actor, revision_id, other, node=node)
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    except InvalidTransition as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".detail", revision_id=revision_id))
    session.commit()
    if action == "distinct":
        done = _l("Noted: not the same business. This pair will not be suggested again.")
        flash(str(done), "info")
        return redirect(url_for(".detail", revision_id=revision_id))
    flash(str(_l("Merged: the listing now points to the one that stays.")), "success")
    if merged.id != other:  # the listing under review was merged away: its review is over
        return redirect(url_for(".queue"))
    return redirect(url_for(".detail", revision_id=revision_id))


def _decide(revision_id: int, listing_id: str):
    action = request.form.get("decision", "")
    if action not in DECISIONS:
        abort(400)
    service, done = DECISIONS[action]
    reason = request.form.get("reason", "").strip() or None
    session, actor = db_session(), current_actor()
    try:
        service(session, actor, revision_id, node=get_node(current_app), reason=reason)
    except PermissionDenied:
        abort(403)
    except InvalidTransition as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".detail", revision_id=revision_id))
    record_audit(
        session,
        actor,
        f"review.{action}",
        f"listing:{listing_id}",
        {"revision": revision_id, "reason": reason or ""},
    )
    session.commit()
    flash(str(done), "success")
    return redirect(url_for(".queue"))


def _detail_page(revision, listing):
    session, actor, node = db_session(), current_actor(), get_node(current_app)
    doc = parse_json(revision.document)
    published = parse_json(listing.document) if listing.document else None
    if published and published.get("deleted"):
        published = None
    changed = changed_fields(published, doc)
    kind = "record" if revision.kind == RevisionKind.REMOTE else "draft"
    past = history.listing_history(session, listing.id)
    people = {r.revision.author_id for r in past} | {r.revision.reviewer_id for r in past}
    may_decide = revision.state == RevisionState.PENDING and permissions.can_review_revision(
        actor,
        listing,
        revision,
        node_id=node.id,
        node_country=node.country,
        record_country=doc.get("address", {}).get("country"),
    )
    reviewed = listing_svc.reviewed_predecessor(session, revision)
    since_request = []
    if reviewed is not None:
        before = parse_json(reviewed.document)
        since_request = [_field_diff(n, before, doc) for n in changed_fields(before, doc)]
    return render_template(
        "review/detail.html",
        reviewed=reviewed,
        since_request=since_request,
        revision=revision,
        listing=listing,
        doc=doc,
        diff=[_field_diff(name, published, doc) for name in changed] if published else [],
        verified_changed=[f for f in changed if f in node.verified_fields] if published else [],
        warnings=forms.field_errors(validate(doc, kind)),
        concerns=listing_concerns(doc),
        history=past,
        people=history.users_by_id(session, people | {listing.owner_id}),
        duplicates=likely_duplicates(
            session, doc, exclude_id=listing.id, bands=node.duplicate_bands
        ),
        may_decide=may_decide,
        compare=_side_by_side,
        quality=_quality(session, listing, node),
        label=forms.label_for,
        show_contact=True,
        contact_hidden=not doc.get("sharing", {}).get("contact_public"),
    )


COMPARED = (
    ("/names", lambda d: " · ".join(v for v in d.get("names", {}).values() if v)),
    ("/registration/number", lambda d: d.get("registration", {}).get("number", "")),
    (
        "/address",
        lambda d: ", ".join(
            p
            for p in (
                d.get("address", {}).get("street", ""),
                d.get("address", {}).get("district", ""),
                labels.province_name(d.get("address", {}).get("province")),
            )
            if p
        ),
    ),
    ("/contact/phone", lambda d: d.get("contact", {}).get("phone", "")),
    ("/contact/email", lambda d: d.get("contact", {}).get("email", "")),
)


def _side_by_side(mine: dict, theirs: dict) -> list[dict[str, Any]]:
    """The fields that tell businesses apart, of the record and of a candidate, line by line."""
    rows = []
    for pointer, value in COMPARED:
        a, b = value(mine), value(theirs)
        if a or b:
            rows.append({"label": forms.label_for(pointer), "mine": a, "theirs": b, "same": a == b})
    return rows


def _quality(session, listing, node):
    """The published listing's quality score (None before its first publication)."""
    if listing.state != ListingState.PUBLISHED or not listing.document:
        return None
    months = current_app.config["SMEDIR"]["quality"]["reconfirm_months"]
    return listing_quality(session, listing, node=node, months=months)


def _field_diff(name: str, before: dict | None, after: dict) -> dict[str, Any]:
    """One changed top-level field: its label and the flattened before/after values.

    Each line is (label, text, changed): a part that stayed the same (the Khmer name
    when only the English one changed) is shown plainly, not as removed and added.
    """
    old = dict(_flatten(business_data(before or {}).get(name), f"/{name}"))
    new = dict(_flatten(after.get(name), f"/{name}"))
    return {
        "name": name,
        "label": forms.label_for(f"/{name}"),
        "before": [(*line, new.get(ptr) != line) for ptr, line in old.items()],
        "after": [(*line, old.get(ptr) != line) for ptr, line in new.items()],
    }


def _flatten(value: Any, pointer: str) -> list[tuple[str, tuple[str, str]]]:
    """(pointer, (label, text)) for every leaf of a value, so nested changes read line by line."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _flatten(v, f"{pointer}/{k}")]
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [p for i, v in enumerate(value) for p in _flatten(v, f"{pointer}/{i}")]
    return [(pointer, (forms.label_for(pointer), labels.display_value(pointer, value)))]
