"""Settings derived from BASE_URL: trusted hosts, proxy hops, HTTPS redirect, HSTS, cookies."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from letterhub.config import derive_from_base_url
from letterhub.extensions import db
from letterhub.models import Signature

HTTPS = {"BASE_URL": "https://localhost"}


def path_of(link: str) -> str:
    return urlsplit(link).path


def sign(client, link: str, letter, **request) -> int:
    """Confirm through the signing form; returns the status."""
    path = path_of(link)
    page = client.get(path, **request)
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        "revision_id": letter.current_revision.id,
        "name_en": "Syrian Archive",
        "name_ar": "الأرشيف السوري",
        "signer_name": "Hadi",
        "signer_role": "Director",
        "consent": "y",
        "confirm": "1",
    }
    return client.post(path, data=data, **request).status_code


def csrf_token_in(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


# --- hosts ---------------------------------------------------------------------------------


def test_a_foreign_host_header_gets_400_with_the_error_page(client, coordinator):
    assert client.get("/login").status_code == 200  # BASE_URL's host (localhost) is served
    refused = client.get("/login", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "400" in page and "letterhub" in page


def test_trusted_hosts_come_from_base_url_unless_given():
    config = {"BASE_URL": "https://letters.example.org:8443/app"}
    derive_from_base_url(config)
    assert config["TRUSTED_HOSTS"] == ["letters.example.org"]
    config = {"BASE_URL": "https://letters.example.org", "TRUSTED_HOSTS": "letters.example.org, .example.net"}
    derive_from_base_url(config)  # as LETTERHUB_TRUSTED_HOSTS gives it: comma-separated
    assert config["TRUSTED_HOSTS"] == ["letters.example.org", ".example.net"]
    with pytest.raises(RuntimeError, match="BASE_URL"):
        derive_from_base_url({"BASE_URL": "letters.example.org"})


def test_a_forwarded_host_counts_only_from_a_configured_proxy(client, app_with):
    assert client.get("/login", headers={"X-Forwarded-Host": "attacker.example"}).status_code == 200
    proxied = app_with(PROXY_FIX_X_HOST=1).test_client()
    assert proxied.get("/login", headers={"X-Forwarded-Host": "attacker.example"}).status_code == 400
    assert proxied.get("/login", headers={"X-Forwarded-Host": "localhost"}).status_code == 200


# --- the client's address behind a proxy ----------------------------------------------------


def recorded_address() -> str:
    return db.session.scalars(select(Signature.ip_address)).one()


def test_forwarded_for_is_ignored_without_a_configured_proxy(client, letter, invite):
    _invitation, link = invite()
    forged = {"headers": {"X-Forwarded-For": "203.0.113.9"}}
    assert sign(client, link, letter, **forged) == 200
    assert recorded_address() == "127.0.0.1"


def test_behind_one_proxy_the_signature_records_the_clients_address(app_with, letter, invite):
    _invitation, link = invite()
    client = app_with(PROXY_FIX_X_FOR=1).test_client()
    # The client sent its own X-Forwarded-For; the proxy appended the address it saw.
    behind_proxy = {"headers": {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}}
    assert sign(client, link, letter, **behind_proxy) == 200
    assert recorded_address() == "203.0.113.9"


# --- https -----------------------------------------------------------------------------------


def test_plain_http_base_url_has_no_https_settings(client, coordinator):
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie
    spoofed = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers


def test_https_base_url_redirects_plain_http_and_sends_hsts_over_https(app_with):
    client = app_with(**HTTPS).test_client()
    redirected = client.get("/login?next=/letters/", base_url="http://localhost")
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "https://localhost/login?next=/letters/"
    assert "Strict-Transport-Security" not in redirected.headers  # never over plain http
    secure = client.get("/login", base_url="https://localhost")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    assert (
        client.get("/healthz", base_url="http://localhost").status_code == 200
    )  # a load balancer's plain check is not redirected


def test_behind_a_tls_proxy_forwarded_proto_makes_the_request_secure(app_with):
    client = app_with(PROXY_FIX_X_PROTO=1, **HTTPS).test_client()
    response = client.get("/login", base_url="http://localhost", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_https_cookies_are_secure_and_host_prefixed(app_with):
    https_app = app_with(**HTTPS)
    client = https_app.test_client()
    cookie = client.get("/login", base_url="https://localhost").headers["Set-Cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("__Host-session=")
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes)
    assert not any(attribute.lower().startswith("domain=") for attribute in attributes)
    assert https_app.config["REMEMBER_COOKIE_SECURE"] is True
