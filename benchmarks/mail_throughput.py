"""How fast one worker delivers a letter's invitations to a local SMTP server.

Creates a letter with N invitations (default 2,000) in a schema of its own on PostgreSQL
(LETTERHUB_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test), queues
every invitation, starts a real SMTP server (aiosmtpd, in this process) and times
``flask --app letterhub worker`` as a whole process, from its start until the server has
received every message and the outbox says they are all sent. Prints one JSON line:
{"messages": N, "seconds": S, "messages_per_second": R, "delivered": D, "worker_args": [...]}.
Target: 2,000 messages in at most 15 s. Extra arguments are passed to the worker
(``--only mail``, for example). The schema is dropped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
POSTGRES_URL = os.environ.get("LETTERHUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class CountingHandler:
    """Counts the messages it accepts and notes when the last expected one arrived."""

    def __init__(self, expected: int):
        self.expected, self.count, self.lock = expected, 0, threading.Lock()
        self.all_arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            if self.count >= self.expected:
                self.all_arrived.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_invitations(app, count: int) -> None:
    from letterhub.extensions import db
    from letterhub.models import Invitation, Organization
    from letterhub.services import accounts, drafting, inviting

    db.create_all()
    user = accounts.create_user("bench@example.org", "Bench", "benchmark-password")
    text = {
        **drafting.empty_fields(),
        "title_en": "Benchmark letter",
        "title_ar": "رسالة",
        "body_en": "We ask.",
        "body_ar": "نطالب.",
    }
    letter = drafting.create_letter(user, text)
    organizations = [
        Organization(name_en=f"Organisation {n}", name_ar=f"منظمة {n}", email=f"focal{n}@example.org")
        for n in range(count)
    ]
    db.session.add_all(organizations)
    db.session.flush()
    for organization in organizations:
        db.session.add(
            Invitation(letter=letter, organization=organization, email=organization.email, language="ar")
        )
    db.session.flush()
    inviting.send_unsent_invitations(letter, by=user)
    db.session.commit()


def sent_count(app) -> int:
    from sqlalchemy import func, select

    from letterhub.extensions import db
    from letterhub.models import OutboxMessage, OutboxStatus

    count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
    )
    db.session.commit()
    return int(count or 0)


def main(count: int, worker_args: list[str]) -> None:
    import sqlalchemy as sa
    from aiosmtpd.controller import Controller

    from letterhub import create_app, normalise_database_url

    url = normalise_database_url(POSTGRES_URL)
    schema = f"letterhub_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    schema_url = f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    handler = CountingHandler(count)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    config = {
        "TESTING": True,
        "SECRET_KEY": "benchmark",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "DATABASE_URL": schema_url,
        "BASE_URL": "http://localhost",
    }
    try:
        app = create_app(config)
        with app.app_context():
            queue_invitations(app, count)
            environment = {
                **os.environ,
                "LETTERHUB_DATABASE_URL": schema_url,
                "LETTERHUB_SECRET_KEY": "benchmark-" + uuid.uuid4().hex,
                "LETTERHUB_MAIL_TRANSPORT": "smtp",
                "LETTERHUB_SMTP_HOST": "127.0.0.1",
                "LETTERHUB_SMTP_PORT": str(port),
                "LETTERHUB_BASE_URL": "http://localhost",
            }
            command = [sys.executable, "-m", "flask", "--app", "letterhub", "worker", *worker_args]
            started = time.perf_counter()
            worker = subprocess.Popen(command, cwd=REPO, env=environment, stderr=subprocess.DEVNULL)
            try:
                handler.all_arrived.wait(600)
                while sent_count(app) < count and time.perf_counter() - started < 600:
                    time.sleep(0.02)
                seconds = time.perf_counter() - started
            finally:
                worker.terminate()
                worker.wait(30)
            print(
                json.dumps(
                    {
                        "messages": count,
                        "seconds": round(seconds, 2),
                        "messages_per_second": round(count / seconds, 1),
                        "delivered": handler.count,
                        "worker_args": worker_args,
                    }
                ),
                flush=True,
            )
            from letterhub.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    size = int(arguments.pop(0)) if arguments and arguments[0].isdigit() else 2000
    main(size, arguments)
