"""Deterministic sample SMEs: the same count, country and seed always give the same records.

The records are plain listings (business data and sharing, no id or version), the
form ``smedir import`` takes; their ids derive from the registration, so importing
the same output twice changes nothing. ``smedir generate`` writes them as JSON
Lines; ``smedir demo`` loads them; tests and benchmarks use them as fixtures.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from typing import Any

from directory.sampledata.catalogue import (
    BRANDS_KH,
    BRANDS_TH,
    KH_CENTRES,
    KH_PROVINCE_WEIGHTS,
    KINDS,
    SUFFIXES_EN,
    TH_PLACES,
    Kind,
    kh_districts,
)

COUNTRIES = ("KH", "TH")
KH_MOBILE_6 = ("12", "11", "17", "77", "78", "89", "92", "95", "10", "15", "16", "69", "70")
TH_MOBILE = (
    "61",
    "62",
    "63",
    "64",
    "65",
    "80",
    "81",
    "82",
    "83",
    "84",
    "85",
    "86",
    "87",
    "88",
    "89",
)
KH_MOBILE_7 = ("97", "88", "71", "31", "38", "76")  # 9-digit numbers (libphonenumber)
LEGAL_FORMS = (
    ("sole_proprietorship", 45),
    ("single_member_private_limited", 20),
    ("private_limited", 20),
    ("partnership", 7),
    ("cooperative", 5),
    ("other", 3),
)
SIZES = (("micro", 60, 1, 10), ("small", 30, 11, 50), ("medium", 10, 51, 100))


def generate_records(count: int, country: str = "KH", seed: int = 1) -> list[dict[str, Any]]:
    """``count`` valid plain records of SMEs in ``country`` ("KH" or "TH"), fixed by ``seed``."""
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}")
    rng = random.Random(f"smedir-sample:{country}:{seed}")
    numbers = rng.sample(range(10_000, 99_999), count)
    taken: set[str] = set()
    return [_record(rng, country, numbers[i], taken) for i in range(count)]


def problem_records(records: list[dict[str, Any]], seed: int = 1) -> list[dict[str, Any]]:
    """Two records a focal point should catch: a likely duplicate and a bad phone number.

    The duplicate repeats an earlier business's name with a small change, in the
    same province, under a new registration number; the other is a new business
    whose phone number is valid E.164 but too short for its country.
    """
    rng = random.Random(f"smedir-problems:{seed}")
    country = records[0]["address"]["country"]
    used = {int(r["registration"]["number"][-5:]) for r in records}
    free = [n for n in range(10_000, 99_999) if n not in used]
    candidates = [r for r in records if len(r["names"].get("en", "")) >= 16]
    original = rng.choice(candidates or records)
    duplicate = copy.deepcopy(original)
    duplicate["names"] = {k: f"{v} Co." if k == "en" else v for k, v in original["names"].items()}
    duplicate["registration"] = _registration(country, duplicate["legal_form"], rng.choice(free))
    taken = {r["names"].get("en", "") for r in records}
    bad_phone = _record(rng, country, rng.choice(free), taken)
    code = "855" if country == "KH" else "66"
    bad_phone["contact"]["phone"] = f"+{code}12345"
    return [duplicate, bad_phone]


def _weighted(rng: random.Random, pairs) -> Any:
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights)[0]


def _record(rng: random.Random, country: str, number: int, taken: set[str]) -> dict[str, Any]:
    kinds = [k for k in KINDS if country in k.countries]
    kind = rng.choices(kinds, [k.weight for k in kinds])[0]
    province, district = _place(rng, country, kind)
    names = _names(rng, country, kind, district, taken)
    size, lo, hi = _weighted(rng, [((s, lo, hi), w) for s, w, lo, hi in SIZES])
    legal_form = _weighted(rng, LEGAL_FORMS)
    founded = rng.randint(1990, 2025)
    doc: dict[str, Any] = {
        "sharing": {
            "public": True,
            "hub": rng.random() < 0.9,
            "peers": [],
            "contact_public": rng.random() < 0.85,
        },
        "names": names,
        "registration": _registration(country, legal_form, number),
        "legal_form": legal_form,
        "sectors": list(kind.sectors[: rng.randint(1, len(kind.sectors))]),
        "size_class": size,
        "employees": rng.randint(lo, hi),
        "address": {"country": country, "province": province, "district": district},
        "contact": _contact(rng, country, names, kind),
        "founded_year": founded,
    }
    if country == "KH":
        lat, lon = KH_CENTRES[province]
        doc["geo"] = {
            "lat": round(lat + rng.uniform(-0.15, 0.15), 5),
            "lon": round(lon + rng.uniform(-0.15, 0.15), 5),
        }
    if kind.products:
        doc["products"] = [
            {
                "name": p.name,
                "hs_code": p.hs_code,
                **({"description": p.description} if p.description else {}),
            }
            for p in kind.products[: rng.randint(1, len(kind.products))]
        ]
    if kind.markets and rng.random() < 0.5:
        doc["export_markets"] = sorted(rng.sample(kind.markets, rng.randint(1, len(kind.markets))))
    if kind.certifications and rng.random() < 0.3:
        name, issuer = rng.choice(kind.certifications)
        until = f"{rng.randint(2027, 2029)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        doc["certifications"] = [{"name": name, "issuer": issuer, "valid_until": until}]
    if rng.random() < 0.85:
        doc["women_owned"] = rng.random() < kind.women
        doc["youth_owned"] = founded >= 2016 and rng.random() < kind.youth * 2.5
    about = {"km": kind.about_km, "en": kind.about_en}
    doc["descriptions"] = {lang: about[lang] for lang in names}
    return doc


def _place(rng: random.Random, country: str, kind: Kind) -> tuple[str, str]:
    if country == "TH":
        return rng.choice(TH_PLACES)
    districts = kh_districts()
    if kind.provinces and rng.random() < 0.75:
        province = rng.choice(kind.provinces)
    else:
        weights = [KH_PROVINCE_WEIGHTS.get(code, 2) for code in KH_CENTRES]
        province = rng.choices(list(KH_CENTRES), weights)[0]
    return province, rng.choice(districts[province])[0]


def _names(rng, country: str, kind: Kind, district: str, taken: set[str]) -> dict[str, str]:
    if country == "TH":
        brand_en, brand_km = rng.choice(BRANDS_TH), None
    else:
        brand_en, brand_km = rng.choice(BRANDS_KH)
    en = f"{brand_en} {kind.name_en}"
    if en in taken:
        en = f"{brand_en} {kind.name_en} {district}"
    taken.add(en)
    en += rng.choice(SUFFIXES_EN) if kind.key not in ("restaurant", "guesthouse") else ""
    km = f"{kind.name_km} {brand_km}" if brand_km else None
    roll = rng.random()
    if km is None or roll < 0.15:
        return {"en": en}
    if roll < 0.3:
        return {"km": km}
    return {"km": km, "en": en}


def _registration(country: str, legal_form: str, number: int) -> dict[str, str]:
    if country == "TH":
        return {
            "country": "TH",
            "authority": "Department of Business Development",
            "number": f"0105{number:09d}",
        }
    authority = "Ministry of Commerce"
    if legal_form == "cooperative":
        authority = "Ministry of Agriculture, Forestry and Fisheries"
    return {"country": "KH", "authority": authority, "number": f"000{number:05d}"}


def _contact(rng: random.Random, country: str, names: dict, kind: Kind) -> dict[str, Any]:
    slug = _slug(names.get("en") or f"{kind.key} {rng.randint(1, 999)}")
    if country == "TH":
        phone = f"+66{rng.choice(TH_MOBILE)}{rng.randint(0, 9_999_999):07d}"
    elif rng.random() < 0.5:
        phone = f"+855{rng.choice(KH_MOBILE_6)}{rng.randint(100_000, 999_999)}"
    else:
        phone = f"+855{rng.choice(KH_MOBILE_7)}{rng.randint(1_000_000, 9_999_999)}"
    tld = ".com.kh" if country == "KH" else ".co.th"
    contact: dict[str, Any] = {"phone": phone}
    if rng.random() < 0.4:
        contact["website"] = f"https://www.{slug}{tld}"
        contact["email"] = f"info@{slug}{tld}"
    else:
        contact["email"] = f"{slug}@gmail.com"
    if rng.random() < 0.7:
        contact["social"] = [{"network": "facebook", "url": f"https://www.facebook.com/{slug}"}]
    return contact


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())[:40] or "sme"


def iter_jsonl(records: list[dict[str, Any]]) -> Iterator[str]:
    """One line of JSON per record (UTF-8, Khmer kept as is)."""
    for doc in records:
        yield json.dumps(doc, ensure_ascii=False, sort_keys=True) + "\n"
