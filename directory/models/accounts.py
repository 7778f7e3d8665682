"""Account security tables: failed logins, password reset tokens, audit log, personal tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow


class LoginFailure(SQLModel, table=True):
    """One counted attempt: a failed sign-in (``kind`` "login") or a sign-up ("signup").

    Counted per account and per client address within a window; kept in the
    database (not process memory) so the limits hold across workers.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "created_at"),
        Index("ix_login_failures_address_at", "address", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(default="login", max_length=10, sa_column_kwargs={"server_default": "login"})


class PasswordReset(SQLModel, table=True):
    """A reset link sent by mail: only a hash of its nonce is stored; usable once, expires."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("uq_password_resets_nonce", "nonce_hash", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    nonce_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """Who did what to what, when and why (role changes, review decisions, ...)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "created_at"),
        Index("ix_audit_log_action_at", "action", "created_at"),
        Index("ix_audit_log_actor_at", "actor_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    # a copy of the actor's email at the time, so the entry still reads after changes
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=4000)


class PersonalToken(SQLModel, table=True):
    """A user's API token (bearer); only its SHA-256 is stored."""

    __tablename__ = "personal_tokens"
    __table_args__ = (Index("uq_personal_tokens_hash", "token_hash", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
