"""Creating and revoking peer and personal tokens, on the web and at the command line, is in
the audit log, and a revoked token keeps who revoked it (both databases)."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from directory.app import create_app
from directory.db import new_session
from directory.models import AuditEntry, PeerToken, PersonalToken, Role
from tests.directory.exchange_fixtures import PEERS, engine_of
from tests.directory.pages_helpers import csrf_from, signed_in, user_by_email
from tests.directory.test_tokens_cli import smedir


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def _entries(app, action_prefix: str) -> list[AuditEntry]:
    with new_session(engine_of(app)) as session:
        stmt = select(AuditEntry).where(AuditEntry.action.startswith(action_prefix))
        return list(session.exec(stmt.order_by(AuditEntry.id)))


def _row(app, model, row_id: int):
    with new_session(engine_of(app)) as session:
        return session.get(model, row_id)


def test_peer_token_made_and_revoked_on_the_web_is_audited_with_the_admin(app):
    admin, email = signed_in(app, Role.ADMIN)
    page = admin.get("/admin/tokens").text
    data = MultiDict(
        [
            ("peer_id", "th"),
            ("name", "Thai"),
            ("scopes", "feed:read"),
            ("csrf_token", csrf_from(page)),
        ]
    )
    created = admin.post("/admin/tokens", data=data)
    assert created.status_code == 201
    plaintext = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
    token_id = int(re.search(r'action="/admin/tokens/(\d+)/revoke"', created.text).group(1))
    response = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302

    made, revoked = _entries(app, "peer_token.")
    assert (made.action, revoked.action) == ("peer_token.create", "peer_token.revoke")
    assert made.target == revoked.target == f"peer_token:{token_id}"
    assert made.actor_email == revoked.actor_email == email
    detail = json.loads(made.detail)
    assert detail["peer"] == "th" and detail["scopes"] == ["feed:read"]
    assert plaintext not in made.detail and plaintext[len("smedir_peer_") + 4 :] not in made.detail
    with new_session(engine_of(app)) as session:
        assert session.get(PeerToken, token_id).revoked_by == user_by_email(session, email).id
    assert f"by {email}" in admin.get(f"/admin/tokens/{token_id}?lang=en").text
    audit = admin.get("/admin/audit?action=peer_token.&lang=en").text
    assert "Peer token created" in audit and "Peer token revoked" in audit
    km = admin.get("/admin/audit?action=peer_token.&lang=km").text
    assert "Peer token created" not in km and "បានបង្កើតថូខឹនដៃគូ" in km


def test_peer_token_made_and_revoked_at_the_command_line_is_audited(tmp_path, db_url):
    config = tmp_path / "kh.toml"
    config.write_text(
        f'[node]\nid = "kh"\ninstance_path = "inst"\n[database]\nurl = "{db_url}"\n'
        '[[peers]]\nid = "th"\nbase_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    made = smedir(config, "peers", "token", "create", "th", "--scope", "oai:read")
    assert made.returncode == 0, made.stderr
    token_id = made.stderr.split()[1]
    assert smedir(config, "peers", "token", "revoke", token_id).returncode == 0
    assert smedir(config, "peers", "token", "revoke", token_id).returncode == 0  # idempotent
    app = create_app(config)
    entries = _entries(app, "peer_token.")
    assert [e.action for e in entries] == ["peer_token.create", "peer_token.revoke"]
    assert all(e.actor_id is None and json.loads(e.detail)["via"] == "cli" for e in entries)
    token = _row(app, PeerToken, int(token_id))
    assert token.revoked_at is not None and token.revoked_by is None
    huge = smedir(config, "peers", "token", "revoke", "99999999999999999999")
    assert huge.returncode == 2 and "Traceback" not in huge.output
    engine_of(app).dispose()


def test_personal_token_made_and_revoked_on_the_web_is_audited(app):
    client, email = signed_in(app)
    page = client.get("/account/tokens").text
    created = client.post("/account/tokens", data={"name": "erp", "csrf_token": csrf_from(page)})
    assert created.status_code == 200
    with new_session(engine_of(app)) as session:
        token = session.exec(select(PersonalToken)).one()
    response = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    made, revoked = _entries(app, "personal_token.")
    assert (made.action, revoked.action) == ("personal_token.create", "personal_token.revoke")
    assert made.target == revoked.target == f"personal_token:{token.id}"
    assert made.actor_email == revoked.actor_email == email
    assert json.loads(made.detail) == {"name": "erp"}
    with new_session(engine_of(app)) as session:
        owner = user_by_email(session, email)
        assert session.get(PersonalToken, token.id).revoked_by == owner.id
