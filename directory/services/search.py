"""Search and browse published listings (the web search and the JSON API share this)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlmodel import Session

from directory.models import Listing, ListingState


@dataclass(frozen=True)
class SearchFilters:
    """What a visitor may filter published listings by."""

    q: str = ""
    province: str | None = None
    sector: str | None = None  # an ISIC division, group or class code (prefix match)
    section: str | None = None  # an ISIC section letter
    size_class: str | None = None
    legal_form: str | None = None
    women_owned: bool | None = None
    youth_owned: bool | None = None
    country: str | None = None


@dataclass
class SearchPage:
    """One page of results with the total count."""

    items: list[Listing] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20


def search_listings(
    session: Session, filters: SearchFilters, *, page: int = 1, per_page: int = 20
) -> SearchPage:
    """Published, publicly shared listings matching the filters, by name."""
    stmt = select(Listing).where(
        Listing.state == ListingState.PUBLISHED, Listing.share_public.is_(True)
    )
    stmt = _apply_filters(stmt, filters)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    ordered = stmt.order_by(func.coalesce(Listing.name_en, Listing.name_km), Listing.id)
    rows = session.execute(ordered.offset((page - 1) * per_page).limit(per_page)).scalars()
    return SearchPage(list(rows), total, page, per_page)


def _apply_filters(stmt, f: SearchFilters):
    for term in f.q.casefold().split():
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Listing.search_text.like(f"%{escaped}%", escape="\\"))
    if f.province:
        stmt = stmt.where(Listing.province == f.province)
    if f.country:
        stmt = stmt.where(Listing.country == f.country)
    if f.sector:
        stmt = stmt.where(
            or_(Listing.sectors.like(f"% {f.sector}%"), Listing.sectors.like(f"% {f.sector} %"))
        )
    if f.section:
        stmt = stmt.where(Listing.isic_sections.like(f"% {f.section} %"))
    for column, value in (
        (Listing.size_class, f.size_class),
        (Listing.legal_form, f.legal_form),
        (Listing.women_owned, f.women_owned),
        (Listing.youth_owned, f.youth_owned),
    ):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return stmt
