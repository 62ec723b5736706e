"""Every ``next`` a browser could read as another site ends on a page of this site.

Browsers drop tabs and newlines from URLs, strip leading control characters and spaces,
read ``\\`` as ``/`` and take ``//host`` as another host; ``as_a_browser_reads_it`` does the
same before the Location header is resolved, so a payload that survives it to another host
fails the test.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest

from letterhub.services.urls import safe_redirect_target

from ..conftest import PASSWORD, csrf_token

SITE = "http://localhost"

PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/path",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "\\/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\x0b/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%0d%0aSet-Cookie:%20injected=1",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "/%5cevil.example",
    "/%5c%5cevil.example",
    "%2f%2fevil.example",
    "https://evil.example",
    "http://evil.example/letters/",
    "HTTPS:evil.example",
    "https:/evil.example",
    "//localhost@evil.example",
    "http://localhost@evil.example/",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\u2215\u2215evil.example",  # division slashes
    "/\uff0f\uff0fevil.example",  # fullwidth solidus
    "\uff0f\uff0fevil.example",
    "/\uff3cevil.example",  # fullwidth reverse solidus
    "/\u200b/evil.example",  # zero-width space
    "/\u202e/evil.example",  # right-to-left override
    "/\u3000/evil.example",  # ideographic space
    "/\u00a0/evil.example",  # no-break space
    "evil.example",
    "letters/",
    "",
]


def as_a_browser_reads_it(location: str) -> str:
    """The WHATWG URL parser's leniencies that matter for open redirects."""
    cleaned = location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10 ")
    for char in "\t\n\r":
        cleaned = cleaned.replace(char, "")
    return cleaned.replace("\\", "/")


def assert_same_site(response):
    assert response.status_code in (301, 302, 303), response.status_code
    location = response.headers["Location"]
    assert all(ord(char) >= 0x20 for char in location)
    resolved = urlsplit(urljoin(SITE + "/login", as_a_browser_reads_it(location)))
    assert (resolved.scheme, resolved.netloc) == ("http", "localhost"), location
    return location


def login(client, next_value: str):
    token = csrf_token(client, "/login")
    return client.post(
        "/login?next=" + quote(next_value, safe=""),
        data={"email": "coordinator@example.org", "password": PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_sign_in_with_a_hostile_next_ends_on_this_site(client, coordinator, payload):
    location = assert_same_site(login(client, payload))
    assert location == "/letters/"


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_language_switch_with_a_hostile_next_ends_on_this_site(client, payload):
    location = assert_same_site(client.get("/language/ar?next=" + quote(payload, safe="")))
    assert location == "/"


@pytest.mark.parametrize("payload", ["/\r\n/evil.example", "/%0d%0aSet-Cookie:x=1", "/\x00", "/\r"], ids=repr)
def test_a_line_break_in_next_never_gives_a_server_error(client, coordinator, payload):
    raw = payload.replace("\r", "%0D").replace("\n", "%0A").replace("\x00", "%00")
    for response in (
        client.get("/login?next=" + raw),
        client.get("/language/en?next=" + raw),
        client.post(
            "/login?next=" + raw,
            data={
                "email": "coordinator@example.org",
                "password": PASSWORD,
                "csrf_token": csrf_token(client, "/login"),
            },
        ),
    ):
        assert response.status_code < 500
        assert "Set-Cookie: x" not in str(response.headers)


@pytest.mark.parametrize(
    "target",
    [
        "/letters/",
        "/letters/7?tab=organizations",
        "/letters/?lang=ar",
        "/verify/K7Q2-9XPA",
        "/letters/%D8%B1",
    ],
)
def test_a_path_on_this_site_is_kept(client, coordinator, target):
    assert login(client, target).headers["Location"] == target


def test_the_login_page_that_flask_login_sends_to_returns_to_the_page_asked_for(client, coordinator):
    response = client.get("/letters/new")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    response = client.post(
        login_url,
        data={
            "email": "coordinator@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, login_url),
        },
    )
    assert response.headers["Location"] == "/letters/new"


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_the_helper_refuses_every_payload(payload):
    assert safe_redirect_target(payload) is None
