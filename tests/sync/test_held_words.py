"""Over HTTP, in English and Khmer: a run the tombstone guard stopped for confirmation and the
records a run sent to review are named apart on every sync page that shows them."""

from __future__ import annotations

import html
import re

import pytest
import requests

from directory.models import Role
from directory.sync_store.store import SqlSyncStore
from sync.peers import PeerSpec
from sync.runner import run_peer
from tests.directory.pages_helpers import PASSWORD, add_account, csrf_from
from tests.sync.conftest import FAST, peer_doc, tombstone

WORDS = {  # (records sent to review, a run stopped for confirmation, its page)
    "en": ("Sent to review", "Stopped for confirmation", "Runs stopped for confirmation"),
    "km": ("បានបញ្ជូនទៅពិនិត្យ", "បានផ្អាកចាំការបញ្ជាក់", "ការរត់ដែលបានផ្អាកចាំការបញ្ជាក់"),
}


def cells(page: str, selector: str) -> list[str]:
    """The text of every ``<th>`` (selector "th") or ``<td class=...>`` cell."""
    pattern = r"<th>(.*?)</th>" if selector == "th" else rf'<td class="{selector}">(.*?)</td>'
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(pattern, page)]


@pytest.mark.parametrize("lang", ["en", "km"])
def test_the_guard_and_review_are_named_apart(app_factory, db_url, live_server, peer_server, lang):
    review = peer_server("th", [peer_doc("th", 1), peer_doc("th", 2)])
    guarded = peer_server("la", [peer_doc("la", n) for n in range(4)])
    peers = [
        {"id": "th", "base_url": review.url, "trust": "review"},
        {"id": "la", "base_url": guarded.url, "trust": "publish"},
    ]
    app = app_factory(db_url, node={"id": "kh", "country": "KH"}, peers=peers)
    server = live_server(app)
    store = SqlSyncStore(app.extensions["smedir.engine"], app.extensions["smedir.node"])
    settings = FAST.__class__(**{**FAST.__dict__, "tombstone_guard_min": 0})
    th, la = (
        PeerSpec(id="th", base_url=review.url, trust="review"),
        PeerSpec(id="la", base_url=guarded.url, trust="publish"),
    )
    assert run_peer(store, th, settings, "pull").counts.held == 2  # two records to review
    assert run_peer(store, la, settings, "pull").outcome == "success"
    guarded.docs += [tombstone("la", n, 2) for n in range(3)]
    assert run_peer(store, la, settings, "pull").outcome == "held"  # the guard stops it

    http = requests.Session()
    login = http.get(f"{server.url}/login?lang={lang}", timeout=10).text
    form = {"email": add_account(app, Role.ADMIN), "password": PASSWORD}
    http.post(f"{server.url}/login", data={**form, "csrf_token": csrf_from(login)}, timeout=10)
    sent, stopped, page_title = WORDS[lang]
    runs = http.get(f"{server.url}/admin/runs", timeout=10).text
    assert sent in cells(runs, "th")
    assert stopped in cells(runs, "outcome")
    assert sent != stopped and not set(sent.split()) & set(stopped.split())
    for old in ("Held", "បានរក្សាទុក"):  # the one word both used to share
        assert old not in cells(runs, "th") and old not in cells(runs, "outcome")
    assert page_title in http.get(f"{server.url}/admin/peers", timeout=10).text
    assert f"<h1>{page_title}</h1>" in http.get(f"{server.url}/admin/held", timeout=10).text
    app.extensions["smedir.engine"].dispose()
