"""Who is calling the API: a peer with a bearer token, or a signed-in owner with a session.

Peer tokens authenticate the exchange endpoints; each request made with one is
logged (one row per request). Owners use their session cookie or a personal
token (``Authorization: Bearer smedir_pat_...``, see ``directory.web.auth``).
Session writes must carry the CSRF token in an ``X-CSRFToken`` header, since
the API blueprint is exempt from the form-based check; bearer requests cannot
be forged by a browser, so they need none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from flask import current_app, g, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from directory.api.problems import ApiError
from directory.context import SAFE_METHODS, db_session, get_engine
from directory.db import transaction
from directory.extensions import csrf
from directory.models import PeerToken, User
from directory.services.tokens import authenticate_peer_token, log_token_use
from directory.web.access import current_actor

BEARER = {"WWW-Authenticate": 'Bearer realm="smedir"'}


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_peer(scope: str) -> Callable:
    """Allow a view only to a peer token with ``scope`` (401 without a valid one, 403 without
    the scope); the token is in ``g.peer_token``."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = authenticate_peer_token(db_session(), bearer_token())
            if token is None:
                raise ApiError("peer-token-required", 401, headers=BEARER)
            if not token.has_scope(scope):
                raise ApiError("token-scope-missing", 403, scope=scope)
            g.peer_token = token
            return view(*args, **kwargs)

        return wrapped

    return decorate


def current_peer() -> PeerToken:
    """The peer token authenticated for this request."""
    return g.peer_token


def peer_config(peer_id: str) -> dict[str, Any] | None:
    """The ``[[peers]]`` entry configured for ``peer_id``, if any."""
    peers = current_app.config["SMEDIR"]["peers"]
    return next((p for p in peers if p["id"] == peer_id), None)


def commit_peer_batch(apply: Callable[[Any], dict]) -> dict:
    """Run ``apply(session)`` in the request's session, log the peer's use, commit, and return
    its answer (a dict with ``receipts``). A concurrent push of the same new row from another
    worker loses the insert race (IntegrityError): rolled back and tried once more, when the
    row exists and its receipt says so."""
    for attempt in (1, 2):
        session = db_session()
        try:
            answer = apply(session)
            record_peer_use(len(answer["receipts"]))
            session.commit()
            return answer
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise


def record_peer_use(count: int) -> None:
    """Log this request's use of its peer token (in the request's write session for writes,
    else in a short transaction of its own)."""
    token = current_peer()
    endpoint = f"{request.method} {request.path}"
    addr = request.remote_addr
    if request.method in SAFE_METHODS:
        with transaction(get_engine(current_app)) as session:
            log_token_use(session, token.id, endpoint, addr, count)
    else:
        log_token_use(db_session(), token.id, endpoint, addr, count)


def require_owner_session() -> User:
    """The signed-in user, by session cookie or personal token (401 otherwise); writes made
    with the session cookie must carry a valid CSRF header."""
    from directory.web.auth import authenticated_by_token

    actor = current_actor()
    if actor is None:
        raise ApiError("sign-in-required", 401, headers=BEARER)
    if request.method not in SAFE_METHODS and not authenticated_by_token():
        try:
            csrf.protect()
        except CSRFError:
            raise ApiError("csrf-failed", 403) from None
    return actor


def json_body() -> Any:
    """The parsed JSON body; 400 when it is not JSON (413 over the size limit comes first).

    A chunked body has no Content-Length to check up front, and werkzeug stops
    reading it silently at the limit; reading one byte more tells a body that is
    over the limit (413) from one that ends exactly there.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is None:
        request.max_content_length = limit + 1
    raw = request.get_data(cache=True)
    if limit and len(raw) > limit:
        raise RequestEntityTooLarge()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError("body-not-json", 400, line=exc.lineno, column=exc.colno) from None
    return body
