"""A site with something on every page, and the list of pages each role can open.

Used by the every-page browser test: one node with a peer (its feed served on
127.0.0.1), one sync run with a quarantined record, a published, a pending and a
withdrawn listing, an imported one with a pending claim, a peer token, and one
account of each role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from directory.context import get_node
from directory.db import new_session
from directory.models import Listing, Role
from directory.records import business_data
from directory.services import claims, freshness, saved_searches
from directory.services import enquiries as enquiry_svc
from directory.services import listings as listing_svc
from directory.services import tokens as token_svc
from directory.services.bulk import import_records, system_admin
from directory.services.search import SearchFilters
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec
from sync.runner import run_peer
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    pending_listing,
    published_listing,
    user_by_email,
)
from tests.sync.conftest import FAST, peer_doc


@dataclass
class Tour:
    """Accounts by role and the (role, path, expected status) of every page."""

    emails: dict[str, str]
    pages: list[tuple[str | None, str, int]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # what the SMEs wrote, shown as written


EXAMPLES = ("battambang-rice-mill", "kampot-pepper-farm", "kep-crab-restaurant")
IMPORTED = "siem-reap-silk-weavers"  # imported by an admin: nobody owns it, an owner claims it


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _trust_pages(session, node, owner: str, published: str, app) -> tuple[str, int, str]:
    """An imported listing with the owner's pending claim, and the published listing's
    reconfirmation link (as the reminder mails it)."""
    doc = business_data(load_example(IMPORTED))
    [result] = import_records(session, system_admin(), [doc], node=node)
    claim = claims.submit_claim(
        session, user_by_email(session, owner), result.id, role="owner", node=node
    )
    session.commit()
    secret = app.config["SMEDIR"]["security"]["secret_key"]
    token = freshness.reconfirm_token(secret, session.get(Listing, published))
    return result.id, claim.id, f"/listings/{published}/reconfirm/{token}"


ENQUIRY = {
    "product": "Jasmine rice",
    "hs_code": "1006",
    "quantity": "20 tonnes",
    "target_market": "TH",
    "message": "Please send your price list.",
    "organisation": "Bangkok Rice Trading",
    "country": "TH",
    "email": "buyer@bangkok-rice.example",
}


def _enquiry(app, listing_id: str) -> tuple[int, str]:
    """A buyer's confirmed enquiry about ``listing_id``: its id and the buyer's status token."""
    policy = enquiry_svc.EnquiryPolicy()
    with new_session(app.extensions["smedir.engine"], write=True) as session:
        enquiry = enquiry_svc.send_enquiry(
            session,
            None,
            listing_id,
            ENQUIRY,
            node=get_node(app),
            policy=policy,
            secret_key=app.secret_key,
            address="127.0.0.1",
            locale="en",
            peers=[],
        )
        enquiry_svc.confirm_enquiry_now(session, enquiry, get_node(app), [])
        session.commit()
        return enquiry.id, enquiry_svc.status_token(enquiry, app.secret_key)


def build_site(app, feed) -> Tour:
    """Fill ``app``'s database so that every page has content; return the tour."""
    owner = add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    admin = add_account(app, Role.ADMIN)
    rice, pepper, crab = (load_example(name) for name in EXAMPLES)
    published = published_listing(app, owner, rice, focal)
    _listing, revision = pending_listing(app, owner, pepper)
    twin = {**rice, "registration": {**rice["registration"], "number": "00099999"}}
    _twin, twin_revision = pending_listing(app, owner, twin)  # a likely duplicate of rice
    withdrawn = published_listing(app, owner, crab, focal)
    engine, node = app.extensions["smedir.engine"], get_node(app)
    with new_session(engine, write=True) as session:
        listing_svc.withdraw_listing(session, user_by_email(session, owner), withdrawn, node=node)
        token = token_svc.create_peer_token(
            session, user_by_email(session, admin), "th", ["feed:read"]
        )
        session.commit()
        token_id = token[0].id
        imported, claim_id, reconfirm = _trust_pages(session, node, owner, published, app)
    bad = peer_doc("th", 9)
    bad["contact"] = {"email": "nope"}
    feed.docs[:] = [peer_doc("th", n) for n in range(2)] + [bad]
    run_peer(SqlSyncStore(engine, node), PeerSpec(id="th", base_url=feed.url), FAST, "pull")
    enquiry, status = _enquiry(app, published)
    with new_session(engine, write=True) as session:  # the owner's own saved search
        saved = saved_searches.save_search(session, owner, SearchFilters(hs_code="1006"), "km", 5)
        saved_searches.confirm_search(session, saved)
        session.commit()
    tour = Tour({Role.OWNER: owner, Role.FOCAL_POINT: focal, Role.ADMIN: admin})
    docs = [load_example(n) for n in (*EXAMPLES, IMPORTED)] + feed.docs + [ENQUIRY]
    tour.written = sorted({text for doc in docs for text in _strings(doc)})
    tour.pages = [
        (None, "/", 200),
        (None, "/?q=rice&province=KH-2", 200),
        (None, "/search?q=rice", 200),
        (None, "/browse/provinces", 200),
        (None, "/browse/sectors", 200),
        (None, "/stats", 200),
        (None, f"/listings/{published}", 200),
        (None, f"/listings/{withdrawn}", 410),
        (None, "/listings/kh:nothing-here", 404),
        (None, "/login", 200),
        (None, "/signup", 200),
        (None, "/password/forgot", 200),
        (None, "/api/docs", 200),
        (Role.OWNER, "/my/listings", 200),
        (Role.OWNER, "/my/listings/new", 200),
        (Role.OWNER, f"/my/listings/{published}/edit", 200),
        (Role.OWNER, f"/my/listings/{published}/edit?all=1", 200),
        *[
            (Role.OWNER, f"/my/listings/{published}/step/{key}", 200)
            for key in ("basics", "registration", "size", "products", "markets", "about", "sharing")
        ],
        (Role.OWNER, f"/my/listings/{published}/withdraw", 200),
        (None, f"/listings/{published}/enquire", 200),
        (None, f"/enquiries/status/{status}", 200),
        (None, "/enquiries/confirm/any-token", 200),
        (Role.OWNER, "/my/enquiries", 200),
        (Role.OWNER, f"/my/enquiries/{enquiry}", 200),
        (Role.OWNER, "/my/sent-enquiries", 200),
        (Role.OWNER, "/my/saved-searches", 200),
        (Role.FOCAL_POINT, "/review/enquiries", 200),
        (Role.OWNER, "/account/password", 200),
        (Role.OWNER, "/account/tokens", 200),
        (Role.OWNER, "/admin/users", 403),
        (Role.OWNER, f"/listings/{imported}/claim", 200),
        (None, f"/listings/{imported}", 200),
        (None, reconfirm, 200),
        (Role.FOCAL_POINT, "/review/claims", 200),
        (Role.FOCAL_POINT, f"/review/claims/{claim_id}", 200),
        (Role.FOCAL_POINT, "/review/dashboard", 200),
        (Role.ADMIN, "/review/dashboard", 200),  # an admin's scope: the whole node
        (Role.FOCAL_POINT, "/review", 200),
        (Role.FOCAL_POINT, f"/review/{revision}", 200),
        (Role.FOCAL_POINT, f"/review/{twin_revision}", 200),
        (Role.FOCAL_POINT, "/admin/quarantine", 200),
        (Role.FOCAL_POINT, "/admin/held", 200),
        (Role.ADMIN, "/admin/users", 200),
        (Role.ADMIN, "/admin/users/1", 200),
        (Role.ADMIN, "/admin/audit", 200),
        (Role.ADMIN, "/admin/peers", 200),
        (Role.ADMIN, "/admin/runs", 200),
        (Role.ADMIN, "/admin/tokens", 200),
        (Role.ADMIN, f"/admin/tokens/{token_id}", 200),
    ]
    return tour
