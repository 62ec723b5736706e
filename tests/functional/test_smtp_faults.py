"""Mail against an SMTP server that refuses, stalls and hangs up on purpose.

For every fault: nothing is lost (a temporary failure is retried and then delivered), nothing
is stuck (no claim outlives the attempt, a dead worker's claim expires), a message is delivered
at most twice (only when the server's reply was lost), and the message's state and last error
say what happened. A 5xx for the recipient or for the message fails it at once, with the
server's reason on the coordinator's letter page.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import OutboxMessage, OutboxStatus
from letterhub.models.types import utcnow
from letterhub.services import mailing

from ..conftest import SMTPFault, csrf_token

FOCAL_POINT = "focal@archive.example"  # the invite fixture's address


@pytest.fixture
def smtp(app, misbehaving_smtp_server):
    port, handler = misbehaving_smtp_server
    app.config["SMTP_PORT"] = port
    return handler


def the_message() -> OutboxMessage:
    db.session.commit()  # read what the worker committed, not an older snapshot
    return db.session.scalars(select(OutboxMessage)).one()


def drain(app, *, at=None) -> dict[str, int]:
    return mailing.drain_outbox(now=at)


RETRIED = [
    pytest.param(
        SMTPFault("RCPT", "450 4.2.1 Mailbox busy, try later"), "450 4.2.1 Mailbox busy", id="rcpt-4xx"
    ),
    pytest.param(SMTPFault("DATA", "451 4.3.0 Local error"), "451 4.3.0 Local error", id="data-4xx"),
    pytest.param(
        SMTPFault("MAIL", "553 5.7.1 Sender address rejected"),
        "553 5.7.1 Sender address rejected",
        id="mail-5xx",
    ),
    pytest.param(
        SMTPFault("EHLO", "554 5.3.2 Not accepting mail"), "554 5.3.2 Not accepting mail", id="helo-5xx"
    ),
    pytest.param(SMTPFault("DATA", drop=True), "connection dropped", id="dropped-in-data"),
]


@pytest.mark.parametrize(("fault", "reason"), RETRIED)
def test_temporary_failure_is_retried_later_and_then_delivered_once(app, letter, invite, smtp, fault, reason):
    invite()
    smtp.faults.append(fault)
    assert drain(app) == {"sent": 0, "retry": 1, "failed": 0}
    message = the_message()
    assert message.status == OutboxStatus.QUEUED and message.attempts == 1
    assert reason in message.last_error
    assert message.claimed_until is None  # nothing left claimed
    assert message.next_attempt_at > utcnow()  # later, with back-off
    assert "/sign/" in message.body_text  # still there to send
    assert smtp.messages == []

    assert drain(app) == {"sent": 0, "retry": 0, "failed": 0}  # not before its time
    assert drain(app, at=message.next_attempt_at) == {"sent": 1, "retry": 0, "failed": 0}
    message = the_message()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 2, "")
    assert [m["To"] for m in smtp.messages] == [FOCAL_POINT]


PERMANENT = [
    pytest.param(
        SMTPFault("RCPT", "550 5.1.1 Recipient address rejected: User unknown"),
        "550 5.1.1 Recipient address rejected: User unknown",
        id="rcpt-5xx",
    ),
    pytest.param(
        SMTPFault("DATA", "554 5.7.1 Message rejected as spam"),
        "554 5.7.1 Message rejected as spam",
        id="data-5xx",
    ),
]


@pytest.mark.parametrize(("fault", "reason"), PERMANENT)
def test_permanent_refusal_fails_the_message_at_once_and_the_letter_page_says_why(
    app, signed_in, letter, invite, smtp, fault, reason
):
    invite()
    smtp.faults.append(fault)
    assert drain(app) == {"sent": 0, "retry": 0, "failed": 1}
    message = the_message()
    assert (message.status, message.attempts, message.claimed_until) == (OutboxStatus.FAILED, 1, None)
    assert reason in message.last_error
    assert message.body_text == mailing.BODY_FORGOTTEN  # a new link goes with a new message
    later = utcnow() + mailing.retry_delay(8)
    assert drain(app, at=later) == {"sent": 0, "retry": 0, "failed": 0}  # never retried
    assert smtp.messages == []

    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "mail-failed" in page and "Not delivered:" in page and reason in page
    page = signed_in.get(f"/letters/{letter.id}?lang=ar").get_data(as_text=True)
    assert "لم تُسلَّم:" in page and reason in page


def test_a_mailbox_that_refuses_every_time_is_failed_on_the_first_attempt(app, letter, invite, smtp):
    smtp.refused[FOCAL_POINT] = "550 5.1.1 <focal@archive.example>: Recipient address rejected"
    invitation, _link = invite()
    assert drain(app) == {"sent": 0, "retry": 0, "failed": 1}
    message = the_message()
    assert message.last_error == (
        "recipient <focal@archive.example> refused: 550 5.1.1 <focal@archive.example>: Recipient address rejected"
    )
    assert smtp.connections == 1  # one attempt, not MAIL_MAX_ATTEMPTS


def test_a_server_slower_than_smtp_timeout_is_given_up_on_and_retried(app, letter, invite, smtp):
    app.config["SMTP_TIMEOUT"] = 0.5
    invite()
    smtp.faults.append(SMTPFault("RCPT", delay=2))
    started = time.monotonic()
    assert drain(app) == {"sent": 0, "retry": 1, "failed": 0}
    assert time.monotonic() - started < 1.8  # it did not wait for the server
    message = the_message()
    assert message.last_error == "no reply within SMTP_TIMEOUT (0.5 s)"
    assert message.claimed_until is None
    assert drain(app, at=message.next_attempt_at)["sent"] == 1
    assert len(smtp.messages) == 1


def test_a_reply_lost_in_a_dropped_connection_delivers_at_most_one_duplicate(app, letter, invite, smtp):
    invite()
    smtp.faults.append(SMTPFault("DATA", drop=True, keep=True))  # the server kept it; its "250" is lost
    assert drain(app)["retry"] == 1
    message = the_message()
    assert "connection dropped" in message.last_error
    assert drain(app, at=message.next_attempt_at)["sent"] == 1
    assert drain(app, at=utcnow() + mailing.retry_delay(8)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp.messages) == 2  # SMTP cannot do better; never a third
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"]  # the same email, which mail software can tell


def test_smtp_down_is_retried_and_nothing_is_lost(app, letter, invite, misbehaving_smtp_server):
    invite()  # SMTP_PORT 9: connection refused
    assert drain(app) == {"sent": 0, "retry": 1, "failed": 0}
    message = the_message()
    assert "ConnectionRefusedError" in message.last_error and message.claimed_until is None
    port, handler = misbehaving_smtp_server
    app.config["SMTP_PORT"] = port
    assert drain(app, at=message.next_attempt_at)["sent"] == 1
    assert len(handler.messages) == 1


def test_temporary_failures_end_in_failed_after_the_last_attempt_with_the_last_reason(
    app, letter, invite, smtp
):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    invite()
    smtp.faults.extend(SMTPFault("RCPT", f"451 4.7.1 Greylisted ({n})") for n in range(3))
    at = None
    for _attempt in range(3):
        drain(app, at=at)
        at = the_message().next_attempt_at
    message = the_message()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert message.last_error.endswith("451 4.7.1 Greylisted (2)")


@pytest.mark.parametrize("app_config", [{"SQLITE_BUSY_TIMEOUT_MS": 200}])
def test_no_database_lock_is_held_while_the_smtp_server_is_slow(app, signed_in, letter, invite, smtp):
    """On SQLite a worker inside a transaction while SMTP dawdles would keep every writer out."""
    app.config.update(SMTP_TIMEOUT=5)
    invite()
    smtp.faults.append(SMTPFault("RCPT", delay=1.5))
    token = csrf_token(signed_in, f"/letters/{letter.id}")
    worker = threading.Thread(target=lambda: app.app_context().push() or drain(app))
    worker.start()
    assert smtp.stalled.wait(10)
    response = signed_in.post(
        f"/letters/{letter.id}/organizations",
        data={
            "csrf_token": token,
            "name_en": "Another organisation",
            "name_ar": "منظمة أخرى",
            "email": "other@example.org",
            "language": "en",
        },
    )
    worker.join()
    assert response.status_code == 302
    assert len(smtp.messages) == 1


WORKER = """
import json, sys
from letterhub import create_app
from letterhub.services import mailing
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    mailing.drain_outbox()
"""


def test_a_message_whose_worker_was_killed_while_sending_is_sent_after_the_claim_expires(
    app, letter, invite, smtp
):
    invite()
    smtp.faults.append(SMTPFault("DATA", delay=60))  # the worker will be killed while it waits
    config = {
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": app.config["SMTP_PORT"],
        "SMTP_TIMEOUT": 120,
        "MAIL_CLAIM_SECONDS": 2,
    }
    db.session.commit()
    with subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config)]) as worker:
        try:
            assert smtp.stalled.wait(60), "the worker never reached DATA"
        finally:
            worker.kill()  # SIGKILL: no clean-up of any kind
            worker.wait(10)
    message = the_message()
    assert message.status == OutboxStatus.QUEUED and message.attempts == 0
    assert message.claimed_until is not None and message.claimed_until > utcnow()
    assert "/sign/" in message.body_text

    app.config["MAIL_CLAIM_SECONDS"] = 2
    assert drain(app) == {"sent": 0, "retry": 0, "failed": 0}  # still claimed by the dead worker
    time.sleep(max(0.0, (message.claimed_until - utcnow()).total_seconds()) + 0.1)
    assert drain(app) == {"sent": 1, "retry": 0, "failed": 0}
    assert [m["To"] for m in smtp.messages] == [FOCAL_POINT]
    assert the_message().status == OutboxStatus.SENT
