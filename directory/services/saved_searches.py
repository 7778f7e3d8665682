"""A buyer's saved searches: confirmed by a mailed link, then at most one mail a day listing
the new listings that match (created since the last check). Stopping is one link away."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime, timedelta

import orjson
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlmodel import Session

from directory.models import Listing, SavedSearch, User
from directory.models.base import as_utc, utcnow
from directory.services.accounts import EMAIL_RE, normalize_email
from directory.services.errors import InvalidRecord, InvalidTransition, NotFound
from directory.services.search import SearchFilters, search_listings
from schemas import ValidationIssue

SALT = "smedir.saved-search"
DIGEST_SIZE = 50
FILTER_KEYS = tuple(f.name for f in fields(SearchFilters) if f.name != "sort")


def save_search(
    session: Session, email: str, filters: SearchFilters, locale: str, max_per_email: int
) -> SavedSearch:
    """Keep a search for ``email`` (unconfirmed until the mailed link is opened)."""
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidRecord([ValidationIssue("/email", "must be an email address")])
    query = {k: v for k, v in asdict(filters).items() if k in FILTER_KEYS and v not in (None, "")}
    if not query:
        raise InvalidRecord([ValidationIssue("/q", "choose at least one filter or word")])
    count = session.execute(
        select(func.count()).select_from(SavedSearch).where(SavedSearch.email == email)
    ).scalar_one()
    if count >= max_per_email:
        raise InvalidTransition("too-many-saved-searches", n=max_per_email)
    saved = SavedSearch(
        email=email,
        query=orjson.dumps(query).decode(),
        locale=locale if locale in ("km", "en") else "en",
    )
    session.add(saved)
    session.flush()
    return saved


def search_token(saved: SavedSearch, secret_key: str, action: str) -> str:
    """The signed token of a saved search's ``confirm`` or ``stop`` link."""
    return URLSafeSerializer(secret_key, salt=f"{SALT}.{action}").dumps(saved.id)


def by_token(session: Session, token: str, secret_key: str, action: str) -> SavedSearch:
    """The saved search a link stands for; InvalidTransition when it is gone or forged."""
    try:
        saved_id = int(URLSafeSerializer(secret_key, salt=f"{SALT}.{action}").loads(token))
    except (BadSignature, TypeError, ValueError):
        raise InvalidTransition("saved-search-link-invalid") from None
    saved = session.get(SavedSearch, saved_id) if 0 < saved_id < 2**31 else None
    if saved is None:
        raise InvalidTransition("saved-search-link-invalid")
    return saved


def confirm_search(session: Session, saved: SavedSearch) -> None:
    """Start mailing: listings created from now on are new to the buyer."""
    if saved.confirmed_at is None:
        saved.confirmed_at = saved.checked_at = utcnow()
        session.add(saved)
        session.flush()


def filters_of(saved: SavedSearch) -> SearchFilters:
    """The saved search's filters, newest listings first."""
    return SearchFilters(**orjson.loads(saved.query), sort="newest")


def due_searches(session: Session, now: datetime | None = None) -> list[SavedSearch]:
    """Confirmed searches, not paused, not mailed within the last day."""
    now = now or utcnow()
    stmt = select(SavedSearch).where(
        SavedSearch.confirmed_at.is_not(None),
        SavedSearch.paused_at.is_(None),
        (SavedSearch.mailed_at.is_(None)) | (SavedSearch.mailed_at <= now - timedelta(days=1)),
    )
    return list(session.execute(stmt).scalars())


def new_matches(session: Session, saved: SavedSearch) -> list[str]:
    """Ids of published listings matching the search created since it was last checked."""
    since = as_utc(saved.checked_at or saved.created_at)
    hits = search_listings(session, filters_of(saved), per_page=DIGEST_SIZE).items
    if not hits:
        return []
    created = dict(
        session.execute(
            select(Listing.id, Listing.created_at).where(Listing.id.in_([h.id for h in hits]))
        ).all()
    )
    return [h.id for h in hits if as_utc(created[h.id]) > since]


def mark_checked(session: Session, saved: SavedSearch, mailed: bool, now=None) -> None:
    """Move the check point; a mail sent starts the one-day pause."""
    now = now or utcnow()
    saved.checked_at = now
    if mailed:
        saved.mailed_at = now
    session.add(saved)
    session.flush()


def stop_search(session: Session, saved: SavedSearch) -> None:
    """Forget a saved search (the link in every mail)."""
    session.delete(saved)
    session.flush()


def searches_of(session: Session, actor: User) -> list[SavedSearch]:
    """The saved searches of a signed-in buyer: those of their confirmed address, newest first."""
    if actor.email_confirmed_at is None:
        return []
    stmt = (
        select(SavedSearch)
        .where(SavedSearch.email == normalize_email(actor.email))
        .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
    )
    return list(session.execute(stmt).scalars())


def own_search(session: Session, actor: User, saved_id: int) -> SavedSearch:
    """One of the actor's saved searches; NotFound for anybody else's."""
    saved = session.get(SavedSearch, saved_id)
    if saved is None or saved not in searches_of(session, actor):
        raise NotFound("saved-search-not-found", id=saved_id)
    return saved


def pause_search(session: Session, actor: User, saved_id: int, *, paused: bool) -> SavedSearch:
    """Pause a saved search's mails, or resume them: listings created while it was paused
    are not mailed afterwards (the check point moves to the resumption)."""
    saved = own_search(session, actor, saved_id)
    now = utcnow()
    if paused and saved.paused_at is None:
        saved.paused_at = now
    elif not paused and saved.paused_at is not None:
        saved.paused_at = None
        saved.checked_at = now
    session.add(saved)
    session.flush()
    return saved


def delete_search(session: Session, actor: User, saved_id: int) -> None:
    """Delete one of the actor's saved searches."""
    stop_search(session, own_search(session, actor, saved_id))
