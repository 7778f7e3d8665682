"""Admin pages for peer tokens (/admin/tokens): create (shown once), list with last use, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from directory.context import db_session
from directory.models import PeerToken, Role, User
from directory.models.exchange import SCOPES
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.tokens import (
    create_peer_token,
    list_peer_tokens,
    revoke_peer_token,
    token_uses,
)
from directory.web.access import current_actor, require_role

bp = Blueprint("admin_peers", __name__, url_prefix="/admin")


def _peer_ids() -> list[str]:
    return [peer["id"] for peer in current_app.config["SMEDIR"]["peers"]]


def _page(status: int = 200, **context):
    context.setdefault("form", request.form)
    context.setdefault("errors", {})
    context.setdefault("created", None)
    tokens = list_peer_tokens(db_session())
    body = render_template(
        "admin/peer_tokens.html", tokens=tokens, peers=_peer_ids(), scopes=SCOPES, **context
    )
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/tokens")
@require_role(Role.ADMIN)
def tokens():
    """Every peer token, with the form to create one."""
    return _page()


@bp.post("/tokens")
@require_role(Role.ADMIN)
def create_token():
    """Create a token; the page shows its text this once (never stored, never shown again)."""
    form = request.form
    session = db_session()
    try:
        token, plaintext = create_peer_token(
            session,
            current_actor(),
            form.get("peer_id", ""),
            form.getlist("scopes"),
            form.get("name", ""),
            known_peers=_peer_ids(),
        )
    except PermissionDenied:
        abort(403)
    except InvalidTransition as exc:
        return _page(422, form=form, errors={"token": str(exc.message)})
    session.commit()
    return _page(201, created={"token": token, "plaintext": plaintext})


@bp.get("/tokens/<id:token_id>")
@require_role(Role.ADMIN)
def token_detail(token_id: int):
    """One token and its most recent uses."""
    token = db_session().get(PeerToken, token_id)
    if token is None:
        abort(404)
    uses = token_uses(db_session(), token_id)
    revoker = db_session().get(User, token.revoked_by) if token.revoked_by else None
    return render_template("admin/peer_token.html", token=token, uses=uses, revoker=revoker)


@bp.post("/tokens/<id:token_id>/revoke")
@require_role(Role.ADMIN)
def revoke_token(token_id: int):
    """Revoke a token: it stops working with the next request."""
    session = db_session()
    try:
        revoke_peer_token(session, current_actor(), token_id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("admin_peers.tokens"))
