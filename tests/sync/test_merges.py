"""A merge over real HTTP: the listing merged away reaches peers as a 'merged' tombstone naming
the survivor, through the change feed and through OAI-PMH, and its URL redirects there too."""

from __future__ import annotations

from directory.db import new_session
from directory.models import Listing, ListingState, Role
from directory.node import Node
from directory.records import parse_json
from directory.services.tokens import create_peer_token
from sync.peers import PeerSpec
from tests.conftest import load_example
from tests.directory.oai_schema import assert_valid_oai
from tests.directory.pages_helpers import (
    add_account,
    pending_edit,
    post_form,
    published_listing,
    signed_in,
)
from tests.sync.network import Member

RICE = load_example("battambang-rice-mill")


def _node(app_factory, db, node_id: str, country: str, live_server, peers=()) -> Member:
    """A node on its own database, served on 127.0.0.1."""
    app = app_factory(db, node={"id": node_id, "country": country}, peers=list(peers))
    return Member(Node(node_id, country), app, live_server(app).url)


def _held(member: Member, listing_id: str) -> dict | None:
    with new_session(member.engine) as s:
        listing = s.get(Listing, listing_id)
        return None if listing is None else {"state": listing.state, **parse_json(listing.document)}


def test_a_merge_reaches_peers_through_the_feed_and_oai_pmh(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    peers = [{"id": p, "base_url": "http://127.0.0.1:9", "trust": "publish"} for p in ("th", "la")]
    kh = _node(app_factory, db_url, "kh", "KH", live_server, peers)
    th = _node(app_factory, db_factory(), "th", "TH", live_server)
    la = _node(app_factory, db_factory(), "la", "LA", live_server)
    with new_session(kh.engine, write=True) as s:
        _row, token = create_peer_token(s, None, "th", ["feed:read"])
        s.commit()
    monkeypatch.setenv("SMEDIR_TEST_TOKEN_TH_KH", token)
    th.peers["kh"] = PeerSpec("kh", kh.url, trust="publish", token_env="SMEDIR_TEST_TOKEN_TH_KH")
    la.peers["kh"] = PeerSpec(
        "kh", f"{kh.url}/oai", protocol="oai-pmh", metadata_prefix="sme_json", trust="publish"
    )

    owner, other_owner = add_account(kh.app), add_account(kh.app)
    focal = add_account(kh.app, Role.FOCAL_POINT, "KH")
    data = {k: v for k, v in RICE.items() if k not in ("id", "origin", "version", "updated_at")}
    data["sharing"] = {"public": True, "hub": False, "peers": ["th"], "contact_public": True}
    kept = published_listing(kh.app, owner, data, focal)
    twin_data = {**data, "registration": {**data["registration"], "number": "00099999"}}
    twin = published_listing(kh.app, other_owner, twin_data, focal)
    th.pull("kh")
    la.pull("kh")
    assert _held(th, twin)["state"] == _held(la, twin)["state"] == ListingState.PUBLISHED

    rev = pending_edit(kh.app, other_owner, twin, {**twin_data, "names": {"km": "មាស"}})
    client, _ = signed_in(kh.app, Role.FOCAL_POINT, "KH")
    post_form(client, f"/review/{rev}/duplicates", {"duplicate": "same", "other": kept})
    assert th.pull("kh").counts.deleted == 1
    assert la.pull("kh").counts.deleted == 1
    for member in (th, la):
        stone = _held(member, twin)
        assert stone["state"] == ListingState.WITHDRAWN, member.node.id
        assert (stone["reason"], stone["merged_into"]) == ("merged", kept), member.node.id
        assert _held(member, kept)["state"] == ListingState.PUBLISHED
    listed = kh.app.test_client().get("/oai?verb=ListRecords&metadataPrefix=oai_dc")
    root = assert_valid_oai(listed.data)  # the tombstone in <about> is valid OAI-PMH
    assert root.find(".//{*}about/{*}tombstone") is not None
    moved = th.app.test_client().get(f"/listings/{twin}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/listings/{kept}")
