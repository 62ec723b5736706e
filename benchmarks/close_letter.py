"""Closing a letter until all its final documents are stored, against bare WeasyPrint on the same three.

    .venv/bin/python benchmarks/close_letter.py [--names 2000] [--rounds 3] [--worker]

Creates the bilingual seed letter with N organisations that confirmed it (``signed_letter.py``)
in a fresh SQLite database, then, alternately, ``--rounds`` times:

- ours: close signing (``publishing.close_signing``, committed) and run the worker's documents
  pass (``publishing.render_queued_documents``, what ``flask worker`` does: claim, read the
  letter, render in a bounded child, store) until the bilingual, English and Arabic documents
  are all stored; then reopen the letter for the next round. The fork server is started by a
  warm-up round, as in a running worker.
- reference: a fresh Python process that imports WeasyPrint and, timed from then on, renders the
  same three documents written the obvious way (``render_pdf.reference_html``: one plain page,
  an ``<ol>`` per language, the same fonts) with bare ``HTML(string=...).write_pdf()``.

With ``--worker``, ours is what a coordinator waits for instead: ``flask --app letterhub worker``
runs as its own process (started before the first round, with its default settings: both jobs,
the fork server, a 2 s pause when idle), and each round times the close POST (the letter page's
confirmation, through the whole Flask stack as the letter's owner) until this process reads all
three documents stored; the worker's wait before it notices the new work is part of it.

Prints one JSON line: {"names": N, "seconds": median, "reference_seconds": median, "ratio": ...,
"ratios": [per round], "pages": {...}, "worker": bool}. Target: ratio <= 0.5.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from render_pdf import build_document, reference_html  # noqa: E402
from signed_letter import PASSWORD, create_signed_letter  # noqa: E402

from tests.forms import csrf_token  # noqa: E402

BASE_URL = "https://letters.example.org"

REFERENCE_SCRIPT = """
import json, sys, time
from weasyprint import HTML
pages = json.load(open(sys.argv[1]))
start = time.perf_counter()
for html in pages:
    HTML(string=html, base_url=sys.argv[2]).write_pdf()
print(time.perf_counter() - start)
"""


@contextmanager
def stopped_afterwards(process: subprocess.Popen | None) -> Iterator[None]:
    """Stop ``process`` (the worker) when the block ends, whether the benchmark finished or failed."""
    try:
        yield
    finally:
        if process is not None:
            process.terminate()  # SIGTERM: the worker stops cleanly
            process.wait(timeout=60)


def isolated_client(app):
    """A test client whose every request gets its own application context, as in production
    (``tests/conftest.py``'s ``IsolatedClient``): this process holds one open to read the database,
    and a request sharing it would share ``g``, and with it a stale CSRF token."""
    from flask.globals import _cv_app
    from flask.testing import FlaskClient

    class IsolatedClient(FlaskClient):
        def open(self, *args, **kwargs):
            hidden = _cv_app.set(None)  # type: ignore[arg-type]  # no app context inside a request, as in production
            try:
                return super().open(*args, **kwargs)
            finally:
                _cv_app.reset(hidden)

    app.test_client_class = IsolatedClient
    return app.test_client()


def sign_in(client, email: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 302, response.status_code


def close_form(client, show: str) -> dict[str, str]:
    """The hidden fields of the letter page's close step (the CSRF token and the counts it showed)."""
    page = client.get(show).get_data(as_text=True)
    step = page[page.index(f'action="{show}/close"') :]
    step = step[: step.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input [^>]*>", step):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden":
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


def reference_seconds(pages_file: Path, base_url: str) -> float:
    output = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT, str(pages_file), base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--worker",
        action="store_true",
        help="time the close POST until a running `flask worker` process has stored the documents",
    )
    args = parser.parse_args()

    import pypdf

    from letterhub import create_app, database
    from letterhub.extensions import db
    from letterhub.models import LetterStatus, RenderStatus
    from letterhub.services import publishing
    from letterhub.services.rendering import STATIC_DIR

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        document = build_document(args.names)
        pages_file = folder / "reference.json"
        pages_file.write_text(
            json.dumps(
                [
                    reference_html(replace(document, texts=texts))
                    for texts in (document.texts, *((t,) for t in document.texts))
                ]
            ),
            encoding="utf-8",
        )
        base_url = STATIC_DIR.as_uri() + "/"
        settings = {
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "BASE_URL": BASE_URL,
        }
        # This process serves the close POST through a test client, over plain http as the tests do.
        app = create_app(
            {
                "TESTING": True,
                "PASSWORD_HASH_PROFILE": "CHEAPEST",
                "RATELIMIT_ENABLED": False,
                **settings,
                "BASE_URL": "http://localhost",
            }
        )
        worker = None
        if args.worker:
            environment = {
                **os.environ,
                **{f"LETTERHUB_{key}": value for key, value in settings.items()},
                "LETTERHUB_INSTANCE_PATH": str(folder / "instance"),
            }
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "letterhub", "worker"],
                cwd=REPO,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        with app.app_context(), stopped_afterwards(worker):
            letter = create_signed_letter(args.names)
            letter_id, owner = letter.id, letter.created_by.email
            db.session.commit()  # this process holds no transaction (SQLite's lock) during a request
            client = isolated_client(app)
            if worker is not None:
                sign_in(client, owner)

            def close_through_the_worker() -> float:
                """The close POST, then wait (reading only) until the worker has stored every document."""
                show = f"/letters/{letter_id}"
                form = close_form(client, show)
                start = time.perf_counter()
                response = client.post(f"{show}/close", data={**form, "confirm": "yes"})
                assert response.status_code == 303, response.status_code
                with database.reading():
                    db.session.expire_all()
                    assert letter.status == LetterStatus.CLOSED, "the close POST was refused"
                    db.session.rollback()
                while True:
                    with database.reading():
                        db.session.expire_all()
                        statuses = [d.status for d in publishing.documents_of(letter)]
                        db.session.rollback()
                    if statuses and all(status == RenderStatus.READY for status in statuses):
                        return time.perf_counter() - start
                    assert RenderStatus.FAILED not in statuses, statuses
                    time.sleep(0.02)

            def close_and_render() -> tuple[float, dict[str, int]]:
                if worker is not None:
                    seconds = close_through_the_worker()
                    return seconds, reopen()
                publishing.close_signing(letter)
                db.session.commit()
                start = time.perf_counter()
                while publishing.render_queued_documents()["rendered"]:
                    pass
                return time.perf_counter() - start, reopen()

            def reopen() -> dict[str, int]:
                """Check the three documents, count their pages and reopen the letter for the next round."""
                db.session.expire_all()
                documents = publishing.documents_of(letter)
                assert [d.status for d in documents] == [RenderStatus.READY] * 3, documents
                pages = {d.languages: len(pypdf.PdfReader(io.BytesIO(d.pdf or b"")).pages) for d in documents}
                publishing.reopen_signing(letter)
                db.session.commit()
                return pages

            close_and_render()  # warm-up: the fork server, the database's pages
            reference_seconds(pages_file, base_url)
            ours, theirs, ratios = [], [], []
            for _ in range(args.rounds):
                seconds, pages = close_and_render()
                reference = reference_seconds(pages_file, base_url)
                ours.append(seconds)
                theirs.append(reference)
                ratios.append(round(seconds / reference, 2))
            db.session.remove()
        median, reference_median = statistics.median(ours), statistics.median(theirs)
        print(
            json.dumps(
                {
                    "names": args.names,
                    "seconds": round(median, 2),
                    "reference_seconds": round(reference_median, 2),
                    "ratio": round(median / reference_median, 2),
                    "ratios": ratios,
                    "pages": pages,
                    "load": round(os.getloadavg()[0], 1),
                    "worker": args.worker,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
