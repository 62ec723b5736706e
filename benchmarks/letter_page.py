"""The letter page (the campaign dashboard) with 50 and with 2,000 invitations.

    .venv/bin/python benchmarks/letter_page.py                # SQLite, in a temporary folder
    .venv/bin/python benchmarks/letter_page.py --postgresql   # LETTERHUB_BENCH_POSTGRES_URL, own schema

Fills one letter's list the way the dashboard tests do (``fill_list`` in
``tests/functional/test_letter_dashboard.py``: every state the page shows, each with its
email), first with 50 invitations, then with 2,000, and times what a coordinator waits for:
``GET /letters/<id>`` through the whole Flask stack (session cookie, login check, queries,
templates, response), signed in, median of ``--requests`` (21) after a warm-up. Prints one
JSON line per size: median and 90th percentile milliseconds, SQL statements per request,
HTML bytes; then the ratios 2,000 / 50. Targets (issue: the campaign): the same statements
at both sizes and at most 20, HTML at most 300 KB, time within 3x of 50's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
POSTGRES_URL = os.environ.get("LETTERHUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "benchmark-password"  # noqa: S105 (a throw-away account)


def measure(client, path: str, requests: int) -> dict:
    from letterhub.extensions import db
    from tests.conftest import counted_queries

    client.get(path)  # warm-up: templates compiled, caches filled
    timings, statements, size = [], 0, 0
    for _ in range(requests):
        db.session.expire_all()
        with counted_queries() as seen:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.data[:600])
        statements, size = len(seen), len(response.data)
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(timings[int(len(timings) * 0.9) - 1], 1),
        "statements": statements,
        "html_bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--requests", type=int, default=21)
    arguments = parser.parse_args()

    import sqlalchemy as sa

    from letterhub import create_app
    from letterhub.extensions import db
    from letterhub.services import accounts, drafting
    from tests.conftest import LETTER_TEXT
    from tests.forms import csrf_token
    from tests.functional.test_letter_dashboard import fill_list

    workdir = Path(tempfile.mkdtemp())
    options: dict = {}
    schema = None
    url = f"sqlite:///{workdir / 'bench.db'}"
    if arguments.postgresql:
        schema = f"letterhub_bench_{uuid.uuid4().hex[:10]}"
        url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        options = {"connect_args": {"options": f"-c search_path={quote(schema)}"}}
    app = create_app(
        {
            "SECRET_KEY": "benchmark",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "DATABASE_URL": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "RATELIMIT_ENABLED": False,
            "MAILBOX_DIR": str(workdir / "mailbox"),
            "BASE_URL": "http://localhost",
        }
    )
    results = {}
    try:
        with app.app_context():
            db.create_all()
            user = accounts.create_user("bench@example.org", "Bench", PASSWORD)
            letter = drafting.create_letter(user, LETTER_TEXT, coalition="Benchmark")
            db.session.commit()
            client = app.test_client()
            client.post(
                "/login",
                data={
                    "email": "bench@example.org",
                    "password": PASSWORD,
                    "csrf_token": csrf_token(client, "/login"),
                },
            )
            path = f"/letters/{letter.id}"
            fill_list(letter, 50)
            results[50] = measure(client, path, arguments.requests)
            fill_list(letter, 1950, start=50)
            results[2000] = measure(client, path, arguments.requests)
            db.session.remove()
            if schema:
                db.engine.dispose()
    finally:
        if schema:
            with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    for size, figures in results.items():
        print(json.dumps({"invitations": size, **figures}))
    small, large = results[50], results[2000]
    print(
        json.dumps(
            {
                "database": "postgresql" if schema else "sqlite",
                "time_ratio": round(large["median_ms"] / small["median_ms"], 2),
                "same_statements": large["statements"] == small["statements"],
                "html_kb_at_2000": round(large["html_bytes"] / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
