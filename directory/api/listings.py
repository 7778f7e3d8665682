"""Listings over JSON: public search and read (with ETags), owners' drafts with If-Match."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, request, url_for
from flask_wtf.csrf import generate_csrf

from directory import permissions
from directory.api.auth import json_body, require_owner_session
from directory.api.blueprint import bp, json_response
from directory.api.problems import ApiError
from directory.api.public import public_document
from directory.context import db_session, get_node
from directory.models import Listing, ListingState, Revision
from directory.params import MAX_PAGE, bounded_int
from directory.records import parse_json
from directory.services import listings as listing_svc
from directory.services.quality import listing_quality
from directory.services.search import SearchFilters, search_listings

TEXT_FILTERS = ("q", "province", "sector", "section", "size_class", "legal_form", "country")
FLAG_FILTERS = ("women_owned", "youth_owned")


MAX_TEXT_FILTER = 200  # the maxLength of the text filters in the OpenAPI document


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    value = bounded_int(raw, low, high)
    if value is None:
        raise ApiError(
            "query-integer-range",
            400,
            errors=[(f"/{name}", f"must be an integer from {low} to {high}")],
            name=name,
            low=low,
            high=high,
        )
    return value


def _filters() -> SearchFilters:
    values: dict[str, Any] = {}
    for name in TEXT_FILTERS:
        raw = request.args.get(name, "")
        if len(raw) > MAX_TEXT_FILTER:  # the length as sent, as documented
            detail = f"must be at most {MAX_TEXT_FILTER} characters"
            raise ApiError(
                "query-too-long", 400, errors=[(f"/{name}", detail)], name=name, n=MAX_TEXT_FILTER
            )
        if "\x00" in raw:
            detail = "must not contain control characters such as NUL"
            raise ApiError("query-nul", 400, errors=[(f"/{name}", detail)], name=name)
        values[name] = raw.strip() or None
    values["q"] = values["q"] or ""
    for name in FLAG_FILTERS:
        raw = request.args.get(name, "")
        if raw not in ("", "true", "false"):
            raise ApiError(
                "query-boolean", 400, errors=[(f"/{name}", "must be true or false")], name=name
            )
        values[name] = None if raw == "" else raw == "true"
    return SearchFilters(**values)


@bp.get("/v1/listings")
def search():
    """Published, publicly shared listings matching the web search's filters."""
    search_cfg = current_app.config["SMEDIR"]["search"]
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg("per_page", search_cfg["page_size"], 1, search_cfg["max_page_size"])
    result = search_listings(db_session(), _filters(), page=page, per_page=per_page)
    items = [public_document(listing.document) for listing in result.items]
    return json_response(
        {"items": items, "total": result.total, "page": page, "per_page": per_page}
    )


def _etag(version: int) -> str:
    return f'"{version}"'


@bp.get("/v1/listings/<listing_id>")
def read(listing_id: str):
    """One published, public listing; ETag is its version, If-None-Match gives 304.

    A listing merged into another answers 301 to the survivor, with the merge in the body
    (the survivor lists it in ``aliases`` when both are of this node), as its page does.
    """
    listing = db_session().get(Listing, listing_id)
    merged = _merged_into(listing)
    if merged:
        body = parse_json(listing.document)  # the tombstone, naming the survivor
        location = url_for("api.read", listing_id=merged)
        return json_response(body, status=301, headers={"Location": location})
    if listing is None or listing.state != ListingState.PUBLISHED or not listing.share_public:
        raise ApiError("published-listing-not-found", 404, id=listing_id)
    tag = _etag(listing.version)
    if request.if_none_match.contains_weak(tag[1:-1]) or request.if_none_match.star_tag:
        return Response(status=304, headers={"ETag": tag})
    return json_response(public_document(listing.document), headers={"ETag": tag})


def _merged_into(listing: Listing | None) -> str | None:
    """The survivor of a listing merged away that visitors once saw here, else None."""
    if listing is None or listing.state != ListingState.WITHDRAWN or not listing.document:
        return None
    if not listing.shared_public_ever:
        return None
    return parse_json(listing.document).get("merged_into")


@bp.get("/v1/listings/<listing_id>/quality")
def quality(listing_id: str):
    """A published, public listing's quality score with its parts (labels in the API's
    language: Accept-Language, Khmer or English)."""
    listing = db_session().get(Listing, listing_id)
    if listing is None or listing.state != ListingState.PUBLISHED or not listing.share_public:
        raise ApiError("published-listing-not-found", 404, id=listing_id)
    months = current_app.config["SMEDIR"]["quality"]["reconfirm_months"]
    result = listing_quality(db_session(), listing, node=get_node(current_app), months=months)
    return json_response(result.as_dict())


# --- owners -----------------------------------------------------------------------------


def edit_tag(listing: Listing, revision: Revision | None) -> str:
    """The owner's edit tag: changes whenever the published version or the draft changes."""
    state = f"{listing.version}|{listing.state}"
    if revision is not None:
        state += f"|{revision.number}|{revision.state}|{revision.document}"
    return '"e' + hashlib.sha256(state.encode()).hexdigest()[:20] + '"'


def owner_view(listing: Listing, revision: Revision | None) -> dict[str, Any]:
    """What an owner sees of their listing: state, published version, the open draft."""
    return {
        "id": listing.id,
        "state": listing.state,
        "version": listing.version,
        "published": parse_json(listing.document) if listing.document else None,
        "draft": parse_json(revision.document) if revision else None,
        "draft_state": revision.state if revision else None,
    }


def _own_listing(listing_id: str, *, lock: bool = False) -> tuple[Listing, Revision | None]:
    actor = require_owner_session()
    session = db_session()
    listing = session.get(Listing, listing_id, with_for_update=lock)
    if listing is None or not permissions.can_read_draft(actor, listing):
        raise ApiError("own-listing-not-found", 404, id=listing_id)
    return listing, listing_svc.open_revision(session, listing_id)


def _owner_response(listing: Listing, status: int = 200, **headers) -> Response:
    revision = listing_svc.open_revision(db_session(), listing.id)
    headers["ETag"] = edit_tag(listing, revision)
    return json_response(owner_view(listing, revision), status, headers)


@bp.get("/v1/session")
def session_info():
    """Who is signed in, and the CSRF token their writes must send in ``X-CSRFToken``."""
    actor = require_owner_session()
    user = {"id": actor.id, "email": actor.email, "role": actor.role}
    return json_response({"user": user, "csrf_token": generate_csrf()})


@bp.get("/v1/my/listings")
def my_listings():
    """The signed-in owner's listings."""
    actor = require_owner_session()
    session = db_session()
    out = []
    for listing in listing_svc.listings_of(session, actor):
        out.append(owner_view(listing, listing_svc.open_revision(session, listing.id)))
    return json_response({"items": out})


@bp.get("/v1/my/listings/<listing_id>")
def my_listing(listing_id: str):
    """One of the owner's listings with its edit tag (ETag) for If-Match."""
    listing, _ = _own_listing(listing_id)
    return _owner_response(listing)


@bp.post("/v1/listings")
def create():
    """Create a draft listing owned by the signed-in owner."""
    actor = require_owner_session()
    data = _object_body()
    session = db_session()
    listing = listing_svc.create_draft(session, actor, data, node=get_node(current_app))
    session.commit()
    location = url_for("api.my_listing", listing_id=listing.id)
    return _owner_response(listing, 201, Location=location)


@bp.put("/v1/listings/<listing_id>")
def update(listing_id: str):
    """Save the owner's edit; needs If-Match with the current edit tag (428 without, 412 if
    stale)."""
    require_owner_session()
    data = _object_body()  # a missing, malformed or invalid body (400/422) comes before
    listing_svc.check_draft(data)  # any precondition (RFC 9110 13.2.1)
    if "If-Match" not in request.headers:
        raise ApiError("if-match-required", 428)
    listing, revision = _own_listing(listing_id, lock=True)
    current = edit_tag(listing, revision)
    if not (request.if_match.star_tag or request.if_match.contains(current[1:-1])):
        raise ApiError("listing-changed", 412, headers={"ETag": current})
    session = db_session()
    listing_svc.update_draft(
        session, require_owner_session(), listing_id, data, node=get_node(current_app)
    )
    session.commit()
    return _owner_response(listing)


@bp.post("/v1/listings/<listing_id>/submit")
def submit(listing_id: str):
    """Send the draft to review (or publish it at once when no verified field changed)."""
    listing, _ = _own_listing(listing_id)
    session = db_session()
    listing_svc.submit_for_review(
        session, require_owner_session(), listing_id, node=get_node(current_app)
    )
    session.commit()
    return _owner_response(listing)


def _object_body() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError("body-not-object", 422, errors=[("", "must be an object")])
    return body
