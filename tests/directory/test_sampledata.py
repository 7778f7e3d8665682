"""The sample-data generator: deterministic, valid, realistic, and importable as plain records."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from directory.sampledata import generate_records, iter_jsonl, problem_records
from directory.sampledata.catalogue import KINDS, kh_districts
from directory.services.bulk import import_records, system_admin
from directory.services.checks import listing_concerns
from directory.services.duplicates import likely_duplicates
from schemas import load_countries, load_isic, load_provinces, validate
from sync.outcomes import Outcome
from tests.directory.test_cli import smedir, write_config

REPO = Path(__file__).resolve().parents[2]


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    assert generate_records(40, "KH", 7) == generate_records(40, "KH", 7)
    assert generate_records(40, "KH", 7) != generate_records(40, "KH", 8)
    assert generate_records(40, "TH", 7) != generate_records(40, "KH", 7)


@pytest.mark.parametrize("country", ["KH", "TH"])
def test_every_record_and_every_problem_record_is_a_valid_listing(country):
    records = generate_records(300, country, 1)
    problems = problem_records(records, 1)
    for doc in records + problems:
        assert validate(doc, "draft") == [], doc
    numbers = [d["registration"]["number"] for d in records + problems]
    assert len(set(numbers)) == len(numbers)


def test_records_use_the_real_reference_lists_and_vary_like_real_smes():
    records = generate_records(300, "KH", 1)
    provinces = {p["code"] for p in load_provinces()}
    districts = kh_districts()
    isic = load_isic()
    for doc in records:
        address = doc["address"]
        assert address["province"] in provinces
        assert address["district"] in {en for en, _km in districts[address["province"]]}
        assert all(isic[code]["level"] == "class" for code in doc["sectors"])
        assert set(doc.get("export_markets", [])) <= set(load_countries())
    names = Counter(tuple(sorted(doc["names"])) for doc in records)
    assert names[("en", "km")] > 150 and names[("km",)] > 10 and names[("en",)] > 10
    assert sum(doc.get("women_owned", False) for doc in records) > 50
    assert sum(doc.get("youth_owned", False) for doc in records) > 10
    hs_codes = {p["hs_code"] for doc in records for p in doc.get("products", [])}
    assert {"100630", "090411", "080132"} <= hs_codes
    assert len({doc["address"]["province"] for doc in records}) >= 20
    assert all(code in isic for kind in KINDS for code in kind.sectors)


def test_the_problem_records_are_what_a_focal_point_should_catch(session, node):
    records = generate_records(120, "KH", 3)
    duplicate, bad_phone = problem_records(records, 3)
    results = import_records(session, system_admin(), records, node=node)
    assert {r.outcome for r in results} == {Outcome.CREATED}
    found = likely_duplicates(session, duplicate)
    assert [d.band for d in found] == ["probable"], found
    assert {"name", "phone", "email"} <= set(found[0].reasons)
    original = found[0].doc
    assert original["address"]["province"] == duplicate["address"]["province"]
    assert [c.pointer for c in listing_concerns(bad_phone)] == ["/contact/phone"]
    assert [c.pointer for c in listing_concerns(duplicate)] == []


@pytest.mark.parametrize("country", ["KH", "TH"])
def test_every_generated_phone_number_can_exist(country):
    for doc in generate_records(300, country, 1):
        assert listing_concerns(doc) == [], doc["contact"]


def test_smedir_generate_writes_jsonl_that_smedir_import_takes_twice(tmp_path, db_url):
    out = tmp_path / "sample.jsonl"
    result = smedir("generate", "--count", "25", "--country", "TH", "--seed", "5", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == "".join(iter_jsonl(generate_records(25, "TH", 5)))
    config = str(write_config(tmp_path, db_url))
    assert smedir("init", "--config", config).returncode == 0
    first = smedir("import", str(out), "--config", config)
    assert first.returncode == 0 and "created 25" in first.stdout, first.stderr
    again = smedir("import", str(out), "--config", config)
    assert "unchanged 25" in again.stdout, again.stderr


def test_examples_records_jsonl_is_the_generator_output_and_validates():
    text = (REPO / "examples" / "records.jsonl").read_text(encoding="utf-8")
    assert text == "".join(iter_jsonl(generate_records(20, "KH", 14)))
    result = smedir("validate", str(REPO / "examples" / "records.jsonl"))
    assert result.returncode == 0, result.stdout
    assert "20 valid, 0 invalid" in result.stderr
