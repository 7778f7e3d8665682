"""Migrations 0006 and 0010 backfill who each listing was ever shared with, from sharing and
revisions."""

from __future__ import annotations

import orjson
from alembic import command
from sqlalchemy import text

from directory.migrations import alembic_config, upgrade_database

LISTING = (
    "INSERT INTO listings (id, origin, state, version, created_at, share_public, share_hub,"
    " share_peers) VALUES (:id, :origin, :state, 1, '2026-11-01 00:00:00', :pub, :hub, :peers)"
)
REVISION = (
    "INSERT INTO revisions (listing_id, number, kind, state, document, created_at)"
    " VALUES (:id, :n, 'edit', 'published', :doc, '2026-11-01 00:00:00')"
)


def _downgrade(engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _sharing(hub: bool, peers: list[str]) -> str:
    return orjson.dumps({"sharing": {"public": True, "hub": hub, "peers": peers}}).decode()


def test_backfill_widens_current_sharing_with_every_published_revision(engine):
    _downgrade(engine, "0005")
    with engine.begin() as conn:
        rows = [
            ("kh:live", "kh", "published", True, False, " th "),
            ("kh:gone", "kh", "withdrawn", False, False, None),
            ("th:gone", "th", "withdrawn", False, False, None),  # a replica: no history here
            ("kh:never", "kh", "published", True, False, None),
        ]
        for rid, origin, state, pub, hub, peers in rows:
            values = {"id": rid, "origin": origin, "state": state, "pub": pub, "hub": hub}
            conn.execute(text(LISTING), {**values, "peers": peers})
        conn.execute(text(REVISION), {"id": "kh:live", "n": 1, "doc": _sharing(True, ["la"])})
        conn.execute(text(REVISION), {"id": "kh:gone", "n": 1, "doc": _sharing(False, ["vn"])})
    upgrade_database(engine)
    with engine.connect() as conn:
        got = {
            rid: (bool(hub), peers)
            for rid, hub, peers in conn.execute(
                text("SELECT id, shared_hub_ever, shared_peers_ever FROM listings")
            )
        }
    assert got == {
        "kh:live": (True, " la th "),
        "kh:gone": (False, " vn "),
        "th:gone": (True, None),
        "kh:never": (False, None),
    }


def test_backfill_of_public_ever_reads_current_sharing_and_published_revisions(engine):
    _downgrade(engine, "0009")
    with engine.begin() as conn:
        rows = [
            ("kh:live", "kh", "published", True),
            ("kh:hidden", "kh", "published", False),  # public once, in a published revision
            ("kh:never", "kh", "published", False),
            ("th:gone", "th", "withdrawn", False),  # a replica: no history here
        ]
        for rid, origin, state, pub in rows:
            values = {"id": rid, "origin": origin, "state": state, "pub": pub}
            conn.execute(text(LISTING), {**values, "hub": True, "peers": None})
        conn.execute(text(REVISION), {"id": "kh:hidden", "n": 1, "doc": _sharing(False, [])})
        private = orjson.dumps({"sharing": {"public": False, "hub": True}}).decode()
        conn.execute(text(REVISION), {"id": "kh:never", "n": 1, "doc": private})
    upgrade_database(engine)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, shared_public_ever FROM listings")).all())
    assert {rid: bool(v) for rid, v in got.items()} == {
        "kh:live": True,
        "kh:hidden": True,
        "kh:never": False,
        "th:gone": True,
    }
