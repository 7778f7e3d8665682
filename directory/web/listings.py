"""An SME owner's pages: their listings, the listing form, submit and withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from directory import permissions
from directory.context import db_session, get_node
from directory.models import ListingState, RevisionState, Role
from directory.records import DEFAULT_SHARING, business_data, parse_json
from directory.services import history
from directory.services import listings as svc
from directory.services.errors import InvalidRecord, InvalidTransition, NotFound, PermissionDenied
from directory.sync_store.status import push_rejections_for_listing, receipt_errors
from directory.web import forms, labels
from directory.web.access import current_actor, require_role

bp = Blueprint("listings", __name__, url_prefix="/my/listings")


@bp.get("")
@require_role(Role.OWNER)
def index():
    """The owner's listings with their status and the reviewer's last reason."""
    rows = history.owner_overview(db_session(), current_actor())
    return render_template("listings/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.OWNER)
def new():
    """A blank listing form; saving creates the draft, submitting also sends it to review."""
    node = get_node(current_app)
    if request.method == "GET":
        return _form_page(None, _blank_document(node.country))
    doc = forms.document_from_form(request.form)
    session = db_session()
    try:
        listing = svc.create_draft(session, current_actor(), doc, node=node)
    except InvalidRecord as exc:
        return _form_page(None, doc, exc), 422
    if request.form.get("action") == "submit":
        _submit(session, listing.id)
    else:
        flash(_("Draft saved."), "success")
    session.commit()
    return redirect(url_for(".edit", listing_id=listing.id))


@bp.route("/<listing_id>/edit", methods=["GET", "POST"])
@require_role(Role.OWNER)
def edit(listing_id: str):
    """Edit the open revision (or start one from the published version)."""
    session, node = db_session(), get_node(current_app)
    listing = _own_listing(listing_id)
    if request.method == "GET":
        return _form_page(listing, _editable_document(listing))
    doc = forms.document_from_form(request.form)
    try:
        svc.update_draft(session, current_actor(), listing_id, doc, node=node)
    except InvalidRecord as exc:
        return _form_page(listing, doc, exc), 422
    if request.form.get("action") == "submit":
        _submit(session, listing_id)
    else:
        flash(_("Draft saved."), "success")
    session.commit()
    return redirect(url_for(".edit", listing_id=listing_id))


@bp.post("/<listing_id>/submit")
@require_role(Role.OWNER)
def submit(listing_id: str):
    """Send the saved draft to review (or publish a minor edit at once)."""
    _own_listing(listing_id)
    session = db_session()
    _submit(session, listing_id)
    session.commit()
    return redirect(url_for(".index"))


@bp.route("/<listing_id>/withdraw", methods=["GET", "POST"])
@require_role(Role.OWNER)
def withdraw(listing_id: str):
    """Confirm, then withdraw: the listing leaves the directory and a tombstone is published."""
    listing = _own_listing(listing_id)
    if request.method == "GET":
        return render_template("listings/withdraw.html", listing=listing, name=_name(listing))
    session = db_session()
    try:
        svc.withdraw_listing(session, current_actor(), listing_id, node=get_node(current_app))
    except PermissionDenied:
        abort(403)
    session.commit()
    flash(_("The listing was withdrawn."), "success")
    return redirect(url_for(".index"))


def _submit(session, listing_id: str) -> None:
    try:
        revision = svc.submit_for_review(
            session, current_actor(), listing_id, node=get_node(current_app)
        )
    except InvalidTransition as exc:
        flash(str(exc.message), "error")
        return
    if revision.state == RevisionState.PUBLISHED:
        flash(_("Your changes are published."), "success")
    else:
        flash(_("Sent for review. A focal point will check it."), "success")


def _own_listing(listing_id: str):
    """The actor's own listing, or 404 (another owner's listing does not exist for them)."""
    try:
        listing = svc.get_listing(db_session(), listing_id)
    except NotFound:
        abort(404)
    if not permissions.can_view_listing_private(current_actor(), listing):
        abort(404)
    if not permissions.can_edit_listing(current_actor(), listing, get_node(current_app).id):
        abort(403)
    return listing


def _blank_document(country: str) -> dict[str, Any]:
    return {
        "registration": {"country": country},
        "address": {"country": country},
        "sharing": dict(DEFAULT_SHARING),
    }


def _editable_document(listing) -> dict[str, Any]:
    revision = svc.open_revision(db_session(), listing.id)
    if revision is not None:
        return parse_json(revision.document)
    return business_data(parse_json(listing.document)) if listing.document else {}


def _name(listing) -> str:
    doc = _editable_document(listing)
    names = doc.get("names", {})
    return names.get("km") or names.get("en") or listing.id


def _form_page(listing, doc: dict[str, Any], exc: InvalidRecord | None = None) -> str:
    errors = forms.field_errors(exc.issues) if exc else []
    status = history.listing_status(db_session(), listing) if listing else None
    peers = [p["id"] for p in current_app.config["SMEDIR"]["peers"]]
    return render_template(
        "listings/form.html",
        listing=listing,
        status=status,
        doc=doc,
        errors=errors,
        errors_at=forms.errors_by_pointer(errors),
        rows=forms.blank_rows(doc),
        field_id=forms.field_id,
        label=forms.label_for,
        value_at=forms.value_at,
        peers=sorted(set(peers) | set(doc.get("sharing", {}).get("peers", []))),
        provinces=labels.provinces(),
        countries=labels.countries(),
        isic=labels.isic_options(),
        legal_forms=labels.LEGAL_FORMS,
        size_classes=labels.SIZE_CLASSES,
        networks=labels.SOCIAL_NETWORKS,
        published=listing is not None and listing.state == ListingState.PUBLISHED,
        push_refusals=_push_refusals(listing),
    )


def _push_refusals(listing) -> list[dict[str, Any]]:
    """Peers that refused this listing on push, with their reasons (shown to the owner)."""
    if listing is None:
        return []
    return [
        {
            "peer": row.peer,
            "version": row.version,
            "message": row.message,
            "errors": receipt_errors(row),
        }
        for row in push_rejections_for_listing(db_session(), listing.id)
    ]
