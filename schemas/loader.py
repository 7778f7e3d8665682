"""Locate and load the schema files; map validation kinds to schema ids."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
BASE_URI = "https://schemas.sme-directory.org"

#: validation kind -> schema file name (the file's $id is derived from the name)
KINDS: dict[str, str] = {
    "record": "record.schema.json",
    "draft": "draft.schema.json",
    "tombstone": "tombstone.schema.json",
    "change": "change.schema.json",
    "feed-page": "feed-page.schema.json",
    "push-batch": "push-batch.schema.json",
    "push-receipts": "push-receipts.schema.json",
    "enquiry-request": "enquiry-request.schema.json",
    "enquiry-message": "enquiry-message.schema.json",
    "enquiry-batch": "enquiry-batch.schema.json",
    "enquiry-receipts": "enquiry-receipts.schema.json",
}


@cache
def load_schemas() -> dict[str, dict]:
    """Return every *.schema.json in SCHEMA_DIR keyed by its $id."""
    schemas = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    return schemas


def schema_for(kind: str) -> dict:
    """Return the root schema used to validate documents of `kind`."""
    try:
        name = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}") from None
    stem = name.removesuffix(".schema.json")
    return load_schemas()[f"{BASE_URI}/{stem}/1.0.0/{name}"]


def refuse_remote(uri: str) -> dict:
    """Retriever for refs outside the local registry: never fetch, always fail."""
    raise LookupError(f"schema {uri} is not in {SCHEMA_DIR}; remote refs are never fetched")
