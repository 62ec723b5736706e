"""The mail worker: batches over one SMTP connection, claims that stay safe with several workers,
and mail that a render in progress never holds back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from letterhub import worker
from letterhub.extensions import db
from letterhub.models import FinalDocument, OutboxMessage, OutboxStatus, RenderStatus
from letterhub.services import mailing, publishing

from ..conftest import RecordingHandler, free_port


class CountingHandler(RecordingHandler):
    """Counts connections; optionally answers slowly or hangs up after every message."""

    def __init__(self, *, delay: float = 0, hang_up: bool = False):
        super().__init__()
        self.delay, self.hang_up, self.connections = delay, hang_up, 0
        self.receiving = threading.Event()  # a message has arrived

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        if self.hang_up:  # as a server does with a client idle too long: after its reply
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return reply


@pytest.fixture
def start_smtp(app):
    controllers = []

    def start(handler: CountingHandler) -> CountingHandler:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        app.config["SMTP_PORT"] = port
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def queue(count: int) -> None:
    for number in range(count):
        mailing.enqueue(f"p{number}@example.org", f"Message {number}", f"text {number}")
    db.session.commit()


def sent_rows() -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
    )


def received_once_each(handler: RecordingHandler, count: int) -> bool:
    return Counter(m["To"] for m in handler.messages) == Counter(f"p{n}@example.org" for n in range(count))


def test_a_batch_of_messages_goes_over_one_smtp_connection(app, start_smtp):
    handler = start_smtp(CountingHandler())
    queue(30)
    assert mailing.drain_outbox() == {"sent": 30, "retry": 0, "failed": 0}
    assert handler.connections == 1
    assert received_once_each(handler, 30)
    assert sent_rows() == 30
    message = db.session.scalars(select(OutboxMessage)).first()
    assert message.body_text == mailing.BODY_FORGOTTEN and message.attempts == 1 and message.sent_at


def test_a_kept_connection_the_server_closed_is_replaced_and_nothing_fails(app, start_smtp):
    handler = start_smtp(CountingHandler(hang_up=True))
    queue(3)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with mailing.configured_transport() as transport:
        for _ in range(3):  # one message per batch, the connection kept between them
            step = mailing.drain_outbox(transport=transport, limit=1)
            counts = {key: counts[key] + step[key] for key in counts}
            time.sleep(0.2)  # the server hangs up meanwhile
    assert counts == {"sent": 3, "retry": 0, "failed": 0}
    assert handler.connections == 3
    assert received_once_each(handler, 3)


def test_two_workers_claiming_the_same_batch_deliver_each_message_once(app, start_smtp):
    handler = start_smtp(CountingHandler())
    queue(150)
    both_ready = threading.Barrier(2)
    totals = []

    def work():
        with app.app_context():
            both_ready.wait()
            sent = 0
            while counts := mailing.drain_outbox(limit=60):
                if not any(counts.values()):
                    break
                sent += counts["sent"]
            totals.append(sent)
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(totals) == 150
    assert received_once_each(handler, 150)
    assert sent_rows() == 150


def test_a_slow_batch_keeps_its_claim_so_a_second_worker_sends_nothing_twice(app, start_smtp):
    """The claim lasts 2 s and the batch takes about 3 s: it is renewed before it lapses."""
    app.config["MAIL_CLAIM_SECONDS"] = 2
    handler = start_smtp(CountingHandler(delay=0.5))
    queue(6)

    def drain_alone():
        with app.app_context():
            mailing.drain_outbox()
            db.session.remove()

    first = threading.Thread(target=drain_alone)
    first.start()
    assert handler.receiving.wait(10)  # the first worker has claimed the batch
    second_sent = 0
    with app.app_context():
        while first.is_alive():
            second_sent += mailing.drain_outbox()["sent"]
            time.sleep(0.2)
        db.session.remove()
    first.join()
    assert second_sent == 0
    assert received_once_each(handler, 6)


@pytest.fixture
def slow_render(monkeypatch):
    """Renders that last until released, as a long list does."""
    started, release = threading.Event(), threading.Event()

    def render_queued_documents(**_options):
        started.set()
        release.wait(60)
        return {"rendered": 0, "failed": 0}

    monkeypatch.setattr(publishing, "render_queued_documents", render_queued_documents)
    yield started, release
    release.set()


def test_a_render_in_progress_does_not_hold_back_mail(app, start_smtp, slow_render, letter, invite):
    handler = start_smtp(CountingHandler())
    started, release = slow_render
    stop = threading.Event()
    running = threading.Thread(target=worker.run, args=(app,), kwargs={"interval": 0.1, "stop": stop})
    running.start()
    try:
        assert started.wait(10), "the documents loop never started"
        invite()  # queued while the render is in progress
        deadline = time.monotonic() + 10
        while not handler.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["To"] for m in handler.messages] == ["focal@archive.example"]
        assert not release.is_set()  # the render is still going on
    finally:
        release.set()
        stop.set()
        running.join(30)
    assert not running.is_alive()


def test_worker_only_mail_or_only_documents_does_just_that(
    app, runner, start_smtp, letter, invite, coordinator
):
    handler = start_smtp(CountingHandler())
    invite()
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()

    def queued_documents() -> int:
        db.session.commit()
        return db.session.scalar(
            select(func.count()).select_from(FinalDocument).where(FinalDocument.status == RenderStatus.QUEUED)
        )

    assert queued_documents() > 0
    result = runner.invoke(args=["worker", "--once", "--only", "mail"])
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 1 and queued_documents() > 0

    queue(1)
    result = runner.invoke(args=["worker", "--once", "--only", "documents"])
    assert result.exit_code == 0, result.output
    assert queued_documents() == 0 and len(handler.messages) == 1


def test_the_worker_process_stops_cleanly_on_sigterm(app, tmp_path):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("one database is enough to see the process stop")
    environment = {
        **os.environ,
        "LETTERHUB_DATABASE_URL": app.config["DATABASE_URL"],
        "LETTERHUB_SECRET_KEY": "sigterm-test-" + "x" * 32,
        "LETTERHUB_INSTANCE_PATH": str(tmp_path),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "letterhub", "worker", "--interval", "0.2"],
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        # Wait for the worker to say it started (its SIGTERM handler is set by then): a fixed
        # sleep sent the signal before start-up had finished on a loaded machine.
        started = threading.Event()

        def watch_stderr():
            for line in process.stderr:
                if "worker started" in line:
                    started.set()

        watcher = threading.Thread(target=watch_stderr, daemon=True)
        watcher.start()
        assert started.wait(120), "the worker did not start"
        time.sleep(0.5)  # looping
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
