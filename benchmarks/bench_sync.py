"""Sync pull: node to node over real HTTP vs the raw pipeline ceiling; incremental; memory.

python benchmarks/bench_sync.py [--quick] [--db sqlite|postgresql] [--sizes 10000,100000]
                                [--memory-sizes 100000,1000000] [--page 1000]

Two nodes on 127.0.0.1, each with its own database: node "th" holds N records
(from bench_validation.make_record, shared with kh) and serves its change feed from
a separate process (werkzeug threaded server); node "kh" pulls it with the sync
engine (``smedir sync run`` code path: HTTP, feed-page and record validation,
apply by the version rule, page + checkpoint in one transaction, search columns).

Figures, each printed as a ratio against a baseline measured in the same run:

1. full pull of N records vs the raw ceiling: parse (orjson) + validate
   (jsonschema_rs) + insert with the same extracted columns and indexes
   (``listings`` and ``change_log`` of a fresh migrated database, DB-API
   ``executemany``, no HTTP, no ORM). Goal: pull >= 0.5x raw.
2. incremental pull of 100 changes on top of N records, for each size; goal
   <= 0.5 s at 100k and t(100k)/t(10k) <= 1.3.
3. peak RSS of the pulling process (a subprocess; VmHWM) for a full pull at
   each memory size; goal <= 200 MB and flat in corpus size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_db import create_pg, drop_pg  # noqa: E402
from bench_validation import make_record  # noqa: E402

from directory.db import make_engine, transaction  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.node import Node  # noqa: E402
from directory.records import (  # noqa: E402
    canonical_json,
    listing_columns,
    public_ever,
    widen_shares,
)
from directory.services.changes import apply_remote_changes, isic_sections  # noqa: E402
from directory.services.match_keys import match_keys  # noqa: E402
from schemas import load_countries, load_isic, load_provinces, validate_record  # noqa: E402

TOKEN_ENV = "SMEDIR_BENCH_TOKEN"


class Databases:
    """Fresh migrated databases of one backend (files in a temp dir, or PostgreSQL DBs)."""

    def __init__(self, backend: str, workdir: Path, prefix: str = "smedir_bench"):
        self.backend, self.workdir, self.made, self.prefix = backend, workdir, [], prefix

    def new(self, name: str) -> str:
        if self.backend == "sqlite":
            url = f"sqlite:///{self.workdir / name}.sqlite3"
        else:
            url = create_pg(f"{self.prefix}_{name}")
            self.made.append(url)
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        return url

    def close(self) -> None:
        for url in self.made:
            drop_pg(url)


def records(n: int, seed: int = 7, start: int = 0, version: int = 1):
    """N varied valid records of origin th, shared with kh, in batches of 1000."""
    rng = random.Random(seed + start)
    isic = [c for c, row in load_isic().items() if row["level"] == "class"]
    provinces = [p["code"] for p in load_provinces()]
    countries = list(load_countries())
    batch = []
    for i in range(start, start + n):
        doc = make_record(i, rng, isic, provinces, countries)
        doc.update(id=f"th:rec{i}", origin="th", version=version)
        doc["sharing"]["peers"] = ["kh"]
        batch.append(doc)
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_source(url: str, n: int) -> None:
    """Fill node th's database with its N records (as published changes)."""
    engine = make_engine(url)
    for batch in records(n):
        with transaction(engine) as s:
            apply_remote_changes(s, batch, node=Node("seed", "KH"), source_peer=None, relay=True)
    engine.dispose()


def bump(url: str, count: int) -> None:
    """Publish ``count`` new versions at node th (the incremental changes)."""
    engine = make_engine(url)
    docs = next(records(count, seed=99, version=2))
    with transaction(engine) as s:
        apply_remote_changes(s, docs, node=Node("seed", "KH"), source_peer=None, relay=True)
    engine.dispose()


SERVER = """
import sys, json
from werkzeug.serving import make_server
from directory.app import create_app
from directory.db import new_session
from directory.services.tokens import create_peer_token
url, ready = sys.argv[1], sys.argv[2]
app = create_app(overrides={"node": {"id": "th", "country": "TH", "instance_path": ready + ".inst"},
    "database": {"url": url}, "security": {"secret_key": "bench"},
    "api": {"feed_max_limit": 5000},
    "peers": [{"id": "kh", "base_url": "http://127.0.0.1:9"}]})
with new_session(app.extensions["smedir.engine"], write=True) as s:
    _row, token = create_peer_token(s, None, "kh", ["feed:read"])
    s.commit()
server = make_server("127.0.0.1", 0, app, threaded=True)
open(ready, "w").write(json.dumps({"port": server.server_port, "token": token}))
server.serve_forever()
"""


def start_source(url: str, workdir: Path) -> tuple[subprocess.Popen, str, str]:
    """Serve node th's feed from a separate process; returns (process, base URL, token)."""
    ready = workdir / f"ready-{time.monotonic_ns()}.json"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(ready)], cwd=ROOT)
    while not ready.exists() or not ready.read_text():
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    return proc, f"http://127.0.0.1:{info['port']}", info["token"]


NO_WORDS_ENV = "SMEDIR_BENCH_NO_SEARCH_WORDS"
# prepended to the pulling and importing subprocesses: with NO_WORDS_ENV set, the write path
# as it was before issue 12, no search words computed (bench_import --search-index compare)
WITHOUT_WORDS = f"""
import os
if os.environ.get({NO_WORDS_ENV!r}):
    import directory.records
    directory.records.search_names = directory.records.search_text = lambda doc: None
"""

PULLER = (
    WITHOUT_WORDS
    + """
import os, sys, json, time, resource
from directory.db import make_engine
from directory.node import Node
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec, SyncSettings
from sync.runner import run_peer
url, base, page = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = make_engine(url)
store = SqlSyncStore(engine, Node("kh", "KH"))
settings = SyncSettings(page_size=page, read_timeout=120.0, tombstone_guard_min=10**9)
peer = PeerSpec(id="th", base_url=base, trust="publish", token_env="SMEDIR_BENCH_TOKEN")
# warm up as a running scheduler would be: validators compiled, modules imported
from schemas import validate
import sync.adapters.feed, sync.adapters.jsonl, sync.adapters.oai
validate({}, "feed-page"), validate({}, "change")
store.live_count("th")
start, cpu = time.perf_counter(), time.process_time()
report = run_peer(store, peer, settings, "pull")
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
assert report.outcome == "success", report.error
# VmHWM: this process's own peak (ru_maxrss would include the parent's RSS at fork time)
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(json.dumps({"seconds": seconds, "cpu": cpu, "counts": report.counts.as_dict(),
                  "maxrss_mb": int(hwm) / 1024}))
"""
)


def pull(url: str, base: str, token: str, page: int, server_pid: int | None = None) -> dict:
    """Pull th into the kh database ``url`` in a subprocess; its time and peak RSS.

    ``cpu`` is the puller's CPU time plus, given ``server_pid``, the feed server's.
    """
    env = {**os.environ, TOKEN_ENV: token, "PYTHONPATH": str(ROOT)}
    server_cpu = process_cpu(server_pid) if server_pid else 0.0
    out = subprocess.run(
        [sys.executable, "-c", PULLER, url, base, str(page)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if server_pid:
        result["cpu"] += process_cpu(server_pid) - server_cpu
    return result


class Timing(NamedTuple):
    """Wall-clock seconds, and CPU seconds of this side's own processes (not the database's)."""

    seconds: float
    cpu: float


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_ceiling(url: str, n: int) -> Timing:
    """Parse + validate + insert (same rows, columns and indexes), DB-API only: time for N."""
    texts = [orjson.dumps(d) for batch in records(n) for d in batch]
    engine = make_engine(url)
    sections = isic_sections()
    conn = engine.raw_connection()
    placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
    try:
        cur = conn.cursor()
        start, cpu = time.perf_counter(), time.process_time()
        seq = 0
        for offset in range(0, n, 1000):
            rows, log, keys = [], [], []
            for raw in texts[offset : offset + 1000]:
                doc = orjson.loads(raw)
                if validate_record(doc):
                    raise SystemExit("a generated record is invalid")
                seq += 1
                cols = listing_columns(doc, sections)
                # the consent record of the past, as a first version sets it
                cols["shared_hub_ever"], cols["shared_peers_ever"] = widen_shares(False, None, cols)
                cols["shared_public_ever"] = public_ever(False, cols)
                rows.append(
                    (
                        doc["id"],
                        doc["origin"],
                        "published",
                        doc["version"],
                        seq,
                        canonical_json(doc),
                        "th",
                        *cols.values(),
                    )  # fmt: skip
                )
                log.append((seq, doc["id"], doc["version"], False))
                keys.extend((key, doc["id"]) for key in match_keys(doc))
            names = ", ".join(
                ["id", "origin", "state", "version", "change_seq", "document", "source_peer"]
                + list(cols)
            )
            marks = ", ".join([placeholder] * (7 + len(cols)))
            if engine.dialect.name == "sqlite":
                cur.execute("BEGIN IMMEDIATE")
            cur.executemany(
                f"INSERT INTO listings ({names}, created_at, updated_at)"
                f" VALUES ({marks}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                rows,
            )
            cur.executemany(
                "INSERT INTO change_log (seq, record_id, version, deleted, created_at)"
                f" VALUES ({placeholder}, {placeholder}, {placeholder}, {placeholder},"
                " CURRENT_TIMESTAMP)",
                log,
            )
            # the duplicate-candidate keys (issue 15) are part of what a pull stores; on
            # PostgreSQL through COPY, the fastest way there (as the pull)
            if engine.dialect.name == "sqlite":
                cur.executemany(
                    "INSERT INTO listing_match_keys (key, listing_id) VALUES (?, ?)", keys
                )
            else:
                with cur.copy("COPY listing_match_keys (key, listing_id) FROM STDIN") as copy:
                    for row in keys:
                        copy.write_row(row)
            conn.commit()
        return Timing(time.perf_counter() - start, time.process_time() - cpu)
    finally:
        conn.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="sizes 2k/20k, memory 20k/100k")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--memory-sizes", default="100000,1000000")
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--db-prefix", default="smedir_bench", help="PostgreSQL database names")
    args = parser.parse_args()
    sizes = [2000, 20000] if args.quick else [int(s) for s in args.sizes.split(",")]
    memory_sizes = [20000, 100000] if args.quick else [int(s) for s in args.memory_sizes.split(",")]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},"
          f" {os.cpu_count()} CPUs, backend {args.db}, page {args.page},"
          f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        dbs = Databases(args.db, Path(tmp), args.db_prefix)
        try:
            run(dbs, Path(tmp), sizes, memory_sizes, args.page)
        finally:
            dbs.close()
        print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(dbs: Databases, tmp: Path, sizes: list[int], memory_sizes: list[int], page: int) -> None:
    incremental: dict[int, float] = {}
    rss: dict[int, float] = {}
    for n in sorted(set(sizes) | set(memory_sizes)):
        source = dbs.new(f"th{n}")
        seed_source(source, n)
        proc, base, token = start_source(source, tmp)
        try:
            target = dbs.new(f"kh{n}")
            full = pull(target, base, token, page, proc.pid)
            assert full["counts"]["created"] == n, full
            rss[n] = full["maxrss_mb"]
            line = f"full pull n={n:>8}: {full['seconds']:8.2f} s  {n / full['seconds']:9.0f} rec/s"
            if n in sizes:
                raw = raw_ceiling(dbs.new(f"raw{n}"), n)
                ratio = raw.seconds / full["seconds"]
                line += f"  raw ceiling {raw.seconds:6.2f} s  pull/raw = {ratio:.2f}x"
                line += " (goal >= 0.5x)"
                line += f"  [CPU: raw {raw.cpu:.2f} s, pull {full['cpu']:.2f} s,"
                line += f" {raw.cpu / full['cpu']:.2f}x]"
            print(line + f"  peak RSS {full['maxrss_mb']:.0f} MB", flush=True)
            if n in sizes:
                bump(source, 100)
                inc = pull(target, base, token, page)
                assert inc["counts"]["updated"] == 100, inc
                incremental[n] = inc["seconds"]
                print(f"incremental 100 on n={n:>8}: {inc['seconds']:.3f} s (goal <= 0.5 s)")
        finally:
            proc.terminate()
            proc.wait()
    small, large = min(sizes), max(sizes)
    print(
        f"incremental t({large})/t({small}) = {incremental[large] / incremental[small]:.2f}"
        " (goal <= 1.3)"
    )
    lo, hi = min(memory_sizes), max(memory_sizes)
    print(
        f"peak RSS n={lo}: {rss[lo]:.0f} MB, n={hi}: {rss[hi]:.0f} MB,"
        f" ratio {rss[hi] / rss[lo]:.2f} (goal <= 200 MB and flat)"
    )


if __name__ == "__main__":
    main()
