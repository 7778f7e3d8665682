"""What visitors see: the search page and a listing's public page."""

from __future__ import annotations

import re
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import permissions
from directory.api.public import public_document
from directory.api.ratelimit import RateLimiter
from directory.context import db_session, get_node
from directory.fileformats import csv_text
from directory.models import ListingState
from directory.params import query_int
from directory.records import parse_json
from directory.services.enquiries import accepts_enquiries
from directory.services.errors import NotFound
from directory.services.listings import get_listing
from directory.services.quality import listing_quality
from directory.services.search import COUNT_CAP, SORTS, SearchFilters, search_listings
from directory.web import labels
from directory.web.access import current_actor
from directory.web.errors import error_page
from directory.web.facets import facet_groups, search_url
from directory.web.highlight import highlight, snippet
from directory.web.home import render_home
from directory.web.jsonld import listing_jsonld, script_json
from directory.web.page_cache import cached_page, skip_page_cache

bp = Blueprint("public", __name__)

FLAGS = {"true": True, "false": False}
ISIC_CODE = re.compile(r"^[0-9]{2,4}$")
CSV_MAX_ROWS = COUNT_CAP


def filters_from_args(args) -> SearchFilters:
    """The search filters in the query string; unknown flag values mean "any"."""
    return SearchFilters(
        q=args.get("q", "").strip()[:200],
        province=args.get("province", "")[:10] or None,
        section=args.get("section", "")[:1] or None,
        sector=_isic_code(args.get("sector", "")),
        size_class=args.get("size_class", "")[:10] or None,
        women_owned=FLAGS.get(args.get("women_owned", "")),
        youth_owned=FLAGS.get(args.get("youth_owned", "")),
        country=args.get("country", "")[:2] or None,
        hs_code=args.get("hs", "").strip()[:10] or None,
        market=args.get("market", "")[:2] or None,
        registration=args.get("reg", "").strip()[:60] or None,
        sort=args.get("sort", "relevance") if args.get("sort") in SORTS else "relevance",
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
@cached_page
def search():
    """Search published listings: ranked text, facets with counts, filters, keyset pages."""
    cfg = current_app.config["SMEDIR"]["search"]
    page = query_int("page", 1)
    per_page = query_int("per_page", cfg["page_size"], high=cfg["max_page_size"])
    filters = filters_from_args(request.args)
    after = request.args.get("after", "")[:500] or None
    results = search_listings(
        db_session(),
        filters,
        page=page,
        per_page=per_page,
        after=after,
        facets=True,
        stale_after_ms=cfg["stale_counts_ms"],
    )
    if results.counts_updating:
        skip_page_cache()  # the next request may have the new counts
        go = results.recount_go
        after_this_request(lambda response: _then(response, go.set))
    args = {k: v for k, v in request.args.items() if k not in ("page", "after")}
    return render_template(
        "public/search.html",
        filters=filters,
        results=results,
        docs={hit.id: parse_json(hit.document) for hit in results.items},
        args=args,
        continued=bool(after) or page > 1,
        next_url=url_for("public.search", **args, after=results.next_cursor)
        if results.next_cursor
        else None,
        first_url=search_url(args),
        csv_url=url_for("public.search_csv", **args),
        facets=facet_groups(results, args, hub=get_node(current_app).role == "hub"),
        sorts=SORT_LABELS,
        bad_sector=request.args.get("sector", "").strip() and not filters.sector,
        provinces=labels.provinces(),
        sections=labels.isic_sections(),
        size_classes=labels.SIZE_CLASSES,
        highlight=highlight,
        snippet=snippet,
    )


def _then(response: Response, work) -> Response:
    """Run ``work`` once ``response`` has been sent to the client."""
    response.call_on_close(work)
    return response


SORT_LABELS = {"relevance": _l("Best match"), "name": _l("Name"), "newest": _l("Newest")}


@bp.get("/search.csv")
def search_csv():
    """The results of a search as CSV (the export's columns and escaping), up to 10,000 rows."""
    limit = current_app.config["SMEDIR"]["search"]["csv_per_minute"]
    limiter = current_app.extensions.get("smedir.csv_limiter")
    if limiter is None or limiter.per_window != limit:
        limiter = current_app.extensions["smedir.csv_limiter"] = RateLimiter(limit)
    retry_after = limiter.hit(request.remote_addr or "unknown")
    if retry_after:
        message = _("Too many downloads. Please try again in %(n)s seconds.", n=retry_after)
        return Response(message, 429, {"Retry-After": str(retry_after)}, mimetype="text/plain")
    filters = filters_from_args(request.args)
    results = search_listings(db_session(), filters, per_page=CSV_MAX_ROWS)
    body = csv_text(public_document(hit.document) for hit in results.items)
    headers = {"Content-Disposition": 'attachment; filename="sme-directory-search.csv"'}
    return Response(body, mimetype="text/csv", headers=headers)


@bp.get("/listings/<listing_id>")
def listing(listing_id: str):
    """A published listing; contact data only if the SME made it public (or for staff/owner)."""
    try:
        lst = get_listing(db_session(), listing_id)
    except NotFound:
        abort(404)
    if lst.state == ListingState.WITHDRAWN and lst.version > 0:
        survivor = parse_json(lst.document).get("merged_into") if lst.document else None
        if survivor:  # merged: the business lives on under the surviving listing
            return redirect(url_for("public.listing", listing_id=survivor), 301)
        return error_page(410)
    if lst.state != ListingState.PUBLISHED or not lst.document:
        abort(404)
    node = get_node(current_app)
    private = permissions.can_view_listing_private(
        current_actor(), lst, node_id=node.id, node_country=node.country
    )
    if not lst.share_public and not private:
        abort(404)
    doc = parse_json(lst.document)
    contact_public = bool(doc.get("sharing", {}).get("contact_public"))
    cfg = current_app.config["SMEDIR"]
    canonical = cfg["node"]["base_url"].rstrip("/") + url_for("public.listing", listing_id=lst.id)
    lang = str(get_locale() or "km")
    return render_template(
        "public/listing.html",
        listing=lst,
        doc=doc,
        show_contact=contact_public or private,
        contact_hidden=not contact_public,
        canonical=canonical,
        jsonld=script_json(listing_jsonld(doc, canonical, lang)),
        meta_description=meta_description(doc, lang),
        map_cfg=cfg["map"],
        enquiry_url=enquiry_url(lst),
        lapsed_since=_lapsed_since(doc),
        quality=listing_quality(
            db_session(), lst, node=node, months=cfg["quality"]["reconfirm_months"]
        ),
    )


def enquiry_url(lst) -> str | None:
    """The enquiry form of a listing that takes enquiries, when this node has the form."""
    if not current_app.config["SMEDIR"]["enquiries"]["enabled"]:
        return None
    if "enquiries.new" not in current_app.view_functions or not accepts_enquiries(lst):
        return None
    return url_for("enquiries.new", listing_id=lst.id)


def _lapsed_since(doc: dict):
    """When a lapsed record was last confirmed (from its ``freshness``), else None."""
    stamp = doc.get("freshness", {}).get("confirmed_at")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def meta_description(doc: dict, lang: str) -> str:
    """One line for search engines: the description in the page language, else sector and place."""
    text = doc.get("descriptions", {}).get(lang) or next(
        iter(doc.get("descriptions", {}).values()), ""
    )
    if not text:
        parts = [labels.isic_title(c) for c in doc.get("sectors", [])[:1]]
        parts.append(labels.province_name(doc.get("address", {}).get("province")))
        text = " · ".join(p for p in parts if p)
    return text if len(text) <= 160 else text[:157].rsplit(" ", 1)[0] + "…"
