"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright.

Never downloads a browser: ``/usr/bin/chromium`` comes from Debian's package
(installed by .ci/run). The flags keep Chromium off the network it cannot reach.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (each test opens its own context)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-khmeros")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(request):
    """Save numbered screenshots of a page under test-output/<test name>/."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = Path(request.config.rootpath) / "test-output" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 100))

    def shoot(page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def readme_screenshots(request, tmp_path_factory) -> Path:
    """Where the README's screenshots go: docs/screenshots/ when SMEDIR_SCREENSHOTS=1 (to
    refresh them on purpose), else a temporary folder, so a test run leaves the tree clean."""
    if os.environ.get("SMEDIR_SCREENSHOTS") == "1":
        folder = Path(request.config.rootpath) / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


def new_page(browser, base_url: str, lang: str = "en", *, javascript: bool = True):
    """A page in a fresh context (its own cookies) with the language chosen."""
    locale = "km-KH" if lang == "km" else "en-US"
    context = browser.new_context(base_url=base_url, locale=locale, java_script_enabled=javascript)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"/?lang={lang}")
    return page


def follow(page, target) -> None:
    """Click a link or submit button (a selector or a locator) and wait until the page it
    opens has loaded. A bare click returns once the navigation has started, so a count()
    or content() read straight after it can still see the old page or a half-parsed one."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the real login form and wait for the redirect."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
