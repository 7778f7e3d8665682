"""The shared JSON Schemas (Draft 2020-12) and the one code path that validates against them.

    from schemas import validate
    validate(doc, "record")  # -> [ValidationIssue(path="/contact/email", message=...)]

Validators are compiled on first use, never at import time.
"""

from schemas.issues import ValidationIssue, json_pointer
from schemas.loader import KINDS, SCHEMA_DIR
from schemas.reference import reference_validate
from schemas.reference_data import load_countries, load_isic, load_provinces
from schemas.validation import is_valid, validate, validate_record

__all__ = [
    "KINDS",
    "SCHEMA_DIR",
    "ValidationIssue",
    "is_valid",
    "json_pointer",
    "load_countries",
    "load_isic",
    "load_provinces",
    "reference_validate",
    "validate",
    "validate_record",
]
