"""A SQLite database that another process keeps locked: 503 with Retry-After, nothing written.

Another *process* takes SQLite's write lock (``BEGIN IMMEDIATE``) and holds it, as a stuck
worker or a backup tool would. Requests that write wait ``SQLITE_BUSY_TIMEOUT_MS`` for it and
then answer 503, having written nothing; pages that only read keep working (WAL); once the
lock is released the same request goes through. SQLite only: PostgreSQL has row locks.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import AuditEvent, InvitationState, LetterRevision, OutboxMessage, Signature
from letterhub.services import mailing

from ..conftest import LETTER_TEXT, csrf_token
from .test_signing import confirm_data, path_of

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

BUSY_TIMEOUT_MS = 300

HOLD_WRITE_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


@pytest.fixture
def app_config():
    return {"SQLITE_BUSY_TIMEOUT_MS": BUSY_TIMEOUT_MS}


@contextlib.contextmanager
def write_lock_held_by_another_process(app):
    """Another process holds the database file's write lock until the block ends."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    db.session.commit()  # this test's own transaction must not be the one holding anything
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "locked"
            yield
        finally:
            holder.stdin.close()  # the holder rolls back and exits
            holder.wait(timeout=10)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signing_confirmation_gets_503_while_the_database_stays_locked_and_writes_nothing(
    app, client, letter, invite
):
    invitation, link = invite(language="ar")
    path = path_of(link)
    data = confirm_data(client, path, letter)
    events_before = count(AuditEvent)
    with write_lock_held_by_another_process(app):
        started = time.monotonic()
        response = client.post(path, data=data, headers={"Accept-Language": "ar"})
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit() and int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        from flask_babel import gettext

        assert gettext("Nothing was saved. Please wait a few seconds and send it again.") in page
    assert waited >= BUSY_TIMEOUT_MS / 1000  # it waited its turn first
    db.session.refresh(invitation)
    assert count(Signature) == 0 and invitation.state == InvitationState.PENDING
    assert count(AuditEvent) == events_before

    response = client.post(path, data=data)  # the lock is gone: the same answer goes through
    assert response.status_code == 200
    db.session.refresh(invitation)
    assert count(Signature) == 1 and invitation.state == InvitationState.CONFIRMED


def test_saving_a_letter_gets_503_while_the_database_stays_locked_and_writes_nothing(app, signed_in, letter):
    path = f"/letters/{letter.id}/edit"
    data = {
        "csrf_token": csrf_token(signed_in, path),
        "base_revision": 1,
        "action": "save",
        **LETTER_TEXT,
        "body_en": "Changed text.",
    }
    with write_lock_held_by_another_process(app):
        response = signed_in.post(path, data=data)
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert count(LetterRevision) == 1

    response = signed_in.post(path, data=data)
    assert response.status_code == 302
    assert [
        r.body_en for r in db.session.scalars(select(LetterRevision).order_by(LetterRevision.number))
    ] == [
        LETTER_TEXT["body_en"],
        "Changed text.",
    ]


def test_pages_that_only_read_keep_working_while_the_database_is_locked(app, signed_in, letter, invite):
    _invitation, link = invite()
    with write_lock_held_by_another_process(app):
        assert signed_in.get(f"/letters/{letter.id}").status_code == 200
        assert signed_in.get(path_of(link)).status_code == 200


def test_worker_round_on_a_locked_database_loses_no_message(app, letter, invite, smtp_server):
    invite()
    port, received = smtp_server
    app.config["SMTP_PORT"] = port
    with write_lock_held_by_another_process(app):
        with pytest.raises(Exception, match="locked"):
            mailing.drain_outbox()
        db.session.rollback()
    assert received.messages == []
    assert mailing.drain_outbox() == {"sent": 1, "retry": 0, "failed": 0}
    assert len(received.messages) == 1
    assert db.session.scalars(select(OutboxMessage)).one().status.value == "sent"
