"""Enquiries across three real nodes over HTTP (kh, th, and the hub asean that relays):
a buyer on th asks about a Cambodian listing th received by sync, the kh owner answers,
the answer returns; no contact data crosses before the answer; a message sent while kh is
down arrives once kh is back, exactly once; nothing of it shows in the feed or OAI-PMH."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, text, update

from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from directory.models import Enquiry, EnquiryMessage, EnquiryState, User
from directory.node import Node
from directory.services.enquiries import block_sender
from directory.services.tokens import create_peer_token
from directory.sync_store.enquiries import SqlEnquiryOutbox
from sync.enquiries import deliver_enquiries
from sync.peers import PeerSpec
from tests.directory.pages_helpers import PASSWORD, add_account, csrf_from, user_by_email
from tests.sync import local
from tests.sync.network import SETTINGS, Member

BUYER = "somchai@bangkok-spice.example"
PHONE = "+66812345678"
REQUEST = {
    "product": "Kampot pepper",
    "hs_code": "0904",
    "quantity": "2 tonnes a month",
    "target_market": "TH",
    "message": "We would like samples.",
    "organisation": "Bangkok Spice Co.",
    "country": "TH",
    "email": BUYER,
    "name": "Somchai",
    "phone": PHONE,
}
SCOPES = ["feed:read", "enquiries:push"]


def build(db_url, db_factory, app_factory, live_server, monkeypatch) -> dict[str, Member]:
    """kh and th talk only to the hub; the hub to both. Tokens carry enquiries:push."""
    spec = {
        "kh": (Node("kh", "KH"), db_url, ["asean"]),
        "th": (Node("th", "TH"), db_factory(), ["asean"]),
        "asean": (Node("asean", "TH", role="hub"), db_factory(), ["kh", "th"]),
    }
    net: dict[str, Member] = {}
    for name, (node, url, peer_ids) in spec.items():
        peers = [
            {"id": p, "base_url": "http://127.0.0.1:9", "hub": p == "asean", "trust": "publish"}
            for p in peer_ids
        ]
        app = app_factory(
            url, node={"id": node.id, "country": node.country, "role": node.role}, peers=peers
        )
        server = live_server(app)
        net[name] = Member(node, app, server.url)
        net[name].server = server
    for name, (_node, _url, peer_ids) in spec.items():
        for peer_id in peer_ids:
            env = f"SMEDIR_TEST_ENQ_{name}_{peer_id}".upper()
            with new_session(net[peer_id].engine, write=True) as s:
                _row, plaintext = create_peer_token(s, None, name, SCOPES)
                s.commit()
            monkeypatch.setenv(env, plaintext)
            net[name].peers[peer_id] = PeerSpec(
                id=peer_id,
                base_url=net[peer_id].url,
                trust="publish",
                token_env=env,
                hub=peer_id == "asean",
                relay=peer_id == "asean",
            )
    return net


def deliver(net, frm: str, to: str):
    """``frm`` pushes its waiting enquiry messages to ``to`` now (as the scheduler would)."""
    peer = net[frm].peers[to]
    outbox = SqlEnquiryOutbox(net[frm].engine, net[frm].node)
    return deliver_enquiries(outbox, peer, SETTINGS, peer.token())


def mails(member: Member) -> list:
    return read_outbox(outbox_path(member.app.config["SMEDIR"]))


def link(mail) -> str:
    return re.search(r"http://\S+?(/enquiries/\S+)", mail.get_content()).group(1)


def enquiries(member: Member) -> list[Enquiry]:
    with new_session(member.engine) as s:
        return list(s.execute(select(Enquiry).order_by(Enquiry.id)).scalars())


def everything_stored(member: Member) -> str:
    """Every enquiry row and message body a node holds, as text."""
    with new_session(member.engine) as s:
        rows = s.execute(text("SELECT * FROM enquiries")).all()
        bodies = s.execute(select(EnquiryMessage.body)).scalars().all()
    return repr(rows) + "".join(bodies)


class Browser(requests.Session):
    """A visitor of one node over HTTP: paths are relative to its URL; forms carry CSRF."""

    def __init__(self, member: Member):
        super().__init__()
        self.base = member.url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, self.base + url, *args, **kwargs)

    def submit(self, url: str, data, page_url: str | None = None):
        """GET the page for its CSRF token, then POST the form."""
        token = csrf_from(self.get(page_url or url).text)
        return self.post(url, data=[*dict(data).items(), ("csrf_token", token)])


def send_enquiry(th: Member, listing_id: str, **changes) -> str:
    """A buyer without an account enquires on th's page (over HTTP) and opens the mailed link."""
    buyer = Browser(th)
    page = buyer.get(f"/listings/{listing_id}?lang=en").text
    assert f'href="/listings/{listing_id}/enquire"' in page
    sent = buyer.submit(f"/listings/{listing_id}/enquire", {**REQUEST, **changes})
    assert sent.status_code == 200, sent.text
    confirmed = buyer.submit(link(mails(th)[-1]), {})
    assert confirmed.status_code == 302
    return urlsplit(confirmed.headers["Location"]).path


def test_an_enquiry_travels_through_the_hub_and_the_answer_comes_back(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build(db_url, db_factory, app_factory, live_server, monkeypatch)
    kh, th, hub = net["kh"], net["th"], net["asean"]
    owner_email = add_account(kh.app)
    with new_session(kh.engine) as s:
        owner = user_by_email(s, owner_email)
    listing_id = local.publish(kh.engine, kh.node, owner, local.draft(1, hub=True))
    hub.pull("kh")
    th.pull("asean")

    status_url = send_enquiry(th, listing_id)
    assert [e.state for e in enquiries(th)] == [EnquiryState.NEW]
    assert deliver(net, "th", "asean").accepted == 1
    assert deliver(net, "asean", "kh").accepted == 1
    (arrived,) = enquiries(kh)
    assert arrived.state == EnquiryState.NEW and arrived.sender_node == "th"
    assert mails(kh)[-1]["To"] == owner_email
    for member in (kh, hub):  # before the answer, no contact data of the buyer crossed
        stored = everything_stored(member)
        assert "Bangkok Spice Co." in stored
        for secret in (BUYER, PHONE, "Somchai"):
            assert secret not in stored, member.node.id
    assert everything_stored(hub).count("Kampot pepper") == 1  # the hub holds the message only
    assert enquiries(hub) == []

    client = Browser(kh)  # the owner, on kh's pages over HTTP
    login = client.submit("/login", {"email": owner_email, "password": PASSWORD})
    assert login.status_code == 302
    url = f"/my/enquiries/{arrived.id}"
    assert BUYER not in client.get(url).text
    answer = [("answer", "Samples leave on Monday."), ("show", "email")]
    assert client.submit(f"{url}/answer", answer, page_url=url).status_code == 302
    assert deliver(net, "kh", "asean").accepted == 1
    assert deliver(net, "asean", "th").accepted == 1
    assert enquiries(th)[0].state == EnquiryState.ANSWERED
    buyer_mail = mails(th)[-1]
    assert buyer_mail["To"] == BUYER
    status = Browser(th).get(link(buyer_mail) + "?lang=en").text
    shop_email = local.draft(1)["contact"]["email"]
    assert "Samples leave on Monday." in status and shop_email in status
    assert link(buyer_mail) == status_url
    # after the answer th releases the buyer's contact details to kh, through the hub
    assert deliver(net, "th", "asean").accepted == 1
    assert deliver(net, "asean", "kh").accepted == 1
    page = client.get(f"{url}?lang=en").text
    assert BUYER in page and PHONE in page

    # a buyer on the hub itself: the hub is kh's peer, so its message goes straight there
    send_enquiry(hub, listing_id, email="buyer@jakarta.example", country="ID")
    assert deliver(net, "asean", "kh").accepted == 1
    assert [e.country for e in enquiries(kh)] == ["TH", "ID"]

    uid = arrived.uid
    feed = Browser(kh).get(
        "/api/v1/changes", headers={"Authorization": f"Bearer {hub.peers['kh'].token()}"}
    )
    assert feed.status_code == 200 and uid not in feed.text and "Samples" not in feed.text
    oai = Browser(kh).get("/oai?verb=ListRecords&metadataPrefix=sme_json").text
    assert uid not in oai and "Samples" not in oai


def test_an_enquiry_sent_while_the_origin_is_down_arrives_once_it_is_back(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build(db_url, db_factory, app_factory, live_server, monkeypatch)
    kh, th, hub = net["kh"], net["th"], net["asean"]
    owner = local.owner(kh.engine)
    listing_id = local.publish(kh.engine, kh.node, owner, local.draft(2, hub=True))
    hub.pull("kh")
    th.pull("asean")
    kh.server.stop()  # kh goes down

    send_enquiry(th, listing_id)
    assert deliver(net, "th", "asean").accepted == 1
    down = deliver(net, "asean", "kh")
    assert not down.ok and "connection" in down.error
    assert deliver(net, "asean", "kh").error  # still down: the message keeps waiting
    assert enquiries(kh) == []

    back = live_server(kh.app)  # kh is back (on another port: the hub's config says where)
    hub.peers["kh"] = PeerSpec(**{**hub.peers["kh"].__dict__, "base_url": back.url})
    assert deliver(net, "asean", "kh").accepted == 1
    assert deliver(net, "asean", "kh").accepted == 0  # nothing waits any more
    # the receipt got lost: the hub sends the same message again; kh applies it once
    with new_session(hub.engine, write=True) as s:
        s.execute(update(EnquiryMessage).values(state="pending"))
        s.commit()
    again = deliver(net, "asean", "kh")
    assert (again.accepted, again.duplicate) == (0, 1)
    assert len(enquiries(kh)) == 1


def test_a_sender_blocked_at_the_origin_is_refused_and_told_why(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build(db_url, db_factory, app_factory, live_server, monkeypatch)
    kh, th, hub = net["kh"], net["th"], net["asean"]
    listing_id = local.publish(kh.engine, kh.node, local.owner(kh.engine), local.draft(3, hub=True))
    hub.pull("kh")
    th.pull("asean")
    status_url = send_enquiry(th, listing_id)
    ref = enquiries(th)[0].sender_ref
    with new_session(kh.engine, write=True) as s:
        focal = User(email="focal@kh.example", role="focal_point", country="KH")
        s.add(focal)
        block_sender(s, focal, ref, "unwanted")  # the reference the kh owner saw
        s.commit()
    for frm, to in (("th", "asean"), ("asean", "kh"), ("kh", "asean"), ("asean", "th")):
        assert deliver(net, frm, to).accepted == 1, (frm, to)
    assert [e.state for e in enquiries(kh)] == [EnquiryState.REFUSED]
    assert [e.state for e in enquiries(th)] == [EnquiryState.REFUSED]
    assert mails(th)[-1]["To"] == BUYER
    status = Browser(th).get(status_url + "?lang=en").text
    assert "are blocked by the directory" in status
