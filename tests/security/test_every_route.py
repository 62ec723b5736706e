"""Every route of the URL map, attacked the same way: without a session, with another
coordinator's session (one outside the letter's team), with a session cookie copied before
sign-out, with a foreign Host, and read for its headers over http and over https behind a proxy.

A route is for signed-in coordinators unless it is listed in ``PUBLIC_ENDPOINTS``: a route
added later is protected by these tests until someone decides, here, that it is public. A route
that takes a ``letter_id`` answers 404 to a coordinator outside that letter's team, as for a
letter that does not exist, until it loads the letter through ``views.guard.get_letter``.
"""

from __future__ import annotations

import pytest

from letterhub.extensions import db
from letterhub.models import Invitation, Letter, LetterMember, LetterRevision, User
from letterhub.services import accounts

from ..conftest import PASSWORD, AuthActions, csrf_token
from .conftest import Route

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
    "accounts.account_link",  # the emailed link is the key, as for signing
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


OUTSIDER = "outsider@example.org"


@pytest.fixture
def outsider(app, routes):
    """A client signed in as a coordinator who is on no letter's team, with its CSRF token."""
    accounts.create_user(OUTSIDER, "Outsider", PASSWORD)
    db.session.commit()
    browser = app.test_client()
    assert AuthActions(browser).login(email=OUTSIDER).status_code == 302
    return browser, csrf_token(browser, "/letters/new")


def letter_routes(routes) -> list[Route]:
    """The coordinators' routes of a letter (its public sign-on page belongs to no team)."""
    return [
        route
        for route in routes
        if "letter_id" in route.rule.arguments and route.rule.endpoint not in PUBLIC_ENDPOINTS
    ]


def not_hidden_from(client, routes, token: str, form_fields: dict) -> dict[str, str]:
    """Each route of a letter, each method, sent a valid form: what answered anything but 404."""
    wrong = {}
    for route in letter_routes(routes):
        for method in sorted(route.methods):
            data = {**form_fields, "csrf_token": token} if method == "POST" else None
            response = client.open(route.path(), method=method, data=data)
            if response.status_code != 404:
                wrong[f"{method} {route.path()}"] = str(response.status_code)
    return wrong


def state_of_letters() -> tuple:
    counts = [db.session.query(model).count() for model in (LetterRevision, Invitation, LetterMember, User)]
    return tuple(counts)


def test_a_coordinator_outside_the_team_gets_404_on_every_route_of_the_letter(outsider, routes, form_fields):
    browser, token = outsider
    assert len(letter_routes(routes)) >= 20
    before = state_of_letters()
    assert not_hidden_from(browser, routes, token, form_fields) == {}
    assert state_of_letters() == before


def test_no_page_shows_a_coordinator_outside_the_team_the_letters_or_their_titles(outsider, routes, letter):
    """The letters list, the directory's histories and every other page: not one title."""
    browser, _token = outsider
    titles = ("Joint letter on detainees", "رسالة مشتركة بشأن المعتقلين", "Joint statement")
    shown = {}
    for route in routes:
        if "GET" not in route.methods or "letter_id" in route.rule.arguments:
            continue
        if route.rule.endpoint in PUBLIC_ENDPOINTS:  # a signing link's page shows its letter
            continue
        page = browser.get(route.path()).get_data(as_text=True)
        shown.update({route.path(): title for title in titles if title in page})
        if f"/letters/{letter.id}" in page:
            shown[route.path()] = f"/letters/{letter.id}"
    assert shown == {}
    assert "Joint letter on detainees" not in browser.get("/organizations/?q=Syrian").get_data(as_text=True)


def test_the_walk_finds_a_route_that_forgets_the_check(app_with, routes, letter, outsider, form_fields):
    """A route that loads the letter without views.guard.get_letter is caught by the walk."""

    forgetful = app_with()

    def careless(letter_id: int):
        return db.get_or_404(Letter, letter_id).coalition

    forgetful.add_url_rule("/letters/<id:letter_id>/careless", "letters.careless", careless)
    (rule,) = [rule for rule in forgetful.url_map.iter_rules() if rule.endpoint == "letters.careless"]
    browser = forgetful.test_client()
    assert AuthActions(browser).login(email=OUTSIDER).status_code == 302
    walked = [*routes, Route(rule, {"letter_id": letter.id})]
    token = csrf_token(browser, "/letters/new")
    assert not_hidden_from(browser, walked, token, form_fields) == {
        f"GET /letters/{letter.id}/careless": "200"
    }


def test_an_administrators_pages_refuse_a_coordinator_with_403(outsider, routes, form_fields):
    browser, token = outsider
    wrong = {}
    for route in routes:
        if not route.rule.endpoint.startswith("admin."):
            continue
        for method in sorted(route.methods):
            data = {**form_fields, "csrf_token": token} if method == "POST" else None
            response = browser.open(route.path(), method=method, data=data)
            if response.status_code != 403 or "Only administrators" not in response.get_data(as_text=True):
                wrong[f"{method} {route.path()}"] = response.status_code
    assert wrong == {} and len([r for r in routes if r.rule.endpoint.startswith("admin.")]) >= 4


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
