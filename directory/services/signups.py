"""Self-service sign-up: limited per client address, confirmed by a mailed link, and
answered the same way whether the address already has an account or not.

``sign_up`` always costs one Argon2 hash and ends in one mail, so neither the
page nor its timing tells a visitor whether an address is registered: a new
address gets a confirmation link, an address already confirmed gets a note to
its real owner instead. An account that was never confirmed takes the newest
sign-up's password, and the link is bound to that password, so an earlier
link (perhaps from someone else who typed the address) stops working.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from directory.models import Role, User
from directory.models.base import utcnow
from directory.services.accounts import (
    EMAIL_RE,
    AccountError,
    AccountPolicy,
    TooManyAttempts,
    check_attempts,
    check_new_password,
    count_attempt,
    create_user,
    find_user,
    normalize_email,
)
from directory.services.passwords import hash_password

SIGNUP = "signup"
CONFIRM_SALT = "smedir.signup-confirm"


class TooManySignups(TooManyAttempts):
    """Too many sign-ups from this client address; try again later."""

    CODE = "too-many-signups"


@dataclass(frozen=True)
class SignupResult:
    """Whom to mail what: ``token`` is the confirmation link's token, None when the address
    already belongs to a confirmed account (its owner gets a note instead)."""

    user: User
    token: str | None


def sign_up(
    session: Session,
    email: str,
    password: str,
    policy: AccountPolicy,
    address: str,
    secret_key: str,
    *,
    display_name: str = "",
    locale: str = "km",
) -> SignupResult:
    """Register an unconfirmed SME owner (or renew one), counting the attempt per address.

    The attempt is flushed before any check, so the caller commits it even when
    AccountError follows; TooManySignups when the address reached the limit.
    """
    address = (address or "unknown")[:64]
    email = normalize_email(email)
    check_attempts(
        session,
        SIGNUP,
        policy.signup_window_seconds,
        address=address,
        max_by_address=policy.signup_max_per_address,
        error=TooManySignups,
    )
    count_attempt(session, SIGNUP, email, address, policy.signup_window_seconds)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError("email-invalid", field="email")
    check_new_password(password, policy, email)
    user = find_user(session, email)
    if user is not None and user.email_confirmed_at is not None:
        hash_password(password, policy.hasher)  # the work a new account costs: no timing oracle
        return SignupResult(user, None)
    profile = {"display_name": display_name.strip()[:120], "locale": locale}
    if user is None:
        try:
            user = create_user(
                session, email, password, policy, role=Role.OWNER, confirmed=False, **profile
            )
        except AccountError as exc:
            if exc.field != "email":
                raise
            return SignupResult(find_user(session, email), None)  # a concurrent sign-up won
    else:
        user.password_hash = hash_password(password, policy.hasher)
        user.display_name = profile["display_name"]
        user.locale = locale if locale in ("km", "en") else "km"
        session.add(user)
        session.flush()
    return SignupResult(user, confirmation_token(user, secret_key))


def confirmation_token(user: User, secret_key: str) -> str:
    """The signed token of the confirmation link, bound to the user's current password."""
    return _serializer(secret_key).dumps({"u": user.id, "h": _fingerprint(user)})


def check_confirmation(
    session: Session, token: str, secret_key: str, policy: AccountPolicy
) -> User:
    """The user a confirmation token stands for, or AccountError if forged, stale or expired."""
    invalid = AccountError("confirm-link-invalid", field="token")
    try:
        data = _serializer(secret_key).loads(token, max_age=policy.signup_confirm_hours * 3600)
        user_id, fingerprint = int(data["u"]), str(data["h"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise invalid from None
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise invalid
    return user


def confirm_email(session: Session, token: str, secret_key: str, policy: AccountPolicy) -> User:
    """Mark the address of a token's user confirmed (again is fine); the user may sign in."""
    user = check_confirmation(session, token, secret_key, policy)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.add(user)
        session.flush()
    return user


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()[:32]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT)
