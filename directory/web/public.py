"""What visitors see: the search page and a listing's public page."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, render_template, request

from directory import permissions
from directory.context import db_session
from directory.models import ListingState
from directory.params import query_int
from directory.records import parse_json
from directory.services.errors import NotFound
from directory.services.listings import get_listing
from directory.services.search import SearchFilters, search_listings
from directory.web import labels
from directory.web.access import current_actor
from directory.web.errors import error_page
from directory.web.home import render_home

bp = Blueprint("public", __name__)

FLAGS = {"true": True, "false": False}
ISIC_CODE = re.compile(r"^[0-9]{2,4}$")


def filters_from_args(args) -> SearchFilters:
    """The search filters in the query string; unknown flag values mean "any"."""
    return SearchFilters(
        q=args.get("q", "").strip()[:200],
        province=args.get("province") or None,
        section=args.get("section") or None,
        sector=_isic_code(args.get("sector", "")),
        size_class=args.get("size_class") or None,
        women_owned=FLAGS.get(args.get("women_owned", "")),
        youth_owned=FLAGS.get(args.get("youth_owned", "")),
    )


def _isic_code(text: str) -> str | None:
    """An ISIC division, group or class code typed in the search form, else None."""
    text = text.strip()
    return text if ISIC_CODE.match(text) else None


@bp.get("/")
def index():
    """The home page; with search parameters, the search results (older links used "/?q=")."""
    if set(request.args) - {"lang"}:
        return search()
    return render_home()


@bp.get("/search")
def search():
    """Search published listings by text, province, ISIC section or code, size and ownership."""
    cfg = current_app.config["SMEDIR"]["search"]
    page = query_int("page", 1)
    per_page = query_int("per_page", cfg["page_size"], high=cfg["max_page_size"])
    filters = filters_from_args(request.args)
    results = search_listings(db_session(), filters, page=page, per_page=per_page)
    pages = max(1, -(-results.total // results.per_page))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "public/search.html",
        filters=filters,
        results=results,
        docs={lst.id: parse_json(lst.document) for lst in results.items},
        pages=pages,
        args=args,
        bad_sector=request.args.get("sector", "").strip() and not filters.sector,
        provinces=labels.provinces(),
        sections=labels.isic_sections(),
        size_classes=labels.SIZE_CLASSES,
    )


@bp.get("/listings/<listing_id>")
def listing(listing_id: str):
    """A published listing; contact data only if the SME made it public (or for staff/owner)."""
    try:
        lst = get_listing(db_session(), listing_id)
    except NotFound:
        abort(404)
    if lst.state == ListingState.WITHDRAWN and lst.version > 0:
        return error_page(410)
    if lst.state != ListingState.PUBLISHED or not lst.document:
        abort(404)
    private = permissions.can_view_listing_private(current_actor(), lst)
    if not lst.share_public and not private:
        abort(404)
    doc = parse_json(lst.document)
    contact_public = bool(doc.get("sharing", {}).get("contact_public"))
    return render_template(
        "public/listing.html",
        listing=lst,
        doc=doc,
        show_contact=contact_public or private,
        contact_hidden=not contact_public,
    )
