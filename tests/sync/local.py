"""Local records on a node's database, written through the listing services (as owners do)."""

from __future__ import annotations

import copy

from sqlalchemy import select

from directory.db import new_session
from directory.models import RevisionState, Role, User
from directory.node import Node
from directory.services import listings as listing_svc
from tests.conftest import valid_examples

ENVELOPE = ("id", "origin", "version", "updated_at")


def owner(engine, email: str = "owner@example.com") -> User:
    """A committed owner account (reused if it exists)."""
    with new_session(engine, write=True) as s:
        user = s.execute(select(User).where(User.email == email)).scalar()
        if user is None:
            user = User(email=email, role=Role.OWNER)
            s.add(user)
            s.commit()
        return user


def draft(n: int, **sharing) -> dict:
    """Owner data for a new listing, with the given sharing."""
    doc = copy.deepcopy(valid_examples("record")[n % 5])
    data = {k: v for k, v in doc.items() if k not in ENVELOPE}
    data["names"] = {**data.get("names", {}), "en": f"Enterprise {n}"}
    data["sharing"] = {"public": True, "hub": False, "peers": [], "contact_public": False}
    data["sharing"].update(sharing)
    data["registration"] = {**data["registration"], "number": f"T{n:07d}"}
    return data


def publish(engine, node: Node, user: User, data: dict) -> str:
    """Create and publish a listing at once (as an import or a minor edit would)."""
    with new_session(engine, write=True) as s:
        listing = listing_svc.create_draft(s, user, data, node=node)
        revision = listing_svc.open_revision(s, listing.id)
        listing_svc.publish_revision(s, listing, revision, RevisionState.PUBLISHED)
        s.commit()
        return listing.id


def edit(engine, node: Node, user: User, listing_id: str, data: dict) -> None:
    """Publish a new version of a listing with ``data``."""
    with new_session(engine, write=True) as s:
        revision = listing_svc.update_draft(s, user, listing_id, data, node=node)
        listing = listing_svc.get_listing(s, listing_id)
        listing_svc.publish_revision(s, listing, revision, RevisionState.PUBLISHED)
        s.commit()


def withdraw(engine, node: Node, user: User, listing_id: str) -> None:
    """The owner withdraws the listing (a tombstone is published)."""
    with new_session(engine, write=True) as s:
        listing_svc.withdraw_listing(s, user, listing_id, node=node)
        s.commit()
