"""Marking the words a search matched, and a short excerpt around the first one."""

from __future__ import annotations

from markupsafe import Markup, escape

from directory.search.tokens import normalize, word_spans

SNIPPET_CHARS = 160


def _marked_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Words that begin with a query word; failing that, query words found inside words."""
    if not terms:
        return []
    folded = normalize(text)
    prefixes = tuple(terms)
    if len(folded) == len(text):  # the usual case: fold once, not word by word
        spans = [(a, b) for a, b in word_spans(text) if folded.startswith(prefixes, a, b)]
    else:
        spans = [(a, b) for a, b in word_spans(text) if normalize(text[a:b]).startswith(prefixes)]
    if spans:
        return spans
    if len(folded) != len(text):  # case folding changed offsets: mark nothing rather than wrong
        return []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    return sorted(spans)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """``text`` escaped, with the matched words in ``<mark>``."""
    text = text or ""
    out, last = [], 0
    for a, b in _marked_spans(text, terms):
        if a < last:
            continue
        out += [escape(text[last:a]), "<mark>", escape(text[a:b]), "</mark>"]
        last = b
    out.append(escape(text[last:]))
    return Markup("".join(out))


def snippet(text: str | None, terms: list[str]) -> Markup:
    """About ``SNIPPET_CHARS`` characters of ``text`` around its first match, highlighted."""
    text = text or ""
    spans = _marked_spans(text, terms)
    start = max(0, spans[0][0] - SNIPPET_CHARS // 3) if spans else 0
    end = min(len(text), start + SNIPPET_CHARS)
    if start > 0 and " " in text[start : start + 20]:
        start = text.index(" ", start) + 1
    excerpt = highlight(text[start:end], terms)
    return Markup("").join(
        [Markup("… ") if start else Markup(""), excerpt, Markup(" …") if end < len(text) else ""]
    )
