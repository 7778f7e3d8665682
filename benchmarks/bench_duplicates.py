"""Duplicate candidates: latency of one record's lookup at 100,000 listings, and recall/precision.

Fills a fresh, migrated database with N listings from the sample generator (KH and TH
SMEs), published through `write_listings`, the bulk path pulls and imports use, so the
blocking keys are written as they are in production. Generated businesses that share a
phone number or an e-mail address with an earlier one are left out: the generator
derives e-mail addresses from the name, so two of its "Sokha Rice Mill"s share one,
which no real pair of businesses does and no reviewer could tell apart.

Then it builds a labelled set: D duplicates of randomly chosen listings, each made one
of five ways (a typo in the name; the Khmer name romanised, brand in its usual spelling
and the rest by anyascii, with the phone kept and no e-mail; the words swapped; a new
phone number; romanised with a new phone), each with a registration number of its
own, written like the rest; and D listings that have no duplicate. For each of the 2D
records it times `likely_duplicates` (keys, lookups, scoring; the record itself
excluded) and counts, in the probable band and in both bands, how many duplicates
found their original (recall) and how many suggested pairs are true (precision). The
baseline is one primary-key read of a listing's document, timed in the same run.

    python benchmarks/bench_duplicates.py --n 100000 --dups 1000
    python benchmarks/bench_duplicates.py --db postgresql --n 100000 --dups 1000
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anyascii import anyascii  # noqa: E402
from bench_db import create_pg, drop_pg  # noqa: E402

import directory.services.changes as changes  # noqa: E402
from directory.db import make_engine, new_session  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.sampledata.catalogue import BRANDS_KH  # noqa: E402
from directory.sampledata.generator import generate_records  # noqa: E402
from directory.search.tokens import word_spans  # noqa: E402
from directory.services.changes import write_listings  # noqa: E402
from directory.services.duplicates import likely_duplicates  # noqa: E402
from directory.services.match_keys import match_keys  # noqa: E402

STAMP = "2026-11-29T00:00:00Z"
KINDS = ("typo", "romanised", "swapped", "new phone", "romanised + new phone")
# not one of the kinds, and reported apart: nothing but the name and place is left
STRESS = "new phone, no e-mail"
BRAND_EN = {km: en for en, km in BRANDS_KH}


def base_records(n: int) -> list[dict]:
    """``n`` distinct businesses: KH and TH, no phone or e-mail shared (see the docstring)."""
    raw = generate_records(89_000, "KH", seed=21) + generate_records(45_000, "TH", seed=22)
    random.Random(5).shuffle(raw)
    seen: set[str] = set()
    out = []
    for doc in raw:
        contact = doc["contact"]
        marks = {contact["phone"], contact["email"]}
        if marks & seen:
            continue
        seen |= marks
        doc.update(id=f"kh:b{len(out):07d}", origin="kh", version=1, updated_at=STAMP)
        out.append(doc)
        if len(out) == n:
            return out
    raise SystemExit(f"only {len(out)} distinct businesses; ask for fewer")


def typo(rng: random.Random, name: str) -> str:
    """One letter of the longest word replaced, or two neighbours swapped."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = rng.randrange(1, len(w) - 1) if len(w) > 2 else 0
    if rng.random() < 0.5:
        w = w[:j] + rng.choice("aeioukmnrst") + w[j + 1 :]
    else:
        w = w[:j] + w[j + 1 : j + 2] + w[j : j + 1] + w[j + 2 :]
    words[i] = w
    return " ".join(words)


def romanised(km: str) -> str:
    """A Khmer name written in Latin letters as people do: the brand in its usual spelling."""
    words = []
    for start, end in word_spans(km):
        word = km[start:end]
        words.append(BRAND_EN.get(word) or anyascii(word).title())
    return " ".join(words)


def make_duplicate(rng: random.Random, doc: dict, kind: str, number: int) -> dict:
    """A second listing of the same business, made the ``kind`` way."""
    dup = copy.deepcopy(doc)
    dup.update(id=f"kh:d{number:07d}")
    country = doc["registration"]["country"]
    dup["registration"] = {**doc["registration"], "number": f"9{country}{number:08d}"}
    names = doc["names"]
    if kind == "typo":
        dup["names"] = {k: typo(rng, v) if k == "en" else v for k, v in names.items()}
        if "en" not in names:
            dup["names"] = {"km": names["km"][:-1]}
    elif kind.startswith("romanised"):
        dup["names"] = {"en": romanised(names["km"])}
        dup["contact"].pop("email", None)
    elif kind == "swapped":
        name = names.get("en") or names["km"]
        dup["names"] = {"en" if "en" in names else "km": " ".join(reversed(name.split()))}
    if kind.endswith("new phone") or kind == STRESS:
        dup["contact"]["phone"] = doc["contact"]["phone"][:-4] + f"{rng.randrange(10_000):04d}"
        if kind.startswith("romanised"):
            dup["contact"]["email"] = doc["contact"]["email"]
    if kind == STRESS:
        dup["contact"].pop("email", None)
    return dup


def labelled_set(base: list[dict], count: int) -> tuple[list[tuple[dict, str | None, str]], list]:
    """(query, its original's id or None, kind) for ``count`` duplicates and ``count`` others,
    plus ``count // 5`` duplicates of the stress kind."""
    rng = random.Random(7)
    picked = rng.sample(range(len(base)), 2 * count + count // 5)
    queries, dups = [], []
    for k, index in enumerate(picked[:count] + picked[2 * count :]):
        kind = KINDS[k % len(KINDS)] if k < count else STRESS
        original = base[index]
        if kind.startswith("romanised") and "km" not in original["names"]:
            kind = "typo"
        dup = make_duplicate(rng, original, kind, k)
        dups.append(dup)
        queries.append((dup, original["id"], kind))
    queries += [(base[i], None, "no duplicate") for i in picked[count : 2 * count]]
    return queries, dups


def fill(url: str, docs: list[dict]) -> tuple[float, float]:
    """Migrate, write in batches of 1,000; (seconds writing, seconds of it computing keys)."""
    engine = make_engine(url)
    upgrade_database(engine)
    began = time.perf_counter()
    for s in range(0, len(docs), 1000):
        with new_session(engine, write=True) as session:
            write_listings(session, docs[s : s + 1000], [], source_peer=None)
            session.commit()
    spent = time.perf_counter() - began
    began = time.perf_counter()
    for doc in docs:
        match_keys(doc)
    keys = time.perf_counter() - began
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()
    return spent, keys


def write_cost(urls: tuple[str, str], docs: list[dict]) -> tuple[float, float]:
    """Seconds the bulk path takes for ``docs`` with keys and without (the raw baseline): two
    fresh databases, batches of 1,000 written alternately, so both see the same load."""
    engines = [make_engine(url) for url in urls]
    for engine in engines:
        upgrade_database(engine)
    keep = changes.store_match_keys
    spent = [0.0, 0.0]
    try:
        for s in range(0, len(docs), 1000):
            for side, engine in enumerate(engines):
                changes.store_match_keys = keep if side == 0 else (lambda *a, **k: None)
                began = time.perf_counter()
                with new_session(engine, write=True) as session:
                    write_listings(session, docs[s : s + 1000], [], source_peer=None)
                    session.commit()
                spent[side] += time.perf_counter() - began
    finally:
        changes.store_match_keys = keep
        for engine in engines:
            engine.dispose()
    return spent[0], spent[1]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def measure(url: str, queries) -> tuple[list[float], list[float], list]:
    """(lookup times, baseline times, per query: (original, kind, candidates))."""
    engine = make_engine(url)
    times, base, found = [], [], []
    with new_session(engine) as session:
        conn = session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = f"SELECT document FROM listings WHERE id = {mark}"
        for doc, original, kind in queries:
            began = time.perf_counter()
            conn.exec_driver_sql(sql, (doc["id"],)).scalar_one()
            base.append(time.perf_counter() - began)
            began = time.perf_counter()
            candidates = likely_duplicates(session, doc, exclude_id=doc["id"])
            times.append(time.perf_counter() - began)
            found.append((original, kind, [(c.listing_id, c.band) for c in candidates]))
            session.expunge_all()
    engine.dispose()
    return times, base, found


def quality(found, bands: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
    """Per kind: (duplicates, found in ``bands``, pairs suggested in ``bands``), then 'all' of
    the issue's kinds and the records without duplicate (the stress kind left out)."""
    table: dict[str, list[int]] = {}
    for original, kind, candidates in found:
        shown = [cid for cid, band in candidates if band in bands]
        row = table.setdefault(kind, [0, 0, 0])
        row[0] += original is not None
        row[1] += original in shown
        row[2] += len(shown)
    rows = [r for kind, r in table.items() if kind != STRESS]
    table["all"] = [sum(r[i] for r in rows) for i in range(3)]
    return {k: tuple(v) for k, v in table.items()}


def database(kind: str, tmp: Path, n: int, tag: str = "") -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'dups{n}{tag}.sqlite3'}"
    return create_pg(f"bench_dups_{n}{tag}")


def drop(kind: str, url: str) -> None:
    if kind == "postgresql":
        drop_pg(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=100_000, help="listings without the duplicates")
    parser.add_argument("--dups", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-runs", type=int, default=3, help="write cost: 20,000 records")
    args = parser.parse_args()
    print(f"# {platform.node()} Python {platform.python_version()} {args.db}", flush=True)
    base = base_records(args.n)
    queries, dups = labelled_set(base, args.dups)
    with tempfile.TemporaryDirectory() as tmp:
        ratios, sample = [], base[:20_000]
        for run in range(args.write_runs):
            urls = tuple(database(args.db, Path(tmp), 20_000, f"w{run}{s}") for s in "ab")
            try:
                keyed, bare = write_cost(urls, sample)
            finally:
                for url in urls:
                    drop(args.db, url)
            ratios.append(keyed / bare)
            print(
                f"bulk write of {len(sample):,}: with keys {len(sample) / keyed:,.0f}/s, without "
                f"{len(sample) / bare:,.0f}/s (time ratio {ratios[-1]:.2f}); load average "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
        if ratios:
            print(
                f"write time with keys / without: min {min(ratios):.2f} / median "
                f"{statistics.median(ratios):.2f} / max {max(ratios):.2f}",
                flush=True,
            )
        url = database(args.db, Path(tmp), args.n)
        try:
            spent, keys = fill(url, base + dups)
            total = len(base) + len(dups)
            print(
                f"\n{total:,} listings written in {spent:.1f} s ({total / spent:,.0f}/s), "
                f"of which computing their keys {keys:.1f} s; load average "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
            p95s, medians, raws = [], [], []
            for run in range(args.runs):
                times, base_times, found = measure(url, [q for q in queries if q[2] != STRESS])
                p95s.append(p95(times) * 1000)
                medians.append(statistics.median(times) * 1000)
                raws.append(p95(base_times) * 1000)
                print(
                    f"run {run + 1}: lookup p95 {p95s[-1]:.1f} ms, median {medians[-1]:.1f} ms, "
                    f"max {max(times) * 1000:.1f} ms; baseline p95 {raws[-1]:.2f} ms "
                    f"(ratio {p95s[-1] / raws[-1]:.0f}x); load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            print(
                f"\nlookup p95 over {args.runs} runs: min {min(p95s):.1f} / median "
                f"{statistics.median(p95s):.1f} / max {max(p95s):.1f} ms "
                f"({2 * args.dups} records per run)"
            )
            found += measure(url, [q for q in queries if q[2] == STRESS])[2]
            for label, bands in (("probable", ("probable",)), ("both", ("probable", "possible"))):
                print(f"\n| {label} band | duplicates | found | recall | pairs shown |")
                print("|---|---:|---:|---:|---:|")
                table = quality(found, bands)
                for kind in (*KINDS, "no duplicate", "all", STRESS):
                    dupes, hit, shown = table.get(kind, (0, 0, 0))
                    recall = f"{hit / dupes:.3f}" if dupes else "-"
                    print(f"| {kind} | {dupes} | {hit} | {recall} | {shown} |")
                _, hit, shown = quality(found, bands)["all"]
                print(f"precision ({label}): {hit / shown if shown else 1:.3f}")
        finally:
            drop(args.db, url)


if __name__ == "__main__":
    main()
