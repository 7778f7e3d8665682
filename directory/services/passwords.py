"""Password hashing (Argon2id, memory-hard) and the strength rules every new password meets.

The common-password list is ``directory/data/common-passwords.txt.gz``: 20,000
common passwords, lowercased and deduplicated, compiled by Royce Williams
(https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce) from
breach corpora, as shipped by Django (BSD licence) for its CommonPasswordValidator.
"""

from __future__ import annotations

import contextlib
import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
MAX_LENGTH = 256

# argon2-cffi's defaults are RFC 9106's "low memory" profile: Argon2id, 64 MiB, t=3, p=4
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The Argon2id hash (with its salt and parameters) to store."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a missing/garbled hash."""
    if not stored_hash:
        burn_time(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def burn_time(password: str) -> None:
    """Spend the time of one verification, so unknown accounts answer as slowly as known ones."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("dummy password that never matches anything")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercased."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problems(password: str, min_length: int, email: str = "") -> list[str]:
    """Why ``password`` is not acceptable (translated messages); empty when it is."""
    problems = []
    if len(password) < min_length:
        problems.append(lazy_gettext("Use at least %(n)d characters.", n=min_length))
    elif len(password) > MAX_LENGTH:
        problems.append(lazy_gettext("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        problems.append(lazy_gettext("This password is too common; choose another."))
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        problems.append(lazy_gettext("The password must not contain your email address."))
    return problems
