"""Security headers: the CSP, the token pages' caching and referrer, and what a strict CSP needs of the templates."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from letterhub.extensions import db
from letterhub.models import InvitationState

from ..conftest import REPO_ROOT

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return dict(directives)


def test_every_page_has_the_strict_csp_and_no_sniffing(client, coordinator):
    for path in ("/login", "/verify/", "/healthz", "/no-such-page"):
        response = client.get(path)
        assert policy(response.headers["Content-Security-Policy"]) == EXPECTED_CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_signing_pages_are_never_cached_and_keep_the_referrer_on_the_site(client, letter, invite):
    _invitation, link = invite()
    path = urlsplit(link).path
    page = client.get(path)
    refused = client.get(path[:-3] + "xyz")  # a tampered link: its error page carries the token too
    assert refused.status_code == 404
    beacon = client.post(path + "/opened", headers={"X-CSRFToken": csrf_of(page)})
    for response in (page, refused, beacon):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def csrf_of(page) -> str:
    return re.search(r'data-csrf="([^"]+)"', page.get_data(as_text=True)).group(1)


def referer_a_browser_sends(referrer_policy: str, page_url: str) -> str | None:
    """The Referer a browser puts on a same-origin request from ``page_url`` under ``referrer_policy``."""
    full_url = {
        "same-origin",
        "strict-origin-when-cross-origin",
        "origin-when-cross-origin",
        "no-referrer-when-downgrade",
    }
    if referrer_policy in full_url:
        return page_url
    if referrer_policy in {"origin", "strict-origin"}:
        return page_url.split("/sign/")[0] + "/"
    return None


@pytest.mark.parametrize("behind_proxy", [False, True], ids=["https", "https-behind-proxy"])
def test_over_https_the_pages_opened_beacon_is_accepted_and_recorded(app_with, letter, invite, behind_proxy):
    invitation, link = invite()
    path = urlsplit(link).path
    if behind_proxy:  # TLS ends at the proxy, which says so in X-Forwarded-Proto
        client = app_with(BASE_URL="https://localhost", PROXY_FIX_X_PROTO=1).test_client()
        request = {"base_url": "http://localhost", "headers": {"X-Forwarded-Proto": "https"}}
    else:
        client = app_with(BASE_URL="https://localhost").test_client()
        request = {"base_url": "https://localhost", "headers": {}}
    page = client.get(path, **request)
    assert page.status_code == 200
    referer = referer_a_browser_sends(page.headers["Referrer-Policy"], f"https://localhost{path}")
    without_referer = client.post(
        path + "/opened",
        headers={**request["headers"], "X-CSRFToken": csrf_of(page)},
        base_url=request["base_url"],
    )
    assert without_referer.status_code == 400  # Flask-WTF's HTTPS check is on: the Referer matters
    headers = {**request["headers"], "X-CSRFToken": csrf_of(page)}
    if referer:
        headers["Referer"] = referer
    beacon = client.post(path + "/opened", headers=headers, base_url=request["base_url"])
    assert beacon.status_code == 200 and beacon.get_json() == {"status": "opened"}
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.OPENED


# --- templates under a strict CSP --------------------------------------------------------------

BROWSER_TEMPLATES = [
    path
    for path in sorted((REPO_ROOT / "templates").rglob("*.html"))
    if path.relative_to(REPO_ROOT / "templates").parts[0]
    not in ("pdf", "emails")  # WeasyPrint's; mail clients'
]
BLOCKED_BY_CSP = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_browser_templates_have_nothing_inline_that_the_csp_would_block():
    assert len(BROWSER_TEMPLATES) >= 10
    found = [
        f"{path.relative_to(REPO_ROOT)}: {what}"
        for path in BROWSER_TEMPLATES
        for what, pattern in BLOCKED_BY_CSP.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_static_scripts_exist_for_every_script_tag():
    for path in BROWSER_TEMPLATES:
        for source in re.findall(r"filename='([^']+\.js)'", path.read_text(encoding="utf-8")):
            assert (Path(REPO_ROOT) / "letterhub" / "static" / source).is_file(), source
