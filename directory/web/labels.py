"""Human labels, in the page's language, for codes in a record (provinces, ISIC, countries...)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from directory.models import ListingState, RevisionKind, RevisionState
from schemas import load_countries, load_isic, load_provinces
from sync.runs import RunOutcome

LEGAL_FORMS = {
    "sole_proprietorship": _l("Sole proprietorship"),
    "partnership": _l("Partnership"),
    "private_limited": _l("Private limited company"),
    "single_member_private_limited": _l("Single-member private limited company"),
    "public_limited": _l("Public limited company"),
    "cooperative": _l("Cooperative"),
    "branch_of_foreign_company": _l("Branch of a foreign company"),
    "other": _l("Other"),
}

SIZE_CLASSES = {
    "micro": _l("Micro (up to 10 employees)"),
    "small": _l("Small (11 to 50 employees)"),
    "medium": _l("Medium (51 to 100 employees)"),
}

SOCIAL_NETWORKS = {
    "facebook": "Facebook",
    "telegram": "Telegram",
    "line": "LINE",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "x": "X",
    "other": _l("Other"),
}

STATES = {
    ListingState.DRAFT: _l("Draft"),
    ListingState.PUBLISHED: _l("Published"),
    ListingState.WITHDRAWN: _l("Withdrawn"),
    RevisionState.PENDING: _l("Waiting for review"),
    RevisionState.CHANGES_REQUESTED: _l("Changes requested"),
    RevisionState.APPROVED: _l("Approved"),
    RevisionState.REJECTED: _l("Rejected"),
    RevisionState.SUPERSEDED: _l("Superseded"),
}

# What an owner reads about a listing: (listing state, open revision state) -> one phrase.
OWNER_STATUS = {
    (ListingState.DRAFT, RevisionState.DRAFT): _l("Draft, not yet submitted"),
    (ListingState.DRAFT, RevisionState.PENDING): _l("Waiting for review"),
    (ListingState.DRAFT, RevisionState.CHANGES_REQUESTED): _l("Changes requested"),
    (ListingState.PUBLISHED, RevisionState.DRAFT): _l("Published; your edit is not yet submitted"),
    (ListingState.PUBLISHED, RevisionState.PENDING): _l(
        "Published; your edit is waiting for review"
    ),
    (ListingState.PUBLISHED, RevisionState.CHANGES_REQUESTED): _l(
        "Published; changes requested on your edit"
    ),
}

KINDS = {
    RevisionKind.NEW: _l("New listing"),
    RevisionKind.EDIT: _l("Edit"),
    RevisionKind.REMOTE: _l("From a peer"),
    RevisionKind.IMPORT: _l("Import"),
}


# The tombstone guard's "held" (a run stopped until someone confirms it) and the
# review "held" (records sent to the review queue) are different things: never one word.
RUN_OUTCOMES = {
    RunOutcome.RUNNING: _l("Running"),
    RunOutcome.SUCCESS: _l("Succeeded"),
    RunOutcome.FAILED: _l("Failed"),
    RunOutcome.HELD: _l("Stopped for confirmation"),
    RunOutcome.SKIPPED: _l("Skipped"),
    RunOutcome.INTERRUPTED: _l("Interrupted"),
}

DIRECTIONS = {"pull": _l("Receive"), "push": _l("Send"), "both": _l("Receive and send")}

RECEIPT_STATUSES = {
    "applied": _l("Applied"),
    "unchanged": _l("Unchanged"),
    "rejected": _l("Refused"),
    "conflict": _l("Conflict"),
}

# A failed run's error starts with the failure's kind (sync.errors.FeedError).
SYNC_ERRORS = {
    "timeout": _l("The peer did not answer in time."),
    "connection": _l("Could not connect to the peer."),
    "http_status": _l("The peer answered with an error."),
    "auth": _l("The peer refused our token."),
    "not_json": _l("The peer's answer was not readable data."),
    "truncated": _l("The peer's answer was cut short."),
    "oversized": _l("The peer's answer was too large."),
    "redirect": _l("The peer sent us to another address, which was refused."),
    "schema": _l("The peer's page did not match the feed schema."),
    "cursor": _l("The peer's change feed went out of order."),
}


def _lang() -> str:
    return str(get_locale() or "km")


@cache
def _provinces_by_code() -> dict[str, dict]:
    return {row["code"]: row for row in load_provinces()}


def provinces() -> list[tuple[str, str]]:
    """(code, name) of Cambodia's provinces in the page's language, in list order."""
    return [(code, province_name(code)) for code in _provinces_by_code()]


def province_name(code: str | None) -> str:
    """A province's name in the page's language (the code itself when unknown)."""
    row = _provinces_by_code().get(code or "")
    if row is None:
        return code or ""
    return row["name_km"] if _lang() == "km" else row["name_en"]


def country_name(code: str | None) -> str:
    """A country's name in the page's language (CLDR names for Khmer)."""
    english = load_countries().get(code or "", code or "")
    if _lang() == "en":
        return english
    return get_locale().territories.get(code or "", english)


def countries() -> list[tuple[str, str]]:
    """(code, name) of every country, sorted by name in the page's language."""
    return sorted(((c, country_name(c)) for c in load_countries()), key=lambda row: row[1])


ISIC_KM = Path(__file__).resolve().parent.parent / "data" / "isic-rev4-km.csv"


@cache
def isic_khmer_titles() -> dict[str, str]:
    """code -> Khmer title of every ISIC level (our unofficial translation, see the file)."""
    with ISIC_KM.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["title_km"] for row in csv.DictReader(fh)}


def isic_title(code: str | None) -> str:
    """An ISIC title at any level in the page's language (Khmer: unofficial translation)."""
    row = load_isic().get(code or "")
    if row is None:
        return code or ""
    if _lang() == "km":
        return isic_khmer_titles().get(code, row["title_en"])
    return row["title_en"]


def isic_options() -> list[tuple[str, str, str]]:
    """(code, title, title in the other language) of every ISIC division, group and class,
    for the sector picker, which finds a sector by words in Khmer or English."""
    km = isic_khmer_titles()
    other = (lambda c, r: r["title_en"]) if _lang() == "km" else (lambda c, r: km.get(c, ""))
    return [
        (c, isic_title(c), other(c, row))
        for c, row in load_isic().items()
        if row["level"] != "section"
    ]


def isic_sections() -> list[tuple[str, str]]:
    """(letter, title) of the ISIC sections."""
    return [(c, isic_title(c)) for c, row in load_isic().items() if row["level"] == "section"]


def legal_form_label(code: str | None) -> str:
    """A legal form's label."""
    return str(LEGAL_FORMS.get(code or "", code or ""))


def size_class_label(code: str | None) -> str:
    """A size class's label."""
    return str(SIZE_CLASSES.get(code or "", code or ""))


def network_label(code: str | None) -> str:
    """A social network's label."""
    return str(SOCIAL_NETWORKS.get(code or "", code or ""))


def state_label(state: str | None) -> str:
    """A listing or revision state's label."""
    return str(STATES.get(state or "", state or ""))


def run_outcome_label(outcome: str | None) -> str:
    """A sync run outcome's label."""
    return str(RUN_OUTCOMES.get(outcome or "", outcome or ""))


def owner_status(listing_state: str, revision_state: str | None) -> tuple[str, str]:
    """(css state, phrase) of a listing for its owner: one phrase, never "Draft · Draft"."""
    phrase = OWNER_STATUS.get((listing_state, revision_state or ""))
    if phrase is None:
        return listing_state, state_label(listing_state)
    return revision_state or listing_state, str(phrase)


def direction_label(direction: str | None) -> str:
    """A sync direction (pull, push) in words."""
    return str(DIRECTIONS.get(direction or "", direction or ""))


def receipt_status_label(status: str | None) -> str:
    """A push receipt's status in words."""
    return str(RECEIPT_STATUSES.get(status or "", status or ""))


def sync_error_label(error: str | None) -> str:
    """What a run's error means, in words; the raw text is shown next to it as code."""
    if not error:
        return ""
    kind = error.split(":", 1)[0].strip()
    return str(SYNC_ERRORS.get(kind, _l("The run stopped with an error.")))


def kind_label(kind: str | None) -> str:
    """A revision kind's label."""
    return str(KINDS.get(kind or "", kind or ""))


def display_names(names: dict | None) -> tuple[str, str]:
    """(main, other) name of a business: the page's language first, the other one second."""
    names = names or {}
    first, second = ("km", "en") if _lang() == "km" else ("en", "km")
    main = names.get(first) or names.get(second) or ""
    other = names.get(second) if names.get(first) else ""
    return main, (other or "") if other != main else ""


def display_value(pointer: str, value) -> str:
    """A leaf value of a record as a reader wants it: names for codes, Yes/No for flags."""
    field = pointer.rsplit("/", 1)[-1]
    parent = pointer.split("/")[1] if pointer.count("/") >= 1 else ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(display_value(pointer, v) for v in value)
    if field == "province":
        return province_name(value)
    if field == "country" or parent == "export_markets" or pointer == "/export_markets":
        return country_name(value)
    if parent == "sectors":
        return f"{value} {isic_title(value)}"
    if field == "legal_form":
        return legal_form_label(value)
    if field == "size_class":
        return size_class_label(value)
    if field == "network":
        return network_label(value)
    return str(value)
