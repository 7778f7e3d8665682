"""Locate and load the schema files; map validation kinds to schema ids."""

from __future__ import annotations

import json
import re
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


#: an $id: BASE_URI/<name>/<major>.<minor>.<patch>/<name>.schema.json
ID_RE = re.compile(
    r"^(?P<base>.+)/(?P<name>[a-z0-9-]+)/(?P<version>\d+\.\d+\.\d+)/(?P=name)\.schema\.json$"
)


@cache
def load_schemas() -> dict[str, dict]:
    """Return every *.schema.json in SCHEMA_DIR keyed by its $id."""
    schemas = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    return schemas


@cache
def schema_id(name: str) -> str:
    """The current $id of schema ``name`` (``record``: .../record/1.2.0/record.schema.json)."""
    for uri in load_schemas():
        match = ID_RE.match(uri)
        if match and match["name"] == name:
            return uri
    raise ValueError(f"no schema named {name!r} in {SCHEMA_DIR}")


def earlier_ids(uri: str) -> list[str]:
    """The ids of the same major version before ``uri`` that it still answers to.

    A minor or patch version only ever accepts more (docs/exchange.md, "Schema
    versions"), so a document or a schema that names an earlier id of the same major
    version is checked against the current one: x.0.0 .. x.(minor-1).0 and x.minor.0 ..
    x.minor.(patch-1).
    """
    match = ID_RE.match(uri)
    if match is None:
        return []
    major, minor, patch = (int(n) for n in match["version"].split("."))
    versions = [(major, m, 0) for m in range(minor)] + [(major, minor, p) for p in range(patch)]
    name = match["name"]
    return [f"{match['base']}/{name}/{a}.{b}.{c}/{name}.schema.json" for a, b, c in versions]


def registry_items() -> list[tuple[str, dict]]:
    """(id, schema) for the validators' registries: every schema under its $id, and again
    under each earlier id of its major version (``earlier_ids``)."""
    items = list(load_schemas().items())
    return items + [(old, schema) for uri, schema in items for old in earlier_ids(uri)]


def schema_for(kind: str) -> dict:
    """Return the root schema used to validate documents of `kind`."""
    try:
        name = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}") from None
    return load_schemas()[schema_id(name.removesuffix(".schema.json"))]


def refuse_remote(uri: str) -> dict:
    """Retriever for refs outside the local registry: never fetch, always fail."""
    raise LookupError(f"schema {uri} is not in {SCHEMA_DIR}; remote refs are never fetched")
