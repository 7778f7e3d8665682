"""Validation throughput: JSON parsing vs fast (jsonschema_rs) vs reference (python-jsonschema).

python benchmarks/bench_validation.py [--n 20000] [--reference-n 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemas import (  # noqa: E402
    is_valid,
    load_countries,
    load_isic,
    load_provinces,
    reference_validate,
    validate,
)

WORDS_EN = ["Mekong", "Angkor", "Golden", "Lotus", "Tonle", "Sok", "Srey", "Chan", "Dara", "Rith"]
TRADES_EN = ["Rice Mill", "Silk Weavers", "Pepper Farm", "Garment Workshop", "Coffee", "Bakery"]
WORDS_KM = ["មេគង្គ", "អង្គរ", "មាស", "ឈូក", "ទន្លេ", "សុខ", "ស្រី", "ចាន់", "តារា", "រិទ្ធ"]
TRADES_KM = ["រោងម៉ាស៊ីនកិនស្រូវ", "សិប្បកម្មត្បាញសូត្រ", "កសិដ្ឋានម្រេច", "រោងជាងកាត់ដេរ", "ហាងកាហ្វេ"]
LEGAL = ["sole_proprietorship", "partnership", "private_limited", "cooperative", "other"]
NETWORKS = ["facebook", "telegram", "instagram", "tiktok", "linkedin"]


def make_record(i: int, rng: random.Random, isic: list[str], provinces: list[str], countries):
    """One realistic, valid SME record with optional parts chosen at random."""
    name = f"{rng.choice(WORDS_EN)} {rng.choice(TRADES_EN)}"
    employees = rng.randint(1, 100)
    doc = {
        "id": f"kh-sme:KH-{i:07d}",
        "origin": "kh-sme",
        "version": rng.randint(1, 40),
        "updated_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
        "sharing": {
            "public": True,
            "hub": rng.random() < 0.7,
            "peers": rng.sample(["th-sme", "la-sme", "vn-sme", "my-sme"], rng.randint(0, 3)),
            "contact_public": rng.random() < 0.5,
        },
        "names": {"km": f"{rng.choice(TRADES_KM)} {rng.choice(WORDS_KM)}", "en": name},
        "registration": {
            "country": "KH",
            "authority": "Ministry of Commerce",
            "number": f"{i:08d}",
        },
        "legal_form": rng.choice(LEGAL),
        "sectors": rng.sample(isic, rng.randint(1, 3)),
        "size_class": "micro" if employees <= 10 else "small" if employees <= 50 else "medium",
        "employees": employees,
        "address": {
            "country": "KH",
            "province": rng.choice(provinces),
            "district": rng.choice(WORDS_EN),
            "street": f"No. {rng.randint(1, 300)}, Street {rng.randint(1, 600)}",
        },
    }
    if rng.random() < 0.8:
        doc["geo"] = {"lat": rng.uniform(10.4, 14.6), "lon": rng.uniform(102.3, 107.6)}
    if rng.random() < 0.9:
        handle = name.lower().replace(" ", "")
        doc["contact"] = {
            "email": f"info@{handle}.com.kh",
            "phone": f"+8551{rng.randint(0, 99999999):08d}",
            "social": [{"network": rng.choice(NETWORKS), "url": f"https://example.com/{handle}"}],
        }
    doc["products"] = [
        {"name": f"Product {k}", "description": "Made in Cambodia", "hs_code": "090411"}
        for k in range(rng.randint(0, 5))
    ]
    doc["export_markets"] = rng.sample(countries, rng.randint(0, 4))
    if rng.random() < 0.5:
        doc["descriptions"] = {"km": "ផលិតផលខ្មែរ " * rng.randint(1, 20), "en": "Khmer products."}
    doc["founded_year"] = rng.randint(1980, 2026)
    doc["women_owned"] = rng.random() < 0.5
    return doc


def build_corpus(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    isic = [code for code, row in load_isic().items() if row["level"] != "section"]
    provinces = [p["code"] for p in load_provinces()]
    countries = sorted(load_countries())
    return [orjson.dumps(make_record(i, rng, isic, provinces, countries)) for i in range(n)]


def rate(label: str, items: list, fn: Callable, repeat: int = 3) -> float:
    """Run fn over items `repeat` times; print and return the best records/s."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    per_s = len(items) / best
    print(f"  {label:<42} {per_s:>12,.0f} records/s  ({best * 1e6 / len(items):8.2f} us/record)")
    return per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="records in the corpus")
    parser.add_argument("--reference-n", type=int, default=2000, help="subset for the reference")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    blobs = build_corpus(args.n, args.seed)
    docs = [orjson.loads(b) for b in blobs]
    assert all(is_valid(d) for d in docs[:1000]), validate(docs[0])
    subset = docs[: args.reference_n]
    reference_validate(docs[0], "record")  # compile before timing

    size = sum(map(len, blobs)) / len(blobs)
    print(f"{args.n} records, mean {size:,.0f} bytes of JSON; Python {platform.python_version()}")
    parse = rate("orjson.loads", blobs, orjson.loads)
    rate("json.loads", blobs, json.loads)
    fast_is_valid = rate("is_valid (jsonschema_rs)", docs, is_valid)
    fast_validate = rate("validate (jsonschema_rs)", docs, validate)
    reference = rate(
        f"reference_validate (python-jsonschema, n={len(subset)})",
        subset,
        lambda d: reference_validate(d, "record"),
        repeat=1,
    )
    broken = [{**d, "version": 0, "contact": {"email": "no-at-sign"}} for d in docs]
    rate("validate, invalid docs (2 errors each)", broken, validate)
    both = rate("orjson.loads + validate", blobs, lambda b: validate(orjson.loads(b)))
    print(f"  fast validate vs reference: {fast_validate / reference:,.0f}x")
    print(f"  is_valid vs validate on valid docs: {fast_is_valid / fast_validate:.2f}x")
    print(f"  orjson.loads vs fast validate: parsing is {parse / fast_validate:.1f}x faster")
    print(f"  parse + validate: {both:,.0f} records/s")


if __name__ == "__main__":
    main()
