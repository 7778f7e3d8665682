"""The listing form <-> record document, and validation errors placed next to their field.

Inputs are named by the JSON pointer of the value they hold (``/names/km``,
``/products/0/name``), so building the document is generic and every error the
schema reports (``schemas.validate(doc, "draft")``, raised by the services as
``InvalidRecord``) lands on the input of the same name. There is no second copy
of the rules here: values the form cannot convert (``employees = "abc"``) go
into the document as typed and the schema reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from schemas import ValidationIssue
from schemas.depth import max_depth

INTEGER_FIELDS = frozenset({"/employees", "/founded_year"})
NUMBER_FIELDS = frozenset({"/geo/lat", "/geo/lon"})
BOOLEAN_FIELDS = frozenset({"/women_owned", "/youth_owned"})  # select: "" / "true" / "false"
CHECKBOXES = ("/sharing/public", "/sharing/hub", "/sharing/contact_public")  # absent = false
# on unless switched off: a ticked box leaves the field out (absent means true), so listings
# saved before the choice existed keep their documents as they were
OPT_OUT = "/sharing/enquiries"
LIST_FIELDS = frozenset({"/export_markets", "/sharing/peers"})  # multi-valued inputs
REPEATED = ("/sectors", "/products", "/certifications", "/contact/social")

LABELS: dict[str, Any] = {
    "/id": _l("Record id"),
    "/origin": _l("Origin directory"),
    "/version": _l("Version"),
    "/updated_at": _l("Last updated"),
    "/names": _l("Name"),
    "/names/km": _l("Name in Khmer"),
    "/names/en": _l("Name in English"),
    "/registration": _l("Registration"),
    "/registration/country": _l("Country of registration"),
    "/registration/authority": _l("Registering authority"),
    "/registration/number": _l("Registration number"),
    "/legal_form": _l("Legal form"),
    "/sectors": _l("Sectors (ISIC)"),
    "/sectors/*": _l("Sector (ISIC)"),
    "/size_class": _l("Size"),
    "/employees": _l("Employees"),
    "/address": _l("Address"),
    "/address/country": _l("Country"),
    "/address/province": _l("Province"),
    "/address/district": _l("District"),
    "/address/commune": _l("Commune"),
    "/address/street": _l("Street address"),
    "/address/postal_code": _l("Postal code"),
    "/geo": _l("Location on the map"),
    "/geo/lat": _l("Latitude"),
    "/geo/lon": _l("Longitude"),
    "/contact": _l("Contact"),
    "/contact/email": _l("Email"),
    "/contact/phone": _l("Phone"),
    "/contact/website": _l("Website"),
    "/contact/social": _l("Social media"),
    "/contact/social/*/network": _l("Social network"),
    "/contact/social/*/url": _l("Social media address"),
    "/products": _l("Products"),
    "/products/*/name": _l("Product name"),
    "/products/*/description": _l("Product description"),
    "/products/*/hs_code": _l("HS code"),
    "/export_markets": _l("Export markets"),
    "/export_markets/*": _l("Export market"),
    "/certifications": _l("Certifications"),
    "/certifications/*/name": _l("Certification"),
    "/certifications/*/issuer": _l("Issued by"),
    "/certifications/*/valid_until": _l("Valid until"),
    "/founded_year": _l("Year founded"),
    "/women_owned": _l("Women-owned"),
    "/youth_owned": _l("Youth-owned"),
    "/descriptions": _l("Description"),
    "/descriptions/km": _l("Description in Khmer"),
    "/descriptions/en": _l("Description in English"),
    "/aliases": _l("Merged listings"),
    "/aliases/*/id": _l("Record id of the merged listing"),
    "/aliases/*/names": _l("Name of the merged listing"),
    "/aliases/*/registration": _l("Registration of the merged listing"),
    "/aliases/*/phone": _l("Phone of the merged listing"),
    "/sharing": _l("Sharing"),
    "/sharing/public": _l("Show on the public pages"),
    "/sharing/hub": _l("Share with the regional hub"),
    "/sharing/peers": _l("Share with these directories"),
    "/sharing/contact_public": _l("Show contact details to visitors"),
    "/sharing/enquiries": _l("Let buyers send enquiries through the directory"),
}

MESSAGES = {
    "required": _l("This field is required."),
    "empty": _l("This field must not be empty."),
    "names": _l("Enter the name in Khmer or in English."),
    "integer": _l("Enter a whole number."),
    "number": _l("Enter a number."),
    "boolean": _l("Choose yes or no."),
    "too_short": _l("Use at least %(n)s characters."),
    "too_long": _l("Use at most %(n)s characters."),
    "too_small": _l("Enter %(n)s or more."),
    "too_large": _l("Enter %(n)s or less."),
    "format": _l("The format is not valid."),
    "choice": _l("This value is not in the list."),
    "duplicates": _l("The same value is chosen twice."),
    "too_few": _l("Add at least one entry."),
    "too_many": _l("Give at most %(n)s entries."),
    "not_allowed": _l("This field is not allowed."),
    "invalid": _l("This value is not valid."),
    "control": _l(
        "Remove the control or text-direction characters (such as NUL) from this text;"
        " they are often pasted in by accident."
    ),
}

# What a "format" or "choice" error asks for, by the name of the field (the pointer's end).
FIELD_HINTS = {
    "email": _l("Enter an email address like name@example.com."),
    "phone": _l("Enter a phone number, for example 012 345 678."),
    "website": _l("Enter a web address that starts with http:// or https://."),
    "url": _l("Enter a web address that starts with http:// or https://."),
    "valid_until": _l("Enter a date like 2027-12-31."),
    "postal_code": _l("Use 3 to 10 letters, digits, spaces or hyphens."),
    "hs_code": _l("Enter an HS code of 4 to 6 digits."),
    "province": _l("Choose a province from the list."),
    "country": _l("Choose a country from the list."),
    "export_markets": _l("Choose a country from the list."),
    "sectors": _l("Choose a sector from the list."),
    "legal_form": _l("Choose a legal form from the list."),
    "network": _l("Choose a network from the list."),
    "size_class": _l("Choose a size from the list."),
}
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")

_CLASSES = (
    ("required", re.compile(r"^is required$")),
    ("names", re.compile(r"^must have at least one of")),
    ("empty", re.compile(r"^must not be (empty|blank)")),
    ("control", re.compile(r"^must not contain control characters")),
    ("integer", re.compile(r"^must be an integer")),
    ("number", re.compile(r"^must be a number")),
    ("boolean", re.compile(r"^must be true or false")),
    ("too_short", re.compile(r"^must be at least \d+ characters")),
    ("too_long", re.compile(r"^must be at most \d+ characters")),
    ("too_small", re.compile(r"^must be at least ")),
    ("too_large", re.compile(r"^must be at most ")),
    ("too_few", re.compile(r"^must have at least ")),
    ("too_many", re.compile(r"^must have at most ")),
    ("duplicates", re.compile(r"^must not contain duplicates")),
    ("not_allowed", re.compile(r"^is not an allowed field|^is not allowed")),
    (
        "choice",
        re.compile(r"^(must be one of|is not an allowed value|must be an? (ISO|ISIC|legal))"),
    ),
    ("format", re.compile(r"^(must be|must look like|has an invalid format)")),
)


@dataclass(frozen=True)
class FieldError:
    """One error for one input: the translated message, the validator's English detail."""

    pointer: str
    label: str
    message: str
    detail: str

    @property
    def anchor(self) -> str:
        """The id of the input the error belongs to."""
        return field_id(self.pointer)


def field_id(pointer: str) -> str:
    """The HTML id of the input named ``pointer``: ``/contact/email`` -> ``f-contact-email``."""
    return "f" + re.sub(r"[^A-Za-z0-9_]", "-", pointer)


def label_for(pointer: str) -> str:
    """The label of the field a pointer names, with the row number for repeated rows."""
    parts = pointer.split("/")[1:]
    generic = "/" + "/".join("*" if p.isdigit() else p for p in parts)
    rows = [int(p) + 1 for p in parts if p.isdigit()]
    while generic and generic not in LABELS:
        generic = generic.rsplit("/", 1)[0]
    label = str(LABELS.get(generic, pointer or "/"))
    return f"{label} ({rows[0]})" if rows else label


def classify(message: str) -> str:
    """The kind of a validator message, for a translated generic message."""
    for kind, pattern in _CLASSES:
        if pattern.search(message):
            return kind
    return "invalid"


def message_for(pointer: str, detail: str) -> str:
    """The validator's English ``detail`` as a whole message in the page's language."""
    kind = classify(detail)
    field = next((p for p in reversed(pointer.split("/")) if p and not p.isdigit()), "")
    if kind in ("format", "choice") and field in FIELD_HINTS:
        return str(FIELD_HINTS[field])
    number = _NUMBER.search(detail)
    if kind in ("too_short", "too_long", "too_small", "too_large", "too_many") and number:
        return str(MESSAGES[kind]) % {"n": number.group(1)}
    if kind in ("too_short", "too_long", "too_small", "too_large", "too_many"):
        return str(MESSAGES["invalid"])
    return str(MESSAGES[kind])


def field_errors(issues: list[ValidationIssue]) -> list[FieldError]:
    """The validator's issues as translated, labelled errors in document order."""
    return [
        FieldError(i.path, label_for(i.path), message_for(i.path, i.message), i.message)
        for i in issues
    ]


def errors_by_pointer(errors: list[FieldError]) -> dict[str, list[FieldError]]:
    """Errors grouped by the pointer of their input."""
    grouped: dict[str, list[FieldError]] = {}
    for error in errors:
        grouped.setdefault(error.pointer, []).append(error)
    return grouped


def document_from_form(form: MultiDict) -> dict[str, Any]:
    """The document the form describes: every ``/pointer`` input placed at its pointer.

    Blank inputs are absent values; a repeated row whose inputs are all blank is
    no row. Unknown pointers go into the document too, so the schema names them;
    a pointer deeper than any the schema allows is cut one level below that
    depth, which the schema refuses just the same (and nothing recurses deeper).
    A textarea's line breaks (CRLF from browsers) become LF, as the schema wants.
    """
    tree: dict[str, Any] = {}
    limit = max_depth("draft") + 1
    for key in form:
        if not key.startswith("/") or key == OPT_OUT:
            continue
        values = [v.replace("\r\n", "\n").strip() for v in form.getlist(key)]
        pointer = "/".join(key.split("/", limit + 1)[: limit + 1])
        if pointer in LIST_FIELDS:
            _put(tree, pointer, [v for v in values if v])
        elif values[-1]:
            _put(tree, pointer, _convert(pointer, values[-1]))
    for key in CHECKBOXES:
        _put(tree, key, key in form)
    if OPT_OUT not in form:
        _put(tree, OPT_OUT, False)
    tree["sharing"].setdefault("peers", [])
    return _lists(tree)


def _convert(key: str, value: str) -> Any:
    try:
        if key in INTEGER_FIELDS:
            return int(value)
        if key in NUMBER_FIELDS:
            return float(value.replace(",", "."))
    except ValueError:
        return value
    if key in BOOLEAN_FIELDS:
        return {"true": True, "false": False}.get(value, value)
    return value


def _put(tree: dict, pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Turn objects whose keys are all row numbers into lists, in row order."""
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def blank_rows(doc: dict[str, Any], extra: int = 1) -> dict[str, int]:
    """How many rows to draw for each repeated field: the filled ones plus ``extra`` blanks."""
    counts = {}
    for pointer in REPEATED:
        value: Any = doc
        for part in pointer.split("/")[1:]:
            value = value.get(part, {}) if isinstance(value, dict) else {}
        counts[pointer] = (len(value) if isinstance(value, list) else 0) + extra
    return counts


def value_at(doc: Any, pointer: str) -> Any:
    """The value at a pointer in a (possibly invalid) document, "" when absent."""
    node = doc
    for part in pointer.split("/")[1:]:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return ""
    return "" if node is None else node
