"""A small federation for node-to-node tests: real apps on 127.0.0.1, one database each.

Two national nodes (kh, th) and a regional hub (asean). Each serves its change
feed through its own app; the sync engine pulls in this process through the SQL
store, exactly as ``smedir sync run`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from directory.db import new_session
from directory.models import Listing, ListingState
from directory.node import Node
from directory.services.tokens import create_peer_token
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec, SyncSettings
from sync.runner import run_peer
from sync.runs import RunReport
from tests.sync import local

SETTINGS = SyncSettings(
    connect_timeout=2.0, read_timeout=10.0, retries=0, page_size=7, tombstone_guard_min=10**6
)


@dataclass
class Member:
    """One node of the network."""

    node: Node
    app: object
    url: str = ""
    peers: dict[str, PeerSpec] = field(default_factory=dict)

    @property
    def engine(self):
        return self.app.extensions["smedir.engine"]

    @property
    def store(self) -> SqlSyncStore:
        return SqlSyncStore(self.engine, self.node)

    def pull(self, peer_id: str, settings: SyncSettings = SETTINGS) -> RunReport:
        """Pull from one of its peers now."""
        report = run_peer(self.store, self.peers[peer_id], settings, "pull")
        assert report.outcome == "success", report.error
        return report

    def live_foreign(self) -> dict[str, str]:
        """id -> canonical document of every published record of another origin."""
        with new_session(self.engine) as s:
            rows = s.execute(
                select(Listing.id, Listing.document).where(
                    Listing.origin != self.node.id, Listing.state == ListingState.PUBLISHED
                )
            ).all()
        return dict(rows)

    def own_records(self) -> list[Listing]:
        """Every listing this node is the origin of."""
        with new_session(self.engine) as s:
            return list(s.execute(select(Listing).where(Listing.origin == self.node.id)).scalars())


def build_network(db_url, db_factory, app_factory, live_server, monkeypatch) -> dict:
    """kh and th pull the hub (hub = true, relay = true); the hub pulls kh and th."""
    spec = {
        "kh": (Node("kh", "KH"), db_url, ["asean"]),
        "th": (Node("th", "TH"), db_factory(), ["asean"]),
        "asean": (Node("asean", "TH", role="hub"), db_factory(), ["kh", "th"]),
    }
    members: dict[str, Member] = {}
    for name, (node, url, peer_ids) in spec.items():
        peers = [
            {"id": p, "base_url": "http://127.0.0.1:9", "hub": p == "asean", "trust": "publish"}
            for p in peer_ids
        ]
        app = app_factory(
            url,
            node={"id": node.id, "country": node.country, "role": node.role},
            peers=peers,
        )
        members[name] = Member(node, app, live_server(app).url)
    for name, (_node, _url, peer_ids) in spec.items():
        me = members[name]
        for peer_id in peer_ids:
            env = f"SMEDIR_TEST_TOKEN_{name}_{peer_id}".upper()
            monkeypatch.setenv(env, issue_token(members[peer_id], name))
            me.peers[peer_id] = PeerSpec(
                id=peer_id,
                base_url=members[peer_id].url,
                trust="publish",
                token_env=env,
                hub=peer_id == "asean",
                relay=peer_id == "asean",
                push=False,
            )
    return members


def issue_token(server: Member, client_id: str) -> str:
    """A token on ``server`` for the peer ``client_id``."""
    with new_session(server.engine, write=True) as s:
        _row, plaintext = create_peer_token(s, None, client_id, ["feed:read", "changes:push"])
        s.commit()
    return plaintext


def sync_round(net: dict[str, Member]) -> list[RunReport]:
    """The hub pulls both nationals, then both nationals pull the hub."""
    hub = net["asean"]
    return [
        hub.pull("kh"),
        hub.pull("th"),
        net["kh"].pull("asean"),
        net["th"].pull("asean"),
    ]


__all__ = ["Member", "build_network", "local", "sync_round"]
