"""Search: p95 latency at concurrency 1 and requests/s at concurrency 8 against `smedir serve`.

Fills a fresh, migrated database with N generated listings (`smedir generate`'s
generator: Khmer and English names, descriptions, products, HS codes), published
through `write_listings` (the bulk path pulls and imports use, so the search index is
built by the same triggers / generated column), then starts `smedir serve --workers 2`
(gthread workers, `--threads`) on 127.0.0.1 and measures every query class of issue 12
on the search page, facets included. The bare index query of each class (the FTS5
MATCH with bm25, or the tsvector match with ts_rank, top 20) is timed in the same run
as the baseline.

The page's total and facet counts, and a visitor's whole page, are cached per worker
and change-log sequence number, so after the warm-up the HTTP figures are those of an
unchanged database. "after change" is the page's latency (concurrency 1) for the first
request after a listing was published again (a new sequence number), with a pause
after each for the background recount; the "uncached" column is the search service
itself (same filters, facets, page) in this process with the count cache turned off.

The client is one keep-alive ``http.client`` connection per thread (``requests`` cost
about as much CPU per request as the cached page itself, on the same two cores); the
table gives the client's CPU (cores busy) and the server's CPU per request during the
concurrency-8 run, read from /proc for the server's process group.

    python benchmarks/bench_search.py --sizes 10000,100000
    python benchmarks/bench_search.py --db postgresql --sizes 10000,100000
    python benchmarks/bench_search.py --db postgresql --sizes 1000000 --requests 100

``--keep DIR`` keeps the filled database (SQLite file in DIR; PostgreSQL database
bench_search_N) and reuses it when it already holds N listings, for repeated runs.
"""

from __future__ import annotations

import argparse
import http.client
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
from urllib.parse import quote, urlsplit

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


def urls(name: str) -> list[str]:
    out = []
    for q in CLASSES[name]:
        path = f"/search?lang=en&q={quote(q)}{FILTERS.get(name, '')}"
        out.append(path + ("&page=200" if name == "page 200" else ""))
    return out


class Client:
    """One keep-alive HTTP/1.1 connection that keeps its cookies, as a browser would: far
    less CPU per request than requests.Session."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> bytes:
        for attempt in (1, 2):
            try:
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
                self.conn.request("GET", path, headers=headers if self.cookies else {})
                response = self.conn.getresponse()
                body = response.read()
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, value = header.split(";", 1)[0].partition("=")
                    self.cookies[name.strip()] = value.strip()
                break
            except (http.client.HTTPException, ConnectionError):  # the server closed keep-alive
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
        return body


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def latency(base: str, targets: list[str], count: int) -> list[float]:
    client = Client(base)
    for path in targets:  # warm up each query twice (both workers, most likely)
        client.get(path)
        client.get(path)
    times = []
    for i in range(count):
        began = time.perf_counter()
        client.get(targets[i % len(targets)])
        times.append(time.perf_counter() - began)
    return times


def server_cpu(pgid: int) -> float:
    """CPU seconds used so far by the processes of a process group (the server's)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def throughput(base: str, targets: list[str], concurrency: int, seconds: float, pgid: int):
    """Requests/s at ``concurrency``; the client's cores busy; server CPU ms per request."""
    done = [0] * concurrency
    stop = time.perf_counter() + seconds

    def work(k: int) -> None:
        client = Client(base)
        i = k
        while time.perf_counter() < stop:
            client.get(targets[i % len(targets)])
            done[k] += 1
            i += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(concurrency)]
    began, cpu, served = time.perf_counter(), time.process_time(), server_cpu(pgid)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    total = sum(done)
    server_ms = (server_cpu(pgid) - served) / total * 1000
    return total / wall, (time.process_time() - cpu) / wall, server_ms


def touch_listing(url: str) -> None:
    """Publish one listing again with its version raised: a change, with a new sequence number."""
    engine = make_engine(url)
    with new_session(engine, write=True) as session:
        version = session.execute(
            text("SELECT version FROM listings WHERE id = 'kh:bench0000007'")
        ).scalar_one()
        doc = corpus(7, 1)[0]
        doc["version"] = version + 1
        write_listings(session, [], [doc], source_peer=None)
        session.commit()
    engine.dispose()


def after_change(url, base, targets, count: int, pause: float, pgid: int):
    """Latency of the first request for a query after a change (concurrency 1), and the
    server's mean CPU ms for it (the background recount starts after the response)."""
    client = Client(base)
    times, cpu = [], 0.0
    for i in range(count):
        touch_listing(url)
        used = server_cpu(pgid)
        began = time.perf_counter()
        client.get(targets[i % len(targets)])
        times.append(time.perf_counter() - began)
        cpu += server_cpu(pgid) - used
        time.sleep(pause)  # a change every few minutes, not every request: let recounts end
    return times, cpu / count * 1000


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
    parser.add_argument(
        "--raw-requests", type=int, help="bare ranked queries per class (default --requests)"
    )
    parser.add_argument(
        "--cold-requests", type=int, help="uncached searches per class (default --requests / 4)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per class, concurrency 8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the filled databases here")
    parser.add_argument("--changes", type=int, default=20, help="after-change samples per class")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds after each change")
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
                "| client cores | server CPU/req | after change p95 | after change median "
                "| after change server CPU | uncached p95 |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            proc, base = serve(url, tmp, args.workers, args.threads)
            try:
                for name in args.classes.split(","):
                    targets = urls(name)
                    raw = raw_index(url, name, args.raw_requests or args.requests)
                    lat = latency(base, targets, args.requests)
                    rps, client_cores, server_ms = throughput(
                        base, targets, args.concurrency, args.seconds, proc.pid
                    )
                    changed, changed_ms = after_change(
                        url, base, targets, args.changes, args.pause, proc.pid
                    )
                    cold = uncached(url, name, args.cold_requests or max(20, args.requests // 4))
                    print(
                        f"| {name} | {p95(raw) * 1000:.1f} ms | {p95(lat) * 1000:.1f} ms "
                        f"| {statistics.median(lat) * 1000:.1f} ms | {rps:.0f} "
                        f"| {client_cores:.2f} | {server_ms:.2f} ms "
                        f"| {p95(changed) * 1000:.1f} ms "
                        f"| {statistics.median(changed) * 1000:.1f} ms | {changed_ms:.0f} ms "
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
