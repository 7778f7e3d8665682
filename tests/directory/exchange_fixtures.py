"""Helpers shared by the exchange API tests (feed, push, tokens, OAI-PMH, listings API)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from directory.db import new_session
from directory.models import Listing, RevisionState, Role, User
from directory.node import Node
from directory.services import listings as listing_svc
from directory.services.changes import apply_remote_changes
from directory.services.tokens import create_peer_token

PEERS = [
    {"id": "th", "base_url": "http://127.0.0.1:9/th", "trust": "publish"},
    {"id": "la", "base_url": "http://127.0.0.1:9/la", "trust": "review"},
    {"id": "asean", "base_url": "http://127.0.0.1:9/asean", "trust": "publish", "hub": True},
    {"id": "vn", "base_url": "http://127.0.0.1:9/vn", "trust": "publish", "relay": True},
]
NODE = Node("kh", "KH")
_emails = itertools.count(1)


def engine_of(app):
    """The app's engine."""
    return app.extensions["smedir.engine"]


def add_user(app, role: str = Role.OWNER, email: str | None = None) -> User:
    """A committed user on the app's database."""
    with new_session(engine_of(app), write=True) as session:
        n = next(_emails)
        user = User(email=email or f"exchange-{role}{n}@example.com", role=role)
        session.add(user)
        session.commit()
        return user


def publish_own(app, data: dict[str, Any], owner: User | None = None, **sharing) -> Listing:
    """Create and publish (without review) a listing of node kh; ``sharing`` overrides."""
    owner = owner or add_user(app)
    data = copy.deepcopy(data)
    data["sharing"] = {**data.get("sharing", {}), **sharing}
    data["sharing"].setdefault("peers", [])
    with new_session(engine_of(app), write=True) as session:
        listing = listing_svc.create_draft(session, owner, data, node=NODE)
        revision = listing_svc.open_revision(session, listing.id)
        listing_svc.publish_revision(session, listing, revision, RevisionState.PUBLISHED)
        session.commit()
        return listing


def edit_own(app, listing_id: str, owner: User, data: dict[str, Any]) -> None:
    """The owner edits and submits (non-verified fields publish at once)."""
    with new_session(engine_of(app), write=True) as session:
        listing_svc.update_draft(session, owner, listing_id, data, node=NODE)
        listing_svc.submit_for_review(session, owner, listing_id, node=NODE)
        session.commit()


def withdraw_own(app, listing_id: str, owner: User) -> None:
    """The owner withdraws the listing (a tombstone is published)."""
    with new_session(engine_of(app), write=True) as session:
        listing_svc.withdraw_listing(session, owner, listing_id, node=NODE)
        session.commit()


def replica(record_doc: dict, origin: str, n: int, version: int = 1, **sharing) -> dict:
    """A record document of another node."""
    doc = copy.deepcopy(record_doc)
    doc.update(id=f"{origin}:rec{n}", origin=origin, version=version)
    doc["sharing"] = {**doc["sharing"], **sharing}
    return doc


def store_replicas(app, docs: list[dict], source_peer: str = "th") -> None:
    """Apply records of other nodes to the app's database (relay on, as a pull would)."""
    with new_session(engine_of(app), write=True) as session:
        apply_remote_changes(session, docs, node=NODE, source_peer=source_peer, relay=True)
        session.commit()


def peer_token(app, peer_id: str, *scopes: str) -> tuple[int, str]:
    """A committed peer token; returns (id, plaintext)."""
    with new_session(engine_of(app), write=True) as session:
        token, plaintext = create_peer_token(session, None, peer_id, list(scopes))
        session.commit()
        return token.id, plaintext


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def read_whole_feed(client, token: str, limit: int = 2) -> tuple[list[dict], list[dict]]:
    """Follow the feed to its end; returns (pages, all changes)."""
    pages, changes, cursor = [], [], ""
    while True:
        response = client.get(
            f"/api/v1/changes?since={cursor}&limit={limit}", headers=bearer(token)
        )
        assert response.status_code == 200, response.data
        page = response.get_json()
        pages.append(page)
        changes += page["changes"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return pages, changes
