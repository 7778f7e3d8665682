"""ValidationIssue, JSON pointers and the human messages shared by both validators.

Both implementations reduce an error to (instance path, keyword, detail) and hand it
to `issues_for`, so paths and wording cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

PathPart = str | int


@dataclass(frozen=True, order=True)
class ValidationIssue:
    """One problem in a document: a JSON pointer ('' = the document) and a message."""

    path: str
    message: str


def json_pointer(parts: Iterable[PathPart]) -> str:
    """Build an RFC 6901 JSON pointer from path parts ('~' -> '~0', '/' -> '~1')."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}

_PATTERN_MESSAGES = {
    "id": "must look like <origin node id>:<local id>, e.g. kh-moc:KH-000123",
    "merged_into": "must be a record id like <origin node id>:<local id>",
    "origin": "must be a node id: a lowercase letter, then 1-31 letters, digits or hyphens",
    "source": "must be a node id: a lowercase letter, then 1-31 letters, digits or hyphens",
    "node": "must be a node id: a lowercase letter, then 1-31 letters, digits or hyphens",
    "peers": "must be a node id: a lowercase letter, then 1-31 letters, digits or hyphens",
    "updated_at": "must be a UTC timestamp like 2026-11-21T10:15:00Z",
    "valid_until": "must be a date like 2027-12-31",
    "email": "must be an email address like name@example.com",
    "phone": "must be an international number in E.164 form, e.g. +85512345678",
    "website": "must be a web address starting with http:// or https://",
    "url": "must be a web address starting with http:// or https://",
    "province": "must be an ISO 3166-2 subdivision code like KH-12",
    "postal_code": "must be 3-10 letters, digits, spaces or hyphens",
    "hs_code": "must be a 4- to 6-digit HS code",
    "km": "must not be blank",
    "en": "must not be blank",
}

_ENUM_MESSAGES = {
    "province": "must be an ISO 3166-2:KH province code (KH-1 .. KH-25)",
    "country": "must be an ISO 3166-1 alpha-2 country code, e.g. KH",
    "export_markets": "must be an ISO 3166-1 alpha-2 country code, e.g. TH",
    "sectors": "must be an ISIC Rev.4 division, group or class code, e.g. 0112",
    "legal_form": "must be a legal form code such as sole_proprietorship or private_limited",
}

_FALSE_MESSAGES = {"merged_into": 'is only allowed when reason is "merged"'}


#: the message for a free-text field holding a character common#/$defs/text refuses
CONTROL_MESSAGE = "must not contain control characters (such as NUL) or bidi override characters"


@cache
def _text_patterns() -> frozenset[str]:
    """The patterns of common#/$defs/text and multilineText, read from the schema."""
    from schemas.loader import load_schemas, schema_id

    common = load_schemas()[schema_id("common")]["$defs"]
    return frozenset(common[name]["pattern"] for name in ("text", "multilineText"))


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(keyword: str, field: str, detail: Any, fallback: str) -> str:
    """Return a short English message for a failed `keyword` on `field`."""
    match keyword:
        case "required":
            return "is required"
        case "additionalProperties":
            return "is not an allowed field"
        case "false" | "not":
            return _FALSE_MESSAGES.get(field, "is not allowed here")
        case "type":
            types = [detail] if isinstance(detail, str) else list(detail)
            return "must be " + " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        case "enum":
            if field in _ENUM_MESSAGES:
                return _ENUM_MESSAGES[field]
            if len(detail) <= 10:
                return "must be one of: " + ", ".join(str(v) for v in detail)
            return "is not an allowed value"
        case "const":
            return "must be " + ("true" if detail is True else repr(detail))
        case "pattern":
            if detail in _text_patterns():
                return CONTROL_MESSAGE
            return _PATTERN_MESSAGES.get(field, "has an invalid format")
        case "minLength":
            return "must not be empty" if detail == 1 else f"must be at least {detail} characters"
        case "maxLength":
            return f"must be at most {detail} characters"
        case "minimum":
            return f"must be at least {detail}"
        case "maximum":
            return f"must be at most {detail}"
        case "minItems":
            return f"must have at least {_plural(detail, 'item')}"
        case "maxItems":
            return f"must have at most {_plural(detail, 'item')}"
        case "uniqueItems":
            return "must not contain duplicates"
        case "minProperties":
            return "must have at least one of: km, en" if field == "names" else "must not be empty"
    return fallback


def field_name(parts: Sequence[PathPart]) -> str:
    """The name of the field a path points into: its last non-index part."""
    for part in reversed(parts):
        if not isinstance(part, int):
            return part
    return ""


def issues_for(
    parts: Sequence[PathPart], keyword: str, detail: Any, fallback: str, children: Iterable[str]
) -> list[ValidationIssue]:
    """Issues for one error; `children` are the property names a required or
    additionalProperties error is about, so each issue points at the field itself."""
    if keyword in ("required", "additionalProperties"):
        message = describe(keyword, "", detail, fallback)
        return [ValidationIssue(json_pointer([*parts, c]), message) for c in children]
    message = describe(keyword, field_name(parts), detail, fallback)
    return [ValidationIssue(json_pointer(parts), message)]


def finish(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    """De-duplicate and sort by path, then message."""
    return sorted(set(issues))
