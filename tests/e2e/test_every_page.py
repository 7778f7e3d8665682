"""Every page, in Khmer and in English, in Chromium at 375 px: it fits the screen (no
sideways scrolling), axe-core finds no serious, critical or moderate violation, and a
Khmer page shows no run of English words.

One site (tests/e2e/site_tour.py) and one browser for all pages; SQLite only, since
the page layout does not depend on the database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import new_page, sign_in
from tests.directory.pages_helpers import PASSWORD
from tests.e2e.site_tour import build_site

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
# axe-core's findings of impact moderate, serious or critical (WCAG 2.1 A/AA and best practice)
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => ["moderate", "serious", "critical"].includes(v.impact))
    .map((v) => v.impact + " " + v.id + ": "
      + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""
# Text a reader sees, minus what is not ours to translate: code, another directory's
# words, parts marked as English (a business's English name, the "English" switch).
LATIN_RUNS = """(written) => {
  const skip = "code, pre, script, style, .peer-words, [lang=en], [translate=no]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const runs = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(skip)) continue;
    const text = node.textContent
      .replace(/https?:\\/\\/\\S+/g, " ").replace(/\\S+@\\S+/g, " ");
    for (const m of text.matchAll(/[A-Za-z][A-Za-z'’.-]*(?:[ \\t]+[A-Za-z][A-Za-z'’.-]*)+/g)) {
      if (!written.some((w) => w.includes(m[0]))) runs.push(m[0]);
    }
  }
  return runs;
}"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_every_page_fits_a_phone_and_passes_axe(
    app_factory, db_url, live_server, peer_server, browser, shots, lang
):
    feed = peer_server("th", [])
    app = app_factory(db_url, peers=[{"id": "th", "base_url": feed.url, "trust": "publish"}])
    tour = build_site(app, feed)
    server = live_server(app)
    pages: dict = {}
    problems = []
    for role, path, status in tour.pages:
        if role not in pages:
            page = new_page(browser, server.url, lang)
            page.context.add_init_script(path=str(AXE))  # by the browser, not the page: CSP-proof
            page.set_viewport_size(PHONE)
            if role:
                sign_in(page, tour.emails[role], PASSWORD)
            pages[role] = page
        page = pages[role]
        response = page.goto(path)
        if response.status != status:
            problems.append(f"{path}: status {response.status}, expected {status}")
        shots(page, re.sub(r"[^a-z0-9]+", "-", f"{role or 'visitor'}{path}")[:60])
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path} ({role}): {width} px wide")
        problems += [f"{path} ({role}) axe: {v}" for v in page.evaluate(AXE_RUN)]
        if lang == "km":
            runs = page.evaluate(LATIN_RUNS, tour.written)
            problems += [f"{path}: English words {run!r}" for run in runs]
    for page in pages.values():
        page.context.close()
    app.extensions["smedir.engine"].dispose()
    assert problems == [], "\n".join(problems)
