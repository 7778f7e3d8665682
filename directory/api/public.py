"""What visitors and harvesters may see of a published record."""

from __future__ import annotations

from typing import Any

from directory.records import parse_json


def public_document(text: str) -> dict[str, Any]:
    """The stored document, without ``contact`` unless the SME made it public."""
    doc = parse_json(text)
    if "contact" in doc and not doc.get("sharing", {}).get("contact_public"):
        del doc["contact"]
    return doc
