"""The example systemd units in deploy/ start a web process that answers and a worker that stops cleanly.

There is no systemd here: the test reads each unit's ``ExecStart``, expands its ``${VARIABLES}``
from the unit's ``Environment=`` and a temporary environment (SQLite in a temporary folder),
points ``/srv/letterhub/venv/bin`` at this virtual environment and runs the command.
"""

from __future__ import annotations

import configparser
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
UNIT_VENV_BIN = "/srv/letterhub/venv/bin/"

pytestmark = pytest.mark.slow


def read_unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser["Service"]


def command_of(service: configparser.SectionProxy, environment: dict[str, str]) -> list[str]:
    for assignment in service.get("Environment", "").split():
        key, _, value = assignment.partition("=")
        environment.setdefault(key, value)
    line = re.sub(r"\$\{(\w+)\}", lambda match: environment[match.group(1)], service["ExecStart"])
    bin_dir = str(Path(sys.executable).parent) + "/"
    return [part.replace(UNIT_VENV_BIN, bin_dir) for part in shlex.split(line)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unit_environment(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LETTERHUB_")}
    environment.update(
        LETTERHUB_INSTANCE_PATH=str(tmp_path / "instance"),
        LETTERHUB_DATABASE_URL=f"sqlite:///{tmp_path / 'letterhub.db'}",
        LETTERHUB_SECRET_KEY=secrets.token_hex(32),
        LETTERHUB_BIND=f"127.0.0.1:{free_port()}",
        LETTERHUB_WORKERS="2",
    )
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run(
        [flask, "--app", "letterhub", "db", "upgrade"],
        env=environment,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return environment


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return process.returncode, err


def test_the_web_unit_serves_the_sign_in_page_and_stops_on_sigterm(unit_environment, tmp_path):
    command = command_of(read_unit("letterhub-web.service"), unit_environment)
    assert Path(command[0]).name == "gunicorn" and command[1:] == ["-c", "python:letterhub.gunicorn_config"]
    web = subprocess.Popen(command, env=unit_environment, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    url = f"http://{unit_environment['LETTERHUB_BIND']}/login"
    status = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local URL)
                    status, page = response.status, response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
    finally:
        code, err = stop(web)
    assert status == 200, err[-3000:]
    assert 'name="password"' in page
    assert code == 0, err[-3000:]


def test_the_worker_unit_starts_and_stops_cleanly_on_sigterm(unit_environment, tmp_path):
    command = command_of(read_unit("letterhub-worker.service"), unit_environment)
    assert command[-2:] == ["letterhub", "worker"]
    worker = subprocess.Popen(command, env=unit_environment, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    started = ""
    assert worker.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "worker started" not in started:
        line = worker.stderr.readline()
        if not line:
            break
        started += line
    assert "worker started" in started, started[-3000:]
    time.sleep(0.5)  # into its first round or its sleep
    code, err = stop(worker)
    assert code == 0, (started + err)[-3000:]
    assert "worker stopped" in err
