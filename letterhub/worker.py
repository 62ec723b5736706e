"""The background worker: queues due reminders, delivers queued email and renders queued final documents.

Run one or more beside the web processes (``flask --app letterhub worker``). Each job claims
its row with a conditional UPDATE, so several workers never do the same job twice.
"""

from __future__ import annotations

import logging
import time

from .extensions import db
from .services import mailing, publishing, reminding

log = logging.getLogger(__name__)


def run_once(config) -> dict[str, int]:
    counts = reminding.send_due_reminders()
    counts.update(mailing.drain_outbox(config))
    counts.update(publishing.render_queued_documents(config))
    return counts


def run(config, *, interval: float = 2.0, once: bool = False) -> None:
    """Work every ``interval`` seconds until interrupted; a failed round is logged and retried."""
    while True:
        try:
            counts = run_once(config)
            if any(counts.values()):
                log.info("worker: %s", counts)
        except Exception:  # keep going through a database restart; the next round retries
            db.session.rollback()
            log.exception("worker round failed")
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(interval)
