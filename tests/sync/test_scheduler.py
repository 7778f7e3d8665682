"""Two scheduler processes on one database: each job runs once per interval, by one leader."""

from __future__ import annotations

import signal
import time

from directory.db import make_engine
from tests.sync.conftest import peer_doc, runs
from tests.sync.nodes import node_config, smedir


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _log(path) -> str:
    return path.read_text() if path.exists() else ""


def test_two_schedulers_run_each_job_once_per_interval_and_the_second_takes_over(
    db_url, peer_server, tmp_path
):
    server = peer_server("th", [peer_doc("th", n) for n in range(3)])
    peers = [{"id": "th", "base_url": server.url, "trust": "publish", "schedule_seconds": 1}]
    config = node_config(tmp_path, "kh", db_url, peers, lease_seconds=2, misfire_grace_seconds=5)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = []
    for path in logs:
        procs.append(smedir("scheduler", "--config", str(config), stderr=path.open("w")))
        time.sleep(0.3)
    engine = make_engine(db_url)
    try:
        assert _wait_for(lambda: len(runs(engine)) >= 4), [_log(p) for p in logs]
        leaders = [i for i, path in enumerate(logs) if "leading" in _log(path)]
        assert len(leaders) == 1, [_log(p) for p in logs]
        first = leaders[0]
        procs[first].kill()  # dies without releasing anything
        procs[first].wait()
        before = len(runs(engine))
        other = 1 - first
        assert _wait_for(lambda: "leading" in _log(logs[other])), _log(logs[other])
        assert _wait_for(lambda: len(runs(engine)) >= before + 3)
        procs[other].send_signal(signal.SIGTERM)
        assert procs[other].wait(30) == 0
        assert "stopped" in _log(logs[other])
        history = runs(engine)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        engine.dispose()
    assert {(r.peer, r.direction) for r in history} == {("th", "pull")}
    assert all(r.outcome in ("success", "interrupted") for r in history), history
    # one leader at a time: a scheduler logs job runs only after it logged "leading"
    for log in (_log(path).splitlines() for path in logs):
        runs_logged = [n for n, line in enumerate(log) if line.startswith("th pull:")]
        leading = [n for n, line in enumerate(log) if line.endswith(": leading")]
        assert not runs_logged or (leading and leading[0] < runs_logged[0]), log
    # the daily freshness job runs in the leader only (at its start: it is idempotent)
    for log in (_log(path).splitlines() for path in logs):
        fresh = [n for n, line in enumerate(log) if line.startswith("freshness: ")]
        leading = [n for n, line in enumerate(log) if line.endswith(": leading")]
        assert len(fresh) <= 1 and (not fresh or (leading and leading[0] < fresh[0])), log
    assert any("freshness: 0 reminders sent" in _log(path) for path in logs)
    # each job runs at most once per interval: two schedulers would double the count
    starts = sorted(r.started_at for r in history)
    span = (starts[-1] - starts[0]).total_seconds()
    assert len(history) <= span / 1 + 2, (len(history), span)
