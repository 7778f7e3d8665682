"""Words of a text for the search index: Khmer segmented by ICU, everything case-folded.

Khmer is written without spaces between words, so a text containing Khmer goes
through ICU's dictionary-based word break iterator (PyICU): it is the maintained
segmenter behind every major browser and OS, with a Khmer dictionary, and it
segments a name in microseconds. Other text is split on Unicode word characters,
which is what ICU would do and ten times cheaper. Index text and queries go
through the same function, so a query word matches exactly the indexed words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import icu

KHMER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
# letters, digits and (for Khmer) combining signs; no underscore, no inner punctuation,
# so the database's own tokenizers (FTS5 unicode61, PostgreSQL's parser) keep each word whole
WORD = re.compile("(?:[^\\W_]|[\u1780-\u17ff\u19e0-\u19ff])+")
# longer "words" are not indexed: no one types them, and PostgreSQL refuses a lexeme
# over 2,047 bytes (a Khmer character takes 3) where the words are cast to a tsvector
MAX_WORD = 200
ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_local = threading.local()  # a BreakIterator is not thread-safe (gthread workers)


def _breaker() -> icu.BreakIterator:
    breaker = getattr(_local, "breaker", None)
    if breaker is None:
        breaker = _local.breaker = icu.BreakIterator.createWordInstance(icu.Locale("km"))
    return breaker


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of ``text`` (punctuation and spaces are not words)."""
    if not KHMER.search(text):
        return [m.span() for m in WORD.finditer(text)]
    breaker = _breaker()
    breaker.setText(text)
    spans, start = [], breaker.first()
    for end in breaker:
        if breaker.getRuleStatus() >= 100:  # a number, letter, kana or ideograph word
            spans.append((start, end))
        start = end
    out = []
    for a, b in _utf16_to_str(text, spans):  # "3.5", "don't": split like the databases do
        out += [m.span() for m in WORD.finditer(text, a, b)]
    return out


def _utf16_to_str(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """ICU counts UTF-16 code units; Khmer is in the BMP, so only astral characters shift."""
    if text.isascii() or not ASTRAL.search(text):
        return spans
    offsets, unit = {}, 0
    for index, char in enumerate(text):
        offsets[unit] = index
        unit += 2 if ord(char) >= 0x10000 else 1
    offsets[unit] = len(text)
    return [(offsets[a], offsets[b]) for a, b in spans]


def normalize(text: str) -> str:
    """NFC and case-folded: the form both the index and queries use."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.casefold()


def words(text: str | None) -> list[str]:
    """The words of a text, normalised, in order."""
    return _segmented(normalize(text), distinct_chunks=False) if text else []


def _segmented(text: str, *, distinct_chunks: bool) -> list[str]:
    """The words of a normalised text; ``distinct_chunks``: each space-separated chunk is
    segmented once (a word's first place is in its chunk's first, so the distinct words
    come out the same, in the same order)."""
    if text.isascii():
        return WORD.findall(text)
    chunks = text.split()  # a space always ends a word: segment (and cache) each chunk
    out: list[str] = []
    for chunk in dict.fromkeys(chunks) if distinct_chunks else chunks:
        out += _chunk_words(chunk)
    return out


@lru_cache(maxsize=20_000)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    """Words of a text without spaces; cached, as names and descriptions repeat phrases."""
    if not KHMER.search(chunk):
        return tuple(WORD.findall(chunk))
    return tuple(chunk[a:b] for a, b in word_spans(chunk))


def index_text(parts) -> str | None:
    """The distinct words of several texts, space-separated: what the search columns hold.

    Each word is kept once: ranking weighs which column a word is in (names above
    the rest), not how often a description repeats it, and the index stays small.
    Words longer than ``MAX_WORD`` characters are left out.
    """
    text = normalize(" ".join(part for part in parts if part))
    found = dict.fromkeys(_segmented(text, distinct_chunks=True))
    return " ".join(w for w in found if len(w) <= MAX_WORD) or None
