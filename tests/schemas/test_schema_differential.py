"""Differential test: jsonschema_rs (fast) and python-jsonschema (reference) agree."""

from __future__ import annotations

import pytest

from schemas import is_valid, reference_validate, validate
from tests.schemas.schema_corpus import load_examples, mutants

EXAMPLES = [ex for _, ex in load_examples("valid") + load_examples("invalid")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_and_reference_agree_on_mutants(seed):
    corpus = mutants(EXAMPLES, count=1000, seed=seed)
    disagreements = []
    for kind, doc in corpus:
        fast, reference = validate(doc, kind), reference_validate(doc, kind)
        if bool(fast) != bool(reference) or is_valid(doc, kind) != (not fast):
            disagreements.append(("validity", kind, doc, fast, reference))
        elif {i.path for i in fast} != {i.path for i in reference}:
            disagreements.append(("paths", kind, doc, fast, reference))
    assert any(not validate(doc, kind) for kind, doc in corpus), "corpus has no valid docs"
    assert not disagreements, disagreements[:3]
