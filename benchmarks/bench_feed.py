"""Change feed serving rate: the per-peer feed vs serving the same stored JSON with no logic.

python benchmarks/bench_feed.py [--n 20000] [--limit 1000] [--visible 0.8] [--db URL] [--rounds 5]

Builds a database of N replica records (origin "vn", records from
bench_validation.make_record), shared with the reading peer "th" for a
``--visible`` share of them (the rest become consent tombstones in th's feed),
then reads the whole feed page by page and reports records/s for:

- baseline (service): SELECT the stored documents of a page in change order and
  join them into a JSON array: serving stored JSON with no logic;
- feed (service): ``read_feed_page`` (visibility, consent tombstones, cursor);
- baseline (HTTP): a bare Flask route doing the baseline, via the test client;
- feed (HTTP): ``GET /api/v1/changes`` with a peer token (auth + use log).

The HTTP lines include parsing each response with orjson on the client side.

The goal is feed >= 0.5x baseline.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validation import make_record  # noqa: E402
from flask import Response  # noqa: E402
from sqlalchemy import select  # noqa: E402

from directory.app import create_app  # noqa: E402
from directory.context import db_session, get_engine  # noqa: E402
from directory.db import new_session, transaction  # noqa: E402
from directory.models import Listing  # noqa: E402
from directory.node import Node  # noqa: E402
from directory.services.changes import apply_remote_changes  # noqa: E402
from directory.services.feed import PeerView, decode_cursor, read_feed_page  # noqa: E402
from directory.services.tokens import create_peer_token  # noqa: E402
from schemas import load_countries, load_isic, load_provinces  # noqa: E402

NODE = Node("kh", "KH")


def build(app, n: int, visible: float, seed: int) -> None:
    """Fill the database with N records of origin vn, a share of them shared with th."""
    rng = random.Random(seed)
    isic = [c for c, row in load_isic().items() if row["level"] == "class"]
    provinces = [p["code"] for p in load_provinces()]
    countries = list(load_countries())
    batch = []
    for i in range(n):
        doc = make_record(i, rng, isic, provinces, countries)
        doc["id"], doc["origin"] = f"vn:rec{i}", "vn"
        doc["sharing"]["hub"] = False
        doc["sharing"]["peers"] = ["th"] if rng.random() < visible else ["la"]
        batch.append(doc)
        if len(batch) == 1000 or i == n - 1:
            with transaction(get_engine(app)) as session:
                apply_remote_changes(session, batch, node=NODE, source_peer="vn", relay=True)
            batch = []


def baseline_page(session, after: int, limit: int) -> tuple[bytes, int, int]:
    """The same stored documents, joined with no logic at all."""
    rows = session.execute(
        select(Listing.change_seq, Listing.document)
        .where(Listing.change_seq > after)
        .order_by(Listing.change_seq)
        .limit(limit)
    ).all()
    body = b"[" + b",".join(doc.encode() for _, doc in rows) + b"]"
    return body, len(rows), rows[-1][0] if rows else after


def timed(label: str, n: int, rounds: int, run) -> float:
    """Best of ``rounds`` runs of ``run()`` (which serves all N records); prints records/s."""
    run()  # warm the caches first
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        served = run()
        best = min(best, time.perf_counter() - start)
        assert served == n, (label, served, n)
    rate = n / best
    print(f"{label:<28} {rate:>12,.0f} records/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--visible", type=float, default=0.8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default="", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_feed_"))
    url = args.db or f"sqlite:///{tmp / 'feed.sqlite3'}"
    app = create_app(
        overrides={
            "node": {"instance_path": str(tmp)},
            "database": {"url": url},
            "api": {"feed_max_limit": args.limit, "rate_limit_per_minute": 0},
            "peers": [{"id": "th", "base_url": "http://127.0.0.1:9"}],
        }
    )
    from directory.migrations import upgrade_database

    upgrade_database(get_engine(app))

    @app.get("/bench/raw")
    def raw():
        from flask import request

        body, _, _ = baseline_page(db_session(), int(request.args["after"]), args.limit)
        return Response(body, mimetype="application/json")

    print(f"Python {platform.python_version()}, {platform.machine()}, {url.split(':')[0]}")
    print(f"building {args.n} records ({args.visible:.0%} visible to the peer)...")
    build(app, args.n, args.visible, args.seed)
    with transaction(get_engine(app)) as session:
        _, token = create_peer_token(session, None, "th", ["feed:read"])
    peer = PeerView("th")

    def service_baseline() -> int:
        served = after = 0
        with new_session(get_engine(app)) as session:
            while True:
                _, count, after = baseline_page(session, after, args.limit)
                served += count
                if count < args.limit:
                    return served

    def service_feed() -> int:
        served, after = 0, 0
        with new_session(get_engine(app)) as session:
            while True:
                page = read_feed_page(
                    session, node=NODE, peer=peer, after_seq=after, limit=args.limit
                )
                served += page.count
                after = decode_cursor(page.next_cursor)
                if not page.has_more:
                    return served

    client = app.test_client()

    def http_baseline() -> int:
        served = after = 0
        while True:
            rows = orjson.loads(client.get(f"/bench/raw?after={after}").data)
            served += len(rows)
            after = served
            if len(rows) < args.limit:
                return served

    def http_feed() -> int:
        served, cursor = 0, ""
        headers = {"Authorization": f"Bearer {token}"}
        while True:
            page = orjson.loads(
                client.get(
                    f"/api/v1/changes?since={cursor}&limit={args.limit}", headers=headers
                ).data
            )
            served += len(page["changes"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return served

    base = timed("baseline (service)", args.n, args.rounds, service_baseline)
    feed = timed("feed (service)", args.n, args.rounds, service_feed)
    print(f"{'':<28} {feed / base:>12.2f}x baseline")
    base = timed("baseline (HTTP, parsed)", args.n, args.rounds, http_baseline)
    feed = timed("feed (HTTP, parsed)", args.n, args.rounds, http_feed)
    print(f"{'':<28} {feed / base:>12.2f}x baseline")


if __name__ == "__main__":
    main()
