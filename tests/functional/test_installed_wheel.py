"""A built wheel, installed into a fresh virtual environment outside the source tree, is a working app.

It creates its database from the migrations it carries, renders the sign-in page from the
templates it carries, renders a PDF, and gunicorn loads the settings and the app it carries.
Dependencies come from ``requirements/main.txt`` with their hashes (pip's cache makes that
quick after the first time).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import pdf_text

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow
LEFT_OUT = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "instance", ".pytest_cache")

CREATE_LETTER = """
from letterhub import create_app, paths
from letterhub.extensions import db
from letterhub.services import accounts, drafting

assert paths.TEMPLATES_DIR.is_relative_to(paths.PACKAGE_DIR), paths.TEMPLATES_DIR
app = create_app()
with app.app_context():
    page = app.test_client().get("/login")
    assert page.status_code == 200 and b'name="password"' in page.data, page.status_code
    user = accounts.create_user("installed@example.org", "Installed", "a long enough password")
    fields = {**drafting.empty_fields(), "title_en": "Joint letter", "body_en": "We write to you.",
              "title_ar": "رسالة مشتركة", "body_ar": "نكتب إليكم."}
    letter = drafting.create_letter(user, fields)
    db.session.commit()
    print(letter.id)
"""


def run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900, **kwargs)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_a_wheel_installed_outside_the_source_tree_migrates_renders_pages_and_pdfs(tmp_path):
    # Built from a clean copy: a checkout's build/ folder may hold files of an earlier build.
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    wheels = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)])
    (wheel,) = (tmp_path / "dist").glob("letterhub-*.whl")

    venv = tmp_path / "venv"
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "--require-hashes", "-r", str(REPO_ROOT / "requirements" / "main.txt")])
    run([*pip, "--no-deps", str(wheel)])
    print(f"fresh install: {time.monotonic() - started:.1f} s")

    workdir = tmp_path / "work"
    workdir.mkdir()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LETTERHUB_", "FLASK_", "PYTHON", "VIRTUAL_ENV"))
    }
    environment.update(
        LETTERHUB_INSTANCE_PATH=str(workdir / "instance"),
        LETTERHUB_DATABASE_URL=f"sqlite:///{workdir / 'letterhub.db'}",
        LETTERHUB_SECRET_KEY=secrets.token_hex(32),
        LETTERHUB_BASE_URL="http://localhost",  # the test client's host, trusted
        LETTERHUB_PDF_RENDER_SECONDS="120",
    )
    flask = str(venv / "bin" / "flask")
    python = str(venv / "bin" / "python")
    where = run([python, "-c", "import letterhub; print(letterhub.__file__)"], cwd=workdir, env=environment)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    upgraded = run([flask, "--app", "letterhub", "db", "upgrade"], cwd=workdir, env=environment)
    assert "Running upgrade" in upgraded.stderr
    letter_id = run([python, "-c", CREATE_LETTER], cwd=workdir, env=environment).stdout.strip()
    output = workdir / "letter.pdf"
    run(
        [flask, "--app", "letterhub", "letters", "pdf", letter_id, "-o", str(output)],
        cwd=workdir,
        env=environment,
    )
    assert output.read_bytes().startswith(b"%PDF-")
    text = pdf_text(output)
    assert "Joint letter" in text and "نكتب" in text

    # gunicorn's settings come with the wheel: the deploy unit's command loads them and the app
    # from a folder that holds no file of the checkout.
    gunicorn = str(venv / "bin" / "gunicorn")
    printed = run(
        [gunicorn, "-c", "python:letterhub.gunicorn_config", "--print-config"],
        cwd=workdir,
        env={**environment, "LETTERHUB_BIND": "127.0.0.1:8765"},
    ).stdout
    assert re.search(r"^wsgi_app\s*= letterhub:create_app\(\)$", printed, re.M), printed
    assert re.search(r"^bind\s*= \['127.0.0.1:8765'\]$", printed, re.M), printed
    assert re.search(r"^logconfig_dict\s*= \{.*JsonFormatter", printed, re.M), printed
