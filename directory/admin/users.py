"""Admin pages: users and roles (/admin/users) and the audit log (/admin/audit)."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from directory.context import db_session, get_node
from directory.models import Role
from directory.params import query_int
from directory.services import users as user_service
from directory.services.accounts import AccountError
from directory.services.audit import AuditFilters, audit_actions, list_audit
from directory.services.errors import NotFound, PermissionDenied
from directory.web import labels
from directory.web.access import current_actor, require_role
from directory.web.auth import role_label

bp = Blueprint("admin_users", __name__, url_prefix="/admin")
PER_PAGE = 50
# names for the actions known today; others show their code
ACTION_LABELS = {
    "user.create": lazy_gettext("Account created"),
    "user.role": lazy_gettext("Role changed"),
    "user.deactivate": lazy_gettext("Account deactivated"),
    "user.activate": lazy_gettext("Account reactivated"),
    "peer_token.create": lazy_gettext("Peer token created"),
    "peer_token.revoke": lazy_gettext("Peer token revoked"),
    "personal_token.create": lazy_gettext("Personal token created"),
    "personal_token.revoke": lazy_gettext("Personal token revoked"),
    "review.approve": lazy_gettext("Approved"),
    "review.request_changes": lazy_gettext("Changes requested"),
    "review.reject": lazy_gettext("Rejected"),
}


DETAIL_LABELS = {
    "email": lazy_gettext("Email"),
    "reason": lazy_gettext("Reason"),
    "role": lazy_gettext("Role"),
    "country": lazy_gettext("Country"),
    "revision": lazy_gettext("Revision"),
    "from": lazy_gettext("Before"),
    "to": lazy_gettext("After"),
    "via": lazy_gettext("Made with"),
}
DETAIL_VALUES = {"cli": lazy_gettext("the command line")}


def audit_detail(text: str) -> list[tuple[str, str]]:
    """An audit entry's detail as (label, value) lines in the page's language."""
    try:
        data = json.loads(text) if text.startswith("{") else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return [("", text)] if text else []
    return [(str(DETAIL_LABELS.get(k, k)), _detail_value(k, v)) for k, v in data.items() if v]


def _detail_value(key: str, value) -> str:
    if isinstance(value, dict):
        return ", ".join(_detail_value(k, v) for k, v in value.items() if v)
    if key == "role":
        return role_label(value)
    if key == "country":
        return labels.country_name(value)
    return str(DETAIL_VALUES.get(value, value)) if isinstance(value, str) else str(value)


@bp.get("/users")
@require_role(Role.ADMIN)
def users():
    """All users, searchable by email or name and filterable by role."""
    query, role = request.args.get("q", ""), request.args.get("role", "")
    page = query_int("page", 1)
    rows, total = user_service.list_users(db_session(), query, role, page, PER_PAGE)
    return render_template(
        "admin/users.html",
        users=rows,
        total=total,
        q=query,
        role=role,
        page=page,
        per_page=PER_PAGE,
        roles=list(Role),
    )


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def user_detail(user_id: int):
    """One user: change role and country scope, deactivate or reactivate, with a reason."""
    session, errors = db_session(), {}
    try:
        user = user_service.get_user(session, user_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "role":
                user_service.change_role(
                    session,
                    current_actor(),
                    user,
                    form.get("role", ""),
                    form.get("country", ""),
                    form.get("reason", ""),
                    node=get_node(current_app),
                )
            elif form.get("action") in ("deactivate", "activate"):
                user_service.set_active(
                    session,
                    current_actor(),
                    user,
                    form["action"] == "activate",
                    form.get("reason", ""),
                )
            else:
                errors["action"] = _("Unknown action.")
        except PermissionDenied:
            abort(403)
        except AccountError as exc:
            errors[exc.field] = str(exc.message)
        if not errors:
            session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin_users.user_detail", user_id=user.id))
        session.rollback()
    status = 400 if errors else 200
    countries = labels.countries()
    return render_template(
        "admin/user_detail.html",
        user=user,
        errors=errors,
        roles=list(Role),
        countries=countries,
        form=request.form,
    ), status


@bp.get("/audit")
@require_role(Role.ADMIN)
def audit():
    """The audit log, newest first, filtered by actor, action and date range."""
    args, errors = request.args, {}
    since, until = _date_arg("since", errors), _date_arg("until", errors)
    filters = AuditFilters(
        actor=args.get("actor", "").strip(),
        action=args.get("action", "").strip(),
        target=args.get("target", "").strip(),
        since=since,
        until=until,
    )
    page = query_int("page", 1)
    rows, total = list_audit(db_session(), filters, page, PER_PAGE)
    return render_template(
        "admin/users_audit.html",
        entries=rows,
        total=total,
        filters=filters,
        page=page,
        per_page=PER_PAGE,
        actions=audit_actions(db_session()),
        action_labels=ACTION_LABELS,
        audit_detail=audit_detail,
        errors=errors,
    ), 400 if errors else 200


def _date_arg(name: str, errors: dict) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Use a date like 2026-01-31.")
        return None
