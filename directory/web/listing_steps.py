"""The listing in steps: the basics first, then six steps that each save on their own.

A step names the JSON pointers it owns. Saving a step replaces exactly those parts of
the draft with what its form sent and keeps everything else, so the steps can be done
in any order, skipped and returned to. Validation stays with the schema (the service
validates the whole draft, as for the one-page form).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from directory import phones
from directory.records import DEFAULT_SHARING


@dataclass(frozen=True)
class Step:
    """A part of the listing form: its URL key, title, hint and the pointers it owns."""

    key: str
    title: Any
    hint: Any
    pointers: tuple[str, ...]


BASICS = Step(
    "basics",
    _l("The basics"),
    _l("Name, what the business does, where it is and a phone number."),
    (
        "/names",
        "/sectors",
        "/address/country",
        "/address/province",
        "/address/district",
        "/contact/phone",
    ),
)
STEPS = (
    Step(
        "registration",
        _l("Registration"),
        _l("Only if the business is registered; skip this step if it is not."),
        ("/registration", "/legal_form"),
    ),
    Step(
        "size",
        _l("Size and ownership"),
        _l("How many people work here, since when, and who owns the business."),
        ("/size_class", "/employees", "/founded_year", "/women_owned", "/youth_owned"),
    ),
    Step(
        "products",
        _l("Products"),
        _l("What you sell, with its HS code if you export it, and certificates."),
        ("/products", "/certifications"),
    ),
    Step(
        "markets",
        _l("Export markets"),
        _l("The countries you sell to."),
        ("/export_markets",),
    ),
    Step(
        "about",
        _l("Description and contact"),
        _l("A few words about the business, the full address, email, website and social media."),
        (
            "/descriptions",
            "/address/commune",
            "/address/street",
            "/address/postal_code",
            "/geo",
            "/contact/email",
            "/contact/website",
            "/contact/social",
        ),
    ),
    Step(
        "sharing",
        _l("Sharing"),
        _l("Who may see the listing and its contact details."),
        ("/sharing",),
    ),
)
BY_KEY = {step.key: step for step in (BASICS, *STEPS)}


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for part in pointer.split("/")[1:]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _drop(doc: dict, pointer: str) -> None:
    parts = pointer.split("/")[1:]
    node = doc
    for part in parts[:-1]:
        node = node.get(part)
        if not isinstance(node, dict):
            return
    node.pop(parts[-1], None)


def _set(doc: dict, pointer: str, value: Any) -> None:
    parts = pointer.split("/")[1:]
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def merge_step(saved: dict[str, Any], sent: dict[str, Any], step: Step) -> dict[str, Any]:
    """``saved`` with the parts ``step`` owns replaced by what its form ``sent``."""
    doc = copy.deepcopy(saved)
    for pointer in step.pointers:
        _drop(doc, pointer)
        value = _get(sent, pointer)
        if value not in (None, "", [], {}):
            _set(doc, pointer, value)
    return tidy(doc)


def tidy(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop what only looks filled: empty objects, and a registration that holds nothing but
    the pre-filled country (most businesses are not registered; that is no error)."""
    registration = doc.get("registration")
    if isinstance(registration, dict) and set(registration) <= {"country"}:
        doc.pop("registration")
    for key in ("contact", "address", "descriptions", "geo"):
        if doc.get(key) == {}:
            doc.pop(key)
    return doc


def normalize_phone(doc: dict[str, Any], default_region: str) -> dict[str, Any]:
    """The phone number as typed -> E.164, read in the country of the address."""
    contact = doc.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("phone"), str):
        region = doc.get("address", {}).get("country") or default_region
        contact["phone"] = phones.to_e164(contact["phone"], region)
    return doc


# What a new listing starts with: a value equal to it was not given by the owner.
PREFILLED = {"/sharing": DEFAULT_SHARING}
ALL_STEPS = tuple(step.key for step in STEPS)  # what the one-page form saves at once


def is_done(doc: dict[str, Any], step: Step, saved: frozenset[str] = frozenset()) -> bool:
    """A step is done when the owner saved it, or when a part it owns holds a value the
    owner gave (not just what a new listing starts with)."""
    if step.key in saved:
        return True
    return any(
        _get(doc, pointer) not in (None, "", [], {}, PREFILLED.get(pointer))
        for pointer in step.pointers
    )


def progress(doc: dict[str, Any], saved: frozenset[str] = frozenset()) -> tuple[int, int]:
    """(steps done, steps in all), the basics not counted."""
    return sum(is_done(doc, step, saved) for step in STEPS), len(STEPS)


def next_step(key: str) -> Step | None:
    """The step after ``key`` (None after the last)."""
    keys = [step.key for step in (BASICS, *STEPS)]
    index = keys.index(key) + 1
    return BY_KEY[keys[index]] if index < len(keys) else None
