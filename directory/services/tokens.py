"""Peer tokens: create (shown once), list, revoke, authenticate, and log each use.

A token is ``smedir_peer_`` plus 32 random bytes (URL-safe base64), so a hash
without salt is safe to store: nobody can guess their way to a preimage. Lookup
goes through the unique index on the hash, and the stored hash is compared
again with ``hmac.compare_digest`` so no timing difference depends on the
token's characters. Revocation is checked on every request: a revoked token
stops working at once. Creating and revoking a token writes an audit entry in the
same transaction (``peer_token.create`` / ``peer_token.revoke``), and a revoked
token keeps who revoked it (``revoked_by``; None for the command line).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection

from sqlalchemy import insert, select, update
from sqlmodel import Session

from directory import permissions
from directory.config import NODE_ID_RE
from directory.models import PeerToken, PeerTokenUse, User
from directory.models.base import utcnow
from directory.models.exchange import SCOPES
from directory.services.audit import record_audit
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied

TOKEN_PREFIX = "smedir_peer_"


def hash_token(plaintext: str) -> str:
    """Hex SHA-256 of a token's text (what the database stores)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_peer_token(
    session: Session,
    actor: User | None,
    peer_id: str,
    scopes: list[str],
    name: str = "",
    *,
    known_peers: Collection[str] | None = None,
) -> tuple[PeerToken, str]:
    """Create a token for ``peer_id``; returns the row and the plaintext (shown only once).

    ``actor`` None means the command line (run by whoever holds the server);
    otherwise only admins may create tokens. ``known_peers``, when given, are
    the configured peer ids the token must belong to.
    """
    if actor is not None and not permissions.can_manage_users(actor):
        raise PermissionDenied("peer-tokens-admin-only")
    if not NODE_ID_RE.match(peer_id or ""):
        raise InvalidTransition("peer-id-invalid", peer=peer_id)
    if known_peers is not None and peer_id not in known_peers:
        raise InvalidTransition("peer-not-configured", peer=peer_id)
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidTransition("scopes-invalid", allowed=", ".join(SCOPES), got=scopes)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ordered = [s for s in SCOPES if s in scopes]
    token = PeerToken(
        peer_id=peer_id,
        name=name.strip()[:120],
        scopes=f" {' '.join(ordered)} ",
        token_hash=hash_token(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 4],
        created_by=actor.id if actor is not None else None,
    )
    session.add(token)
    session.flush()
    detail = {"peer": peer_id, "scopes": ordered, "name": token.name, "prefix": token.prefix}
    record_audit(session, actor, "peer_token.create", f"peer_token:{token.id}", _via(actor, detail))
    return token, plaintext


def revoke_peer_token(session: Session, actor: User | None, token_id: int) -> PeerToken:
    """Revoke a token (idempotent); it fails authentication from the next request on."""
    if actor is not None and not permissions.can_manage_users(actor):
        raise PermissionDenied("peer-tokens-admin-only")
    token = session.get(PeerToken, token_id)
    if token is None:
        raise NotFound("peer-token-not-found", id=token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by = actor.id if actor is not None else None
        session.add(token)
        session.flush()
        detail = {"peer": token.peer_id, "name": token.name, "prefix": token.prefix}
        record_audit(
            session, actor, "peer_token.revoke", f"peer_token:{token.id}", _via(actor, detail)
        )
    return token


def _via(actor: User | None, detail: dict) -> dict:
    """The audit detail, marked as done at the command line when there is no actor."""
    return detail if actor is not None else {**detail, "via": "cli"}


def list_peer_tokens(session: Session, *, include_revoked: bool = True) -> list[PeerToken]:
    """Every peer token, newest first."""
    stmt = select(PeerToken).order_by(PeerToken.created_at.desc(), PeerToken.id.desc())
    if not include_revoked:
        stmt = stmt.where(PeerToken.revoked_at.is_(None))
    return list(session.execute(stmt).scalars())


def authenticate_peer_token(session: Session, plaintext: str | None) -> PeerToken | None:
    """The active token whose text is ``plaintext``, or None (unknown, malformed or revoked)."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = hash_token(plaintext)
    token = session.execute(
        select(PeerToken).where(PeerToken.token_hash == digest)
    ).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token if token.revoked_at is None else None


def log_token_use(
    session: Session, token_id: int, endpoint: str, client_addr: str | None, count: int = 0
) -> None:
    """Record one authenticated request (one row per request, never per record)."""
    now = utcnow()
    session.execute(
        insert(PeerTokenUse.__table__).values(
            token_id=token_id,
            used_at=now,
            endpoint=endpoint[:80],
            client_addr=(client_addr or "")[:64] or None,
            count=count,
        )
    )
    session.execute(
        update(PeerToken.__table__).where(PeerToken.id == token_id).values(last_used_at=now)
    )


def token_uses(session: Session, token_id: int, limit: int = 50) -> list[PeerTokenUse]:
    """The most recent uses of a token."""
    stmt = (
        select(PeerTokenUse)
        .where(PeerTokenUse.token_id == token_id)
        .order_by(PeerTokenUse.used_at.desc(), PeerTokenUse.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
