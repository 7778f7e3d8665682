"""Phone numbers as people type them (``012 345 678``, ``+855 12 345 678``,
``855-12-345678``) -> E.164 (``+85512345678``), with Google's libphonenumber rules.

A number without a country code is read in the country of the business's address.
What cannot be read as a valid number is left as typed, so the schema reports it
next to the field instead of it being silently changed or dropped.
"""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "KH"


def to_e164(raw: str, region: str | None = None) -> str:
    """``raw`` in E.164 form when it is a valid number (in ``region`` if it has no +code)."""
    text = (raw or "").strip()
    if not text:
        return text
    region = (region or DEFAULT_REGION).upper()
    candidates = [text]
    digits = "".join(c for c in text if c.isdigit())
    if not text.startswith("+") and len(digits) > 9:
        candidates.append("+" + digits)  # "855-12-345678": a country code without its +
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def display(e164: str) -> str:
    """An E.164 number grouped for reading: ``+855 12 345 678`` (as stored when not valid)."""
    try:
        number = phonenumbers.parse(e164 or "", None)
    except phonenumbers.NumberParseException:
        return e164 or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
