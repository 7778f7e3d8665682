"""Record documents: canonical JSON, ids, envelope, and the columns search reads."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from directory.search.tokens import index_text

ENVELOPE_FIELDS = ("id", "origin", "version", "updated_at", "sharing", "freshness")
# only the origin sets these (freshness: the daily job and the owner's confirmation;
# aliases: a focal point's merge, directory/services/merges.py)
SYSTEM_FIELDS = ("id", "origin", "version", "updated_at", "freshness", "aliases")
DEFAULT_SHARING = {"public": True, "hub": False, "peers": [], "contact_public": False}
REGISTRATION_NAMESPACE = uuid.UUID("6f1c7f7e-4c1a-4b8e-9a55-5d2b1c0e9a10")


def canonical_json(doc: dict[str, Any]) -> str:
    """Compact JSON with sorted keys: the stored and served form of a document."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text (fast path used for stored documents)."""
    return orjson.loads(text)


def new_record_id(node_id: str) -> str:
    """A fresh globally unique id naming its origin node: ``kh:4f0c...``."""
    return f"{node_id}:{uuid.uuid4().hex}"


def registration_record_id(node_id: str, registration: dict[str, Any]) -> str:
    """A stable id derived from the registration, so re-importing a file finds the same record."""
    key = "|".join(
        str(registration.get(k, "")).strip().casefold() for k in ("country", "authority", "number")
    )
    return f"{node_id}:{uuid.uuid5(REGISTRATION_NAMESPACE, key).hex}"


def id_origin(record_id: str) -> str:
    """The origin node named by a record id (the part before the colon)."""
    return record_id.split(":", 1)[0]


def business_data(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the fields only the origin sets."""
    return {k: v for k, v in doc.items() if k not in SYSTEM_FIELDS}


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Top-level business fields whose value differs between two documents."""
    old = business_data(old or {})
    new = business_data(new)
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def is_tombstone(doc: dict[str, Any]) -> bool:
    """True for a tombstone document."""
    return doc.get("deleted") is True


def listing_columns(doc: dict[str, Any], isic_sections: dict[str, str]) -> dict[str, Any]:
    """The extracted columns of a published document (all None/False for a tombstone)."""
    if is_tombstone(doc):
        return {**dict.fromkeys(_NULLABLE_COLUMNS), "share_public": False, "share_hub": False}
    names = doc.get("names", {})
    address = doc.get("address", {})
    sharing = doc.get("sharing", DEFAULT_SHARING)
    sectors = doc.get("sectors", [])
    sections = sorted({isic_sections[c] for c in sectors if c in isic_sections})
    return {
        "name_km": names.get("km"),
        "name_en": names.get("en"),
        "country": address.get("country"),
        "province": address.get("province"),
        "sectors": _spaced(sectors),
        "isic_sections": _spaced(sections),
        "size_class": doc.get("size_class"),
        "legal_form": doc.get("legal_form"),
        "women_owned": doc.get("women_owned"),
        "youth_owned": doc.get("youth_owned"),
        "share_public": bool(sharing.get("public")),
        "share_hub": bool(sharing.get("hub")),
        "share_peers": _spaced(sharing.get("peers", [])),
        "search_text": search_text(doc),
        "search_names": search_names(doc),
        "hs_codes": _spaced(hs_codes(doc)),
        "export_markets": _spaced(doc.get("export_markets", [])),
        "registration_number": registration_key(doc.get("registration", {}).get("number")),
        "lapsed": is_lapsed(doc),
    }


LISTING_EXTRACTED_COLUMNS = (
    "name_km",
    "name_en",
    "country",
    "province",
    "sectors",
    "isic_sections",
    "size_class",
    "legal_form",
    "women_owned",
    "youth_owned",
    "share_public",
    "share_hub",
    "share_peers",
    "search_text",
    "search_names",
    "hs_codes",
    "export_markets",
    "registration_number",
    "lapsed",
)
_NULLABLE_COLUMNS = tuple(
    c for c in LISTING_EXTRACTED_COLUMNS if c not in ("share_public", "share_hub")
)


def is_lapsed(doc: dict[str, Any]) -> bool:
    """True when the origin marked the record lapsed: not confirmed by its owner in time."""
    return doc.get("freshness", {}).get("status") == "lapsed"


def listing_values(doc: dict[str, Any], isic_sections: dict[str, str]) -> tuple:
    """``listing_columns`` as a tuple in ``LISTING_EXTRACTED_COLUMNS`` order (the bulk path)."""
    columns = listing_columns(doc, isic_sections)
    return tuple(columns[c] for c in LISTING_EXTRACTED_COLUMNS)


def widen_shares(
    hub_ever: bool | None, peers_ever: str | None, columns: dict[str, Any]
) -> tuple[bool, str | None]:
    """(shared_hub_ever, shared_peers_ever) after one more version with extracted ``columns``.

    Consent only ever widens this record of the past: a destination that some
    version was shared with keeps learning what happens to the record (a
    tombstone when consent ends); one that never was learns nothing, not even its id.
    The public pages' counterpart is ``shared_public_ever`` (``public_ever``).
    """
    peers = set((peers_ever or "").split()) | set((columns["share_peers"] or "").split())
    return bool(hub_ever) or bool(columns["share_hub"]), _spaced(sorted(peers))


def public_ever(was_public: bool | None, columns: dict[str, Any]) -> bool:
    """``shared_public_ever`` after one more version: once public, always an OAI-PMH item
    (a deleted one when withdrawn or hidden); never public, never named in public."""
    return bool(was_public) or bool(columns["share_public"])


def _spaced(values) -> str | None:
    return f" {' '.join(values)} " if values else None


def search_names(doc: dict[str, Any]) -> str | None:
    """The words of the names in both languages (the highest-weighted search column), with the
    names of the records merged into this one (``aliases``), so an old name finds it."""
    aliases = [v for alias in doc.get("aliases", []) for v in _by_key(alias.get("names", {}))]
    return index_text([*_by_key(doc.get("names", {})), *aliases])


def search_text(doc: dict[str, Any]) -> str | None:
    """The words of products, HS codes, descriptions and district/commune (weighted below names)."""
    products = doc.get("products", [])
    address = doc.get("address", {})
    return index_text(
        [
            *(p.get("name") for p in products),
            *(p.get("hs_code") for p in products),
            *_by_key(doc.get("descriptions", {})),
            address.get("district"),
            address.get("commune"),
        ]
    )


def _by_key(texts: dict[str, str]) -> list[str]:
    """A language map's texts in key order, so the words come out the same whatever order
    the document's keys were in (a stored document is key-sorted; an import file need not be)."""
    return [texts[key] for key in sorted(texts)]


def hs_codes(doc: dict[str, Any]) -> list[str]:
    """The distinct HS codes of the products, in order."""
    return list(dict.fromkeys(p["hs_code"] for p in doc.get("products", []) if p.get("hs_code")))


def registration_key(number: str | None) -> str | None:
    """A registration number as looked up: letters and digits only, case-folded."""
    key = "".join(c for c in (number or "") if c.isalnum()).casefold()
    return key[:60] or None
