"""Resumption tokens: stateless, signed with the app's secret, and expiring.

A token carries the request it continues (verb, metadataPrefix, set, from,
until), the change sequence number of the last item sent, how many items were
sent before (the ``cursor``) and its expiry time. It is base64url JSON plus an
HMAC, so a harvester cannot forge or alter one; an expired or altered token is
a ``badResumptionToken``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass

import orjson


class BadToken(ValueError):
    """The token is malformed, altered or expired."""


@dataclass(frozen=True)
class Position:
    """Where a list request stands."""

    verb: str
    prefix: str | None
    set: str | None
    since: str | None  # the from argument as given
    until: str | None
    after_seq: int
    cursor: int
    expires: int  # unix time


def _sign(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_token(position: Position, secret: str) -> str:
    """The token text for ``position``."""
    payload = orjson.dumps(asdict(position))
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(secret, payload)}"


def decode_token(token: str, secret: str, now: float | None = None) -> Position:
    """The position in a token; raises BadToken if it is not one of ours or has expired."""
    body, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("the resumptionToken is not one this repository issued") from None
    if not signature or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise BadToken("the resumptionToken is not one this repository issued")
    position = Position(**orjson.loads(payload))
    if position.expires < (time.time() if now is None else now):
        raise BadToken("the resumptionToken has expired; start the list again")
    return position
