"""Accounts: create, sign in (rate-limited in the database), password change and reset.

Self-service sign-up with its mailed confirmation is in ``signups``; it counts
its attempts in the same table and with the same function as failed sign-ins.

Like every service, these take the session, flush and let the caller commit.
Settings come in as an ``AccountPolicy`` built from the ``[security]`` config.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from flask_babel import LazyString
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, func, or_, select

from directory.models import LoginFailure, PasswordReset, Role, User
from directory.models.base import utcnow
from directory.services.errors import ServiceError
from directory.services.messages import english, translated
from directory.services.passwords import (
    burn_time,
    hash_password,
    hasher,
    needs_rehash,
    password_problems,
    verify_password,
)
from schemas import load_countries

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESET_SALT = "smedir.password-reset"
LOGIN = "login"  # kinds of counted attempts in login_failures


@dataclass(frozen=True)
class AccountPolicy:
    """The ``[security]`` settings the account services apply."""

    password_min_length: int = 10
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    password_reset_minutes: int = 60
    password_reset_per_hour: int = 3
    signup_max_per_address: int = 10
    signup_window_seconds: int = 3600
    signup_confirm_hours: int = 48
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    argon2_parallelism: int = 4

    @property
    def hasher(self) -> PasswordHasher:
        """The Argon2id hasher with the configured costs."""
        return hasher(self.argon2_memory_kib, self.argon2_time_cost, self.argon2_parallelism)

    @classmethod
    def from_config(cls, security: dict[str, Any]) -> AccountPolicy:
        """Pick the known keys out of the ``[security]`` config table."""
        return cls(**{k: security[k] for k in cls.__dataclass_fields__ if k in security})


class AccountError(ServiceError):
    """Bad input for an account form; ``field`` names the form field."""

    def __init__(self, code: str, *, field: str, **params: Any):
        self.field = field
        super().__init__(code, **params)

    def __str__(self) -> str:
        return f"{self.field}: {self.english}"


class PasswordRejected(AccountError):
    """A new password that breaks the policy; ``problems`` are (code, params) pairs."""

    def __init__(self, problems: list[tuple[str, dict[str, Any]]]):
        self.problems = problems
        first_code, first_params = problems[0]
        super().__init__(first_code, field="password", **first_params)

    @property
    def message(self) -> LazyString:
        """Every problem, in the reader's language."""
        return LazyString(lambda: " ".join(str(translated(c, p)) for c, p in self.problems))

    @property
    def english(self) -> str:
        """Every problem, in English."""
        return " ".join(english(c, p) for c, p in self.problems)


class InvalidCredentials(AccountError):
    """Wrong email or password (never says which)."""

    def __init__(self):
        super().__init__("credentials-wrong", field="password")


class TooManyAttempts(ServiceError):
    """Too many failed sign-ins for this account or address; try again later."""

    CODE = "too-many-attempts"  # a subclass names its own (sign-ups)

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(self.CODE, minutes=max(1, -(-retry_after // 60)))


class EmailNotConfirmed(AccountError):
    """The password is right but the address was never confirmed through the mailed link."""

    def __init__(self):
        super().__init__("email-not-confirmed", field="form")


def normalize_email(email: str) -> str:
    """Trimmed and lowercased, as stored and compared."""
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> User | None:
    """The user with this email (any case), or None."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def check_new_password(password: str, policy: AccountPolicy, email: str = "") -> None:
    """Raise AccountError naming ``password`` when it is too short, too long or too common."""
    problems = password_problems(password, policy.password_min_length, email)
    if problems:
        raise PasswordRejected(problems)


def create_user(
    session: Session,
    email: str,
    password: str | None,
    policy: AccountPolicy,
    *,
    role: str = Role.OWNER,
    country: str | None = None,
    display_name: str = "",
    locale: str = "km",
    confirmed: bool = True,
) -> User:
    """A new account; the email must be unused and the password acceptable.

    Accounts an admin makes are confirmed; a self-service sign-up passes
    ``confirmed=False`` and the owner confirms through the mailed link.
    """
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError("email-invalid", field="email")
    if role not in tuple(Role):
        raise AccountError("role-unknown", field="role")
    if find_user(session, email) is not None:
        raise AccountError("email-taken", field="email")
    country = (country or "").strip().upper() or None
    if country is not None and country not in load_countries():
        raise AccountError("country-unknown", field="country")
    if password is not None:
        check_new_password(password, policy, email)
    user = User(
        email=email,
        display_name=display_name.strip()[:120],
        password_hash=hash_password(password, policy.hasher) if password is not None else None,
        role=role,
        country=country,
        locale=locale if locale in ("km", "en") else "km",
        email_confirmed_at=utcnow() if confirmed else None,
    )
    try:
        with session.begin_nested():  # a concurrent sign-up with the same email loses here
            session.add(user)
    except IntegrityError:
        raise AccountError("email-taken", field="email") from None
    return user


def authenticate(
    session: Session, email: str, password: str, address: str, policy: AccountPolicy
) -> User:
    """The user for these credentials, or InvalidCredentials / TooManyAttempts.

    Failures are rows in ``login_failures``; the limit applies per account and
    per client address within the window, so it holds across worker processes.
    A right password for an address never confirmed raises EmailNotConfirmed.
    """
    email = normalize_email(email)
    address = (address or "unknown")[:64]
    _check_rate_limit(session, email, address, policy)
    user = find_user(session, email)
    if user is None:
        burn_time(password, policy.hasher)
    ok = user is not None and verify_password(user.password_hash, password, policy.hasher)
    if not ok or not user.active:
        count_attempt(session, LOGIN, email, address, policy.login_window_seconds)
        raise InvalidCredentials()
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()
    session.exec(delete(LoginFailure).where(LoginFailure.email == email, _is(LOGIN)))
    if needs_rehash(user.password_hash, policy.hasher):
        user.password_hash = hash_password(password, policy.hasher)
    session.add(user)
    session.flush()
    return user


def _is(kind: str):
    return LoginFailure.kind == kind


def check_attempts(
    session: Session,
    kind: str,
    window_seconds: int,
    *,
    address: str,
    max_by_address: int,
    email: str | None = None,
    max_by_email: int | None = None,
    error: type[TooManyAttempts] = TooManyAttempts,
) -> None:
    """Raise TooManyAttempts when ``kind`` attempts within the window reached a limit.

    The one rate limit of the app (failed sign-ins, sign-ups): attempts are rows
    in ``login_failures``, so the limit holds across worker processes and hosts.
    """
    since = utcnow() - timedelta(seconds=window_seconds)
    by_email = LoginFailure.email == (email or "")
    rows = session.exec(
        select(
            func.count().filter(by_email),
            func.count().filter(LoginFailure.address == address),
            func.min(LoginFailure.created_at),
        ).where(
            _is(kind),
            LoginFailure.created_at >= since,
            or_(by_email, LoginFailure.address == address),
        )
    ).one()
    by_account, by_address, oldest = rows
    if by_address >= max_by_address or (max_by_email is not None and by_account >= max_by_email):
        retry = window_seconds
        if oldest is not None:
            retry = int((oldest - since).total_seconds()) + 1
        raise error(max(retry, 1))


def count_attempt(
    session: Session, kind: str, email: str, address: str, window_seconds: int
) -> None:
    """Add one ``kind`` attempt; drop this account's and address's rows past the window."""
    since = utcnow() - timedelta(seconds=window_seconds)
    session.exec(
        delete(LoginFailure).where(
            _is(kind),
            or_(LoginFailure.email == email, LoginFailure.address == address),
            LoginFailure.created_at < since,
        )
    )
    session.add(LoginFailure(kind=kind, email=email[:254], address=address, created_at=utcnow()))
    session.flush()


def _check_rate_limit(session: Session, email: str, address: str, policy: AccountPolicy) -> None:
    check_attempts(
        session,
        LOGIN,
        policy.login_window_seconds,
        address=address,
        max_by_address=policy.login_max_failures_per_address,
        email=email,
        max_by_email=policy.login_max_failures,
    )


def sign_out_everywhere(session: Session, user: User) -> None:
    """Bump auth_version: every session cookie issued before stops working."""
    user.auth_version += 1
    session.add(user)
    session.flush()


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    policy: AccountPolicy,
    address: str = "unknown",
) -> None:
    """Replace the password after checking the current one; ends other sessions.

    A wrong current password counts as a failed sign-in (the caller commits it),
    so a borrowed session cannot be used to guess the password.
    """
    _check_rate_limit(session, user.email, address, policy)
    if not verify_password(user.password_hash, current, policy.hasher):
        count_attempt(session, LOGIN, user.email, address[:64], policy.login_window_seconds)
        raise AccountError("current-password-wrong", field="current_password")
    check_new_password(new, policy, user.email)
    set_password(session, user, new, policy)


def set_password(session: Session, user: User, new: str, policy: AccountPolicy) -> None:
    """Store a new hash and void every session and reset link issued before."""
    user.password_hash = hash_password(new, policy.hasher)
    sign_out_everywhere(session, user)
    now = utcnow()
    for reset in session.exec(
        select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at == None)  # noqa: E711
    ):
        reset.used_at = now
        session.add(reset)
    session.flush()


def request_password_reset(
    session: Session, email: str, secret_key: str, policy: AccountPolicy
) -> tuple[User, str] | None:
    """A (user, token) for an active account with this email, else None (caller answers alike).

    At most ``password_reset_per_hour`` links per account and hour, so the form
    cannot be used to flood someone's inbox; past that, None as for an unknown email.
    """
    user = find_user(session, email)
    if user is None or not user.active:
        return None
    now = utcnow()
    recent = session.exec(
        select(func.count()).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at >= now - timedelta(hours=1)
        )
    ).one()
    if recent >= policy.password_reset_per_hour:
        return None
    nonce = secrets.token_urlsafe(24)
    session.add(
        PasswordReset(
            user_id=user.id,
            nonce_hash=_sha256(nonce),
            created_at=now,
            expires_at=now + timedelta(minutes=policy.password_reset_minutes),
        )
    )
    session.flush()
    token = _reset_serializer(secret_key).dumps({"u": user.id, "n": nonce})
    return user, token


def check_reset_token(
    session: Session, token: str, secret_key: str, policy: AccountPolicy
) -> tuple[User, PasswordReset]:
    """The user and reset row a token stands for, or AccountError if forged, used or expired."""
    invalid = AccountError("reset-link-invalid", field="token")
    try:
        data = _reset_serializer(secret_key).loads(
            token, max_age=policy.password_reset_minutes * 60
        )
        user_id, nonce = int(data["u"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise invalid from None
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.nonce_hash == _sha256(nonce))
    ).first()
    if reset is None or reset.user_id != user_id or reset.used_at is not None:
        raise invalid
    if reset.expires_at <= utcnow():
        raise invalid
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise invalid
    return user, reset


def reset_password(
    session: Session, token: str, new: str, secret_key: str, policy: AccountPolicy
) -> User:
    """Set a new password through a reset link; the link (and every other) is then used up."""
    user, _reset = check_reset_token(session, token, secret_key, policy)
    check_new_password(new, policy, user.email)
    set_password(session, user, new, policy)
    if user.email_confirmed_at is None:  # the reset link reached the mailbox: that confirms it
        user.email_confirmed_at = utcnow()
    session.exec(delete(LoginFailure).where(LoginFailure.email == user.email, _is(LOGIN)))
    return user


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
