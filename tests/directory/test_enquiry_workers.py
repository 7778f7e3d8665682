"""The enquiry limits hold across processes: a real ``smedir serve --workers 2`` on one
database (both backends), hit by simultaneous requests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import requests
from sqlalchemy import select

from directory.db import make_engine, new_session
from directory.models import Enquiry
from directory.node import Node
from tests.directory.pages_helpers import csrf_from
from tests.directory.test_enquiries import REQUEST
from tests.processes import free_base_port
from tests.sync import local


def test_the_daily_limit_holds_across_two_server_workers(tmp_path, db_url, draft_data):
    """``smedir serve --workers 2`` on one database: 8 simultaneous enquiries from one address
    against a limit of 3 per sender: exactly 3 are taken, the rest get 429."""
    engine = make_engine(db_url)
    owner = local.owner(engine)
    listing_id = local.publish(engine, Node("kh", "KH"), owner, local.draft(3))
    engine.dispose()
    port = free_base_port(1)
    config = tmp_path / "node.toml"
    config.write_text(
        f'[node]\nid = "kh"\ninstance_path = "inst"\n[database]\nurl = "{db_url}"\n'
        '[security]\nsecret_key = "test-secret"\n'
        "[enquiries]\nmax_per_sender_per_day = 3\nmax_per_address_per_day = 100\n",
        encoding="utf-8",
    )
    args = ["serve", "--config", str(config), "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from directory.cli import main; main()", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/listings/{listing_id}/enquire"
    try:
        for _ in range(150):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        buyers = [requests.Session() for _ in range(8)]
        tokens = [csrf_from(b.get(url, timeout=30).text) for b in buyers]
        start, codes = threading.Barrier(len(buyers)), []

        def send(buyer, token):
            start.wait()
            codes.append(buyer.post(url, data={**REQUEST, "csrf_token": token}, timeout=60))

        threads = [
            threading.Thread(target=send, args=pair) for pair in zip(buyers, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        proc.terminate()
        proc.wait(30)
    assert sorted(r.status_code for r in codes) == [200] * 3 + [429] * 5
    engine = make_engine(db_url)
    with new_session(engine) as s:
        assert len(s.execute(select(Enquiry)).all()) == 3
    engine.dispose()
