"""``smedir demo`` as a newcomer runs it: three nodes come up, Cambodian records reach the hub
and Thailand within two sync cycles, the printed focal point sees the pending listings, and
Ctrl-C (SIGINT) stops every process. A second run (``--nodes 1``) reuses the data.

The browser steps also take the README's screenshots (into docs/screenshots/ with
SMEDIR_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import sys
import time

import pytest
import requests

from directory.demo.nodes import KH
from directory.demo.seed import sample_split
from tests.browser import follow, new_page, sign_in
from tests.processes import Demo, alive, descendants, free_base_port, node_urls

pytestmark = pytest.mark.e2e
SMEDIR = [sys.executable, "-c", "from directory.cli import main; main()"]
INTERVAL = 3  # seconds between sync runs in this test (the default is 60)
START_UP = 30  # a scheduler process's start on a busy 2-core machine, before its first run


def account(output: str, node: str, label: str) -> tuple[str, str]:
    """The printed email and password of an account of a node."""
    match = re.search(rf"^    {label}\s+(\S+\.{node}@\S+)\s+password: (\S+)$", output, re.M)
    assert match, output
    return match.group(1), match.group(2)


def total(url: str, **params) -> int:
    query = {"per_page": 1, **params}
    return requests.get(f"{url}/api/v1/listings", params=query, timeout=10).json()["total"]


def hub_shared(url: str, country: str) -> int:
    """How many published listings of a node its SMEs share with the regional hub."""
    count, page = 0, 1
    while True:
        query = {"country": country, "per_page": 100, "page": page}
        body = requests.get(f"{url}/api/v1/listings", params=query, timeout=10).json()
        count += sum(1 for doc in body["items"] if doc["sharing"]["hub"])
        if page * 100 >= body["total"]:
            return count
        page += 1


def test_demo_federation_syncs_signs_in_and_stops_cleanly(tmp_path, browser, readme_screenshots):
    base = free_base_port()
    data = tmp_path / "demo"
    args = [*SMEDIR, "demo", "--port", str(base), "--interval", str(INTERVAL), "--dir", str(data)]
    demo = Demo(args, cwd=tmp_path)
    try:
        output = demo.wait_for("demo ready", timeout=300)
        ready = time.monotonic()
        urls = node_urls(output)
        assert set(urls) == {"kh", "th", "asean"}, output
        children = descendants(demo.proc.pid)
        assert len(children) >= 6, children  # 3 gunicorn masters (+ workers), 3 schedulers

        expected = hub_shared(urls["kh"], "KH")
        expected_th = hub_shared(urls["th"], "TH")
        assert expected > 200 and expected_th > 50

        def arrived() -> tuple[int, int, int]:
            kh_copies = (total(urls["asean"], country="KH"), total(urls["th"], country="KH"))
            return (*kh_copies, total(urls["kh"], country="TH"))

        deadline = ready + START_UP + 2 * INTERVAL
        while arrived() != (expected, expected, expected_th):  # and Thai records reach Cambodia
            assert time.monotonic() < deadline, (arrived(), expected, expected_th)
            time.sleep(0.5)

        email, password = account(output, "kh", "focal point")
        page = new_page(browser, urls["kh"], "en")
        page.goto("/?lang=en")
        page.screenshot(path=str(readme_screenshots / "home-en.png"), full_page=True)
        sign_in(page, email, password)
        page.goto("/review")
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == 21, page.content()  # 18 imported, 2 with problems, 1 by the owner
        _published, waiting, _owned = sample_split(KH, with_owner=True)
        duplicate, bad_phone = waiting[-2:]
        page.screenshot(path=str(readme_screenshots / "review-queue.png"), full_page=True)
        follow(page, page.locator("table.queue a", has_text=duplicate["names"]["en"]))
        assert page.locator("section.duplicates article.candidate").count() == 1
        page.goto("/review")
        name = bad_phone["names"].get("en") or bad_phone["names"]["km"]
        follow(page, page.locator("table.queue a", has_text=name))
        assert page.locator("section.concerns li[data-pointer='/contact/phone']").count() == 1
        page.screenshot(path=str(readme_screenshots / "review-bad-phone.png"), full_page=True)
        page.context.close()
        phone = new_page(browser, urls["kh"], "km")
        phone.set_viewport_size({"width": 375, "height": 800})
        phone.goto("/?lang=km")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=str(readme_screenshots / "home-km-375px.png"), full_page=True)
        phone.context.close()
        hub = new_page(browser, urls["asean"], "km")
        hub.goto("/?lang=km")
        hub.screenshot(path=str(readme_screenshots / "hub-km.png"), full_page=True)
        hub.context.close()

        assert demo.interrupt() == 0, demo.output
        assert "demo stopped" in demo.output
        assert [pid for pid in children if alive(pid)] == []
    finally:
        demo.kill()

    again = Demo(
        [*SMEDIR, "demo", "--nodes", "1", "--port", str(base), "--dir", str(data)], tmp_path
    )
    try:
        output = again.wait_for("demo ready", timeout=120)
        assert "creating the database" not in output
        assert set(node_urls(output)) == {"kh"}
        assert total(node_urls(output)["kh"], country="KH") == 280
        children = descendants(again.proc.pid)
        assert again.interrupt() == 0, again.output
        assert [pid for pid in children if alive(pid)] == []
    finally:
        again.kill()
