"""What a focal point should look at before approving, beyond what the schema can tell.

The schema accepts any E.164 phone number; whether the number can exist (its length
and prefix in its country's numbering plan) is checked here with ``phonenumbers``
(Google's libphonenumber metadata), and shown to the reviewer, never enforced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext


@dataclass(frozen=True)
class Concern:
    """A field that looks wrong: its JSON pointer and why."""

    pointer: str
    message: Any  # a lazy translated string


def listing_concerns(doc: dict[str, Any]) -> list[Concern]:
    """Plausibility problems in a listing a reviewer should catch (empty when none)."""
    concerns = []
    phone = doc.get("contact", {}).get("phone")
    if isinstance(phone, str) and not _possible_phone(phone):
        concerns.append(
            Concern(
                "/contact/phone",
                lazy_gettext(
                    "This phone number cannot exist: its length or prefix does not fit "
                    "the numbering plan of its country code."
                ),
            )
        )
    return concerns


def _possible_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text))
    except phonenumbers.NumberParseException:
        return False
