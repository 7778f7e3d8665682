"""Reference validation with python-jsonschema and a `referencing` registry.

Slow, but the reference: tests check that the fast validator agrees with it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from schemas.issues import ValidationIssue, finish, issues_for
from schemas.loader import registry_items, schema_for


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns follow ECMA-262, where a final '$' matches only at the end of
    # the input; Python's '$' also matches before a trailing newline, so use '\Z'.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not _ecma_regex(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


_Validator = validators.extend(Draft202012Validator, validators={"pattern": _pattern})


def _no_remote(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


def _without_dialect(schema: dict) -> dict:
    # python-jsonschema picks the validator class from a subschema's "$schema" when a
    # $ref enters another file, which would swap _Validator (ECMA '$') for the stock
    # class; every file here is Draft 2020-12, so the resources are made as such.
    return {k: v for k, v in schema.items() if k != "$schema"}


@cache
def _registry() -> Registry:
    resources = [
        (uri, DRAFT202012.create_resource(_without_dialect(s))) for uri, s in registry_items()
    ]
    return Registry(retrieve=_no_remote).with_resources(resources)


@cache
def _validator(kind: str) -> Draft202012Validator:
    return _Validator(_without_dialect(schema_for(kind)), registry=_registry())


def reference_validate(doc: Any, kind: str = "record") -> list[ValidationIssue]:
    """Same contract as `schemas.validate`, computed by python-jsonschema."""
    issues: list[ValidationIssue] = []
    for error in _validator(kind).iter_errors(doc):
        issues.extend(_to_issues(error))
    return finish(issues)


def _to_issues(error: ValidationError) -> list[ValidationIssue]:
    # python-jsonschema leaves `validator` unset (None) for a `false` subschema
    keyword = "false" if error.validator is None else str(error.validator)
    instance, value = error.instance, error.validator_value
    if keyword == "required":
        children = [p for p in value if p not in instance]
    elif keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        children = [k for k in instance if k not in known]
    else:
        children = []
    return issues_for(list(error.absolute_path), keyword, value, error.message, children)
