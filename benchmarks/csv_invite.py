"""How long a CSV of organisations takes to preview and to commit, at 50 and 2,000 lines.

Builds a directory of 1,000 entries (500 with an alias) and, per size, a CSV whose lines are
80% new organisations, 10% directory entries spelled another way (hamza, "the", case), 5%
look-alikes (words in another order) and 5% bad lines (bad email, no name, a line twice).
Times the whole service call a person waits for, after one warm-up:

* preview: ``bulk_inviting.preview`` (decode, read, load the directory, classify);
* commit: ``bulk_inviting.invite_csv`` and the transaction's commit (read and classify again,
  create the entries and invitations, the audit event).

After each commit the rows it made are deleted, so every run meets the same directory (the
same load). Prints one JSON line per size: median seconds of five runs, the SQL statements
each step ran (as SQLAlchemy's statement events see them: not the COPYs that load the new rows
on PostgreSQL), and at the end the ratio 2,000 / 50 (target: at most 10 for both steps).

    .venv/bin/python benchmarks/csv_invite.py                # SQLite, in a temporary folder
    .venv/bin/python benchmarks/csv_invite.py --postgresql   # LETTERHUB_BENCH_POSTGRES_URL, own schema
"""

from __future__ import annotations

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
DIRECTORY_SIZE = 1_000
SIZES = (50, 2_000)
RUNS = 5


def build_directory(count: int):
    from letterhub.extensions import db
    from letterhub.models import AliasSource, Organization
    from letterhub.services import accounts, directory, drafting

    db.create_all()
    user = accounts.create_user("bench@example.org", "Bench", "benchmark-password")
    letter = drafting.create_letter(
        user,
        {
            **drafting.empty_fields(),
            "title_en": "Benchmark letter",
            "title_ar": "رسالة",
            "body_en": "We ask.",
            "body_ar": "نطالب.",
        },
    )
    entries = [
        Organization(
            name_en=f"The Entry Association {n}", name_ar=f"جمعية أمل {n}", email=f"entry{n}@example.org"
        )
        for n in range(count)
    ]
    db.session.add_all(entries)
    db.session.flush()
    directory.remember_spellings(
        [(entry, "en", f"Entry Assoc {n}") for n, entry in enumerate(entries[: count // 2])],
        AliasSource.MANUAL,
    )
    db.session.commit()
    return user, letter


def csv_bytes(lines: int) -> bytes:
    rows = ["name_en,name_ar,email,language,tags"]
    for n in range(lines):
        kind = n % 20
        if kind < 16:
            rows.append(f"Network {n} for Rights,شبكة الحقوق {n},new{n}@example.org,ar,bench")
        elif kind < 18:
            rows.append(
                f"entry association {n % DIRECTORY_SIZE},جمعيه امل {n % DIRECTORY_SIZE},e{n}@example.org,en,"
            )
        elif kind == 18:
            rows.append(f"Rights {n - 18} Network for,,alike{n}@example.org,en,")  # words of line n-18
        else:
            rows.append(f"Bad {n},,not-an-email,ar," if n % 40 == 19 else f",,nameless{n}@example.org,ar,")
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def clean_up(letter, outcome) -> None:
    from sqlalchemy import delete

    from letterhub.extensions import db
    from letterhub.models import Invitation, Organization, OrganizationTag

    created = outcome.created_organization_ids
    db.session.execute(delete(Invitation).where(Invitation.letter_id == letter.id))
    for start in range(0, len(created), 500):
        chunk = created[start : start + 500]
        db.session.execute(delete(OrganizationTag).where(OrganizationTag.organization_id.in_(chunk)))
        db.session.execute(delete(Organization).where(Organization.id.in_(chunk)))
    db.session.commit()


def measure(letter, user, lines: int) -> dict:
    import sqlalchemy as sa

    from letterhub.extensions import db
    from letterhub.services import bulk_inviting

    data = csv_bytes(lines)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    previews, commits, preview_queries, commit_queries = [], [], 0, 0
    for run in range(RUNS + 1):
        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        result = bulk_inviting.preview(letter, data)
        db.session.rollback()
        previewed = time.perf_counter()
        preview_queries, statements[:] = len(statements), []
        outcome = bulk_inviting.invite_csv(letter, data, by=user)
        db.session.commit()
        committed = time.perf_counter()
        commit_queries, statements[:] = len(statements), []
        sa.event.remove(db.engine, "before_cursor_execute", count)
        if run:  # the first run warms up
            previews.append(previewed - started)
            commits.append(committed - previewed)
        clean_up(letter, outcome)
    return {
        "lines": lines,
        "new": result.count(bulk_inviting.LineStatus.NEW),
        "existing": result.count(bulk_inviting.LineStatus.EXISTING),
        "duplicates": result.count(bulk_inviting.LineStatus.DUPLICATE),
        "errors": result.count(bulk_inviting.LineStatus.ERROR),
        "invited": outcome.added + outcome.existing,
        "preview_seconds": round(statistics.median(previews), 4),
        "commit_seconds": round(statistics.median(commits), 4),
        "preview_queries": preview_queries,
        "commit_queries": commit_queries,
    }


def main(postgresql: bool) -> None:
    import sqlalchemy as sa

    from letterhub import create_app, normalise_database_url

    config = {"TESTING": True, "SECRET_KEY": "benchmark", "PASSWORD_HASH_PROFILE": "CHEAPEST"}
    folder = tempfile.TemporaryDirectory()
    schema = engine = None
    if postgresql:
        url = normalise_database_url(POSTGRES_URL)
        schema = f"letterhub_bench_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        config["DATABASE_URL"] = (
            f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
        )
    else:
        config["DATABASE_URL"] = f"sqlite:///{Path(folder.name) / 'bench.db'}"
    try:
        app = create_app(config)
        with app.app_context():
            user, letter = build_directory(DIRECTORY_SIZE)
            figures = [measure(letter, user, size) for size in SIZES]
            for figure in figures:
                print(json.dumps({"database": "postgresql" if postgresql else "sqlite", **figure}))
            small, large = figures
            print(
                json.dumps(
                    {
                        "preview_ratio": round(large["preview_seconds"] / small["preview_seconds"], 2),
                        "commit_ratio": round(large["commit_seconds"] / small["commit_seconds"], 2),
                        "target": "each ratio <= 10",
                    }
                )
            )
    finally:
        if engine is not None:
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
        folder.cleanup()


if __name__ == "__main__":
    main("--postgresql" in sys.argv[1:])
