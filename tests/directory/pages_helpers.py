"""Helpers for the page tests: accounts, signing in through the real form, CSRF tokens, forms."""

from __future__ import annotations

import itertools
import re
from typing import Any

from werkzeug.datastructures import MultiDict

from directory.context import get_node
from directory.db import new_session
from directory.models import Role
from directory.services import accounts, reviews
from directory.services import listings as listing_svc

PASSWORD = "plum-kettle-93-orbit"
_emails = itertools.count(1)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_account(app, role: str = Role.OWNER, country: str | None = None) -> str:
    """A committed account with PASSWORD; returns its email."""
    email = f"{role}{next(_emails)}@example.com"
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        accounts.create_user(
            session, email, PASSWORD, accounts.AccountPolicy(), role=role, country=country
        )
        session.commit()
    return email


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in form."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302, response.text


def signed_in(app, role: str = Role.OWNER, country: str | None = None):
    """A test client signed in as a new account of ``role``; returns (client, email)."""
    email = add_account(app, role, country)
    client = app.test_client()
    login(client, email)
    return client, email


def post_form(client, url: str, data: dict[str, Any] | list, page_url: str | None = None):
    """GET the page (for its CSRF token), then POST ``data`` to ``url``."""
    token = csrf_from(client.get(page_url or url).text)
    items = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(url, data=MultiDict([*items, ("csrf_token", token)]))


def form_fields(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser sends for ``doc`` from the listing form."""
    pairs: list[tuple[str, str]] = []
    for key, value in doc.items():
        if key in ("id", "origin", "version", "updated_at"):
            continue
        _flatten(f"/{key}", value, pairs)
    if doc.get("sharing", {}).get("enquiries") is not False:  # ticked unless switched off
        pairs = [p for p in pairs if p[0] != "/sharing/enquiries"] + [
            ("/sharing/enquiries", "true")
        ]
    return pairs


def _flatten(pointer: str, value: Any, pairs: list) -> None:
    if pointer in ("/export_markets", "/sharing/peers"):
        pairs += [(pointer, v) for v in value]
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{pointer}/{k}", v, pairs)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(f"{pointer}/{i}", v, pairs)
    elif value is True:
        pairs.append((pointer, "true"))
    elif value is False:
        if pointer in ("/women_owned", "/youth_owned"):
            pairs.append((pointer, "false"))
    else:
        pairs.append((pointer, str(value)))


def user_by_email(session, email: str):
    """The account with this email."""
    return accounts.find_user(session, email)


def published_listing(app, owner_email: str, doc: dict[str, Any], reviewer_email: str) -> str:
    """Create, submit and approve a listing through the services; returns its id."""
    listing_id, revision_id = pending_listing(app, owner_email, doc)
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        reviewer = user_by_email(session, reviewer_email)
        reviews.approve_revision(session, reviewer, revision_id, node=get_node(app))
        session.commit()
    return listing_id


def pending_listing(app, owner_email: str, doc: dict[str, Any]) -> tuple[str, int]:
    """Create and submit a listing through the services; returns (listing id, revision id)."""
    node = get_node(app)
    data = {k: v for k, v in doc.items() if k not in ("id", "origin", "version", "updated_at")}
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        owner = user_by_email(session, owner_email)
        listing = listing_svc.create_draft(session, owner, data, node=node)
        revision = listing_svc.submit_for_review(session, owner, listing.id, node=node)
        session.commit()
        return listing.id, revision.id


def pending_edit(app, owner_email: str, listing_id: str, data: dict[str, Any]) -> int:
    """An owner's edit of a published listing, sent to review; returns the revision id."""
    node = get_node(app)
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        owner = user_by_email(session, owner_email)
        listing_svc.update_draft(session, owner, listing_id, data, node=node)
        revision = listing_svc.submit_for_review(session, owner, listing_id, node=node)
        session.commit()
        return revision.id


def read(app, fn):
    """Run ``fn(session)`` in a read session of the app's database."""
    with new_session(app.extensions["smedir.engine"]) as session:
        return fn(session)
