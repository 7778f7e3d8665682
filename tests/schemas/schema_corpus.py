"""Test helpers: the example corpus under schemas/examples/ and a seeded mutator."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from schemas import SCHEMA_DIR

EXAMPLES = SCHEMA_DIR / "examples"


def read_example(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_examples(subdir: str) -> list[tuple[str, dict]]:
    """(file name, example) pairs from schemas/examples/<subdir>/, sorted by name."""
    return [(p.name, read_example(p)) for p in sorted((EXAMPLES / subdir).glob("*.json"))]


# Characters that sit on the edges of the patterns: separators, white space that
# Python and Rust classify differently, Khmer letters and digits, a trailing newline.
_ALPHABET = (
    "aZ09@.:-_+ /~TZ\n\t\r\x00\x85\x9f\xa0\u00a0\u3000\u200b\u200e\u202a\u202e\u2066\u2069"
    "\x1c\x7f\u1780\u17b6\u17e1é"
)
_WEIRD = [
    None,
    True,
    False,
    0,
    -1,
    1,
    1.0,
    1.5,
    10**20,
    -(10**20),
    90.0001,
    -180.5,
    1799,
    2100,
    2101,
    100000,
    100001,
    "",
    " ",
    "\u3000",
    "x" * 201,
    "a\x00b",
    "\u202egnp.exe",
    "line\nline",
    "tab\there",
    "cr\r\nlf",
    "c1\x85",
    "x" * 5001,
    [],
    {},
    ["KH"],
    {"a": 1},
    "KH",
    "KH-26",
    "KH-0",
    "TH-10",
    "9999",
    "0112",
    "01",
    "A",
    "kh-sme",
    "kh-sme:KH-1",
    "Kh-sme:1",
    "2026-11-21T10:15:00Z",
    "2026-11-21T10:15:00Z\n",
    "2026-13-01T00:00:00Z",
    "2026-11-21T24:00:00Z",
    "2026-11-21",
    "a@b.c",
    "a@b.c\n",
    "a b@c.d",
    "+85512345678",
    "+855 12 345 678",
    "+0123456",
    "https://x.kh",
    "ftp://x.kh",
    "https://x kh",
    "merged",
    "withdrawn",
    "micro",
    "cooperative",
    "facebook",
    "090411",
    "0904111",
]


def _random_string(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))


def _containers(node: Any, found: list) -> list:
    if isinstance(node, dict | list):
        found.append(node)
        for value in node.values() if isinstance(node, dict) else node:
            _containers(value, found)
    return found


def _mutate_once(doc: Any, rng: random.Random) -> Any:
    target = rng.choice(_containers(doc, []))
    if isinstance(target, list):
        if not target or rng.random() < 0.3:
            target.append(rng.choice(_WEIRD))
        elif rng.random() < 0.5:
            target.append(copy.deepcopy(target[0]))  # duplicate an item
        else:
            target[rng.randrange(len(target))] = _value(rng)
        return doc
    action = rng.random()
    if action < 0.25 and target:
        del target[rng.choice(list(target))]
    elif action < 0.4:
        target[rng.choice(["extra", "deleted", "merged_into", "x/y~"])] = _value(rng)
    elif target:
        target[rng.choice(list(target))] = _value(rng)
    return doc


def _value(rng: random.Random) -> Any:
    return rng.choice(_WEIRD) if rng.random() < 0.7 else _random_string(rng)


def mutants(examples: list[dict], count: int, seed: int) -> list[tuple[str, Any]]:
    """`count` (kind, document) pairs made by 1-3 random mutations of the examples."""
    rng = random.Random(seed)
    kinds = ["record", "draft", "tombstone", "change"]
    out = []
    for _ in range(count):
        example = rng.choice(examples)
        doc = copy.deepcopy(example["document"])
        for _ in range(rng.randint(1, 3)):
            doc = _mutate_once(doc, rng)
        kind = example["kind"] if rng.random() < 0.8 else rng.choice(kinds)
        out.append((kind, doc))
    return out
