"""Claims, freshness (reminders, lapse, reconfirmation) and quality scores, on both databases.

The clock is frozen by passing ``now`` to the services and to the daily job; mail goes
to the real folder outbox, and a bounce comes from a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import re
import socketserver
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from directory.cli import cli
from directory.cli.freshness import run_freshness
from directory.context import get_node
from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from directory.models import AuditEntry, Claim, FreshnessReminder, Listing, Role, User
from directory.models.base import utcnow
from directory.records import business_data, parse_json
from directory.services import claims, dashboard, freshness, listings, reviews
from directory.services.bulk import import_records, system_admin
from directory.services.errors import InvalidTransition, PermissionDenied
from directory.services.quality import listing_quality
from directory.services.search import SearchFilters, search_listings
from tests.conftest import load_example
from tests.directory.pages_helpers import csrf_from, post_form, read, signed_in

T0 = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


@contextmanager
def refused(kind, code: str):
    """The block raises a service error of ``kind`` with ``code``."""
    with pytest.raises(kind) as info:
        yield
    assert info.value.code == code


def _import(session, node, name: str, **changes) -> Listing:
    doc = {**business_data(load_example(name)), **changes}
    [result] = import_records(session, system_admin(), [doc], node=node)
    session.commit()
    return session.get(Listing, result.id)


def _user(session, email: str, role=Role.OWNER, *, confirmed=True, country=None) -> User:
    user = User(
        email=email,
        role=role,
        country=country,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    session.add(user)
    session.commit()
    return user


def _actions(session, listing_id: str) -> list[str]:
    stmt = select(AuditEntry.action).where(AuditEntry.target == f"listing:{listing_id}")
    return list(session.execute(stmt.order_by(AuditEntry.id)).scalars())


def test_a_claim_is_refused_or_approved_with_a_reason_audited_and_the_owner_edits(session, node):
    listing = _import(session, node, "kampot-pepper-farm")
    assert listing.owner_id is None
    sokha = _user(session, "sokha@example.com")
    dara = _user(session, "dara@example.com")
    fp = _user(session, "fp@example.com", Role.FOCAL_POINT, country="KH")
    fp_th = _user(session, "fp-th@example.com", Role.FOCAL_POINT, country="TH")

    first = claims.submit_claim(session, sokha, listing.id, role="owner", note="", node=node)
    with refused(InvalidTransition, "claim-already-pending"):
        claims.submit_claim(session, sokha, listing.id, role="owner", node=node)
    with refused(InvalidTransition, "claim-role-unknown"):
        claims.submit_claim(session, dara, listing.id, role="boss", node=node)
    second = claims.submit_claim(session, dara, listing.id, role="manager", node=node)
    assert claims.claim_queue(session, fp_th, node=node) == []  # another country's scope
    with refused(InvalidTransition, "reason-required"):
        claims.decide_claim(session, fp, first.id, approve=False, reason=" ", node=node)
    claims.decide_claim(
        session, fp, first.id, approve=False, reason="not on the register", node=node
    )
    claims.decide_claim(session, fp, second.id, approve=True, reason="called the shop", node=node)
    session.commit()

    assert (first.state, first.reason, first.decided_by) == (
        "refused",
        "not on the register",
        fp.id,
    )
    assert listing.owner_id == dara.id
    assert _actions(session, listing.id) == [
        "claim.submit",
        "claim.submit",
        "claim.refuse",
        "claim.approve",
    ]
    with pytest.raises(PermissionDenied):  # owned now: nobody else claims it
        claims.submit_claim(session, sokha, listing.id, role="owner", node=node)
    # the approved claimant edits as owner: a minor edit publishes and confirms the listing
    doc = business_data(parse_json(listing.document))
    doc["descriptions"] = {"en": "Pepper from our own farm."}
    listings.update_draft(session, dara, listing.id, doc, node=node)
    listings.submit_for_review(session, dara, listing.id, node=node)
    published = parse_json(listing.document)
    assert published["descriptions"] == {"en": "Pepper from our own farm."}
    assert published["freshness"]["status"] == "current"


def test_a_claim_is_approved_at_once_by_a_confirmed_email_on_the_record_website_domain(
    session, node
):
    listing = _import(session, node, "kampot-pepper-farm")  # https://sraesros-pepper.com.kh
    unconfirmed = _user(session, "owner@sraesros-pepper.com.kh", confirmed=False)
    pending = claims.submit_claim(session, unconfirmed, listing.id, role="owner", node=node)
    assert pending.state == "pending" and listing.owner_id is None
    confirmed = _user(session, "chan@sraesros-pepper.com.kh")
    auto = claims.submit_claim(session, confirmed, listing.id, role="owner", node=node)
    session.commit()
    assert (auto.state, auto.decided_by, listing.owner_id) == ("approved", None, confirmed.id)
    assert pending.state == "refused"  # the listing's other open claim is closed
    # a record of another origin is claimed at its origin, never here
    thai = load_example("thai-peer-record")
    thai["freshness"] = {"status": "lapsed", "confirmed_at": "2025-01-02T03:04:05Z"}
    import_records(session, system_admin(), [thai], node=node)  # as a pull applies it
    replica = session.get(Listing, thai["id"])
    assert replica.owner_id is None and replica.origin == "th-sme"
    assert replica.lapsed is True  # lapsed by its origin: shown and ranked so here
    with pytest.raises(PermissionDenied):
        claims.submit_claim(
            session, _user(session, "x@example.com"), replica.id, role="owner", node=node
        )


def _freeze(session, listing: Listing, owner: User, when: datetime, node) -> None:
    """The owner confirms at ``when``: the start of the period the test follows."""
    freshness.confirm_listing(session, owner, listing.id, node=node, now=when)
    session.commit()


def test_reminders_then_lapse_then_one_click_reconfirmation(app):
    engine, node = app.extensions["smedir.engine"], get_node(app)
    cfg = app.config["SMEDIR"]
    with new_session(engine, write=True) as session:
        listing = _import(session, node, "kampot-pepper-farm")
        owner = _user(session, "sophea@example.com")
        listing.owner_id = owner.id
        session.commit()
        _freeze(session, listing, owner, T0, node)
        listing_id, version = listing.id, listing.version

    def run(day: datetime):
        return run_freshness(app, now=day)

    quiet = run(T0 + timedelta(days=333))  # 2030-12-14: more than a month before it is due
    assert (quiet.reminded, quiet.lapsed) == (0, 0)
    before = run(datetime(2030, 12, 16, tzinfo=UTC))
    assert (before.reminded, before.lapsed) == (1, 0)
    assert run(datetime(2030, 12, 17, tzinfo=UTC)).reminded == 0  # never the same mail twice
    expiry = run(datetime(2031, 1, 16, tzinfo=UTC))
    assert (expiry.reminded, expiry.lapsed) == (1, 1)
    again = run(datetime(2031, 1, 17, tzinfo=UTC))
    assert (again.reminded, again.lapsed) == (0, 0)

    mails = read_outbox(outbox_path(cfg))
    assert [m["To"] for m in mails] == ["sophea@example.com"] * 2
    link = re.search(r"http\S+/reconfirm/\S+", mails[-1].get_content()).group(0)
    with new_session(engine) as session:
        lapsed = session.get(Listing, listing_id)
        doc = parse_json(lapsed.document)
        assert lapsed.lapsed is True and lapsed.version == version + 1
        assert doc["freshness"] == {"status": "lapsed", "confirmed_at": "2030-01-15T12:00:00Z"}
        kinds = session.execute(select(FreshnessReminder.kind).order_by(FreshnessReminder.id))
        assert list(kinds.scalars()) == ["before", "expiry"]

    client = app.test_client()
    page = client.get(f"/listings/{listing_id}")
    assert "lapsed-note" in page.text  # "not confirmed by the business since ..."
    path = link.split("127.0.0.1:5000", 1)[1]
    form = client.get(path)
    assert form.status_code == 200
    done = client.post(path, data={"csrf_token": csrf_from(form.text)})
    assert done.status_code == 200
    with new_session(engine) as session:
        current = session.get(Listing, listing_id)
        assert current.lapsed is False
        assert parse_json(current.document)["freshness"]["status"] == "current"
        assert "listing.confirm" in _actions(session, listing_id)
    stale = client.post(path, data={"csrf_token": csrf_from(form.text)})
    assert stale.status_code == 400  # the link named the period that just ended


def test_a_lapsed_listing_ranks_after_current_ones_and_its_score_drops(session, node):
    farm = _import(session, node, "kampot-pepper-farm")
    other = _import(
        session,
        node,
        "kep-crab-restaurant",
        names={"en": "Kampot Pepper Crab House"},
    )
    query = SearchFilters(q="pepper")
    order = [hit.id for hit in search_listings(session, query).items]
    assert sorted(order) == sorted([farm.id, other.id])
    first, second = (session.get(Listing, rid) for rid in order)
    later = utcnow() + timedelta(days=400)
    freshness.mark_confirmed(session, second, now=later - timedelta(days=1))
    score_before = listing_quality(session, first, node=node, months=12, now=utcnow()).score
    assert [ls.id for ls in freshness.lapse_due(session, node=node, months=12, now=later)] == [
        first.id
    ]
    session.commit()
    assert [hit.id for hit in search_listings(session, query).items] == [second.id, first.id]
    quality = listing_quality(session, first, node=node, months=12, now=later)
    parts = {p.key: p for p in quality.parts}
    assert parts["freshness"].earned == 0 and quality.score < score_before
    assert parts["reachable"].earned == 0  # nobody owns it here


class RefusingSmtp(socketserver.StreamRequestHandler):
    """An SMTP server that refuses every recipient permanently (550)."""

    def handle(self) -> None:
        self.wfile.write(b"220 test\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            reply = {b"EHLO": b"250 test", b"HELO": b"250 test", b"MAIL": b"250 ok"}.get(verb)
            if verb == b"RCPT":
                reply = b"550 5.1.1 no such user"
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write((reply or b"250 ok") + b"\r\n")


@pytest.fixture
def refusing_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSmtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_refused_address_is_marked_bounced_once_and_the_score_says_so(
    app_factory, db_url, refusing_smtp
):
    mail = {"backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": refusing_smtp}
    app = app_factory(db_url, mail={**mail, "smtp_starttls": False})
    engine, node = app.extensions["smedir.engine"], get_node(app)
    with new_session(engine, write=True) as session:
        listing = _import(session, node, "kampot-pepper-farm")
        owner = _user(session, "gone@example.com")
        listing.owner_id = owner.id
        session.commit()
        _freeze(session, listing, owner, T0, node)
    report = run_freshness(app, now=datetime(2030, 12, 20, tzinfo=UTC))
    assert (report.reminded, report.bounced) == (0, 1)
    assert run_freshness(app, now=datetime(2030, 12, 21, tzinfo=UTC)).bounced == 0
    with new_session(engine) as session:
        assert session.get(User, owner.id).mail_bounced_at is not None
        rows = session.execute(select(FreshnessReminder.outcome)).scalars().all()
        assert rows == ["bounced"]
        quality = listing_quality(
            session, session.get(Listing, listing.id), node=node, months=12, now=T0
        )
        reachable = next(p for p in quality.parts if p.key == "reachable")
        assert reachable.earned == 0 and reachable.todo
    app.extensions["smedir.engine"].dispose()


def test_claims_are_audited_in_one_transaction_with_the_decision(session, node):
    """An approval that fails (the listing got an owner meanwhile) leaves no half state."""
    listing = _import(session, node, "kampot-pepper-farm")
    a, b = _user(session, "a@example.com"), _user(session, "b@example.com")
    fp = _user(session, "fp2@example.com", Role.FOCAL_POINT, country="KH")
    claim_a = claims.submit_claim(session, a, listing.id, role="owner", node=node)
    listing.owner_id = b.id  # owned another way (e.g. an admin import with an owner)
    session.commit()
    with refused(InvalidTransition, "listing-already-owned"):
        claims.decide_claim(session, fp, claim_a.id, approve=True, reason="ok", node=node)
    session.rollback()
    assert session.get(Claim, claim_a.id).state == "pending"
    assert _actions(session, listing.id) == ["claim.submit"]


def test_claim_decide_confirm_and_read_the_quality_through_the_pages_and_the_api(app):
    engine, node = app.extensions["smedir.engine"], get_node(app)
    with new_session(engine, write=True) as session:
        listing_id = _import(session, node, "kampot-pepper-farm").id
    owner, _ = signed_in(app, Role.OWNER)
    public = owner.get(f"/listings/{listing_id}").text
    assert "claim-offer" in public and "public-quality" in public  # anyone sees the score
    sent = post_form(owner, f"/listings/{listing_id}/claim", {"role": "manager", "note": "hi"})
    assert sent.status_code == 302
    assert "my-claims" in owner.get("/my/listings").text
    again = post_form(owner, f"/listings/{listing_id}/claim", {"role": "manager"})
    assert again.status_code == 422  # already claimed: said on the page, nothing lost

    focal, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    with new_session(engine) as session:
        claim_id = session.execute(select(Claim.id)).scalar_one()
    assert f"/review/claims/{claim_id}" in focal.get("/review/claims").text
    no_reason = post_form(focal, f"/review/claims/{claim_id}", {"decision": "approve"})
    assert no_reason.status_code == 302 and read(app, lambda s: s.get(Claim, claim_id).state) == (
        "pending"
    )
    decided = post_form(
        focal, f"/review/claims/{claim_id}", {"decision": "approve", "reason": "phoned the farm"}
    )
    assert decided.status_code == 302
    [mail] = read_outbox(outbox_path(app.config["SMEDIR"]))  # the claimant hears the reason
    assert "phoned the farm" in mail.get_content()
    mine = owner.get("/my/listings").text
    assert "quality-score" in mine and "confirm-current" in mine
    confirmed = post_form(owner, f"/my/listings/{listing_id}/confirm", {}, "/my/listings")
    assert confirmed.status_code == 302
    assert "listing.confirm" in read(app, lambda s: _actions(s, listing_id))
    dashboard = focal.get("/review/dashboard").text
    # no revision was decided yet: three charts, and the turnaround says so in words
    assert dashboard.count("<svg") == 3 and "chart-turnaround" in dashboard

    api = app.test_client().get(f"/api/v1/listings/{listing_id}/quality")
    body = api.get_json()
    assert api.status_code == 200 and 0 <= body["score"] <= 100
    parts = {p["key"]: p for p in body["parts"]}
    assert set(parts) == {"completeness", "registration", "freshness", "reachable", "duplicates"}
    assert parts["reachable"]["earned"] == 10 and parts["freshness"]["earned"] == 20
    assert app.test_client().get("/api/v1/listings/kh:none/quality").status_code == 404


def test_the_dashboard_measures_its_scope(session, node):
    """Turnaround median and p90, queue age, lapsed and duplicate counts of a focal point's
    country; the Thai record made here is outside a Cambodian focal point's scope."""
    owner = _user(session, "owner-d@example.com")
    fp = _user(session, "fp-d@example.com", Role.FOCAL_POINT, country="KH")
    now = utcnow()
    decided = []
    for n, (name, hours) in enumerate(
        (("Golden Grain", 1), ("Blue Lotus", 2), ("Iron Bridge", 10))
    ):
        doc = business_data(load_example("battambang-rice-mill"))
        doc["names"] = {"en": name}
        doc["registration"] = {**doc["registration"], "number": f"R-{n}"}
        doc["contact"] = {"phone": f"+8551200000{n}"}
        listing = listings.create_draft(session, owner, doc, node=node)
        revision = listings.submit_for_review(session, owner, listing.id, node=node)
        revision.submitted_at = now - timedelta(hours=hours)  # submitted that long ago
        reviews.approve_revision(session, fp, revision.id, node=node)
        decided.append(listing)
    waiting = listings.create_draft(
        session, owner, business_data(load_example("tbong-khmum-cashew")), node=node
    )
    listings.submit_for_review(session, owner, waiting.id, node=node).submitted_at = (
        now - timedelta(days=5)
    )
    thai = business_data(load_example("thai-peer-record"))
    listings.create_draft(session, owner, thai, node=node)
    farm = _import(session, node, "kampot-pepper-farm")
    registration = {**parse_json(farm.document)["registration"], "number": "KPT-2"}
    _import(session, node, "kampot-pepper-farm", registration=registration)  # same farm again
    later = now + timedelta(days=400)
    for listing in decided[1:]:
        freshness.mark_confirmed(session, listing, now=later)
    imported = [ls for ls in session.execute(select(Listing)).scalars() if ls.owner_id is None]
    for listing in imported:
        freshness.mark_confirmed(session, listing, now=later)
    freshness.lapse_due(session, node=node, months=12, now=later)  # only decided[0] lapses
    session.commit()

    d = dashboard.scope_dashboard(session, fp, node=node, months=12, now=now)
    assert d.country == "KH" and d.decided == 3
    assert round(d.turnaround_median) == 2 and round(d.turnaround_p90) == 10
    assert [round(age) for age in d.queue_ages] == [5]
    assert (d.listings, d.lapsed, d.duplicates) == (5, 1, 2)
    assert dashboard.age_rows(d.queue_ages)[2][1] == 1  # "3 to 7 days"


def test_an_admin_marks_and_clears_a_bounced_address_from_the_shell(tmp_path, db_url, engine):
    with new_session(engine, write=True) as session:
        user_id = _user(session, "bounce@example.com").id
    config = tmp_path / "node.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    marked = CliRunner().invoke(
        cli, ["users", "bounced", "--email", "bounce@example.com", "--config", str(config)]
    )
    assert marked.exit_code == 0, marked.output
    with new_session(engine) as session:
        assert session.get(User, user_id).mail_bounced_at is not None
    args = ["users", "bounced", "--email", "bounce@example.com", "--clear"]
    assert CliRunner().invoke(cli, [*args, "--config", str(config)]).exit_code == 0
    unknown = CliRunner().invoke(
        cli, ["users", "bounced", "--email", "nobody@example.com", "--config", str(config)]
    )
    assert unknown.exit_code == 1 and "--email" in unknown.output
    with new_session(engine) as session:
        assert session.get(User, user_id).mail_bounced_at is None
        actions = session.execute(
            select(AuditEntry.action).where(AuditEntry.target == f"user:{user_id}")
        )
        assert list(actions.scalars()) == ["user.mail_bounced", "user.mail_ok"]
