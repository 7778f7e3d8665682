"""Every example under schemas/examples/ behaves as its file says, in both validators."""

from __future__ import annotations

import pytest

from schemas import KINDS, reference_validate, validate
from tests.schemas.schema_corpus import load_examples

VALID = load_examples("valid")
INVALID = load_examples("invalid")


def test_corpus_is_large_enough():
    assert len(VALID) >= 14
    assert len(INVALID) >= 14


@pytest.mark.parametrize(("name", "example"), VALID, ids=[n for n, _ in VALID])
def test_valid_example_passes_both(name, example):
    assert example["kind"] in KINDS
    assert validate(example["document"], example["kind"]) == []
    assert reference_validate(example["document"], example["kind"]) == []


@pytest.mark.parametrize(("name", "example"), INVALID, ids=[n for n, _ in INVALID])
def test_invalid_example_fails_both_naming_expected_paths(name, example):
    doc, kind = example["document"], example["kind"]
    fast = validate(doc, kind)
    reference = reference_validate(doc, kind)

    assert example["expect_errors"], "an invalid example must list the paths it expects"
    assert fast and reference
    assert set(example["expect_errors"]) <= {issue.path for issue in fast}
    assert {issue.path for issue in fast} == {issue.path for issue in reference}


@pytest.mark.parametrize(("name", "example"), INVALID, ids=[n for n, _ in INVALID])
def test_issues_are_sorted_unique_and_readable(name, example):
    issues = validate(example["document"], example["kind"])
    assert issues == sorted(set(issues))
    for issue in issues:
        assert issue.path == "" or issue.path.startswith("/")
        assert issue.message and "\n" not in issue.message and len(issue.message) < 120
