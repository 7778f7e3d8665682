"""Trust in a listing: ownership claims and the freshness reminders sent to owners.

A claim is a signed-in user's statement that a listing without an owner here is their
business; a focal point decides it (or it is approved at once when the claimant's
confirmed email is on a domain the record lists). Reminders are recorded so that the
daily freshness job never mails the same reminder twice.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow


class ClaimState(enum.StrEnum):
    """Where a claim stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class ClaimRole(enum.StrEnum):
    """What the claimant says they are to the business."""

    OWNER = "owner"
    MANAGER = "manager"
    EMPLOYEE = "employee"
    REPRESENTATIVE = "representative"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Claim(SQLModel, table=True):
    """ "This is my business": a user asks to become the owner of a listing on this node."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(_in("state", ClaimState), name="ck_claims_state"),
        CheckConstraint(_in("role", ClaimRole), name="ck_claims_role"),
        CheckConstraint(
            "state = 'pending' OR decided_at IS NOT NULL", name="ck_claims_decision_has_time"
        ),
        # one open claim per claimant and listing
        Index(
            "uq_claims_one_pending",
            "listing_id",
            "claimant_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_claims_state", "state", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: str = Field(foreign_key="listings.id", max_length=100)
    claimant_id: int = Field(foreign_key="users.id")
    role: str = Field(max_length=20)
    note: str = Field(default="", max_length=1000)
    state: str = Field(default=ClaimState.PENDING, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="users.id")  # None: automatic
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class FreshnessReminder(SQLModel, table=True):
    """A reminder mailed (or being mailed) to a listing's owner for one confirmation period."""

    __tablename__ = "freshness_reminders"
    __table_args__ = (
        CheckConstraint("kind IN ('before', 'expiry')", name="ck_freshness_reminders_kind"),
        Index("uq_freshness_reminders", "listing_id", "kind", "period_start", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: str = Field(foreign_key="listings.id", max_length=100)
    kind: str = Field(max_length=10)
    # the confirmation this reminder is about: a new confirmation starts a new period
    period_start: datetime
    created_at: datetime = Field(default_factory=utcnow)
    sent_to: str = Field(default="", max_length=254)
    outcome: str = Field(default="sent", max_length=20)  # sending | sent | bounced
