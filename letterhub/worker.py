"""The background worker: queues due reminders and requested emails, delivers queued email and
renders queued final documents.

Run one or more beside the web processes (``flask --app letterhub worker``). Each job claims
its rows with a conditional UPDATE, so several workers never do the same job twice.

Mail and documents are two loops, so that a render (seconds, for a long list) never holds
back invitations: plain ``flask worker`` runs both, each in a thread of its own, and
``--only mail`` / ``--only documents`` runs one, for a process (or a machine) per kind of job.
A loop goes straight on to its next round while it finds work and waits ``interval`` seconds
once there is none. The mail loop also does the housekeeping, once an hour: deleting login
sessions that ended long ago.
"""

from __future__ import annotations

import enum
import logging
import signal
import threading
import time
from collections.abc import Callable

from flask import Flask

from . import database
from .extensions import db
from .services import commenting, login_sessions, mailing, publishing, reconfirming, reminding

log = logging.getLogger(__name__)


class Job(enum.Enum):
    MAIL = "mail"
    DOCUMENTS = "documents"


def mail_round() -> dict[str, int]:
    """Queue the reminders and comment digests that are due and a batch of the emails asking to
    confirm again, then deliver what the outbox holds."""
    counts = reminding.send_due_reminders()
    counts.update(commenting.send_comment_digests())
    counts.update(reconfirming.send_requested())
    counts.update(mailing.drain_outbox())
    return counts


def documents_round() -> dict[str, int]:
    return publishing.render_queued_documents()


ROUNDS: dict[Job, Callable[..., dict[str, int]]] = {Job.MAIL: mail_round, Job.DOCUMENTS: documents_round}

# Housekeeping finds little to do: the mail loop does it once per this many seconds, not every round.
HOUSEKEEPING_SECONDS = 3600.0


def housekeeping() -> dict[str, int]:
    """Delete the login sessions that ended or expired long ago (a transaction boundary: it commits)."""
    with database.writing():
        pruned = login_sessions.prune()
        db.session.commit()
    return {"sessions_pruned": pruned}


def run_once(jobs: tuple[Job, ...] = tuple(Job)) -> dict[str, int]:
    """One round of each job, one after the other (``flask worker --once``)."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts.update(ROUNDS[job]())
    if Job.MAIL in jobs:
        counts.update(housekeeping())
    return counts


def loop(app: Flask, job: Job, *, interval: float, stop: threading.Event) -> None:
    """Do ``job`` until ``stop`` is set: again at once after a round that did something, else after
    ``interval`` seconds. A failed round is logged and retried (a database restart, say)."""
    next_housekeeping = 0.0  # at once, then every HOUSEKEEPING_SECONDS
    while not stop.is_set():
        busy = False
        with app.app_context():
            try:
                counts = ROUNDS[job]()
                if job is Job.MAIL and time.monotonic() >= next_housekeeping:
                    next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                    counts.update(housekeeping())
                busy = any(counts.values())
                if busy:
                    log.info("worker %s: %s", job.value, counts)
            except Exception:
                db.session.rollback()
                log.exception("worker %s round failed", job.value)
            finally:
                db.session.remove()
        if not busy:
            stop.wait(interval)


def run(
    app: Flask,
    *,
    jobs: tuple[Job, ...] = tuple(Job),
    interval: float = 2.0,
    once: bool = False,
    stop: threading.Event | None = None,
) -> None:
    """Run the loops of ``jobs``, each in its own thread, until ``stop`` is set or interrupted."""
    if once:
        with app.app_context():
            try:
                run_once(jobs)
            finally:
                db.session.remove()
        return
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd, a supervisor) stops as Ctrl-C does: each loop finishes its round
        signal.signal(signal.SIGTERM, lambda _signal, _frame: stop.set())
    threads = [
        threading.Thread(
            target=loop,
            args=(app, job),
            kwargs={"interval": interval, "stop": stop},
            name=f"worker-{job.value}",
        )
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    log.info("worker started: %s", ", ".join(job.value for job in jobs))
    try:
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)
    finally:  # Ctrl-C: let each loop finish its round, then stop
        stop.set()
        for thread in threads:
            thread.join()
        log.info("worker stopped")
