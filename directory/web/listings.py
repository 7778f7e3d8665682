"""An SME owner's pages: their listings, the listing in steps, submit and withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from directory import permissions
from directory.context import db_session, get_node
from directory.models import ListingState, RevisionState, Role
from directory.records import DEFAULT_SHARING, business_data, parse_json
from directory.services import claims, freshness, history
from directory.services import listings as svc
from directory.services.enquiries import enquiries_this_year
from directory.services.errors import InvalidRecord, InvalidTransition, NotFound, PermissionDenied
from directory.services.quality import listing_quality
from directory.sync_store.status import push_rejections_for_listing, receipt_errors
from directory.web import forms, labels
from directory.web import listing_steps as steps
from directory.web.access import current_actor, require_role

bp = Blueprint("listings", __name__, url_prefix="/my/listings")


@bp.get("")
@require_role(Role.OWNER)
def index():
    """The owner's listings with their status and the reviewer's last reason."""
    session, node = db_session(), get_node(current_app)
    rows = history.owner_overview(session, current_actor())
    months = current_app.config["SMEDIR"]["quality"]["reconfirm_months"]
    fresh = {
        row.listing.id: {
            "quality": listing_quality(session, row.listing, node=node, months=months),
            "since": freshness.period_start(row.listing),
            "due": freshness.due_at(row.listing, months),
        }
        for row in rows
        if row.listing.state == ListingState.PUBLISHED
    }
    return render_template(
        "listings/index.html",
        rows=rows,
        fresh=fresh,
        claims=claims.claims_of(session, current_actor()),
        enquiries=enquiries_this_year(session, [row.listing.id for row in rows]),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.OWNER)
def new():
    """The basics of a new listing; saving creates the draft, submitting also sends it to review.

    A form that posts every field (no ``step``) is taken whole, as the one-page form sends it.
    """
    node = get_node(current_app)
    blank = _blank_document(node.country)
    if request.method == "GET":
        return _form_page(None, blank, step=None if request.args.get("all") else steps.BASICS)
    step = steps.BY_KEY.get(request.form.get("step", ""))
    doc = _sent_document(blank if step else {}, step)
    session = db_session()
    try:
        saved = (step.key,) if step else steps.ALL_STEPS
        listing = svc.create_draft(session, current_actor(), doc, node=node, steps=saved)
    except InvalidRecord as exc:
        return _form_page(None, doc, exc, step=step), 422
    if request.form.get("action") == "submit":
        _submit(session, listing.id)
    else:
        flash(_("Draft saved."), "success")
    session.commit()
    return redirect(url_for(".edit", listing_id=listing.id))


@bp.route("/<listing_id>/edit", methods=["GET", "POST"])
@require_role(Role.OWNER)
def edit(listing_id: str):
    """The listing's steps and progress (``?all=1``: every field on one page); a POST of
    every field saves the whole draft."""
    session, node = db_session(), get_node(current_app)
    listing = _own_listing(listing_id)
    if request.method == "GET":
        doc = _editable_document(listing)
        if request.args.get("all"):
            return _form_page(listing, doc)
        return _form_page(listing, doc, template="listings/steps.html")
    doc = _sent_document({}, None)
    try:
        svc.update_draft(
            session, current_actor(), listing_id, doc, node=node, steps=steps.ALL_STEPS
        )
    except InvalidRecord as exc:
        return _form_page(listing, doc, exc), 422
    if request.form.get("action") == "submit":
        _submit(session, listing_id)
    else:
        flash(_("Draft saved."), "success")
    session.commit()
    return redirect(url_for(".edit", listing_id=listing_id))


@bp.route("/<listing_id>/step/<key>", methods=["GET", "POST"])
@require_role(Role.OWNER)
def step(listing_id: str, key: str):
    """One step of the listing: it saves only its own fields, then leads to the next step."""
    session, node = db_session(), get_node(current_app)
    listing = _own_listing(listing_id)
    current = steps.BY_KEY.get(key) or abort(404)
    saved = _editable_document(listing)
    if request.method == "GET":
        return _form_page(listing, saved, step=current)
    doc = _sent_document(saved, current)
    try:
        svc.update_draft(session, current_actor(), listing_id, doc, node=node, steps=(current.key,))
    except InvalidRecord as exc:
        return _form_page(listing, doc, exc, step=current), 422
    if request.form.get("action") == "submit":
        _submit(session, listing_id)
        session.commit()
        return redirect(url_for(".edit", listing_id=listing_id))
    session.commit()
    flash(_("Saved: %(step)s.", step=current.title), "success")
    following = steps.next_step(current.key)
    if following is None or request.form.get("action") == "save_close":
        return redirect(url_for(".edit", listing_id=listing_id))
    return redirect(url_for(".step", listing_id=listing_id, key=following.key))


def _sent_document(saved: dict[str, Any], step) -> dict[str, Any]:
    """The draft the form describes: a step's fields merged into ``saved``, or the whole form;
    the phone number as typed becomes E.164 in the country of the address."""
    sent = forms.document_from_form(request.form)
    doc = steps.merge_step(saved, sent, step) if step else steps.tidy(sent)
    return steps.normalize_phone(doc, get_node(current_app).country)


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
    node = get_node(current_app)
    if not permissions.can_view_listing_private(
        current_actor(), listing, node_id=node.id, node_country=node.country
    ):
        abort(404)
    if not permissions.can_edit_listing(current_actor(), listing, node.id):
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


def _form_page(
    listing,
    doc: dict[str, Any],
    exc: InvalidRecord | None = None,
    *,
    step=None,
    template: str | None = None,
) -> str:
    errors = forms.field_errors(exc.issues) if exc else []
    status = history.listing_status(db_session(), listing) if listing else None
    peers = [p["id"] for p in current_app.config["SMEDIR"]["peers"]]
    saved = svc.steps_saved(listing)
    done, total = steps.progress(doc, saved)
    quality = None
    if listing is not None and listing.state == ListingState.PUBLISHED:
        months = current_app.config["SMEDIR"]["quality"]["reconfirm_months"]
        quality = listing_quality(db_session(), listing, node=get_node(current_app), months=months)
    return render_template(
        template or ("listings/step.html" if step else "listings/form.html"),
        step=step,
        steps=steps.STEPS,
        basics=steps.BASICS,
        is_done=lambda d, st: steps.is_done(d, st, saved),
        next_step=steps.next_step(step.key) if step else None,
        done=done,
        total=total,
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
        quality=quality,
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
