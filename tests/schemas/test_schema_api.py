"""The public API of `schemas`: pointers, messages, reference data, schema hygiene."""

from __future__ import annotations

import copy
import dataclasses
import json

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from schemas import (
    KINDS,
    SCHEMA_DIR,
    ValidationIssue,
    is_valid,
    json_pointer,
    load_countries,
    load_isic,
    load_provinces,
    reference_validate,
    validate,
    validate_record,
)
from schemas.build_enums import build
from schemas.loader import (
    ID_RE,
    earlier_ids,
    load_schemas,
    refuse_remote,
    registry_items,
    schema_id,
)
from tests.schemas.schema_corpus import EXAMPLES, read_example

PEPPER = read_example(EXAMPLES / "valid" / "kampot-pepper-farm.json")["document"]
TOMBSTONE = read_example(EXAMPLES / "valid" / "tombstone-merged.json")["document"]


def test_json_pointer_escapes_tilde_and_slash():
    assert json_pointer([]) == ""
    assert json_pointer(["contact", "email"]) == "/contact/email"
    assert json_pointer(["products", 0, "name"]) == "/products/0/name"
    assert json_pointer(["a/b", "c~d", "~1"]) == "/a~1b/c~0d/~01"


@pytest.mark.parametrize("check", [validate, reference_validate])
def test_unexpected_property_path_is_escaped(check):
    doc = copy.deepcopy(PEPPER)
    doc["contact"]["x/y~z"] = 1
    assert [i.path for i in check(doc, "record")] == ["/contact/x~1y~0z"]


def test_validation_issue_is_frozen():
    issue = ValidationIssue("/names", "is required")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.path = ""


def test_required_error_points_at_missing_field():
    doc = copy.deepcopy(PEPPER)
    del doc["registration"]["number"]
    assert validate(doc) == [ValidationIssue("/registration/number", "is required")]


def test_province_message_is_brief():
    doc = copy.deepcopy(PEPPER)
    doc["address"]["province"] = "KH-99"
    [issue] = validate(doc)
    assert issue.path == "/address/province"
    assert "KH-1 .. KH-25" in issue.message and "KH-13" not in issue.message


def test_non_object_document():
    assert [i.path for i in validate("not a record")] == [""]
    assert not is_valid([], "tombstone")


def test_validate_record_picks_branch_by_deleted():
    assert validate_record(PEPPER) == [] and validate_record(TOMBSTONE) == []
    mixed = {**TOMBSTONE, "names": {"en": "x"}}
    assert [i.path for i in validate_record(mixed)] == ["/names"]
    not_deleted = {**PEPPER, "deleted": False}
    assert [i.path for i in validate_record(not_deleted)] == ["/deleted"]


def test_is_valid_matches_validate():
    assert is_valid(PEPPER, "record") and is_valid(PEPPER, "draft")
    assert not is_valid({**PEPPER, "version": 0})


def test_draft_does_not_require_the_envelope():
    draft = {k: v for k, v in PEPPER.items() if k not in ("id", "origin", "version", "sharing")}
    assert validate(draft, "draft") == []
    assert {i.path for i in validate(draft, "record")} == {"/id", "/origin", "/version", "/sharing"}


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown kind"):
        validate({}, "listing")


def test_remote_refs_are_never_fetched():
    with pytest.raises(LookupError):
        refuse_remote("https://example.org/other.schema.json")


def test_isic_counts():
    levels = [entry["level"] for entry in load_isic().values()]
    assert levels.count("section") == 21
    assert levels.count("division") == 88
    assert levels.count("group") == 238
    assert levels.count("class") == 419
    assert load_isic()["0112"] == {
        "level": "class",
        "parent": "011",
        "section": "A",
        "title_en": "Growing of rice",
    }


def test_provinces_and_countries():
    provinces = load_provinces()
    assert [p["code"] for p in provinces] == [f"KH-{n}" for n in range(1, 26)]
    assert provinces[11]["name_en"] == "Phnom Penh" and provinces[11]["name_km"] == "ភ្នំពេញ"
    countries = load_countries()
    assert countries["KH"] == "Cambodia" and len(countries) == 249


def test_generated_enum_files_are_up_to_date():
    for name, schema in build().items():
        assert json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) == schema, name


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_schema_hygiene():
    schemas = load_schemas()
    for uri, schema in schemas.items():
        assert uri.startswith("https://schemas.sme-directory.org/") and ID_RE.match(uri)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        for node in _walk(schema):
            assert "format" not in node, uri
            for ref in [node.get("$ref")] if isinstance(node.get("$ref"), str) else []:
                assert ref.startswith("#") or ref.split("#")[0] in schemas, ref
            if node.get("type") == "object" and "properties" in node:
                is_change_ref = set(node["properties"]) == {"id", "version"}
                assert node.get("additionalProperties") is False or is_change_ref, uri
    assert set(KINDS) == {
        "record",
        "draft",
        "tombstone",
        "change",
        "feed-page",
        "push-batch",
        "push-receipts",
        "enquiry-request",
        "enquiry-message",
        "enquiry-batch",
        "enquiry-receipts",
    }


def test_a_minor_bump_keeps_the_earlier_ids_of_its_major_version():
    """record 1.2.0 (aliases) still answers to record/1.0.0 and 1.1.0, in both validators: a
    document or schema naming an old id is checked against the new one."""
    record, draft = schema_id("record"), schema_id("draft")
    assert record.endswith("/record/1.2.0/record.schema.json") and "/1.2.0/" in draft
    old = record.replace("/1.2.0/", "/1.0.0/")
    assert earlier_ids(record) == [old, record.replace("/1.2.0/", "/1.1.0/")]
    assert earlier_ids(old) == []
    unregistered = {k: v for k, v in PEPPER.items() if k not in ("registration", "legal_form")}
    wrapper = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": old}
    registry = jsonschema_rs.Registry(registry_items(), retriever=refuse_remote)
    fast = jsonschema_rs.Draft202012Validator(wrapper, registry=registry, retriever=refuse_remote)
    assert fast.is_valid(unregistered) and not fast.is_valid({**unregistered, "names": {}})
    resources = [(u, DRAFT202012.create_resource(s)) for u, s in registry_items()]
    slow = Draft202012Validator(wrapper, registry=Registry().with_resources(resources))
    assert slow.is_valid(unregistered) and not slow.is_valid({**unregistered, "names": {}})
