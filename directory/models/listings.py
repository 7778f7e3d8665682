"""Listings, their revisions, review decisions and the append-only change log.

A listing row holds the current published document (or tombstone) as canonical
JSON text, plus extracted columns for search and filters. Revisions keep every
version with its author and review state; the database allows at most one open
(draft, pending or changes-requested) revision per listing. ``change_log`` is
append-only; ``listings.change_seq`` points at the record's latest entry so the
change feed can read "latest version per record" straight off one index.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow


class ListingState(enum.StrEnum):
    """Where a listing stands as a whole."""

    DRAFT = "draft"  # never published
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # tombstoned here (withdrawn, closed, merged, deleted)


class RevisionState(enum.StrEnum):
    """Review state of one revision."""

    DRAFT = "draft"
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"  # reviewed and published
    PUBLISHED = "published"  # published without review (minor edit, import, trusted peer)
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an open revision replaced by a newer one (remote or withdrawn)


OPEN_STATES = (RevisionState.DRAFT, RevisionState.PENDING, RevisionState.CHANGES_REQUESTED)
DECIDED_STATES = (
    RevisionState.APPROVED,
    RevisionState.REJECTED,
    RevisionState.CHANGES_REQUESTED,
)


class RevisionKind(enum.StrEnum):
    """Why a revision exists; the review queue filters on it."""

    NEW = "new"
    EDIT = "edit"
    REMOTE = "remote"
    IMPORT = "import"


class Decision(enum.StrEnum):
    """What a focal point decided."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Listing(SQLModel, table=True):
    """One SME record as this node holds it (own or replica)."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_in("state", ListingState), name="ck_listings_state"),
        Index("ix_listings_change_seq", "change_seq", unique=True),
        Index("ix_listings_origin", "origin"),
        Index("ix_listings_owner", "owner_id"),
        Index("ix_listings_registration", "registration_number"),
        Index("ix_listings_created", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=100)
    origin: str = Field(max_length=32)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    state: str = Field(default=ListingState.DRAFT, max_length=20)
    version: int = Field(default=0)
    change_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    document: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    source_peer: str | None = Field(default=None, max_length=32)
    # extracted from the published document for search and filters
    name_km: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    province: str | None = Field(default=None, max_length=10)
    sectors: str | None = Field(default=None, max_length=200)  # " 1071 0111 " for LIKE matching
    isic_sections: str | None = Field(default=None, max_length=60)  # " C A "
    size_class: str | None = Field(default=None, max_length=10)
    legal_form: str | None = Field(default=None, max_length=40)
    women_owned: bool | None = None
    youth_owned: bool | None = None
    share_public: bool = False
    share_hub: bool = False
    share_peers: str | None = Field(default=None, max_length=500)  # " th la "
    # every destination any published version so far was shared with: who may get a tombstone
    shared_hub_ever: bool = False
    shared_peers_ever: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # some published version was public here: only such records are OAI-PMH items (deleted or not)
    shared_public_ever: bool = False
    # the listing steps the owner saved (" registration sharing "): done even if left empty
    steps_saved: str | None = Field(default=None, max_length=200)
    # words (ICU-segmented, case-folded) that the full-text index reads; see directory.search
    search_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    search_names: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    hs_codes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # " 0904 "
    export_markets: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    registration_number: str | None = Field(default=None, max_length=60)  # registration_key()
    # the record's freshness.status is "lapsed" (extracted, so search ranks it lower)
    lapsed: bool | None = None
    # own records: when the owner last confirmed or edited it (None: never, see freshness.py)
    confirmed_at: datetime | None = None


class Revision(SQLModel, table=True):
    """One version of a listing's data, as written by its author or received from a peer."""

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint(_in("state", RevisionState), name="ck_revisions_state"),
        CheckConstraint(_in("kind", RevisionKind), name="ck_revisions_kind"),
        CheckConstraint(
            f"NOT ({_in('state', DECIDED_STATES)}) OR reviewer_id IS NOT NULL",
            name="ck_revisions_decision_has_reviewer",
        ),
        Index(
            "uq_revisions_one_open",
            "listing_id",
            unique=True,
            sqlite_where=text(_in("state", OPEN_STATES)),
            postgresql_where=text(_in("state", OPEN_STATES)),
        ),
        Index("ix_revisions_listing", "listing_id", "number"),
        Index("ix_revisions_state", "state", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: str = Field(foreign_key="listings.id", max_length=100)
    number: int
    kind: str = Field(max_length=10)
    state: str = Field(max_length=20)
    document: str = Field(sa_column=Column(Text, nullable=False))
    author_id: int | None = Field(default=None, foreign_key="users.id")
    source_peer: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    published_version: int | None = None
    changed_fields: str | None = Field(default=None, max_length=500)  # " names contact "


class ReviewDecision(SQLModel, table=True):
    """A focal point's decision on a revision, kept forever."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        CheckConstraint(_in("decision", Decision), name="ck_review_decisions_decision"),
        Index("ix_review_decisions_listing", "listing_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revisions.id")
    listing_id: str = Field(foreign_key="listings.id", max_length=100)
    reviewer_id: int = Field(foreign_key="users.id")
    decision: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class ChangeLogEntry(SQLModel, table=True):
    """Append-only: one row per published change, in commit order."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_record", "record_id", "seq"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    record_id: str = Field(max_length=100)
    version: int
    deleted: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ChangeCounter(SQLModel, table=True):
    """Single row handing out change-log sequence numbers.

    Writers take the row lock with an UPDATE, so numbers are handed out in
    commit order: a reader never sees seq 7 committed while seq 6 is still open.
    """

    __tablename__ = "change_counter"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class ListingMatchKey(SQLModel, table=True):
    """A blocking key of a listing (``directory/services/match_keys.py``): ``tel:+855...``.

    Kept in step with the published document (and a pending revision's data) by every
    write path, so finding the candidates for a record is indexed lookups of its keys.
    """

    __tablename__ = "listing_match_keys"
    __table_args__ = (
        Index("ix_listing_match_keys_listing", "listing_id"),
        {"sqlite_with_rowid": False},  # the primary key is the table: one B-tree less to write
    )

    key: str = Field(primary_key=True, max_length=100)
    listing_id: str = Field(primary_key=True, max_length=100)


class DistinctPair(SQLModel, table=True):
    """Two listings a focal point decided are not the same business: never suggested again.

    ``listing_a`` sorts before ``listing_b``, so a pair is stored once.
    """

    __tablename__ = "distinct_pairs"
    __table_args__ = (
        CheckConstraint("listing_a < listing_b", name="ck_distinct_pairs_order"),
        Index("ix_distinct_pairs_b", "listing_b"),
    )

    listing_a: str = Field(primary_key=True, max_length=100)
    listing_b: str = Field(primary_key=True, max_length=100)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
