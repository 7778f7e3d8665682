"""Search: p95 latency at concurrency 1 and requests/s at concurrency 8 against `smedir serve`.

Fills a fresh, migrated database with N generated listings (`smedir generate`'s
generator: Khmer and English names, descriptions, products, HS codes), published
through `write_listings` (the bulk path pulls and imports use, so the search index is
built by the same triggers / generated column), then starts `smedir serve --workers 2`
(gthread workers, `--threads`) on 127.0.0.1 and measures every query class of issue 12
on the search page, facets included. The bare index query of each class (the FTS5
MATCH with bm25, or the tsvector match with ts_rank, top 20) is timed in the same run
as the baseline.

The page's total and facet counts are cached per worker and change-log sequence
number, so after the warm-up the HTTP figures are those of an unchanged database.
The "uncached" column is the search service itself (same filters, facets, page) in
this process with that cache turned off: what the first request after a change costs.

    python benchmarks/bench_search.py --sizes 10000,100000
    python benchmarks/bench_search.py --db postgresql --sizes 10000,100000
    python benchmarks/bench_search.py --db postgresql --sizes 1000000 --requests 100

``--keep DIR`` keeps the filled database (SQLite file in DIR; PostgreSQL database
bench_search_N) and reuses it when it already holds N listings, for repeated runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import create_pg, drop_pg, pg_url  # noqa: E402

from directory.db import make_engine, new_session  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.sampledata.generator import generate_records  # noqa: E402
from directory.search.queries import hit_source  # noqa: E402
from directory.services import search  # noqa: E402
from directory.services.changes import write_listings  # noqa: E402
from directory.services.search import SearchFilters, query_terms, search_listings  # noqa: E402

CLASSES = {
    "common word": ["rice", "farm", "shop", "fresh", "family"],
    "rare word": ["cashew", "silk", "pepper", "crab", "honey"],
    "Khmer 1 char": ["ក", "ស", "ម", "ផ", "ហ"],
    "Khmer 2 chars": ["កស", "ស្", "ផល", "ហា", "លក"],
    "Khmer 4 chars": ["កសិដ", "ស្រូ", "ផលិត", "ម្រេ", "ហាងល"],
    "page 200": ["and", "និង"],
    "province + sector": [""],
}
FILTERS = {"province + sector": "&province=KH-12&section=C"}


CHUNK = 50_000  # the generator draws distinct registration numbers from 90,000


def corpus(start: int, count: int) -> list[dict]:
    """Listings ``start`` to ``start + count`` of this node (version 1), deterministic."""
    docs = generate_records(count, "KH", seed=12 + start // CHUNK)
    for i, doc in enumerate(docs, start=start):
        doc.update(id=f"kh:bench{i:07d}", origin="kh", version=1, updated_at="2026-11-29T00:00:00Z")
    return docs


def fill(url: str, n: int) -> float:
    """Migrate and fill the database; returns the seconds the inserts (with indexing) took."""
    engine = make_engine(url)
    upgrade_database(engine)
    spent = 0.0
    for start in range(0, n, CHUNK):
        docs = corpus(start, min(CHUNK, n - start))
        began = time.perf_counter()
        for s in range(0, len(docs), 1000):
            with new_session(engine, write=True) as session:
                write_listings(session, docs[s : s + 1000], [], source_peer=None)
                session.commit()
        spent += time.perf_counter() - began
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE listings")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("INSERT INTO listings_fts (listings_fts) VALUES ('optimize')")
            conn.exec_driver_sql("INSERT INTO listings_trgm (listings_trgm) VALUES ('optimize')")
    engine.dispose()
    return spent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, tmp: Path, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """Start `smedir serve` on a free port; returns the process and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "SMEDIR_DATABASE__URL": url,
        "SMEDIR_NODE__INSTANCE_PATH": str(tmp),
        "SMEDIR_SECURITY__SECRET_KEY": "bench-" + "x" * 40,
        "PYTHONPATH": str(ROOT),  # this checkout's code, whatever the environment installed
    }
    cmd = [
        sys.executable,
        "-c",
        "from directory.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("smedir serve did not come up")


def urls(base: str, name: str) -> list[str]:
    out = []
    for q in CLASSES[name]:
        url = f"{base}/search?lang=en&q={requests.utils.quote(q)}{FILTERS.get(name, '')}"
        out.append(url + ("&page=200" if name == "page 200" else ""))
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def latency(targets: list[str], count: int) -> list[float]:
    session = requests.Session()
    for url in targets:  # warm up each query once
        session.get(url, timeout=30).raise_for_status()
    times = []
    for i in range(count):
        began = time.perf_counter()
        response = session.get(targets[i % len(targets)], timeout=30)
        times.append(time.perf_counter() - began)
        response.raise_for_status()
    return times


def throughput(targets: list[str], concurrency: int, seconds: float) -> float:
    done = [0] * concurrency
    stop = time.perf_counter() + seconds

    def work(k: int) -> None:
        session = requests.Session()
        i = k
        while time.perf_counter() < stop:
            session.get(targets[i % len(targets)], timeout=30).raise_for_status()
            done[k] += 1
            i += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - began)


def raw_index(url: str, name: str, count: int) -> list[float]:
    """The bare ranked index query of a class (top 20), no filters, no page, no facets."""
    engine = create_engine(url)
    dialect = engine.dialect.name
    times = []
    with engine.connect() as conn:
        for i in range(count + len(CLASSES[name])):
            terms = query_terms(CLASSES[name][i % len(CLASSES[name])])
            if not terms:
                sql, params = "SELECT id FROM listings ORDER BY id LIMIT 20", {}
            else:
                src = hit_source(dialect, terms)
                where = f"WHERE {src.where_sql}" if src.where_sql else ""
                sql = f"SELECT l.id FROM {src.from_sql} {where} ORDER BY {src.score_sql} LIMIT 20"
                params = src.params
            began = time.perf_counter()
            conn.execute(text(sql), params).all()
            if i >= len(CLASSES[name]):
                times.append(time.perf_counter() - began)
    engine.dispose()
    return times


def uncached(url: str, name: str, count: int) -> list[float]:
    """The search service for the class's page (facets included) with the count cache off."""
    engine = make_engine(url)
    size, search.CACHE_SIZE = search.CACHE_SIZE, 0
    extra = {"province": "KH-12", "section": "C"} if name == "province + sector" else {}
    page = 200 if name == "page 200" else 1
    times = []
    try:
        for i in range(count + len(CLASSES[name])):
            filters = SearchFilters(q=CLASSES[name][i % len(CLASSES[name])], **extra)
            with new_session(engine) as session:
                began = time.perf_counter()
                search_listings(session, filters, page=page, facets=True)
                if i >= len(CLASSES[name]):
                    times.append(time.perf_counter() - began)
    finally:
        search.CACHE_SIZE = size
        engine.dispose()
    return times


def filled(url: str, n: int) -> bool:
    """True when the database at ``url`` already holds ``n`` listings (a kept one)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM listings")).scalar_one() == n
    except Exception:  # noqa: BLE001 - no database or no table yet: fill it
        return False
    finally:
        engine.dispose()


def database(kind: str, tmp: Path, n: int, keep: bool = False) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'search{n}.sqlite3'}"
    name = f"bench_search_{n}"
    if keep and filled(pg_url(name), n):
        return pg_url(name)
    return create_pg(name)


def drop(kind: str, url: str) -> None:
    if kind == "postgresql":
        drop_pg(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=200, help="per class, concurrency 1")
    parser.add_argument("--seconds", type=float, default=5.0, help="per class, concurrency 8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the filled databases here")
    args = parser.parse_args()
    print(f"# {platform.node()} Python {platform.python_version()} {args.db}", flush=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = args.keep or Path(scratch)
            url = database(args.db, tmp, n, keep=bool(args.keep))
            load_s = None
            if args.keep and filled(url, n):
                upgrade_database(make_engine(url))  # a kept database follows new migrations
            else:
                load_s = fill(url, n)
            filling = (
                f"insert with indexing {load_s:.1f} s, {n / load_s:,.0f}/s"
                if load_s
                else "kept database"
            )
            print(
                f"\n## {n:,} listings ({filling}); workers {args.workers} x threads "
                f"{args.threads}; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            print(
                "| query | raw index p95 | page p95 (c=1) | page median | req/s (c=8) "
                "| uncached p95 |"
            )
            print("|---|---:|---:|---:|---:|---:|")
            proc, base = serve(url, tmp, args.workers, args.threads)
            try:
                for name in args.classes.split(","):
                    raw = raw_index(url, name, args.requests)
                    lat = latency(urls(base, name), args.requests)
                    rps = throughput(urls(base, name), args.concurrency, args.seconds)
                    cold = uncached(url, name, max(20, args.requests // 4))
                    print(
                        f"| {name} | {p95(raw) * 1000:.1f} ms | {p95(lat) * 1000:.1f} ms "
                        f"| {statistics.median(lat) * 1000:.1f} ms | {rps:.0f} "
                        f"| {p95(cold) * 1000:.1f} ms |",
                        flush=True,
                    )
            finally:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)
                if not args.keep:
                    drop(args.db, url)
            print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
