"""Every route of the URL map, attacked the same way: without a session, with a session cookie
copied before sign-out, with a foreign Host, and read for its headers over http and over https
behind a proxy.

A route is for signed-in coordinators unless it is listed in ``PUBLIC_ENDPOINTS``: a route
added later is protected by these tests until someone decides, here, that it is public.
"""

from __future__ import annotations

import pytest

from ..conftest import AuthActions, csrf_token

# Pages anyone may open: sign-in, the focal points' signing pages (the link is the key), the
# public verification page, the language switch, the health check, the development mailbox,
# handing an invitation on and proposing an organisation (the link is the key), a letter's open
# sign-on page and its email confirmation (vetted by a coordinator before anything is listed).
PUBLIC_ENDPOINTS = {
    "accounts.login",
    "public.index",
    "public.health",
    "public.switch_language",
    "public.verify",
    "signing.show",
    "signing.answer",
    "signing.opened",
    "delegation.forward",
    "delegation.nominate",
    "signon.ask",
    "signon.confirm",
    "mailbox.index",
    "mailbox.show",
}


def coordinator_routes(routes):
    return [route for route in routes if route.rule.endpoint not in PUBLIC_ENDPOINTS]


def refused_without_an_account(client, routes) -> dict[str, str]:
    """Each coordinator route, each method: what came back when it was not sent to sign-in."""
    wrong = {}
    for route in coordinator_routes(routes):
        for method in sorted(route.methods):
            response = client.open(route.path(), method=method)
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/login" not in location:
                wrong[f"{method} {route.path()}"] = f"{response.status_code} {location}"
    return wrong


def test_the_public_routes_are_the_ones_listed(routes):
    assert {route.rule.endpoint for route in routes} - {
        route.rule.endpoint for route in coordinator_routes(routes)
    } <= PUBLIC_ENDPOINTS
    assert len(coordinator_routes(routes)) >= 25


def test_without_a_session_every_coordinator_route_sends_to_sign_in_and_changes_nothing(
    client, routes, letter
):
    revisions, invitations = letter.current_revision.number, len(letter.invitations)
    assert refused_without_an_account(client, routes) == {}
    assert (letter.current_revision.number, len(letter.invitations)) == (revisions, invitations)


def test_a_session_cookie_copied_before_sign_out_opens_no_coordinator_route(app, routes, coordinator):
    browser = app.test_client()
    assert AuthActions(browser).login().status_code == 302
    copied = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert copied is not None
    thief = app.test_client()
    thief.set_cookie(copied.key, copied.value, domain=copied.domain or "localhost")
    assert thief.get("/letters/").status_code == 200  # the copy works while the session lives

    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/letters/")})
    assert refused_without_an_account(thief, routes) == {}


def test_a_foreign_host_gets_400_on_every_route(client, routes):
    wrong = {}
    for route in routes:
        for method in sorted(route.methods):
            response = client.open(route.path(), method=method, headers={"Host": "evil.example"})
            if response.status_code != 400:
                wrong[f"{method} {route.path()}"] = response.status_code
    assert wrong == {}


CSP_DIRECTIVES = ("object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")


def header_faults(response) -> list[str]:
    faults = []
    csp = response.headers.get("Content-Security-Policy", "")
    faults += [f"CSP lacks {directive}" for directive in CSP_DIRECTIVES if directive not in csp]
    if "'unsafe-inline'" in csp:
        faults.append("CSP allows inline code")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        faults.append("no nosniff")
    if response.headers.get("Referrer-Policy", "no-referrer") == "no-referrer":
        faults.append(f"Referrer-Policy {response.headers.get('Referrer-Policy')}")
    return faults


def test_every_page_over_http_has_the_security_headers_and_no_hsts(signed_in, routes):
    wrong = {}
    for route in routes:
        if "GET" not in route.methods:
            continue
        response = signed_in.get(route.path())
        faults = header_faults(response)
        if "Strict-Transport-Security" in response.headers:
            faults.append("HSTS over plain http")
        if faults:
            wrong[route.path()] = faults
    assert wrong == {}


@pytest.fixture
def https_behind_proxy(app_with, coordinator):
    """A client of the app served as https://letters.example.org behind one TLS-terminating proxy."""
    served = app_with(
        BASE_URL="https://letters.example.org", PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1, PROXY_FIX_X_FOR=1
    )
    browser = served.test_client()
    browser.environ_base.update(
        {
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_HOST": "letters.example.org",
            "HTTP_X_FORWARDED_FOR": "203.0.113.7",
            "HTTP_HOST": "letters.example.org",
        }
    )
    return served, browser


def test_every_page_over_https_behind_a_proxy_has_hsts_and_only_secure_host_cookies(
    https_behind_proxy, routes
):
    served, browser = https_behind_proxy
    token = csrf_token(browser, "/login")
    signed_in = browser.post(
        "/login",
        data={"email": "coordinator@example.org", "password": "correct horse battery", "csrf_token": token},
    )
    assert signed_in.status_code == 302 and "/letters/" in signed_in.headers["Location"]
    session_cookies = [c for c in signed_in.headers.getlist("Set-Cookie") if c.startswith("__Host-")]
    assert session_cookies and all("; secure" in c.lower() for c in session_cookies)
    wrong = {}
    for route in routes:
        if "GET" not in route.methods:
            continue
        response = browser.get(route.path())
        faults = header_faults(response)
        if "max-age=" not in response.headers.get("Strict-Transport-Security", ""):
            faults.append("no HSTS")
        for cookie in response.headers.getlist("Set-Cookie"):
            attributes = cookie.lower()
            if "secure" not in attributes or not cookie.startswith("__Host-"):
                faults.append(f"cookie {cookie.split('=', 1)[0]} not Secure/__Host-")
        if faults:
            wrong[route.path()] = faults
    assert wrong == {}
