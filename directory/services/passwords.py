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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
MAX_LENGTH = 256

# RFC 9106's "low memory" profile (argon2-cffi's default): Argon2id, 64 MiB, t=3, p=4
DEFAULT_PARAMS = (65536, 3, 4)


@cache
def hasher(memory_kib: int = 65536, time_cost: int = 3, parallelism: int = 4) -> PasswordHasher:
    """An Argon2id hasher with these costs (``security.argon2_*`` in the config)."""
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)


def hash_password(password: str, ph: PasswordHasher | None = None) -> str:
    """The Argon2id hash (with its salt and parameters) to store."""
    return (ph or hasher()).hash(password)


def verify_password(
    stored_hash: str | None, password: str, ph: PasswordHasher | None = None
) -> bool:
    """True when ``password`` matches; False for a wrong password or a missing/garbled hash."""
    ph = ph or hasher()
    if not stored_hash:
        burn_time(password, ph)
        return False
    try:
        return ph.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, ph: PasswordHasher | None = None) -> bool:
    """True when the hash was made with other parameters than today's."""
    return (ph or hasher()).check_needs_rehash(stored_hash)


def burn_time(password: str, ph: PasswordHasher | None = None) -> None:
    """Spend the time of one verification, so unknown accounts answer as slowly as known ones."""
    ph = ph or hasher()
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        ph.verify(_dummy_hash(ph), password)


@cache
def _dummy_hash(ph: PasswordHasher) -> str:
    return ph.hash("dummy password that never matches anything")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercased."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problems(
    password: str, min_length: int, email: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """Why ``password`` is not acceptable, as (code, params) pairs; empty when it is."""
    problems = []
    if len(password) < min_length:
        problems.append(("password-too-short", {"n": min_length}))
    elif len(password) > MAX_LENGTH:
        problems.append(("password-too-long", {"n": MAX_LENGTH}))
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        problems.append(("password-too-common", {}))
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        problems.append(("password-contains-email", {}))
    return problems
