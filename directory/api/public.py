"""What visitors and harvesters may see of a published record."""

from __future__ import annotations

from typing import Any

from directory.records import parse_json


def public_document(text: str) -> dict[str, Any]:
    """The stored document, without ``contact`` (nor the phone numbers of merged records in
    ``aliases``) unless the SME made it public."""
    doc = parse_json(text)
    if not doc.get("sharing", {}).get("contact_public"):
        doc.pop("contact", None)
        for alias in doc.get("aliases", []):
            alias.pop("phone", None)
    return doc
