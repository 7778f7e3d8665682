"""Enquiry pages: a buyer's form and status link, the owner's "My enquiries", focal points' blocks.

The views parse the form, call one service in ``directory.services.enquiries``
and render; mails go out after the commit (``directory.web.enquiry_mails``).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import permissions
from directory.context import db_session, get_engine, get_node
from directory.db import transaction
from directory.models import Role
from directory.records import parse_json
from directory.services import enquiries as svc
from directory.services.errors import InvalidRecord, InvalidTransition, NotFound, PermissionDenied
from directory.services.messages import MESSAGES, translated
from directory.web import labels
from directory.web.access import current_actor, require_role
from directory.web.enquiry_mails import (
    mail_buyer,
    mail_confirmation,
    mail_owner,
    mail_saved_search_confirmation,
)
from directory.web.forms import message_for

bp = Blueprint("enquiries", __name__)

STATE_LABELS = {
    "unconfirmed": _l("Waiting for your confirmation"),
    "new": _l("New"),
    "read": _l("Read"),
    "answered": _l("Answered"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "refused": _l("Not delivered"),
}


@bp.app_context_processor
def _helpers() -> dict:
    """Labels of enquiry states and messages of refusal codes for the enquiry templates."""
    return {
        "enquiry_state_label": lambda state: str(STATE_LABELS.get(state, state)),
        "service_message": lambda code: str(translated(code, {})) if code in MESSAGES else code,
    }


FIELD_LABELS = {
    "/product": "product",
    "/hs_code": "hs_code",
    "/quantity": "quantity",
    "/target_market": "target_market",
    "/message": "message",
    "/organisation": "organisation",
    "/country": "country",
    "/email": "email",
    "/phone": "phone",
    "/answer": "answer",
    "/sender_ref": "sender_ref",
}


def _policy() -> svc.EnquiryPolicy:
    return svc.EnquiryPolicy.from_config(current_app.config["SMEDIR"]["enquiries"])


def _peers() -> list[dict]:
    return [p for p in current_app.config["SMEDIR"]["peers"] if p["protocol"] == "feed"]


def _errors(exc: InvalidRecord) -> dict[str, str]:
    """Field name -> its first problem as "JSON pointer: message", in the reader's language."""
    out: dict[str, str] = {}
    for issue in exc.issues:
        name = FIELD_LABELS.get(issue.path, "form")
        out.setdefault(name, f"{issue.path or '/'}: {message_for(issue.path, issue.message)}")
    return out


def _enabled() -> None:
    if not current_app.config["SMEDIR"]["enquiries"]["enabled"]:
        abort(404)


@bp.route("/listings/<listing_id>/enquire", methods=["GET", "POST"])
def new(listing_id: str):
    """A buyer's enquiry about one listing (prefilled from the search it came from)."""
    _enabled()
    session = db_session()
    try:
        listing = svc.enquirable_listing(session, listing_id)
    except NotFound:
        abort(404)
    except InvalidTransition as exc:
        return render_template("enquiries/message.html", message=exc.message), 409
    doc = parse_json(listing.document)
    actor = current_actor()
    verified = actor is not None and actor.email_confirmed_at is not None
    form, errors, status, headers = request.form, {}, 200, {}
    if request.method == "GET":
        form = {
            "hs_code": request.args.get("hs", "")[:6],
            "target_market": request.args.get("market", "")[:2],
        }
    else:
        node = get_node(current_app)
        try:
            enquiry = svc.send_enquiry(
                session,
                actor,
                listing.id,
                request.form.to_dict(),
                node=node,
                policy=_policy(),
                secret_key=current_app.secret_key,
                address=request.remote_addr or "unknown",
                locale=str(get_locale() or "en"),
                peers=_peers(),
            )
        except InvalidRecord as exc:
            errors, status = _errors(exc), 422
        except svc.TooManyEnquiries as exc:
            errors["form"], status = str(exc.message), 429
            headers["Retry-After"] = str(exc.retry_after)
        except (PermissionDenied, InvalidTransition) as exc:
            errors["form"], status = str(exc.message), 403
        else:
            session.commit()
            if enquiry.state == "unconfirmed":
                mail_confirmation(enquiry)
            elif enquiry.listing_origin == node.id:
                mail_owner(db_session(), enquiry)
            return render_template("enquiries/sent.html", enquiry=enquiry, doc=doc, listing=listing)
    page = render_template(
        "enquiries/new.html",
        listing=listing,
        doc=doc,
        form=form,
        errors=errors,
        verified=verified,
        actor=actor,
        countries=labels.countries(),
    )
    return page, status, headers


@bp.route("/enquiries/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The mailed link: a button confirms the sender's address and delivers the enquiry."""
    _enabled()
    session = db_session()
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    if request.method == "GET":
        return render_template("enquiries/confirm.html"), 200, headers
    node = get_node(current_app)
    try:
        enquiry, fresh = svc.confirm_enquiry(
            session, token, current_app.secret_key, _policy(), node, _peers()
        )
    except InvalidTransition as exc:
        return render_template("enquiries/message.html", message=exc.message), 400, headers
    session.commit()
    if fresh and enquiry.listing_origin == node.id:
        mail_owner(db_session(), enquiry)
    return redirect(url_for(".status", token=svc.status_token(enquiry, current_app.secret_key)))


@bp.get("/enquiries/status/<token>")
def status(token: str):
    """The buyer's view of their enquiry: its state, and the answer with the owner's contact."""
    try:
        enquiry = svc.enquiry_for_status(db_session(), token, current_app.secret_key)
    except NotFound:
        abort(404)
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    page = render_template(
        "enquiries/status.html",
        enquiry=enquiry,
        owner_contact=svc.contact_of(enquiry.owner_contact),
        listing=_listing_name(enquiry.listing_id),
    )
    return page, 200, headers


def _listing_name(listing_id: str) -> str:
    from directory.models import Listing

    listing = db_session().get(Listing, listing_id)
    if listing is None or not listing.document:
        return listing_id
    return labels.display_names(parse_json(listing.document).get("names"))[0]


@bp.get("/my/enquiries")
@require_role(Role.OWNER)
def inbox():
    """The owner's enquiries, newest first, with their state."""
    rows = svc.received_enquiries(db_session(), current_actor(), get_node(current_app))
    names = {
        lst.id: labels.display_names(parse_json(lst.document or "{}").get("names"))[0]
        for _e, lst in rows
    }
    return render_template("enquiries/inbox.html", rows=rows, names=names)


@bp.get("/my/enquiries/<int:enquiry_id>")
@require_role(Role.OWNER)
def detail(enquiry_id: int):
    """One enquiry (opening it marks it read), with the answer and decline forms."""
    node = get_node(current_app)
    try:  # a write of its own: the request's session only reads on a GET
        with transaction(get_engine(current_app)) as s:
            enquiry, listing = svc.open_enquiry(
                s, current_actor(), enquiry_id, node, mark_read=True
            )
    except NotFound:
        abort(404)
    return _detail_page(enquiry, listing, {})


def _detail_page(enquiry, listing, errors, status=200):
    doc = parse_json(listing.document or "{}")
    page = render_template(
        "enquiries/detail.html",
        enquiry=enquiry,
        listing=listing,
        name=labels.display_names(doc.get("names"))[0],
        choices=svc.owner_contact_choices(listing, current_actor()),
        sender_contact=svc.contact_of(enquiry.sender_contact)
        if enquiry.state == "answered"
        else {},
        owner_contact=svc.contact_of(enquiry.owner_contact),
        errors=errors,
        form=request.form,
    )
    return page, status


@bp.post("/my/enquiries/<int:enquiry_id>/answer")
@require_role(Role.OWNER)
def answer(enquiry_id: int):
    """Answer with the chosen contact details; the buyer is told by mail."""
    return _decide(enquiry_id, "answer")


@bp.post("/my/enquiries/<int:enquiry_id>/decline")
@require_role(Role.OWNER)
def decline(enquiry_id: int):
    """Decline; the buyer is told, and no contact details are shown to anyone."""
    return _decide(enquiry_id, "decline")


def _decide(enquiry_id: int, action: str):
    session, node = db_session(), get_node(current_app)
    try:
        if action == "answer":
            enquiry = svc.answer_enquiry(
                session,
                current_actor(),
                enquiry_id,
                request.form.get("answer", ""),
                request.form.getlist("show"),
                node,
                _peers(),
            )
        else:
            enquiry = svc.decline_enquiry(session, current_actor(), enquiry_id, node, _peers())
    except NotFound:
        abort(404)
    except InvalidRecord as exc:
        enquiry, listing = svc.open_enquiry(session, current_actor(), enquiry_id, node)
        return _detail_page(enquiry, listing, _errors(exc), 422)
    except InvalidTransition as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".detail", enquiry_id=enquiry_id))
    session.commit()
    if enquiry.sender_node == node.id:
        mail_buyer(enquiry)
    flash(
        _("Your answer was sent.") if action == "answer" else _("The enquiry was declined."),
        "success",
    )
    return redirect(url_for(".detail", enquiry_id=enquiry_id))


@bp.route("/review/enquiries", methods=["GET", "POST"])
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def senders():
    """Focal points: enquiry counts (never contents) and blocked senders."""
    session, errors = db_session(), {}
    if request.method == "POST":
        try:
            if request.form.get("unblock"):
                svc.unblock_sender(session, current_actor(), int(request.form["unblock"]))
            else:
                svc.block_sender(
                    session,
                    current_actor(),
                    request.form.get("sender_ref", ""),
                    request.form.get("reason", ""),
                )
        except (InvalidRecord, ValueError) as exc:
            errors = _errors(exc) if isinstance(exc, InvalidRecord) else {"form": "?"}
        except NotFound:
            abort(404)
        else:
            session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".senders"))
    counts = svc.enquiry_counts(session, get_node(current_app))
    page = render_template(
        "enquiries/senders.html",
        counts=counts,
        blocks=svc.list_blocks(session),
        errors=errors,
        form=request.form,
        can_block=permissions.can_block_enquiry_senders(current_actor()),
    )
    return page, 422 if errors else 200


@bp.post("/search/save")
def save_search():
    """Save the search the form came from; a mailed link confirms the address."""
    from directory.services import saved_searches as saved_svc
    from directory.web.public import filters_from_args

    _enabled()
    session = db_session()
    limit = current_app.config["SMEDIR"]["enquiries"]["saved_searches_per_email"]
    try:
        saved = saved_svc.save_search(
            session,
            request.form.get("email", ""),
            filters_from_args(request.form),
            str(get_locale() or "en"),
            limit,
        )
    except InvalidRecord as exc:
        message = "; ".join(_errors(exc).values())
        return render_template("enquiries/saved.html", message=message, category="error"), 422
    except InvalidTransition as exc:
        return render_template("enquiries/saved.html", message=exc.message, category="error"), 409
    session.commit()
    mail_saved_search_confirmation(saved)
    message = _("We sent a link to %(email)s: open it to start the mails.", email=saved.email)
    return render_template("enquiries/saved.html", message=message)


@bp.route("/search/saved/<action>/<token>", methods=["GET", "POST"])
def saved_link(action: str, token: str):
    """The mailed links: confirm a saved search, or stop it (a button, so link checkers do not)."""
    from directory.services import saved_searches as saved_svc

    if action not in ("confirm", "stop"):
        abort(404)
    session = db_session()
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    try:
        saved = saved_svc.by_token(session, token, current_app.secret_key, action)
    except InvalidTransition as exc:
        page = render_template("enquiries/saved.html", message=exc.message, category="error")
        return page, 400, headers
    if request.method == "GET":
        label = _("Start the mails") if action == "confirm" else _("Stop the mails")
        return render_template("enquiries/saved.html", action=label), 200, headers
    if action == "confirm":
        saved_svc.confirm_search(session, saved)
        message = _("Done: we mail you when a new listing matches, at most once a day.")
    else:
        saved_svc.stop_search(session, saved)
        message = _("Done: no more mails for this search.")
    session.commit()
    return render_template("enquiries/saved.html", message=message), 200, headers
