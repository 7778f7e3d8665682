"""Personal API tokens: a user's bearer token for scripts calling the owner API.

A token is ``smedir_pat_`` plus 32 random bytes (URL-safe base64); only its
SHA-256 is stored, and the plaintext is shown once at creation. A token acts
as its user (same role, same permissions) until revoked, and stops working as
soon as the user is deactivated. Creating and revoking one writes an audit entry
(``personal_token.create`` / ``personal_token.revoke``) in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from directory.models import PersonalToken, User
from directory.models.base import utcnow
from directory.services.accounts import AccountError
from directory.services.audit import record_audit
from directory.services.errors import NotFound, PermissionDenied

PREFIX = "smedir_pat_"
MAX_ACTIVE = 10


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_personal_token(session: Session, actor: User, name: str) -> tuple[PersonalToken, str]:
    """A new token for ``actor`` and its plaintext (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("token-name-invalid", field="name")
    if len(list_personal_tokens(session, actor)) >= MAX_ACTIVE:
        raise AccountError("too-many-tokens", field="name", n=MAX_ACTIVE)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken(user_id=actor.id, name=name, token_hash=_hash(plaintext))
    session.add(token)
    session.flush()
    target = f"personal_token:{token.id}"
    record_audit(session, actor, "personal_token.create", target, {"name": name})
    return token, plaintext


def list_personal_tokens(session: Session, actor: User) -> list[PersonalToken]:
    """The actor's tokens that are not revoked, newest first."""
    return list(
        session.exec(
            select(PersonalToken)
            .where(PersonalToken.user_id == actor.id, PersonalToken.revoked_at == None)  # noqa: E711
            .order_by(PersonalToken.id.desc())
        )
    )


def revoke_personal_token(session: Session, actor: User, token_id: int) -> PersonalToken:
    """Revoke one of the actor's own tokens (it stops working at once)."""
    token = session.get(PersonalToken, token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound("personal-token-not-found", id=token_id)
    if token.user_id != actor.id:
        raise PermissionDenied("token-owner-only")
    token.revoked_at = utcnow()
    token.revoked_by = actor.id
    session.add(token)
    session.flush()
    target = f"personal_token:{token.id}"
    record_audit(session, actor, "personal_token.revoke", target, {"name": token.name})
    return token


def authenticate_personal_token(
    session: Session, plaintext: str | None
) -> tuple[User, PersonalToken] | None:
    """The active user a valid, unrevoked token belongs to, and the token; None otherwise."""
    if not plaintext or not plaintext.startswith(PREFIX):
        return None
    digest = _hash(plaintext)
    token = session.exec(select(PersonalToken).where(PersonalToken.token_hash == digest)).first()
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def touch_personal_token(session: Session, token_id: int) -> None:
    """Record that a token was used (callers do it at most every few minutes)."""
    token = session.get(PersonalToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
        session.add(token)
        session.flush()
