"""Buyer enquiries, the messages that carry them between nodes, limits, blocks, saved searches.

An enquiry lives on the buyer's node (``sender_node``, which alone knows the
buyer's address) and on the listing's origin node (where the owner answers);
a hub that relays between the two holds only the messages. ``enquiry_messages``
is both outbox and inbox: a row with ``next_hop`` set and state ``pending`` waits
to be pushed to that peer; the primary key (the message id) makes a repeated
delivery a no-op. Nothing here ever enters the change log, the feed or OAI-PMH.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow


class EnquiryState(enum.StrEnum):
    """Where an enquiry stands: new -> read -> answered / declined / expired."""

    UNCONFIRMED = "unconfirmed"  # waiting for the buyer to open the mailed link
    NEW = "new"
    READ = "read"
    ANSWERED = "answered"
    DECLINED = "declined"
    EXPIRED = "expired"
    REFUSED = "refused"  # the origin did not accept it (blocked sender, switched off, limit)


OPEN_ENQUIRY_STATES = (EnquiryState.NEW, EnquiryState.READ)
MESSAGE_STATES = ("pending", "sent", "received", "failed")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Enquiry(SQLModel, table=True):
    """One buyer's enquiry about one listing as this node holds it (buyer's side, origin, both)."""

    __tablename__ = "enquiries"
    __table_args__ = (
        CheckConstraint(_in("state", EnquiryState), name="ck_enquiries_state"),
        Index("uq_enquiries_uid", "uid", unique=True),
        Index("ix_enquiries_listing", "listing_id", "created_at"),
        Index("ix_enquiries_origin_state", "listing_origin", "state"),
        Index("ix_enquiries_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=80)  # "<buyer node>:e:<32 hex>", the same on every node
    listing_id: str = Field(max_length=100)
    listing_origin: str = Field(max_length=32)
    sender_node: str = Field(max_length=32)
    sender_ref: str = Field(max_length=60)  # opaque per-address reference (blocks)
    state: str = Field(default=EnquiryState.NEW, max_length=12)
    product: str = Field(max_length=200)
    hs_code: str | None = Field(default=None, max_length=10)
    quantity: str | None = Field(default=None, max_length=100)
    target_market: str | None = Field(default=None, max_length=2)
    message: str = Field(sa_column=Column(Text, nullable=False))
    organisation: str = Field(max_length=200)
    country: str = Field(max_length=2)
    # the buyer's side only: the verified address, and the details they offered to show
    sender_email: str | None = Field(default=None, max_length=254)
    sender_user_id: int | None = Field(default=None, foreign_key="users.id")
    # JSON; on the origin it arrives only after an answer
    sender_contact: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owner_contact: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    refusal: str | None = Field(default=None, max_length=60)  # a service error code
    locale: str = Field(default="en", max_length=5)
    # the listing's first sector and province when the enquiry arrived (counts only)
    sector: str | None = Field(default=None, max_length=4)
    province: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    read_at: datetime | None = None
    decided_at: datetime | None = None


class EnquiryMessage(SQLModel, table=True):
    """One exchange message about an enquiry: sent, to send (``next_hop``), or received."""

    __tablename__ = "enquiry_messages"
    __table_args__ = (
        CheckConstraint(_in("state", MESSAGE_STATES), name="ck_enquiry_messages_state"),
        Index("ix_enquiry_messages_outbox", "next_hop", "state", "created_at"),
        Index("ix_enquiry_messages_enquiry", "enquiry_uid"),
        Index("ix_enquiry_messages_created", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=80)  # "<writer node>:m:<32 hex>"
    kind: str = Field(max_length=20)
    enquiry_uid: str = Field(max_length=80)
    from_node: str = Field(max_length=32)
    to_node: str = Field(max_length=32)
    next_hop: str | None = Field(default=None, max_length=32)
    state: str = Field(default="pending", max_length=10)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_from: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class EnquiryCounter(SQLModel, table=True):
    """How many enquiries one key (sender, client address, listing) made in one window.

    Incremented with one atomic upsert, so the limits hold across workers and hosts.
    """

    __tablename__ = "enquiry_counters"
    __table_args__ = (Index("ix_enquiry_counters_until", "until"),)

    key: str = Field(primary_key=True, max_length=200)
    count: int = 0
    until: datetime  # the window's end: purged after


class EnquiryBlock(SQLModel, table=True):
    """A sender a focal point blocked, by the opaque reference enquiries carry."""

    __tablename__ = "enquiry_blocks"
    __table_args__ = (Index("uq_enquiry_blocks_ref", "sender_ref", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    sender_ref: str = Field(max_length=60)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="users.id")


class SavedSearch(SQLModel, table=True):
    """A buyer's saved search: a mail (at most daily) when a new listing matches it."""

    __tablename__ = "saved_searches"
    __table_args__ = (Index("ix_saved_searches_email", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    query: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the search filters
    locale: str = Field(default="en", max_length=5)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    checked_at: datetime | None = None  # listings created after this are new to the buyer
    mailed_at: datetime | None = None
    paused_at: datetime | None = None  # the buyer paused the mails (My saved searches)
