"""How many bits of entropy a secret key holds, estimated conservatively.

The estimate is the smallest of three upper bounds: the length times the bits
per character of the character classes used (a 43-character URL-safe token
holds at most 43 x 6 bits), the size of the key after zlib compression (catches
repeats such as ``aaaa`` or ``abcabc``), and the compressed size of the
differences between neighbouring characters (catches runs such as ``abcdef``).
A random key passes all three; a made-up one fails at least one.
"""

from __future__ import annotations

import math
import string
import zlib

MIN_SECRET_BITS = 256
GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
_CLASSES = (
    (set(string.ascii_lowercase), 26),
    (set(string.ascii_uppercase), 26),
    (set(string.digits), 10),
    (set(string.punctuation) | {" "}, 33),
)
_NON_ASCII_CLASS = 128
_EMPTY = len(zlib.compress(b"", 9))


def estimate_bits(key: str) -> float:
    """A conservative estimate of the bits of entropy in ``key``."""
    if not key:
        return 0.0
    alphabet = sum(size for chars, size in _CLASSES if any(c in chars for c in key))
    if any(ord(c) > 127 or not c.isprintable() for c in key):
        alphabet += _NON_ASCII_CLASS
    by_alphabet = len(key) * math.log2(alphabet)
    data = key.encode("utf-8")
    deltas = bytes((b - a) % 256 for a, b in zip(data, data[1:], strict=False))
    return min(by_alphabet, _compressed_bits(data), _compressed_bits(deltas) + 8)


def _compressed_bits(data: bytes) -> int:
    return (len(zlib.compress(data, 9)) - _EMPTY) * 8


def weak_secret_problem(key: str, min_bits: int = MIN_SECRET_BITS) -> str | None:
    """None for a strong key, else one line saying why it is weak and how to make a strong one."""
    bits = estimate_bits(key)
    if bits >= min_bits:
        return None
    return (
        f"production needs a random secret key with at least {min_bits // 8} bytes of entropy "
        f"(this one has about {int(bits) // 8}); generate one with: {GENERATE_HINT}"
    )
