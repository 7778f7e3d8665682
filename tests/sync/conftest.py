"""Fixtures for the sync tests: a scriptable peer server, the SQL store, record factories."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from directory.db import new_session
from directory.models import Listing
from directory.models.sync import QuarantineEntry, SyncRun
from directory.node import Node
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec, SyncSettings
from tests.conftest import valid_examples
from tests.sync.peer_server import PeerServer

FAST = SyncSettings(
    connect_timeout=2.0,
    read_timeout=0.5,
    retries=2,
    backoff_factor=0.0,
    max_response_bytes=100_000,
    page_size=10,
    tombstone_guard_min=0,
)


def peer_doc(origin: str, n: int, version: int = 1, **changes) -> dict:
    """A valid record of node ``origin``."""
    doc = copy.deepcopy(valid_examples("record")[n % 3])
    doc.update(id=f"{origin}:rec{n}", origin=origin, version=version, **changes)
    return doc


def tombstone(origin: str, n: int, version: int) -> dict:
    """A withdrawal tombstone of ``origin:rec<n>``."""
    return {
        "id": f"{origin}:rec{n}",
        "origin": origin,
        "version": version,
        "updated_at": "2026-11-21T10:00:00Z",
        "deleted": True,
        "reason": "withdrawn",
    }


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 only."""
    return ("127.0.0.1", 0)


@pytest.fixture
def settings():
    return FAST


@pytest.fixture
def peer_server():
    """Factory: start a PeerServer for a node id with documents; stopped after the test."""
    servers: list[PeerServer] = []

    def start(node_id: str = "th", docs: list | None = None) -> PeerServer:
        servers.append(PeerServer(node_id, docs))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def store(engine):
    return SqlSyncStore(engine, Node("kh", "KH"))


def peer_spec(server: PeerServer, **kw) -> PeerSpec:
    """A PeerSpec for a test server (publish trust unless told otherwise)."""
    return PeerSpec(id=server.node_id, base_url=server.url, **{"trust": "publish", **kw})


def held_documents(engine) -> dict[str, str]:
    """id -> canonical document of every listing in a database."""
    with new_session(engine) as s:
        rows = s.execute(select(Listing.id, Listing.document)).all()
    return dict(rows)


def quarantine_rows(engine) -> list[QuarantineEntry]:
    with new_session(engine) as s:
        return list(s.execute(select(QuarantineEntry).order_by(QuarantineEntry.id)).scalars())


def runs(engine) -> list[SyncRun]:
    with new_session(engine) as s:
        return list(s.execute(select(SyncRun).order_by(SyncRun.id)).scalars())
