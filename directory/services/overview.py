"""What the home page tells visitors about the directory: live counts and recent listings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, case, distinct, func, select
from sqlmodel import Session

from directory.models import Listing, ListingState
from directory.node import Node


@dataclass(frozen=True)
class Overview:
    """Counts over the published, publicly shown listings, and the latest of them."""

    total: int = 0
    provinces: int = 0  # of the node's own country
    countries: int = 0
    women_owned: int = 0
    youth_owned: int = 0
    from_partners: int = 0  # listings whose origin is another directory
    partners: int = 0  # how many other directories they come from
    recent: list[Listing] = field(default_factory=list)


def directory_overview(session: Session, node: Node, *, recent: int = 6) -> Overview:
    """Live counts of what visitors can find here, and the ``recent`` latest listings.

    The recent listings of a national node are its own (what its SMEs listed
    lately); a hub, which has none of its own, shows the latest of any origin.
    """
    visible = (Listing.state == ListingState.PUBLISHED, Listing.share_public.is_(True))
    partner = Listing.origin != node.id
    own_province = case((Listing.country == node.country, Listing.province))
    row = session.execute(
        select(
            func.count(),
            func.count(distinct(own_province)),
            func.count(distinct(Listing.country)),
            func.coalesce(func.sum(Listing.women_owned.cast(Integer)), 0),
            func.coalesce(func.sum(Listing.youth_owned.cast(Integer)), 0),
            func.coalesce(func.sum(partner.cast(Integer)), 0),
        ).where(*visible)
    ).one()
    partners = session.execute(
        select(func.count(distinct(Listing.origin))).where(*visible, partner)
    ).scalar_one()
    mine = () if node.is_hub else (Listing.origin == node.id,)
    latest = session.execute(
        select(Listing)
        .where(*visible, *mine)
        .order_by(Listing.updated_at.desc(), Listing.id)
        .limit(recent)
    ).scalars()
    return Overview(*(int(n) for n in row), partners=int(partners), recent=list(latest))
