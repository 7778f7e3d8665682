"""Trust pages: "this is my business" claims, confirming a listing is current, the claims
queue of focal points, and their quality dashboard."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import permissions
from directory.context import db_session, get_node
from directory.mail import MailError, send_mail
from directory.models import ClaimRole, ListingState, Role, User
from directory.records import parse_json
from directory.services import claims, dashboard, freshness
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.listings import get_listing
from directory.web.access import current_actor, require_role
from directory.web.charts import BAR_SPAN, Bar, bars

bp = Blueprint("trust", __name__)

CLAIM_ROLES = {
    ClaimRole.OWNER: _l("I own the business"),
    ClaimRole.MANAGER: _l("I manage it"),
    ClaimRole.EMPLOYEE: _l("I work there"),
    ClaimRole.REPRESENTATIVE: _l("I represent it (accountant, agent, association)"),
}
NO_STORE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _published(listing_id: str):
    try:
        listing = get_listing(db_session(), listing_id)
    except NotFound:
        abort(404)
    if listing.state != ListingState.PUBLISHED or not listing.share_public:
        abort(404)
    return listing


@bp.route("/listings/<listing_id>/claim", methods=["GET", "POST"])
@require_role(Role.OWNER)
def claim(listing_id: str):
    """Say what you are to the business; a focal point decides (or a verified email does)."""
    listing, node = _published(listing_id), get_node(current_app)
    doc = parse_json(listing.document)
    error = None
    if request.method == "POST":
        session = db_session()
        try:
            made = claims.submit_claim(
                session,
                current_actor(),
                listing_id,
                role=request.form.get("role", ""),
                note=request.form.get("note", ""),
                node=node,
            )
        except (PermissionDenied, InvalidTransition) as exc:
            error = str(exc.message)
        else:
            session.commit()
            if made.state == "approved":
                flash(_("Your email address matches the listing: it is yours now."), "success")
            else:
                flash(_("Your claim is sent. A focal point will decide."), "success")
            return redirect(url_for("listings.index"))
    status = 422 if error else 200
    return render_template(
        "trust/claim.html",
        listing=listing,
        doc=doc,
        roles=CLAIM_ROLES,
        error=error,
        claimable=permissions.can_claim_listing(current_actor(), listing, node.id),
        origin_url=_origin_url(listing),
    ), status


def _origin_url(listing) -> str | None:
    """The listing's page at its origin, when the origin is a configured peer."""
    for peer in current_app.config["SMEDIR"]["peers"]:
        if peer["id"] == listing.origin:
            return f"{peer['base_url'].rstrip('/')}/listings/{listing.id}"
    return None


@bp.post("/my/listings/<listing_id>/confirm")
@require_role(Role.OWNER)
def confirm(listing_id: str):
    """The owner confirms, from My listings, that the listing is still current."""
    session = db_session()
    try:
        freshness.confirm_listing(session, current_actor(), listing_id, node=get_node(current_app))
    except (NotFound, PermissionDenied):
        abort(404)
    session.commit()
    flash(_("Thank you: the listing is confirmed as current."), "success")
    return redirect(url_for("listings.index"))


@bp.route("/listings/<listing_id>/reconfirm/<token>", methods=["GET", "POST"])
def reconfirm(listing_id: str, token: str):
    """The reminder's link: one button confirms (a button, so that link checkers do not)."""
    session = db_session()
    try:
        listing = get_listing(session, listing_id)
    except NotFound:
        abort(404)
    secret = current_app.config["SMEDIR"]["security"]["secret_key"]
    valid = hmac.compare_digest(token, freshness.reconfirm_token(secret, listing))
    if request.method == "POST":
        try:
            freshness.confirm_by_token(session, listing_id, token, secret=secret)
        except InvalidTransition as exc:
            return render_template("auth/message.html", message=str(exc.message)), 400, NO_STORE
        session.commit()
        message = _("Thank you: the listing is confirmed as current.")
        return render_template("auth/message.html", message=message), 200, NO_STORE
    if not valid or listing.state != ListingState.PUBLISHED:
        message = _(
            "This confirmation link is no longer valid: the listing was confirmed or edited since."
        )
        return render_template("auth/message.html", message=message), 400, NO_STORE
    doc = parse_json(listing.document)
    return render_template("trust/reconfirm.html", listing=listing, doc=doc), 200, NO_STORE


@bp.get("/review/claims")
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def claim_queue():
    """Pending claims this reviewer may decide, oldest first."""
    rows = claims.claim_queue(db_session(), current_actor(), node=get_node(current_app))
    return render_template("trust/claims.html", rows=rows, roles=CLAIM_ROLES)


@bp.route("/review/claims/<id:claim_id>", methods=["GET", "POST"])
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def claim_detail(claim_id: int):
    """One claim: the listing, the claimant and their email, and the decision with a reason."""
    session, actor, node = db_session(), current_actor(), get_node(current_app)
    try:
        item, listing = claims.get_claim(session, claim_id)
    except NotFound:
        abort(404)
    may = permissions.can_decide_claim(
        actor, listing, item.claimant_id, node_id=node.id, node_country=node.country
    )
    if not may and not actor.is_admin:
        abort(404)
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision not in ("approve", "refuse"):
            abort(400)
        try:
            claims.decide_claim(
                session,
                actor,
                claim_id,
                approve=decision == "approve",
                reason=request.form.get("reason", ""),
                node=node,
            )
        except PermissionDenied:
            abort(403)
        except InvalidTransition as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".claim_detail", claim_id=claim_id))
        session.commit()
        _mail_claimant(session, item, listing)
        flash(_("Claim approved.") if decision == "approve" else _("Claim refused."), "success")
        return redirect(url_for(".claim_queue"))
    claimant = session.get(User, item.claimant_id)
    doc = parse_json(listing.document) if listing.document else {}
    return render_template(
        "trust/claim_detail.html",
        claim=item,
        listing=listing,
        doc=doc,
        claimant=claimant,
        verified=claims.verified_match(claimant, doc) if claimant else None,
        may_decide=may and item.state == "pending",
        roles=CLAIM_ROLES,
    )


def _mail_claimant(session, item, listing) -> None:
    """Tell the claimant the decision and its reason, in their language (they also see it
    in My listings, so a mail that cannot be sent is only logged)."""
    cfg = current_app.config["SMEDIR"]
    claimant = session.get(User, item.claimant_id)
    name = listing.name_km or listing.name_en or listing.id
    base = cfg["node"]["base_url"].rstrip("/")
    with force_locale(claimant.locale or "km"):
        approved = item.state == "approved"
        subject = _("Your claim is approved") if approved else _("Your claim is refused")
        body = render_template(
            "trust/claim_decided_mail.txt",
            approved=approved,
            name=name,
            site=cfg["node"]["name"],
            reason=item.reason,
            link=base + url_for("listings.index"),
        )
    try:
        send_mail(cfg, claimant.email, subject, body)
    except MailError as exc:
        current_app.logger.exception("claim decision mail to user %s not sent", claimant.id)
        if exc.bounced:  # the server refused the address for good: the score shows it
            freshness.mark_bounced(session, claimant)
            session.commit()


@bp.get("/review/dashboard")
@require_role(Role.FOCAL_POINT, Role.ADMIN)
def quality_dashboard():
    """Review turnaround, queue age, lapsed listings, duplicates and quarantine, as SVG."""
    actor, node = current_actor(), get_node(current_app)
    months = current_app.config["SMEDIR"]["quality"]["reconfirm_months"]
    d = dashboard.scope_dashboard(db_session(), actor, node=node, months=months)
    charts = {
        "turnaround": _hour_bars(
            [(_("Median"), d.turnaround_median), (_("90th percentile"), d.turnaround_p90)]
        ),
        "queue": bars([(label, n, None) for label, n in dashboard.age_rows(d.queue_ages)]),
        "shares": bars(
            [
                (_("Lapsed listings"), d.lapsed, None),
                (_("Listings with an open duplicate"), d.duplicates, None),
            ],
            total=d.listings or None,
        ),
        "quarantine": bars(
            [(_("Quarantined peer records"), d.quarantined, None)],
            total=(d.quarantined + d.peer_records) or None,
        ),
    }
    return render_template("trust/dashboard.html", d=d, charts=charts)


def _hour_bars(rows: list[tuple[str, float | None]]) -> list[Bar]:
    """Bars of durations in hours (none when nothing was decided)."""
    top = max((h for _, h in rows if h is not None), default=0) or 1
    return [
        Bar(label, _duration(h), round(BAR_SPAN * h / top, 2)) for label, h in rows if h is not None
    ]


def _duration(hours: float) -> str:
    """Minutes under an hour, else hours with one decimal."""
    if hours < 1:
        return _("%(n)d min", n=round(hours * 60))
    return _("%(n)s hours", n=format_decimal(round(hours, 1)))
