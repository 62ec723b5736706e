"""Fixtures for the browser tests: the app on a live server (SQLite only) and a headless Chromium.

The browser is Debian's Chromium at /usr/bin/chromium, driven by Playwright; Playwright's own
browser downloads are never used (this machine has no network beyond loopback). Without that
Chromium the tests are skipped with the reason shown, except under CI (``CI=true``), where that
is a failure. The same goes for axe-core (npm, locked in package.json; scripts/test installs it
into node_modules), which the walks run on every page they visit.

Two ways to serve the app: ``live_server`` and ``browsing``, new for each test, with mail kept
in the development mailbox; and ``walk_server`` and ``walking``, one server and one browser for
a whole module, with mail delivered to a real SMTP server (``walk_mail``), for the long walks.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from letterhub.extensions import db
from letterhub.services import accounts, mailing

from ..conftest import PASSWORD, REPO_ROOT, RecordingHandler, make_app, running_smtp_server

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
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}  # the narrowest phone WCAG 1.4.10 (reflow) asks for


def missing(message: str) -> None:
    """Skip for want of a tool, except under CI, where that is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — under CI this is a failure")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium package (apt-get install chromium)"
        )
    return str(CHROMIUM)


@dataclass
class LiveServer:
    app: Flask
    url: str


@contextmanager
def serving(directory: Path, **settings) -> Iterator[LiveServer]:
    """The app on a file SQLite database in ``directory``, served over real HTTP on 127.0.0.1,
    with one coordinator."""
    # The browser's Host is 127.0.0.1: BASE_URL's host is the one the app trusts (its port comes below).
    database = ("sqlite", f"sqlite:///{directory / 'letterhub.db'}", {})
    app = make_app(database, directory, BASE_URL="http://127.0.0.1", **settings)
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


@pytest.fixture
def live_server(tmp_path):
    """The app served over real HTTP on 127.0.0.1, with the development mailbox and one coordinator."""
    with serving(tmp_path, MAIL_TRANSPORT="mailbox", MAILBOX_DIR=str(tmp_path / "mailbox")) as server:
        yield server


@dataclass
class Browsing:
    """Opens pages, one browser context (one person, own cookies) each, and notes what went wrong:
    server errors (5xx), JavaScript errors and console errors (CSP violations are reported there)."""

    browser: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def new_page(self, *, locale: str = "en-GB", viewport: dict | None = None):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale=locale,
            accept_downloads=True,
            viewport=viewport or DESKTOP,
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


@contextmanager
def chromium(executable: str):
    """A headless Chromium, driven by Playwright."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browsing(chromium_executable, live_server):
    """Chromium on the live server (closed before the server stops, so no connection outlives it)."""
    with chromium(chromium_executable) as browser:
        session = Browsing(browser, live_server.url)
        try:
            yield session
        finally:
            session.close()


# --- the walks: one server, one browser and one SMTP server for a module ----------------------


@dataclass
class Mail:
    """A real SMTP server (aiosmtpd) that the walks' server delivers to, and what it received."""

    port: int
    handler: RecordingHandler

    def deliver(self, app: Flask) -> None:
        """What the mail worker does: send everything due in the outbox, now."""
        with app.app_context():
            while mailing.drain_outbox()["sent"]:
                pass

    def to(self, address: str) -> list:
        with self.handler.lock:
            return [m for m in self.handler.messages if address in str(m["To"])]

    def link(self, address: str, path: str, *, base_url: str) -> str:
        """The address of the newest message to ``address`` whose link leads to ``path``
        (``/sign/``, ``/account/link/``), as the person would click it: the path only, so that the
        browser context's own base address serves it."""
        for message in reversed(self.to(address)):
            text = message.get_body(("plain",)).get_content()
            found = re.findall(re.escape(base_url + path) + r"\S+", text)
            if found:
                return found[-1].removeprefix(base_url)
        raise AssertionError(f"no message to {address} with a link to {path}")


@pytest.fixture(scope="module")
def walk_mail() -> Iterator[Mail]:
    handler = RecordingHandler()
    with running_smtp_server(handler) as port:
        yield Mail(port, handler)


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory, walk_mail) -> Iterator[LiveServer]:
    """One live server for a module's walks, its mail going to ``walk_mail`` over SMTP."""
    directory = tmp_path_factory.mktemp("walk-server")
    with serving(directory, MAIL_TRANSPORT="smtp", SMTP_PORT=walk_mail.port) as server:
        yield server


@pytest.fixture(scope="module")
def walk_browser(chromium_executable):
    """One Chromium for a module's walks (each test still opens contexts of its own)."""
    with chromium(chromium_executable) as browser:
        yield browser


@pytest.fixture
def walking(walk_browser, walk_server):
    session = Browsing(walk_browser, walk_server.url)
    try:
        yield session
    finally:
        session.close()


def said(app: Flask, language: str, message: str | tuple[str, str], **values) -> str:
    """What the interface says for ``message`` in ``language`` (the catalogue's own wording);
    a (singular, plural) pair is counted by ``num``."""
    with app.test_request_context(), force_locale(language):
        if isinstance(message, tuple):
            return ngettext(*message, **values)
        return gettext(message, **values)


# --- what a person sees: accessibility and screenshots ---------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        missing(f"{AXE} not found: the browser walks need axe-core (npm ci, as scripts/test does)")
    return AXE.read_text(encoding="utf-8")


# Run inside the page, with axe-core's source in its body: Playwright hands the function over
# through the DevTools protocol, which the page's CSP (no inline script, no eval) does not govern.
# The check is of the whole document, against WCAG 2.x A and AA and axe's best practices.
AXE_RUN = """async () => {
  if (!window.axe) {
%s
  }
  const result = await window.axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n").slice(1).join(" ").trim()),
  }));
}"""


@dataclass
class Looking:
    """Checks each page a walk visits with axe-core and keeps its screenshot for a person to look
    at (in the test's temporary directory).

    ``violations`` lists what axe found (rule, page, language, where), ``overflows`` what stuck
    out of a phone's window sideways, ``pages`` what was checked, as (name, language)."""

    source: str
    directory: Path
    violations: list[str] = field(default_factory=list)
    overflows: list[str] = field(default_factory=list)
    pages: list[tuple[str, str]] = field(default_factory=list)

    def check(self, page, name: str) -> None:
        """Run axe on the page as it stands, and save its screenshot as ``name``.png."""
        language = page.locator("html").get_attribute("lang") or "?"
        for violation in page.evaluate(AXE_RUN % self.source):
            for node in violation["nodes"]:
                self.violations.append(
                    f"{violation['id']} ({violation['impact']}) on {name} [{language}] {page.url}: "
                    f"{violation['help']}: {node}"
                )
        self.pages.append((name, language))
        self.screenshot(page, name)

    def screenshot(self, page, name: str) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def on_phone(self, page, name: str) -> None:
        """The page at a phone's size (390 x 844): checked, photographed, and measured for
        anything wider than the window; then back to the size it had."""
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        found = overflow(page)
        if found["out"] or found["scrollWidth"] > found["width"]:
            self.overflows.append(f"{name}: {found}")
        self.check(page, f"{name}-phone")
        page.set_viewport_size(size)

    def in_both_languages(self, page, name: str) -> None:
        """Check the page in its language, then in the other one (switched by the header's
        button, as a person would) and switch back."""
        first = page.locator("html").get_attribute("lang")
        other = "en" if first == "ar" else "ar"
        self.check(page, f"{name}-{first}")
        page.click("header button.language")
        expect(page.locator("html")).to_have_attribute("lang", other)
        self.check(page, f"{name}-{other}")
        page.click("header button.language")
        expect(page.locator("html")).to_have_attribute("lang", first)

    def assert_clean(self) -> None:
        assert self.violations == [], "\n".join(self.violations)
        assert self.overflows == [], "\n".join(self.overflows)
        assert {language for _name, language in self.pages} == {"ar", "en"}, self.pages


@pytest.fixture
def looking(axe_source, tmp_path) -> Looking:
    return Looking(axe_source, tmp_path)


# Whether the page is wider than the window (the phone's reader would have to scroll sideways).
HORIZONTAL_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (el.closest(".table-scroll")) continue;  /* a wide table scrolls inside its own box */
    if (box.right > width + 1 || box.left < -1) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "") + " " + Math.round(box.left) + ".." + Math.round(box.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


def overflow(page) -> dict:
    """What sticks out of the window sideways (nothing, on a page fit for a phone)."""
    return page.evaluate(HORIZONTAL_OVERFLOW)
