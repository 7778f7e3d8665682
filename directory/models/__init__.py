"""Table models. Importing this package registers every table on SQLModel.metadata."""

from directory.models.accounts import AuditEntry, LoginFailure, PasswordReset, PersonalToken
from directory.models.enquiries import (
    Enquiry,
    EnquiryBlock,
    EnquiryCounter,
    EnquiryMessage,
    EnquiryState,
    SavedSearch,
)
from directory.models.exchange import PeerToken, PeerTokenUse
from directory.models.listings import (
    ChangeCounter,
    ChangeLogEntry,
    Decision,
    DistinctPair,
    Listing,
    ListingMatchKey,
    ListingState,
    ReviewDecision,
    Revision,
    RevisionKind,
    RevisionState,
)
from directory.models.sync import (  # noqa: F401  (registers the sync tables)
    HeldPageRow,
    HeldRunRow,
    PushReceiptRow,
    QuarantineEntry,
    SchedulerLease,
    SyncCheckpoint,
    SyncRun,
)
from directory.models.trust import Claim, ClaimRole, ClaimState, FreshnessReminder
from directory.models.users import Role, User

__all__ = [
    "Claim",
    "ClaimRole",
    "ClaimState",
    "FreshnessReminder",
    "AuditEntry",
    "LoginFailure",
    "PasswordReset",
    "PersonalToken",
    "Enquiry",
    "EnquiryBlock",
    "EnquiryCounter",
    "EnquiryMessage",
    "EnquiryState",
    "SavedSearch",
    "PeerToken",
    "PeerTokenUse",
    "ChangeCounter",
    "ChangeLogEntry",
    "Decision",
    "DistinctPair",
    "Listing",
    "ListingMatchKey",
    "ListingState",
    "ReviewDecision",
    "Revision",
    "RevisionKind",
    "RevisionState",
    "Role",
    "User",
]
