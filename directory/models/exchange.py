"""Peer tokens (how other nodes authenticate to the exchange API) and their use log.

A token belongs to one configured peer and carries scopes (``feed:read``,
``changes:push``, ``oai:read``, ``enquiries:push``). Only the SHA-256 of the token is stored: the
plaintext is shown once, when it is created. Every authenticated request adds
one row to ``peer_token_uses`` (not one per record), so the log stays cheap.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow

SCOPES = ("feed:read", "changes:push", "oai:read", "enquiries:push")


class PeerToken(SQLModel, table=True):
    """A bearer token a peer node presents to this node's exchange API."""

    __tablename__ = "peer_tokens"
    __table_args__ = (
        Index("uq_peer_tokens_hash", "token_hash", unique=True),
        Index("ix_peer_tokens_peer", "peer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    peer_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=120)
    scopes: str = Field(max_length=200)  # " feed:read changes:push "
    token_hash: str = Field(max_length=64)  # hex SHA-256 of the plaintext
    prefix: str = Field(max_length=16)  # first characters, to tell tokens apart in lists
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="users.id")  # None: command line
    last_used_at: datetime | None = None

    @property
    def scope_list(self) -> list[str]:
        """The token's scopes, in a stable order."""
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        """True when the token grants ``scope``."""
        return scope in self.scopes.split()

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None


class PeerTokenUse(SQLModel, table=True):
    """One authenticated request made with a peer token."""

    __tablename__ = "peer_token_uses"
    __table_args__ = (Index("ix_peer_token_uses_token", "token_id", "used_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="peer_tokens.id")
    used_at: datetime = Field(default_factory=utcnow)
    endpoint: str = Field(max_length=80)
    client_addr: str | None = Field(default=None, max_length=64)
    count: int = 0  # records served or received
