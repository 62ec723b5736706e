"""Rate limits on sign-in and on signing links: refused with 429 in the user's language.

With several web workers the limits are only real if the workers share a store: the README
says to use Redis for ``RATELIMIT_STORAGE_URI``; the last tests run the app in separate
processes (as gunicorn workers are) and show that they count together through the local
Redis, and alone with the default memory store.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid

import pytest

from ..conftest import PASSWORD, csrf_token

REDIS_URL = os.environ.get("LETTERHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": "3 per minute",
        "RATELIMIT_SIGNING": "2 per minute",
        "RATELIMIT_KEY_PREFIX": f"letterhub-test-{uuid.uuid4().hex}",
    }


def wrong_sign_in(client, token):
    return client.post(
        "/login", data={"csrf_token": token, "email": "x@example.org", "password": "wrong password"}
    )


def test_fourth_sign_in_attempt_within_a_minute_is_refused_in_arabic(client, coordinator):
    client.get("/language/ar")
    token = csrf_token(client, "/login")
    assert [wrong_sign_in(client, token).status_code for _ in range(3)] == [422, 422, 422]
    refused = wrong_sign_in(client, token)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "عدد الطلبات كبير جدًا" in page and 'lang="ar"' in page
    # A correct password does not get past the limit either, and the sign-in page itself still opens.
    correct = client.post(
        "/login", data={"csrf_token": token, "email": coordinator.email, "password": PASSWORD}
    )
    assert correct.status_code == 429
    assert client.get("/login").status_code == 200


def test_signing_link_is_limited_per_address(client, letter, invite):
    _invitation, link = invite()
    path = link.split("localhost", 1)[1]
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    assert client.get(path).status_code == 429


WORKER = """
import json, re, sys
from letterhub import create_app
from letterhub.extensions import db
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    db.create_all()
client = app.test_client()
page = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
data = {"csrf_token": token, "email": "x@example.org", "password": "wrong password"}
print(json.dumps([client.post("/login", data=data).status_code for _ in range(int(sys.argv[2]))]))
"""


def sign_in_attempts_in_a_worker_process(config: dict, attempts: int) -> list[int]:
    """``attempts`` wrong sign-ins from a separate process (as a gunicorn worker is); their statuses."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), str(attempts)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_two_worker_processes_share_the_sign_in_limit_through_redis(tmp_path, app_config):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {REDIS_URL} ({error})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI this is a failure")
        pytest.skip(message)
    config = {
        **app_config,
        "TESTING": True,
        "SECRET_KEY": "test",
        "BASE_URL": "http://localhost",  # the test client's host, the one the app trusts
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'letterhub.db'}",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
    }
    assert sign_in_attempts_in_a_worker_process(config, 2) == [422, 422]
    assert sign_in_attempts_in_a_worker_process(config, 2) == [422, 429]


def test_without_a_shared_store_each_worker_process_counts_alone(tmp_path, app_config):
    """Why the README asks for Redis: with the default memory store the limit is per process."""
    config = {
        **app_config,
        "TESTING": True,
        "SECRET_KEY": "test",
        "BASE_URL": "http://localhost",  # the test client's host, the one the app trusts
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'letterhub.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    assert sign_in_attempts_in_a_worker_process(config, 2) == [422, 422]
    assert sign_in_attempts_in_a_worker_process(config, 2) == [422, 422]


def unreachable_redis_url() -> str:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "3 per minute",
            "RATELIMIT_STORAGE_URI": unreachable_redis_url(),
        }
    ],
)
def test_while_redis_is_down_pages_open_and_each_process_counts_alone(client, app_config):
    """A Redis restart must not take the site down in the middle of a campaign (it answered 500)."""
    assert client.get("/login").status_code == 200
    token = csrf_token(client, "/login")
    assert [wrong_sign_in(client, token).status_code for _ in range(4)] == [422, 422, 422, 429]
