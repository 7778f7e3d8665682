"""Issue 10.1: NUL, C0/C1 controls and bidi overrides are refused the same way on every
path (form, API, push, import), with a JSON-pointer error; a database error on one record
fails neither a push batch nor an import."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from directory.db import make_engine, new_session
from directory.models import Listing
from directory.web import forms
from tests.conftest import load_example
from tests.directory.exchange_fixtures import PEERS, bearer, engine_of, peer_token, replica
from tests.directory.pages_helpers import form_fields, post_form, signed_in
from tests.directory.test_cli import smedir, write_config
from tests.refusing_database import database_refuses

RICE = load_example("battambang-rice-mill")
CONTROL = "must not contain control characters"
BAD_VALUES = ["a\x00b", "a\x07b", "a\x85b", "Shop \u202egnp.exe", "a\u2066b\u2069", "two\nlines"]


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS, api={"rate_limit_per_minute": 0})
    yield app
    engine_of(app).dispose()


def _listings(app) -> int:
    with new_session(engine_of(app)) as session:
        return session.execute(select(func.count()).select_from(Listing)).scalar_one()


@pytest.mark.parametrize("lang", ["en", "km"])
def test_the_form_refuses_them_next_to_the_field(app, lang):
    client, _ = signed_in(app)
    client.get(f"/?lang={lang}")
    with app.test_request_context(f"/?lang={lang}"):
        expected = str(forms.MESSAGES["control"])
    for value in BAD_VALUES:
        fields = [(k, value if k == "/names/en" else v) for k, v in form_fields(RICE)]
        response = post_form(client, "/my/listings/new", fields)
        assert response.status_code == 422, repr(value)
        html = response.text
        assert 'aria-describedby="f-names-en-error"' in html
        error = re.search(r'<p class="error-text" id="f-names-en-error">(.*?)</p>', html)
        assert error and expected in error.group(1), repr(value)
    if lang == "km":
        assert re.search("[\u1780-\u17ff]", expected)
    assert _listings(app) == 0


def test_a_textarea_keeps_its_lines_and_tabs(app):
    client, _ = signed_in(app)
    fields = [*form_fields(RICE), ("/descriptions/en", "Line one\r\n\tindented\r\nthree")]
    assert post_form(client, "/my/listings/new", fields).status_code == 302
    with new_session(engine_of(app)) as session:
        [doc] = session.execute(text("SELECT document FROM revisions")).scalars()
    assert json.loads(doc)["descriptions"]["en"] == "Line one\n\tindented\nthree"


def test_the_api_refuses_them_with_a_pointer(app, draft_data):
    client, _ = signed_in(app)
    csrf = {"X-CSRFToken": client.get("/api/v1/session").get_json()["csrf_token"]}
    for value in BAD_VALUES:
        bad = {**draft_data, "registration": {**draft_data["registration"], "number": value}}
        response = client.post("/api/v1/listings", json=bad, headers=csrf)
        assert response.status_code == 422, repr(value)
        errors = response.get_json()["errors"]
        assert [(e["path"], e["message"][: len(CONTROL)]) for e in errors] == [
            ("/registration/number", CONTROL)
        ]
    assert _listings(app) == 0


def test_a_push_rejects_that_record_alone(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    bad = replica(record_doc, "th", 2)
    bad["names"] = {"en": "a\x00b"}
    batch = [replica(record_doc, "th", 1), bad, replica(record_doc, "th", 3)]
    body = {"source": "th", "changes": batch}
    answer = app.test_client().post("/api/v1/changes", json=body, headers=bearer(token))
    receipts = answer.get_json()["receipts"]
    assert [r["status"] for r in receipts] == ["applied", "rejected", "applied"]
    assert receipts[1]["errors"] == [
        {"path": "/names/en", "message": receipts[1]["errors"][0]["message"]}
    ]
    assert receipts[1]["errors"][0]["message"].startswith(CONTROL)
    assert _listings(app) == 2


def test_a_push_record_the_database_refuses_is_rejected_alone(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    with database_refuses(engine_of(app)) as poison:
        bad = replica(record_doc, "th", 2)
        bad["names"] = {"en": poison}
        body = {"source": "th", "changes": [replica(record_doc, "th", 1), bad]}
        answer = app.test_client().post("/api/v1/changes", json=body, headers=bearer(token))
    assert answer.status_code == 200
    applied, refused = answer.get_json()["receipts"]
    assert (applied["status"], refused["status"]) == ("applied", "rejected")
    assert "database refused" in refused["errors"][0]["message"]
    assert _listings(app) == 1


def test_import_rejects_them_and_a_record_the_database_refuses(tmp_path, db_url, record_doc):
    config = write_config(tmp_path, db_url)
    assert smedir("init", "--config", str(config)).returncode == 0
    docs = [replica(record_doc, "th", n) for n in range(1, 5)]
    docs[1]["address"] = {**docs[1]["address"], "street": "Street \u202e1"}
    docs[2]["names"] = {"en": "Poison Pill Trading"}
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    engine = make_engine(db_url)
    try:
        with database_refuses(engine):
            result = smedir("import", str(source), "--config", str(config))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr and "smedir init" not in result.stderr
        rejects = [
            json.loads(line)
            for line in (tmp_path / "records.jsonl.rejects.jsonl").read_text().splitlines()
        ]
        assert [(r["line"], r["errors"][0]["path"]) for r in rejects] == [
            (2, "/address/street"),
            (3, ""),
        ]
        assert rejects[0]["errors"][0]["message"].startswith(CONTROL)
        assert "poison pill refused" in rejects[1]["errors"][0]["message"]
        with new_session(engine) as session:
            ids = session.execute(select(Listing.id).order_by(Listing.id)).scalars().all()
        assert ids == ["th:rec1", "th:rec4"]
    finally:
        engine.dispose()


def test_the_init_hint_only_for_a_missing_table(engine):
    """'run `smedir init`' was printed for every database error, NUL included."""
    from directory.cli.base import schema_missing

    with pytest.raises(DBAPIError) as missing, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table_here"))
    assert schema_missing(missing.value)
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO listings (id, origin, state, version, created_at, share_public,"
                " share_hub) VALUES ('x:1', 'x', 'bogus', 0, '2026-01-01', false, false)"
            )
        )
    assert not schema_missing(refused.value)
