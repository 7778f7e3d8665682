"""What the OAI-PMH repository holds, read from the listings table.

Items are the listings some published version of which was public here (own
records and replicas, ``shared_public_ever``): a record that was never public
is no item at all, not even a deleted header, so its id never leaks. An item is
a live record when it is published and publicly shared (the same rule as the
public search); otherwise it is a *deleted* item: withdrawn, closed or merged
records, and records whose owner no longer shares them publicly. Deletions are kept forever
(``deletedRecord=persistent``). Datestamps are the local time of the last
change, in seconds, so incremental harvesting by ``from`` never misses an
item; lists are ordered by change sequence number, which resumption tokens
carry.

Sets: ``country:<ISO 3166-1>``, ``province:<ISO 3166-2>`` and ``isic:<section>``
(with parents ``country``, ``province``, ``isic``). Set membership comes from
the current document; a tombstone carries no data, so deleted items that are
tombstones belong to no set and appear only in lists without ``set``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, func, select
from sqlmodel import Session

from directory.models import Listing, ListingState
from schemas import load_countries, load_isic, load_provinces

SET_KINDS = ("country", "province", "isic")
PROVINCE_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


@dataclass(frozen=True)
class Item:
    """One item as a header needs it, plus its document for records."""

    id: str
    seq: int
    datestamp: datetime
    deleted: bool
    sets: tuple[str, ...]
    document: str | None
    contact_public: bool = False
    tombstone: str | None = None  # a withdrawn or merged record's stored tombstone (records only)


def _items():
    """The condition for being an item: published here once, and public then."""
    return and_(Listing.change_seq.is_not(None), Listing.shared_public_ever.is_(True))


def _live():
    return and_(Listing.state == ListingState.PUBLISHED, Listing.share_public.is_(True))


def _columns(with_document: bool):
    cols = [
        Listing.id,
        Listing.change_seq,
        Listing.updated_at,
        Listing.state,
        Listing.share_public,
        Listing.country,
        Listing.province,
        Listing.isic_sections,
    ]
    return [*cols, Listing.document] if with_document else cols


def _item(row, with_document: bool) -> Item:
    rid, seq, updated, state, public, country, province, sections = row[:8]
    deleted = not (state == ListingState.PUBLISHED and public)
    sets = []
    if country:
        sets.append(f"country:{country}")
    if province:
        sets.append(f"province:{province}")
    sets += [f"isic:{s}" for s in (sections or "").split()]
    document = row[8] if with_document and not deleted else None
    withdrawn = with_document and state == ListingState.WITHDRAWN
    tombstone = row[8] if withdrawn and row[8] else None
    return Item(rid, seq, updated, deleted, tuple(sets), document, tombstone=tombstone)


def set_condition(spec: str):
    """The SQL condition for membership in set ``spec`` (already checked by ``is_set``)."""
    kind, _, value = spec.partition(":")
    column = {"country": Listing.country, "province": Listing.province}.get(kind)
    if kind == "isic":
        if not value:
            return Listing.isic_sections.is_not(None)
        return Listing.isic_sections.like(f"% {value} %")
    return column.is_not(None) if not value else column == value


def is_set(spec: str) -> bool:
    """True for a setSpec this repository defines."""
    kind, sep, value = spec.partition(":")
    if kind not in SET_KINDS:
        return False
    if not sep:
        return True
    if kind == "country":
        return value in load_countries()
    if kind == "province":
        return bool(PROVINCE_RE.match(value))
    return value in _sections()


@cache
def _sections() -> dict[str, str]:
    return {code: row["title_en"] for code, row in load_isic().items() if row["level"] == "section"}


@cache
def _province_names() -> dict[str, str]:
    return {row["code"]: row["name_en"] for row in load_provinces()}


def list_items(
    session: Session,
    *,
    after_seq: int,
    limit: int,
    set_spec: str | None,
    since: datetime | None,
    until: datetime | None,
    with_documents: bool,
) -> tuple[list[Item], int, bool]:
    """Items after ``after_seq`` matching the filters; returns (items, total matching, more?)."""
    conditions = [_items()]
    if set_spec:
        conditions.append(set_condition(set_spec))
    if since is not None:
        conditions.append(Listing.updated_at >= since)
    if until is not None and until < datetime.max.replace(tzinfo=until.tzinfo) - timedelta(
        seconds=1
    ):
        conditions.append(Listing.updated_at < until + timedelta(seconds=1))
    total = session.execute(select(func.count()).where(*conditions)).scalar_one()
    stmt = (
        select(*_columns(with_documents))
        .where(*conditions, Listing.change_seq > after_seq)
        .order_by(Listing.change_seq)
        .limit(limit + 1)
    )
    rows = session.execute(stmt).all()
    items = [_item(r, with_documents) for r in rows[:limit]]
    return items, total, len(rows) > limit


def get_item(session: Session, record_id: str) -> Item | None:
    """The item for a record id, if it was ever published here publicly."""
    row = session.execute(select(*_columns(True)).where(Listing.id == record_id, _items())).first()
    return _item(row, True) if row else None


def earliest_datestamp(session: Session) -> datetime | None:
    """The oldest datestamp of any item."""
    return session.execute(select(func.min(Listing.updated_at)).where(_items())).scalar_one()


def all_sets(session: Session) -> list[tuple[str, str]]:
    """(setSpec, setName) for every set: the parents, then the countries, provinces and ISIC
    sections that items hold, then every Cambodian province and ISIC section."""
    countries = load_countries()
    provinces = _province_names()
    sections = _sections()
    held = {
        c
        for (c,) in session.execute(select(Listing.country).where(_items()).distinct())
        if c in countries
    }
    held_provinces = {
        p
        for (p,) in session.execute(select(Listing.province).where(_items()).distinct())
        if p and is_set(f"province:{p}")
    }
    held |= {"KH"}
    held_provinces |= set(provinces)
    out = [
        ("country", "Countries"),
        ("province", "Provinces (ISO 3166-2)"),
        ("isic", "Economic activity (ISIC Rev.4 sections)"),
    ]
    out += [(f"country:{c}", countries[c]) for c in sorted(held)]
    out += [(f"province:{p}", provinces.get(p, p)) for p in sorted(held_provinces, key=_nat)]
    out += [(f"isic:{s}", f"ISIC section {s}: {title}") for s, title in sorted(sections.items())]
    return out


def _nat(code: str) -> tuple[str, int]:
    prefix, _, number = code.partition("-")
    return (prefix, int(number)) if number.isdigit() else (prefix, 0)
