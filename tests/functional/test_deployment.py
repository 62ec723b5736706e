"""What an operator relies on: /healthz, JSON logs with a request id, gunicorn's settings, a CLI report alone on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from letterhub.extensions import db
from letterhub.services import accounts
from letterhub.services.tokens import issue_invitation_token

from ..conftest import REPO_ROOT, free_port, make_app

BIN = Path(sys.executable).parent


@pytest.fixture
def app_with(database, tmp_path):
    """``app_with(**settings)``: an app on ``database`` beside the ``app`` fixture; its connections closed after."""
    made = []

    def build(**settings):
        made.append(make_app(database, tmp_path, **settings))
        return made[-1]

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_healthz_answers_ok_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_is_not_rate_limited(app_with):
    app = app_with(
        RATELIMIT_ENABLED=True,
        RATELIMIT_DEFAULT="2 per minute",
        RATELIMIT_STORAGE_URI="memory://",
    )
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert client.get("/login").status_code == 200
    assert [client.get("/login").status_code for _ in range(3)][-1] == 429  # the default limit is on


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_database(request, tmp_path):
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'no such folder' / 'letterhub.db'}", {}
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    return "postgresql", url, {"connect_args": {"connect_timeout": 2}}


def test_healthz_answers_503_when_the_database_is_unreachable(unreachable_database, tmp_path, capsys):
    app = make_app(unreachable_database, tmp_path, LOG_FORMAT="json")
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "lb-check-42"})
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert response.headers["X-Request-ID"] == "lb-check-42"
    (line,) = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "health check" in line]
    assert line["level"] == "WARNING" and line["logger"] == "letterhub.views.public"
    assert line["request_id"] == "lb-check-42"
    assert (line["method"], line["path"]) == ("GET", "/healthz")
    assert "OperationalError" in line["exception"]


@pytest.mark.parametrize("offered", ["", "has spaces", "x" * 200, "-leading-dash", "ü"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered} if offered else {})
    request_id = response.headers["X-Request-ID"]
    assert request_id != offered and len(request_id) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != request_id


def test_a_request_id_from_the_header_is_ignored_when_not_trusted(app_with):
    app = app_with(REQUEST_ID_FROM_HEADER=False)
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "from-the-client"})
    assert response.headers["X-Request-ID"] != "from-the-client"


def deployment_environment(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("LETTERHUB_", "FLASK_"))
    }
    environment.update(
        {
            "LETTERHUB_SECRET_KEY": "a-secret-key-for-this-test-only",
            "LETTERHUB_DATABASE_URL": database_url,
            "LETTERHUB_INSTANCE_PATH": str(tmp_path / "instance"),
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    environment.update(extra)
    return environment


@pytest.fixture
def deployed_database(tmp_path):
    """A SQLite database with the tables and one coordinator, as `db upgrade` and `users create` leave it."""
    url = f"sqlite:///{tmp_path / 'deployed.db'}"
    app = make_app(("sqlite", url, {}), tmp_path)
    with app.app_context():
        db.create_all()
        accounts.create_user("coordinator@example.org", "Coordinator", "correct horse battery")
        db.session.commit()
        db.engine.dispose()
    return url


def wait_for_health(port: int, deadline: float) -> None:
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3).close()
            return
        except OSError:  # refused while gunicorn starts, or a worker still importing
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.slow
def test_gunicorn_config_logs_json_access_lines_with_the_request_id_and_no_token(tmp_path, deployed_database):
    port = free_port()
    home = tmp_path / "home"
    environment = deployment_environment(
        tmp_path, deployed_database, LETTERHUB_BIND=f"127.0.0.1:{port}", LETTERHUB_WORKERS="1"
    )
    environment["HOME"] = str(home)
    environment.pop("XDG_RUNTIME_DIR", None)
    token = issue_invitation_token(1, "a-secret-key-for-this-test-only").token
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:letterhub.gunicorn_config"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_health(port, time.monotonic() + 30)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "probe-7"}
        )
        with urllib.request.urlopen(request, timeout=20) as reply:  # noqa: S310 (an http:// URL built above)
            assert json.load(reply) == {"status": "ok"}
            assert reply.headers["X-Request-ID"] == "probe-7"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sign/{token}", timeout=20)
        refused.value.close()
        assert refused.value.code == 404
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    assert stdout == ""  # everything goes to stderr
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is one JSON object
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    probe = next(line for line in access if line.get("request_id") == "probe-7")
    assert (probe["method"], probe["path"], probe["status"]) == ("GET", "/healthz", 200)
    assert set(probe) >= {"time", "level", "message", "duration_ms", "remote_addr"}
    signing = next(line for line in access if line["status"] == 404)
    assert signing["path"] == "/sign/[token]" and "GET /sign/[token] HTTP/1.1" in signing["message"]
    assert len(signing["request_id"]) == 32
    assert token not in stderr
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    # No control socket in the user's home, which another instance would take over.
    assert not (home / ".gunicorn").exists()
    assert not any("Control socket" in line["message"] for line in lines)


@pytest.mark.slow
def test_a_cli_reports_json_alone_on_stdout_and_logs_on_stderr(tmp_path, deployed_database):
    letter = tmp_path / "letter.txt"
    letter.write_text("Joint statement\n\nWe ask.\n\nSignatories:\n1. Alpha\n2. Beta\n", encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "letterhub", "letters", "import", str(letter)],
        cwd=tmp_path,
        env=deployment_environment(tmp_path, deployed_database),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (report,) = result.stdout.splitlines()
    assert json.loads(report)["letter"] == 1
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    assert any(line["message"] == "imported letter 1 from 1 file(s)" for line in logged)
    assert all(line["level"] and line["time"] for line in logged)


@pytest.mark.slow
def test_migrations_log_json_lines_like_the_rest_of_the_app(tmp_path):
    """`db upgrade` (run by a deployment script or a unit's ExecStartPre) must not switch to
    alembic.ini's text format: a log collector reading JSON would drop or garble those lines."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "letterhub", "db", "upgrade"],
        cwd=tmp_path,
        env=deployment_environment(tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    logged = [json.loads(line) for line in result.stderr.splitlines()]  # every line is one JSON object
    migrations = [line for line in logged if line["message"].startswith("Running upgrade")]
    assert migrations and all(line["logger"] == "alembic.runtime.migration" for line in migrations)
    assert migrations[0]["message"].startswith("Running upgrade  -> 0001_initial")
