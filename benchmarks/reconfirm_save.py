"""How long saving a substantive change takes when 500 and 2,000 organisations had confirmed.

Builds, per size, a letter whose N invitations (half Arabic, half English) confirmed revision
1, then saves substantive changes through the editor (a POST to ``/letters/<id>/edit`` with the
test client, signed in, the whole request a coordinator waits for: the save, the requests to
confirm again, the redirect) and times each one. Every save after the first finds the same N
organisations still to ask, so each does the same work; the median of three is printed.

Then, where the mail worker writes the emails (``reconfirming.send_requested``), it times the
worker writing the last save's N emails, batch after batch: the work that left the request.

    .venv/bin/python benchmarks/reconfirm_save.py                # SQLite, in a temporary folder
    .venv/bin/python benchmarks/reconfirm_save.py --postgresql   # LETTERHUB_BENCH_POSTGRES_URL, own schema

Prints one JSON line per size: the median save, and (after) the worker's time and how many
emails it wrote. ``emails_queued`` counts the letter's emails at the end: N per save when the
request wrote them, N in all when the worker does (a request superseded by a later save before
the worker reached it sends nothing).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.forms import csrf_token  # noqa: E402

POSTGRES_URL = os.environ.get("LETTERHUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SIZES = (500, 2_000)
SAVES = 3
PASSWORD = "benchmark-password"
TEXT = {
    "title_en": "Benchmark letter",
    "title_ar": "رسالة قياس",
    "body_en": "We ask.",
    "body_ar": "نطالب.",
}


def confirmed_letter(user, size: int):
    """A letter with ``size`` invitations, each confirmed (revision 1) through a live link."""
    from letterhub.extensions import db
    from letterhub.models import Decision, Invitation, InvitationState, Organization, Signature
    from letterhub.models.types import utcnow
    from letterhub.services import drafting, inviting

    letter = drafting.create_letter(user, {**drafting.empty_fields(), **TEXT}, coalition="Bench")
    revision = letter.current_revision
    organizations = [
        Organization(name_en=f"Org {size}-{n}", name_ar=f"منظمة {size}-{n}", email=f"o{size}-{n}@example.org")
        for n in range(size)
    ]
    db.session.add_all(organizations)
    db.session.flush()
    now = utcnow()
    invitations = [
        Invitation(
            letter=letter,
            organization=organization,
            email=f"o{size}-{n}@example.org",
            language="ar" if n % 2 else "en",
            state=InvitationState.CONFIRMED,
            token_hash=secrets.token_hex(32),
            token_issued_at=now,
            expires_at=now.replace(year=now.year + 1),
        )
        for n, organization in enumerate(organizations)
    ]
    db.session.add_all(invitations)
    db.session.flush()
    db.session.add_all(
        Signature(
            letter_id=letter.id,
            organization_id=invitation.organization_id,
            invitation_id=invitation.id,
            revision_id=revision.id,
            revision_sha256=revision.content_sha256,
            decision=Decision.CONFIRMED,
            name_en=invitation.organization.name_en,
            name_ar=invitation.organization.name_ar,
            signer_name="Signer",
            signer_role="Director",
            consent=True,
            decided_at=now,
        )
        for invitation in invitations
    )
    letter.status = letter.status.OPEN
    db.session.commit()
    assert inviting.invitations_sent(letter)
    return letter


def isolated_client(app):
    """A test client whose requests do not share this script's application context (its ``g``,
    its database session): the test suite's ``IsolatedClient``."""
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient
    return app.test_client()


def measure(app, client, user, size: int) -> dict:
    from sqlalchemy import func, select

    from letterhub.extensions import db
    from letterhub.models import Invitation, OutboxMessage
    from letterhub.services import reconfirming

    letter = confirmed_letter(user, size)
    seconds = []
    for save in range(1, SAVES + 1):
        path = f"/letters/{letter.id}/edit"
        data = {
            "csrf_token": csrf_token(client, path),
            "base_revision": save,
            "action": "save",
            "change_kind": "substantive",
            "coalition": "Bench",
            **drafting_fields(),
            "body_en": f"We ask, version {save + 1}.",
        }
        started = time.perf_counter()
        response = client.post(path, data=data)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 302, (
            response.status_code,
            re.findall(
                r"<title>.*?</title>|class=\"error[^>]*>[^<]*<[^>]*>[^<]*", response.get_data(as_text=True)
            ),
        )
    db.session.expire_all()
    asked = f"{size} organisations that had confirmed were asked to confirm again"
    assert asked in client.get(f"/letters/{letter.id}").get_data(as_text=True)
    figure: dict[str, Any] = {"confirmed": size, "save_seconds": round(statistics.median(seconds), 3)}
    if hasattr(reconfirming, "send_requested"):  # the worker writes the emails
        started = time.perf_counter()
        done = 0
        while written := reconfirming.send_requested(limit=200)["reconfirmations"]:
            done += written
        figure["worker_seconds"] = round(time.perf_counter() - started, 3)
        figure["worker_requests_done"] = done
    # the emails asking to confirm again, queued in the requests (before) or by the worker (after)
    figure["emails_queued"] = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .join(Invitation, OutboxMessage.invitation_id == Invitation.id)
        .where(Invitation.letter_id == letter.id)
    )
    return figure


def drafting_fields() -> dict[str, str]:
    from letterhub.services import drafting

    return {**drafting.empty_fields(), **TEXT}


def main(postgresql: bool) -> None:
    import sqlalchemy as sa

    from letterhub import create_app, normalise_database_url
    from letterhub.extensions import db
    from letterhub.services import accounts

    config = {
        "TESTING": True,
        "SECRET_KEY": "benchmark",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": False,
    }
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
            db.create_all()
            user = accounts.create_user("bench@example.org", "Bench", PASSWORD)
            db.session.commit()
            client = isolated_client(app)
            client.post(
                "/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")},
            )
            for size in SIZES:
                figure = measure(app, client, user, size)
                print(json.dumps({"database": "postgresql" if postgresql else "sqlite", **figure}))
    finally:
        if engine is not None:
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
        folder.cleanup()


if __name__ == "__main__":
    main("--postgresql" in sys.argv[1:])
