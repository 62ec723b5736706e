"""Fixtures for the browser tests: the app on a live server (SQLite only) and a headless Chromium.

The browser is Debian's Chromium at /usr/bin/chromium, driven by Playwright; Playwright's own
browser downloads are never used (this machine has no network beyond loopback). Without that
Chromium the tests are skipped with the reason shown, except under CI (``CI=true``), where that
is a failure.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from letterhub.extensions import db
from letterhub.services import accounts

from ..conftest import PASSWORD, make_app

CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless itself (Chromium >= 132 has only the new headless mode). The rest
# keeps Chromium off the network: no background requests, updates, sync or QUIC probes.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COORDINATOR_EMAIL = "coordinator@example.org"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        message = (
            f"{CHROMIUM} not found: the browser tests need Debian's chromium package "
            "(apt-get install chromium)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI this is a failure")
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture
def sqlite_database(tmp_path):
    """(kind, url, engine options) of a file SQLite database; the browser tests run on SQLite only."""
    return "sqlite", f"sqlite:///{tmp_path / 'letterhub.db'}", {}


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def live_server(sqlite_database, tmp_path):
    """The app served over real HTTP on 127.0.0.1, with the development mailbox and one coordinator."""
    # The browser's Host is 127.0.0.1: BASE_URL's host is the one the app trusts (its port comes below).
    app = make_app(
        sqlite_database,
        tmp_path,
        BASE_URL="http://127.0.0.1",
        MAIL_TRANSPORT="mailbox",
        MAILBOX_DIR=str(tmp_path / "mailbox"),
    )
    with app.app_context():
        db.create_all()
        accounts.create_user(COORDINATOR_EMAIL, "Coordinator", PASSWORD)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # the links in the emails point at this server
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class Browsing:
    """Opens pages, one browser context (one person, own cookies) each, and notes what went wrong:
    server errors (5xx), JavaScript errors and console errors (CSP violations are reported there)."""

    browser: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def new_page(self, *, locale: str = "en-GB"):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale=locale,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        self.contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("response", self._check_response)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("console", lambda message: self._check_console(page, message))
        return page

    def _check_console(self, page, message) -> None:
        # The app has no favicon; the browser's own request for one is not the page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.problems.append(f"console error on {page.url}: {message.text}")

    def _check_response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def close(self) -> None:
        while self.contexts:
            self.contexts.pop().close()


@pytest.fixture
def browsing(chromium_executable, live_server):
    """Chromium on the live server (closed before the server stops, so no connection outlives it)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS, timeout=30_000
        )
        session = Browsing(browser, live_server.url)
        try:
            yield session
        finally:
            session.close()
            browser.close()
