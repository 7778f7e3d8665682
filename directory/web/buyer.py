"""A signed-in buyer's side of enquiries: the enquiries they sent, and their saved searches.

Both are linked from the account menu. Sent enquiries show each one's state and, once
answered, the answer (the status page adds the contact details the business shares).
Saved searches are those of the account's confirmed address, paused, resumed or deleted
here as the mailed "stop" link does.
"""

from __future__ import annotations

import orjson
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from directory.context import db_session, get_node
from directory.models import Listing
from directory.records import parse_json
from directory.services import enquiries as enquiry_svc
from directory.services import saved_searches as saved_svc
from directory.services.errors import NotFound
from directory.web import labels
from directory.web.access import current_actor

bp = Blueprint("buyer", __name__, url_prefix="/my")

# the words of a saved search's filters, in the order they are shown
FILTER_LABELS = {
    "q": _l("Words"),
    "province": _l("Province"),
    "sector": _l("ISIC code"),
    "section": _l("Sector"),
    "hs_code": _l("HS code"),
    "market": _l("Export market"),
    "country": _l("Country"),
    "size_class": _l("Size"),
    "legal_form": _l("Legal form"),
    "women_owned": _l("Women-owned"),
    "youth_owned": _l("Youth-owned"),
    "registration": _l("Registration number"),
}


@bp.get("/sent-enquiries")
@login_required
def sent_enquiries():
    """The enquiries this buyer sent, newest first, with their state and answer."""
    session, secret = db_session(), current_app.secret_key
    rows = enquiry_svc.sent_enquiries(session, current_actor(), get_node(current_app))
    names = _listing_names(session, {e.listing_id for e in rows})
    return render_template(
        "buyer/sent.html",
        rows=[(e, names.get(e.listing_id, e.listing_id)) for e in rows],
        status_url=lambda e: url_for("enquiries.status", token=enquiry_svc.status_token(e, secret)),
    )


def _listing_names(session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Listing.id, Listing.document).where(Listing.id.in_(ids))).all()
    return {
        rid: labels.display_names(parse_json(doc).get("names"))[0] or rid
        for rid, doc in rows
        if doc
    }


@bp.get("/saved-searches")
@login_required
def saved_searches():
    """The buyer's saved searches with their state, and buttons to pause, resume or delete."""
    rows = saved_svc.searches_of(db_session(), current_actor())
    return render_template(
        "buyer/saved.html",
        rows=[(s, _described(s)) for s in rows],
        confirmed=current_actor().email_confirmed_at is not None,
    )


def _described(saved) -> list[tuple[str, str]]:
    """(label, value) of each filter of a saved search, in the reader's language."""
    query = orjson.loads(saved.query)
    out = []
    for key, label in FILTER_LABELS.items():
        if key not in query:
            continue
        value = query[key]
        if key in ("market", "country"):
            value = labels.country_name(value)
        elif key == "section":
            value = f"{value} {labels.isic_title(value)}"
        else:  # names for province codes, Yes/No for flags, as the record pages show them
            value = labels.display_value(f"/{key}", value)
        out.append((str(label), str(value)))
    return out


@bp.post("/saved-searches/<id:saved_id>/<action>")
@login_required
def saved_search_action(saved_id: int, action: str):
    """Pause, resume or delete one of the buyer's saved searches."""
    if action not in ("pause", "resume", "delete"):
        abort(404)
    session, actor = db_session(), current_actor()
    try:
        if action == "delete":
            saved_svc.delete_search(session, actor, saved_id)
        else:
            saved_svc.pause_search(session, actor, saved_id, paused=action == "pause")
    except NotFound:
        abort(404)
    session.commit()
    flash(str(DONE[action]), "success")
    return redirect(url_for(".saved_searches"))


DONE = {
    "pause": _l("Paused: no mails for this search until you resume it."),
    "resume": _l("Resumed: we mail you when a new listing matches, at most once a day."),
    "delete": _l("Deleted: no more mails for this search."),
}
