"""Listings for search tests, published through the bulk write path (as pulls and imports do)."""

from __future__ import annotations

import copy
import random

from directory.services.changes import write_listings
from tests.conftest import valid_examples

BASE = next(d for d in valid_examples("record") if d["names"].get("en", "").startswith("Srae"))


def make_doc(key: str, *, en=None, km=None, **fields) -> dict:
    """A valid record from origin ``th`` with the given names and fields."""
    doc = copy.deepcopy(BASE)
    doc.update(id=f"th:{key}", origin="th", version=1)
    doc["names"] = {k: v for k, v in (("en", en), ("km", km)) if v}
    doc["descriptions"] = fields.pop("descriptions", {})
    doc["products"] = fields.pop("products", [])
    doc["registration"] = {**doc["registration"], "number": fields.pop("number", key)}
    public = fields.pop("public", True)
    doc["sharing"] = {**doc["sharing"], "public": public}
    address = fields.pop("address", {})
    doc["address"] = {**doc["address"], **address}
    doc.update(fields)
    return doc


def publish(session, docs: list[dict]) -> None:
    """Store the documents as published replicas and commit."""
    write_listings(session, docs, [], source_peer="th")
    session.commit()


PROVINCES = ["KH-1", "KH-2", "KH-7", "KH-12", "KH-17", "KH-23"]
SECTORS = ["0111", "0128", "1061", "1079", "4711", "5610", "5510", "1311"]
WORDS = ["rice", "pepper", "coffee", "crab", "silk", "cashew", "mill", "farm", "shop"]


def random_docs(n: int, seed: int = 7) -> list[dict]:
    """Varied listings for brute-force comparisons: provinces, sectors, markets, flags, words."""
    rnd = random.Random(seed)
    docs = []
    for i in range(n):
        name = " ".join(rnd.sample(WORDS, 2)).title()
        docs.append(
            make_doc(
                f"r{i}",
                en=f"{name} {i}",
                descriptions={"en": " ".join(rnd.choices(WORDS, k=5))},
                address={"province": rnd.choice(PROVINCES)},
                sectors=sorted(set(rnd.sample(SECTORS, rnd.randint(1, 2)))),
                size_class=rnd.choice(["micro", "small", "medium"]),
                export_markets=sorted(set(rnd.sample(["FR", "JP", "TH", "VN"], rnd.randint(0, 2)))),
                women_owned=rnd.choice([True, False]),
                youth_owned=rnd.choice([True, False]),
                public=rnd.random() > 0.1,
                products=[{"name": rnd.choice(WORDS), "hs_code": rnd.choice(["090411", "100630"])}],
            )
        )
    for doc in docs:
        if not doc["export_markets"]:
            del doc["export_markets"]
    return docs
