"""Sign up, sign in and out, change and reset a password; Flask-Login wiring.

Registering this blueprint also sets up Flask-Login for the app: the session
stores ``User.get_id()`` = ``"<id>:<auth_version>"``, and the loader refuses a
cookie whose version is older than the user's, so logout and password change
void every captured cookie. Pages under /api/ answer 401 JSON instead of a
redirect to the login page.

CSRF: CSRFProtect guards every POST/PUT/PATCH/DELETE app-wide. A blueprint
whose routes authenticate with a bearer token (peer or personal token) and
never with the session cookie calls ``csrf.exempt(bp)`` itself; it must then
refuse requests without a valid token (401/403). ``tests/directory/
test_csrf_routes.py`` walks the URL map to hold every route to this.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.exceptions import HTTPException

from directory.context import SAFE_METHODS, db_session, get_engine
from directory.db import transaction
from directory.extensions import login_manager
from directory.mail import MailError, send_mail
from directory.models import User
from directory.models.base import utcnow
from directory.services import accounts, personal_tokens, signups
from directory.services.errors import NotFound, PermissionDenied
from directory.web.access import current_actor

bp = Blueprint("auth", __name__)

API_PREFIX = "/api/"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
# endpoints the navigation links to when the blueprint providing them is registered
NAV_ENDPOINTS = {
    "search": ("public.search", "public.index"),
    "my_listings": ("listings.mine", "listings.index"),
    "my_enquiries": ("enquiries.inbox",),
    "sent_enquiries": ("buyer.sent_enquiries",),
    "saved_searches": ("buyer.saved_searches",),
    "enquiry_counts": ("enquiries.senders",),
    "review_queue": ("review.queue", "review.index"),
    "admin": ("admin_users.users",),
    "quarantine": ("admin_sync.quarantine",),
    "claims": ("trust.claim_queue",),
    "dashboard": ("trust.quality_dashboard",),
    "peers": ("admin_sync.peers",),
    "tokens": ("admin_peers.tokens",),
    "api_docs": ("api.docs",),
}


@bp.record_once
def _setup(state) -> None:
    app = state.app
    login_manager.login_view = "auth.login"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.request_loader(load_user_from_bearer)
    hours = app.config["SMEDIR"]["security"]["session_hours"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    app.register_error_handler(401, _on_401)
    app.context_processor(_nav_context)


def load_user(user_id: str) -> User | None:
    """The user for a session's stored id, if that id is still current."""
    uid, _sep, version = (user_id or "").partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = db_session().get(User, int(uid))
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return user


def load_user_from_bearer(req) -> User | None:
    """Under /api/ only: the user of an ``Authorization: Bearer smedir_pat_...`` token.

    Sets ``g.personal_token`` so API views know the request carries no cookie
    (a bearer request cannot be forged cross-site, so it needs no CSRF token).
    """
    if not req.path.startswith(API_PREFIX):
        return None
    scheme, _sep, value = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    found = personal_tokens.authenticate_personal_token(db_session(), value.strip())
    if found is None:
        return None
    user, token = found
    g.personal_token = token
    if token.last_used_at is None or utcnow() - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        if req.method in SAFE_METHODS:
            with transaction(get_engine(current_app)) as session:
                personal_tokens.touch_personal_token(session, token.id)
        else:
            # a write request already holds the write lock (SQLite BEGIN IMMEDIATE):
            # a second transaction would wait on it forever; ride on the request's own
            personal_tokens.touch_personal_token(db_session(), token.id)
    return user


def authenticated_by_token() -> bool:
    """True when this request's user came from a personal token, not the session cookie."""
    return g.get("personal_token") is not None


def _unauthorized():
    return _on_401(None)


def _on_401(_error: HTTPException | None):
    if request.path.startswith(API_PREFIX):
        return jsonify({"error": "unauthorized", "message": "authentication required"}), 401
    if request.method != "GET":
        return render_template("auth/message.html", message=_("Please sign in.")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def policy() -> accounts.AccountPolicy:
    """The account settings of this app."""
    return accounts.AccountPolicy.from_config(current_app.config["SMEDIR"]["security"])


def client_address() -> str:
    """The client's address (configure the proxy to set it, e.g. with ProxyFix)."""
    return request.remote_addr or "unknown"


def start_session(user: User) -> None:
    """Sign in with a fresh session: nothing from before login survives (no fixation)."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    login_user(user)
    session.permanent = True


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Register an SME owner; the account works once the mailed link is opened.

    The answer is the same page whether the address is new or already has an
    account (whose owner is told by mail instead); sign-ups are limited per address.
    """
    form, errors, status, headers = request.form, {}, 200, {}
    if request.method == "POST":
        dbs = db_session()
        if form.get("password", "") != form.get("password_confirm", ""):
            errors["password_confirm"] = _("The two passwords differ.")
        else:
            try:
                result = signups.sign_up(
                    dbs,
                    form.get("email", ""),
                    form.get("password", ""),
                    policy(),
                    client_address(),
                    current_app.secret_key,
                    display_name=form.get("display_name", ""),
                    locale=str(_current_locale()),
                )
            except accounts.TooManyAttempts as exc:
                errors["form"], status = str(exc.message), 429
                headers["Retry-After"] = str(exc.retry_after)
            except accounts.AccountError as exc:
                dbs.commit()  # keep the attempt: it counts towards the limit
                errors[exc.field] = str(exc.message)
            else:
                dbs.commit()
                _send_signup_mail(current_app.config["SMEDIR"], result)
                email = accounts.normalize_email(form.get("email", ""))
                return render_template("auth/signup_sent.html", email=email)
    status = 400 if errors and status == 200 else status
    page = render_template("auth/signup.html", form=form, errors=errors)
    return page, status, headers


def _send_signup_mail(cfg: dict, result: signups.SignupResult) -> None:
    """The confirmation link for a new address, or a note to the owner of a registered one."""
    user, base = result.user, cfg["node"]["base_url"].rstrip("/")
    if result.token is not None:
        link = base + url_for("auth.confirm_signup", token=result.token)
        hours = cfg["security"]["signup_confirm_hours"]
        subject = _("Confirm your email address")
        body = render_template("auth/confirm_mail.txt", link=link, hours=hours)
    else:
        with force_locale(user.locale):
            subject = _("Someone tried to sign up with your email address")
            body = render_template(
                "auth/signup_taken_mail.txt",
                login=base + url_for("auth.login"),
                forgot=base + url_for("auth.forgot_password"),
            )
    try:
        send_mail(cfg, user.email, subject, body)
    except MailError:
        current_app.logger.exception("sign-up mail to user %s not sent", user.id)


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    """Confirm the address through the mailed link (a button, so link checkers do not)."""
    dbs = db_session()
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    try:
        if request.method == "POST":
            signups.confirm_email(dbs, token, current_app.secret_key, policy())
        else:
            user = signups.check_confirmation(dbs, token, current_app.secret_key, policy())
    except accounts.AccountError as exc:
        return render_template("auth/message.html", message=str(exc.message)), 400, headers
    if request.method == "POST":
        dbs.commit()
        flash(_("Your email address is confirmed. You can sign in now."), "success")
        return redirect(url_for("auth.login", next=url_for("listings.index")))
    return render_template("auth/confirm.html", user=user), 200, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; failures are counted per account and address."""
    form, errors, status, headers = request.form, {}, 200, {}
    next_url = safe_next(request.values.get("next"), "")
    if request.method == "POST":
        dbs = db_session()
        try:
            user = accounts.authenticate(
                dbs, form.get("email", ""), form.get("password", ""), client_address(), policy()
            )
        except accounts.TooManyAttempts as exc:
            errors["form"], status = str(exc.message), 429
            headers["Retry-After"] = str(exc.retry_after)
        except accounts.InvalidCredentials as exc:
            dbs.commit()  # keep the failure: it counts towards the limit
            errors["form"], status = str(exc.message), 401
        except accounts.EmailNotConfirmed as exc:
            errors["form"], status = str(exc.message), 403
        else:
            dbs.commit()
            start_session(user)
            return redirect(next_url or "/")
    page = render_template("auth/login.html", form=form, errors=errors, next=next_url)
    return page, status, headers


@bp.post("/logout")
def logout():
    """Sign out here and everywhere: every earlier cookie of this user stops working."""
    user = current_actor()
    if user is not None:
        accounts.sign_out_everywhere(db_session(), user)
        db_session().commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; other sessions of this user end, this one continues."""
    form, errors, status = request.form, {}, None
    user = current_actor()
    if request.method == "POST":
        if form.get("password", "") != form.get("password_confirm", ""):
            errors["password_confirm"] = _("The two passwords differ.")
        else:
            try:
                accounts.change_password(
                    db_session(),
                    user,
                    form.get("current_password", ""),
                    form.get("password", ""),
                    policy(),
                    client_address(),
                )
            except accounts.TooManyAttempts as exc:
                errors["current_password"], status = str(exc.message), 429
            except accounts.AccountError as exc:
                errors[exc.field] = str(exc.message)
                if exc.field == "current_password":
                    db_session().commit()  # the failed guess counts towards the limit
            else:
                db_session().commit()
                start_session(user)
                flash(_("Your password is changed."), "success")
                return redirect(url_for("auth.change_password"))
    status = status or (400 if errors else 200)
    return render_template("auth/password_change.html", errors=errors), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Mail a reset link; the answer is the same whether the email has an account or not."""
    if request.method == "POST":
        cfg = current_app.config["SMEDIR"]
        found = accounts.request_password_reset(
            db_session(), request.form.get("email", ""), current_app.secret_key, policy()
        )
        if found is not None:
            db_session().commit()
            _send_reset_mail(cfg, *found)
        flash(
            _("If an account exists for that address, we have sent it a reset link."),
            "info",
        )
        return redirect(url_for("auth.forgot_password"))
    return render_template("auth/forgot.html")


def _send_reset_mail(cfg: dict, user: User, token: str) -> None:
    link = cfg["node"]["base_url"].rstrip("/") + url_for("auth.reset_password", token=token)
    minutes = cfg["security"]["password_reset_minutes"]
    body = render_template("auth/reset_mail.txt", link=link, minutes=minutes, user=user)
    try:
        send_mail(cfg, user.email, _("Reset your password"), body)
    except MailError:
        current_app.logger.exception("password reset mail to user %s not sent", user.id)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a mailed link (valid once, for a limited time)."""
    dbs, errors = db_session(), {}
    try:
        accounts.check_reset_token(dbs, token, current_app.secret_key, policy())
    except accounts.AccountError as exc:
        return render_template("auth/message.html", message=str(exc.message)), 400
    if request.method == "POST":
        form = request.form
        if form.get("password", "") != form.get("password_confirm", ""):
            errors["password_confirm"] = _("The two passwords differ.")
        else:
            try:
                accounts.reset_password(
                    dbs, token, form.get("password", ""), current_app.secret_key, policy()
                )
            except accounts.AccountError as exc:
                errors[exc.field] = str(exc.message)
            else:
                dbs.commit()
                flash(_("Your password is changed. Please sign in."), "success")
                return redirect(url_for("auth.login"))
    status = 400 if errors else 200
    page = render_template("auth/reset.html", errors=errors, token=token)
    return page, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """The user's personal API tokens: create one (shown once), list, revoke."""
    user, errors, created = current_actor(), {}, None
    if request.method == "POST":
        try:
            _token, created = personal_tokens.create_personal_token(
                db_session(), user, request.form.get("name", "")
            )
        except accounts.AccountError as exc:
            errors[exc.field] = str(exc.message)
        else:
            db_session().commit()
    rows = personal_tokens.list_personal_tokens(db_session(), user)
    response = render_template("auth/tokens.html", tokens=rows, created=created, errors=errors)
    headers = {"Cache-Control": "no-store"}  # the new token must not sit in a cache
    return response, 400 if errors else 200, headers


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's tokens."""
    try:
        personal_tokens.revoke_personal_token(db_session(), current_actor(), token_id)
    except (NotFound, PermissionDenied):
        abort(404)
    db_session().commit()
    flash(_("The token is revoked."), "info")
    return redirect(url_for("auth.tokens"))


def _current_locale():
    return get_locale() or "km"


def _nav_context() -> dict:
    """``nav_url(name)``: the URL of a navigation target, or None when no blueprint serves it."""

    def nav_url(name: str) -> str | None:
        for endpoint in NAV_ENDPOINTS.get(name, ()):
            if endpoint in current_app.view_functions:
                return url_for(endpoint)
        return None

    return {
        "nav_url": nav_url,
        "current_actor": current_actor,
        "role_label": role_label,
        "get_locale": get_locale,
    }


def role_label(role: str) -> str:
    """A role's name in the page's language."""
    labels = {"owner": _("SME owner"), "focal_point": _("Focal point"), "admin": _("Admin")}
    return labels.get(role, role)
