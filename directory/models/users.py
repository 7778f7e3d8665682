"""User accounts and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow


class Role(enum.StrEnum):
    """What a user may do; see DESIGN.md "Who uses it"."""

    OWNER = "owner"
    FOCAL_POINT = "focal_point"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """A person who signs in: an SME owner, a focal point or an admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'focal_point', 'admin')", name="ck_users_role"),
        Index("uq_users_email", "email", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    display_name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(default=Role.OWNER, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    locale: str = Field(default="km", max_length=5)
    active: bool = True
    # bumped on logout-everywhere and password change so captured cookies stop working
    auth_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    # None until the owner opens the link mailed at sign-up; only then may they sign in
    email_confirmed_at: datetime | None = None
    # a mail to this address failed permanently (SMTP 5xx) or an admin marked it bounced
    mail_bounced_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        """True for admins."""
        return self.role == Role.ADMIN

    @property
    def is_focal_point(self) -> bool:
        """True for focal points (reviewers)."""
        return self.role == Role.FOCAL_POINT

    # Flask-Login's user protocol (the session stores get_id(); see directory/web/auth.py)
    @property
    def is_authenticated(self) -> bool:
        """A loaded user is a signed-in user."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in."""
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous (Flask-Login's AnonymousUserMixin covers visitors)."""
        return False

    def get_id(self) -> str:
        """``"<id>:<auth_version>"``: bumping auth_version voids every earlier session."""
        return f"{self.id}:{self.auth_version}"
