"""A listing's open likely duplicates, counted once per state of the data, not on every view.

The public listing page, the owner's listings, the API and the review page show a
quality score with a "no open duplicate" part. Finding the candidates is a few
indexed statements and up to thirty rapidfuzz scores; a popular page would repeat
them on every view. The count is kept per database engine and process, keyed by a
generation read in one cheap statement, which every write that can change a
listing's candidates moves:

- the change-log sequence number (``change_counter``): a publication, a pull, an
  import, a withdrawal or a merge;
- the pending revisions (their count, largest id and latest submission): a record
  submitted or held for review is a candidate with its pending data, and stops being
  one when decided;
- the pairs declared "not the same" (``distinct_pairs`` only grows).

As with the search counts, only read sessions use the cache, and each gunicorn worker
keeps its own (``read_cache.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from directory.services.duplicates import DEFAULT_BANDS, likely_duplicates
from directory.services.read_cache import EngineCaches, GenerationCache

CACHE_SIZE = 10_000  # listings remembered per worker

GENERATION_SQL = text(
    "SELECT (SELECT value FROM change_counter WHERE id = 1),"
    " (SELECT count(*) FROM revisions WHERE state = 'pending'),"
    " (SELECT max(id) FROM revisions WHERE state = 'pending'),"
    " (SELECT max(submitted_at) FROM revisions WHERE state = 'pending'),"
    " (SELECT count(*) FROM distinct_pairs)"
)

_caches = EngineCaches(lambda: GenerationCache(CACHE_SIZE))


def generation(session: Session) -> tuple:
    """What the candidates of every listing depend on, as this session sees it."""
    return tuple(str(v) for v in session.execute(GENERATION_SQL).one())


def open_duplicates(
    session: Session,
    listing_id: str,
    doc: dict[str, Any],
    *,
    bands: tuple[float, float] = DEFAULT_BANDS,
) -> tuple[int, bool]:
    """(likely duplicates of the listing with data ``doc``, whether one is probable)."""
    cache = _cache(session)
    if cache is None:
        return _count(session, listing_id, doc, bands)
    now = generation(session)
    key = (listing_id, doc.get("version"), doc.get("updated_at"), bands)
    found = cache.get(now, key)
    if found is None:
        found = _count(session, listing_id, doc, bands)
        cache.put(now, key, found)
    return found


def _count(session: Session, listing_id: str, doc: dict, bands) -> tuple[int, bool]:
    found = likely_duplicates(session, doc, exclude_id=listing_id, bands=bands)
    return len(found), any(c.band == "probable" for c in found)


def _cache(session: Session) -> GenerationCache | None:
    """The engine's cache, or None for a write session."""
    return _caches.for_session(session) if CACHE_SIZE > 0 else None
