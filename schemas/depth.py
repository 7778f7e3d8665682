"""How deep a valid document of a kind can nest: the longest JSON pointer the schema allows."""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.loader import load_schemas, schema_for

_BRANCHES = ("allOf", "anyOf", "oneOf", "if", "then", "else", "not")


@cache
def max_depth(kind: str) -> int:
    """The number of parts in the longest pointer into a valid ``kind`` document.

    ``/contact/social/0/network`` has 4 parts. A schema without a bound (an
    object open to anything, or a recursive ``$ref``) counts the open level once.
    """
    root = schema_for(kind)
    return _depth(root, root["$id"], frozenset())


def _depth(schema: Any, base: str, seen: frozenset[str]) -> int:
    if not isinstance(schema, dict):
        return 1 if schema is True else 0
    depth = 0
    if "$ref" in schema:
        target, target_base = _resolve(schema["$ref"], base)
        key = target_base + "#" + str(id(target))
        if key not in seen:
            depth = _depth(target, target_base, seen | {key})
    for branch in _BRANCHES:
        value = schema.get(branch)
        for sub in value if isinstance(value, list) else [value] if value else []:
            depth = max(depth, _depth(sub, base, seen))
    for name in ("properties", "patternProperties"):
        for sub in (schema.get(name) or {}).values():
            depth = max(depth, 1 + _depth(sub, base, seen))
    for name in ("items", "additionalProperties", "contains"):
        if name in schema and schema[name] is not False:
            depth = max(depth, 1 + _depth(schema[name], base, seen))
    for sub in schema.get("prefixItems") or []:
        depth = max(depth, 1 + _depth(sub, base, seen))
    return depth


def _resolve(ref: str, base: str) -> tuple[Any, str]:
    uri, _sep, fragment = ref.partition("#")
    uri = uri or base
    node: Any = load_schemas()[uri]
    for part in [p for p in fragment.split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, uri
