"""The OpenAPI document: valid OpenAPI 3.1, references the shared schemas, and a docs page."""

from __future__ import annotations

import json
from pathlib import Path

import openapi_spec_validator
from flask_babel import force_locale, gettext
from jsonschema import Draft202012Validator

from schemas.loader import SCHEMA_DIR, schema_id

OAS_31 = (
    Path(openapi_spec_validator.__file__).parent / "resources" / "schemas" / "v3.1" / "schema.json"
)


def _walk_refs(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for value in node.values():
            _walk_refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_refs(value, found)
    return found


def test_document_is_valid_openapi_31(app):
    document = app.test_client().get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    meta = json.loads(OAS_31.read_text(encoding="utf-8"))
    errors = [e.message for e in Draft202012Validator(meta).iter_errors(document)]
    assert errors == []
    broken = {**document, "paths": {"/x": {"get": {"responses": "none"}}}}
    assert list(Draft202012Validator(meta).iter_errors(broken))


def test_operations_reference_the_shared_schemas_not_copies(app):
    document = app.test_client().get("/api/openapi.json").get_json()
    refs = _walk_refs(document["paths"], set())
    for name in ("record", "draft", "feed-page", "push-batch", "push-receipts"):
        assert schema_id(name) in refs
    embedded = {s["$id"]: s for s in document["components"]["schemas"].values() if "$id" in s}
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert embedded[schema["$id"]] == schema  # the file itself, carrying its own $id


def test_shared_schema_files_are_served_as_they_are(app):
    client = app.test_client()
    for path in SCHEMA_DIR.glob("*.schema.json"):
        response = client.get(f"/api/schemas/{path.name}")
        assert response.status_code == 200 and response.data == path.read_bytes()
    assert client.get("/api/schemas/nothing.schema.json").status_code == 404


def test_docs_page_lists_every_operation(app):
    document = app.test_client().get("/api/openapi.json").get_json()
    page = app.test_client().get("/api/docs?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    for path, item in document["paths"].items():
        for method in item:
            if method != "parameters":
                assert f"{method.upper()} {path}" in page.text
    assert "cdn" not in page.text.lower() and "<script" not in page.text


def test_every_text_the_docs_page_shows_has_a_khmer_translation(app):
    """The docs page translates the document's prose; an unmarked or untranslated string
    would show as English on a Khmer page (the browser test names it; this is cheaper)."""
    document = app.test_client().get("/api/openapi.json").get_json()
    texts = [document["info"]["description"]]
    texts += [s["description"] for s in document["components"]["securitySchemes"].values()]
    for item in document["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            texts += [op["summary"], op.get("description", "")]
            texts += [p.get("description", "") for p in item.get("parameters", [])]
            texts += [p.get("description", "") for p in op.get("parameters", [])]
            texts += [r["description"] for r in op["responses"].values()]
    with app.test_request_context(), force_locale("km"):
        untranslated = sorted({t for t in texts if t and gettext(t) == t})
    assert untranslated == []
