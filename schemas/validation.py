"""Fast validation with jsonschema_rs: one compiled validator per kind, built lazily."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from schemas.issues import ValidationIssue, finish, issues_for
from schemas.loader import refuse_remote, registry_items, schema_for

# jsonschema_rs reports some keywords under other names
_KEYWORDS = {"falseSchema": "false"}
_DETAIL_KEYS = ("limit", "types", "options", "expected_value", "pattern")


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(registry_items(), retriever=refuse_remote)


@cache
def compiled(kind: str) -> jsonschema_rs.Validator:
    """The compiled validator for `kind`, refs resolved from schemas/ only."""
    return jsonschema_rs.Draft202012Validator(
        schema_for(kind), registry=_registry(), retriever=refuse_remote, validate_formats=False
    )


def is_valid(doc: Any, kind: str = "record") -> bool:
    """True if `doc` is a valid `kind`; no error collection."""
    return compiled(kind).is_valid(doc)


def validate(doc: Any, kind: str = "record") -> list[ValidationIssue]:
    """Every problem in `doc` as a `kind`, sorted by path; an empty list means valid."""
    validator = compiled(kind)
    if validator.is_valid(doc):
        return []
    issues: list[ValidationIssue] = []
    for error in validator.iter_errors(doc):
        issues.extend(_to_issues(error))
    return finish(issues)


def validate_record(doc: Any) -> list[ValidationIssue]:
    """Validate one change: a record, or a tombstone when `deleted` is true."""
    return validate(doc, "change")


def _to_issues(error: jsonschema_rs.ValidationError) -> list[ValidationIssue]:
    keyword = _KEYWORDS.get(error.kind.name, error.kind.name)
    info = error.kind.as_dict()
    detail = next((info[k] for k in _DETAIL_KEYS if k in info), None)
    if keyword == "required":
        children = [info["property"]]
    elif keyword == "additionalProperties":
        children = info["unexpected"]
    else:
        children = []
    return issues_for(error.instance_path, keyword, detail, error.message, children)
