"""Fixtures shared by the whole suite.

Every test that takes ``app`` (or anything built on it) runs twice: on SQLite and on
PostgreSQL. PostgreSQL is found at ``LETTERHUB_TEST_POSTGRES_URL`` (default: the local server,
database ``test``); each test session works in a schema of its own and drops it at the end.
Where PostgreSQL cannot be reached those runs are skipped with a message, except under CI
(``CI=true``), where that is a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from letterhub import create_app
from letterhub import database as letterhub_database
from letterhub.extensions import db
from letterhub.models import Decision
from letterhub.services import accounts, drafting, inviting, signing

from .forms import csrf_token  # noqa: F401  # the tests import it from here

REPO_ROOT = Path(__file__).resolve().parents[1]
# The seed documents live outside the repository, in ../shared/seeds; LETTERHUB_TEST_SEEDS_DIR
# points elsewhere (a clone without them skips the seed-based tests, saying so).
SEEDS_DIR = Path(os.environ.get("LETTERHUB_TEST_SEEDS_DIR") or REPO_ROOT.parent / "shared" / "seeds")
POSTGRES_URL = os.environ.get(
    "LETTERHUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASES = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"


# --- seeds -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed documents (real letters, kept outside the product).

    Without them the tests that need them are skipped with one reason, except under CI
    (``CI=true``), where that is a failure, as for PostgreSQL.
    """
    if not SEEDS_DIR.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(SEEDS_MISSING + " — under CI this is a failure")
        pytest.skip(SEEDS_MISSING)
    return SEEDS_DIR


SEEDS_MISSING = (
    f"seed documents not found at {SEEDS_DIR} (../shared/seeds beside the repository, "
    "or set LETTERHUB_TEST_SEEDS_DIR): seed-based tests skipped"
)


def pytest_report_header(config) -> str | None:
    return None if SEEDS_DIR.is_dir() else f"seeds: {SEEDS_MISSING}"


def pytest_collection_modifyitems(config, items) -> None:
    """Without seeds, mark the tests that need them as skipped, so the summary folds them per file."""
    if SEEDS_DIR.is_dir() or os.environ.get("CI", "").lower() == "true":
        return
    for item in items:
        if "seeds_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=SEEDS_MISSING))


def read_seed(number: int) -> str:
    """Text of seed ``number`` (0-4), e.g. read_seed(1) for the English letter."""
    (path,) = SEEDS_DIR.glob(f"{number:03d}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_text(seeds_dir):
    """``seed_text(1)`` returns the text of seed 001 (the English letter)."""
    return read_seed


def pdf_text(pdf: bytes | Path) -> str:
    """The PDF's text as poppler's pdftotext lays it out (bytes or a file)."""
    import subprocess

    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def reading_order_text(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it without ``-layout`` (one line per text line), bidi marks removed."""
    import subprocess

    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return BIDI_MARKS.sub("", text)


# A list line as pdftotext gives it: the number (its dot may come out on either side for
# Arabic, where pdftotext keeps the visual order of the digits' run) and the name.
LIST_ITEM = re.compile(r"^\s*[-.]?\s*([0-9٠-٩]+)\s*[-.]?\s*(\S.*?)\s*$")
ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
PAGE_FOOTER = re.compile(
    r"^(Page|صفحة)\s|K7Q2-9XPA|^Verification code|^Verify signatories|رمز التحقق|التحقق من الموقعين"
)


def printed_list(text: str, heading: str) -> list[tuple[int, str]]:
    """The numbered lines of pdftotext's ``text`` that follow ``heading``, up to the first that is not a list item.

    Page footers (page numbers, the verification line) between the lines are skipped.
    """
    items: list[tuple[int, str]] = []
    for line in text.split(heading, 1)[1].splitlines():
        line = line.replace("\f", "").strip()
        if not line or PAGE_FOOTER.search(line):
            continue
        match = LIST_ITEM.match(line)
        if not match:
            break
        items.append((int(match.group(1).translate(ARABIC_INDIC)), match.group(2)))
    return items


def without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- databases -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_schema():
    """A fresh schema in the test database for this session: (url, engine options)."""
    from letterhub import normalise_database_url

    url = normalise_database_url(POSTGRES_URL)
    schema = f"letterhub_test_{uuid.uuid4().hex[:10]}"
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL not reachable at {POSTGRES_URL} ({error.orig.__class__.__name__}): PostgreSQL half skipped"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI this is a failure")
        pytest.skip(message)
    options = {"connect_args": {"options": f"-c search_path={schema}"}, "pool_pre_ping": True}
    yield url, options, schema
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database(request, tmp_path):
    """(kind, url, engine options) for a database that is empty apart from its tables."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'letterhub.db'}", {}
    else:
        url, options, _schema = request.getfixturevalue("postgres_schema")
        yield "postgresql", url, options


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as in production.

    Tests hold an application context open (to use ``db.session``); without this, requests
    would share it, and with it ``g``, the Babel locale and the database session. Before each
    request the test's own transaction is committed and after it the session is expired, so
    the test reads what the request committed.
    """

    def open(self, *args, **kwargs):
        from flask.globals import _cv_app

        if _cv_app.get(None) is not None:
            # The test's own transaction ends first, as a person's ends when the page is shown:
            # on SQLite it would otherwise keep an old snapshot or hold the write lock.
            db.session.commit()
        hidden = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(hidden)
            if _cv_app.get(None) is not None:
                db.session.expire_all()


def make_app(database, tmp_path, **overrides):
    kind, url, options = database
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "DATABASE_URL": url,
        "SQLALCHEMY_ENGINE_OPTIONS": dict(options),
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": 9,  # nothing listens there; tests that send mail start a real SMTP server
        "SMTP_TIMEOUT": 2,
        "MAILBOX_DIR": str(tmp_path / "mailbox"),
        "BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def empty_database(database):
    """A database with no tables at all: on PostgreSQL a schema of its own for this test."""
    kind, url, options = database
    if kind == "sqlite":
        yield database
        return
    schema = f"letterhub_migrations_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield kind, url, {**options, "connect_args": {"options": f"-c search_path={schema}"}}
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def reset_tables(kind: str) -> None:
    db.session.remove()
    if kind == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.engine.dispose()


@pytest.fixture
def app_config():
    """Extra configuration for ``app``; a test module may override this fixture."""
    return {}


@pytest.fixture
def app(database, tmp_path, app_config):
    app = make_app(database, tmp_path, **app_config)
    with app.app_context(), letterhub_database.reading():
        # The test's own code reads between requests (deferred transactions on SQLite), as a
        # person does; the worker steps it calls take the write lock themselves.
        db.create_all()
        yield app
        reset_tables(database[0])


@pytest.fixture
def app_with(database, tmp_path, app):
    """``app_with(**settings)``: another app on the test's database and secret key, for settings
    such as an https BASE_URL or proxy hops that the ``app`` fixture does not have."""
    built = []

    def build(**settings):
        other = make_app(database, tmp_path, **{"SECRET_KEY": app.config["SECRET_KEY"], **settings})
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@contextmanager
def counted_queries():
    """Every SQL statement run inside the block (for query-count checks at 50 and 2,000 rows)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def database_tables() -> list[sa.Table]:
    """Every table found in the database (not only the models'), as the database describes it."""
    tables = sa.MetaData()
    tables.reflect(bind=db.engine)
    return tables.sorted_tables


def database_fingerprint(tables: list[sa.Table] | None = None) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of all its rows: compare one taken before and one
    after something that must write nothing, and any row added, changed or deleted shows.

    Reads what is committed, on a connection of its own (the test's session and the objects
    it holds are left alone). ``tables``: from :func:`database_tables`, to reflect them once
    for many fingerprints (reflecting is most of the cost).
    """
    fingerprint = {}
    with db.engine.connect() as connection:
        for table in database_tables() if tables is None else tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(sa.select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            fingerprint[table.name] = (len(rows), digest)
    return fingerprint


def statements_of_get(client, path: str) -> int:
    """How many SQL statements a GET of ``path`` runs (it must answer 200); the test's session
    is expired first, so the page loads what it shows itself."""
    db.session.expire_all()
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


# --- people and letters ------------------------------------------------------------------


@pytest.fixture
def coordinator(app):
    user = accounts.create_user("coordinator@example.org", "Coordinator", PASSWORD)
    db.session.commit()
    return user


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email="coordinator@example.org", password=PASSWORD):
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(self.client, "/login")},
        )


def close_signing(client, letter_id: int, **fields):
    """Close signing as the letter page's closing step does: the box ticked, and the numbers the
    step named sent back with the form."""
    import re

    show = f"/letters/{letter_id}"
    page = client.get(show).get_data(as_text=True)
    match = re.search(r'name="expected_counts" value="([^"]*)"', page)
    assert match, f"no closing step on {show}"
    data = {"csrf_token": csrf_token(client, show), "confirm": "yes", "expected_counts": match.group(1)}
    return client.post(f"{show}/close", data={**data, **fields})


@pytest.fixture
def auth(client, coordinator):
    return AuthActions(client)


@pytest.fixture
def signed_in(auth):
    response = auth.login()
    assert response.status_code == 302
    return auth.client


LETTER_TEXT = {
    "title_en": "Joint letter on detainees",
    "title_ar": "رسالة مشتركة بشأن المعتقلين",
    "addressees_en": "The Secretary-General\nThe Security Council",
    "addressees_ar": "الأمين العام\nمجلس الأمن",
    "date_place_en": "Geneva, 1 December 2026",
    "date_place_ar": "جنيف، ١ كانون الأول ٢٠٢٦",
    "body_en": "We write to you.\n\n1. Release the detainees.\n2. Reveal their fate.",
    "body_ar": "نكتب إليكم.\n\n1. الإفراج عن المعتقلين.\n2. الكشف عن مصيرهم.",
    "heading_en": "Signatories:",
    "heading_ar": "الموقعون:",
}


@pytest.fixture
def letter(app, coordinator):
    letter = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Test coalition")
    db.session.commit()
    return letter


@pytest.fixture
def invite(letter, coordinator):
    """``invite(name_en, name_ar, email)`` puts an organisation on the letter, sends it, returns (invitation, link)."""

    def invite_organization(
        name_en="Syrian Archive", name_ar="الأرشيف السوري", email="focal@archive.example", language="ar"
    ):
        # A writing transaction from its first read: a worker thread may write at the same time,
        # and on SQLite a transaction that began as a reader cannot then wait for the write lock.
        db.session.commit()
        with letterhub_database.writing():
            invitation = inviting.add_organization(
                letter, name_en=name_en, name_ar=name_ar, email=email, language=language, by=coordinator
            )
            link = inviting.send_invitation(invitation, by=coordinator)
            db.session.commit()
        return invitation, link

    return invite_organization


def answer(invitation, letter, decision: Decision = Decision.CONFIRMED, **fields) -> None:
    """Record a focal point's answer to ``letter``'s current text, as the signing page does, and
    commit: the names the directory has, a signer, consent when confirming. ``fields`` replace
    any of :class:`signing.DecisionInput`'s."""
    values = {
        "decision": decision,
        "revision_id": letter.current_revision.id,
        "name_en": invitation.organization.name_en,
        "name_ar": invitation.organization.name_ar,
        "signer_name": "Hadi Al-Khatib",
        "signer_role": "Director",
        "consent": decision == Decision.CONFIRMED,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (evidence test)",
        **fields,
    }
    signing.record_decision(invitation, signing.DecisionInput(**values))
    db.session.commit()


# --- mail ----------------------------------------------------------------------------------


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp_server(handler):
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 for the block: its port."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd), yielding (port, handler)."""
    handler = RecordingHandler()
    with running_smtp_server(handler) as port:
        yield port, handler


@dataclass(frozen=True)
class SMTPFault:
    """One way for the SMTP server to spoil one delivery attempt.

    ``step`` is where: "EHLO" (the greeting; smtplib then tries HELO, refused the same way),
    "MAIL" (MAIL FROM), "RCPT" (RCPT TO) or "DATA" (the reply to the message's data). There the
    server waits ``delay`` seconds, then answers ``reply`` instead of accepting, or, with
    ``drop``, closes the connection without answering (at DATA: after keeping the message if
    ``keep``, as when only the reply is lost). A ``delay`` alone answers late but normally.
    """

    step: str
    reply: str = ""
    delay: float = 0
    drop: bool = False
    keep: bool = False


class MisbehavingHandler(RecordingHandler):
    """An aiosmtpd handler that misbehaves on purpose.

    Each connection takes the next fault of ``faults`` when it greets (none left: it behaves).
    ``refused`` maps an address to the reply its RCPT TO always gets (a mailbox that will never
    work). ``stalled`` is set when a delay starts; ``connections`` counts greetings.
    """

    def __init__(self):
        super().__init__()
        self.faults: list[SMTPFault] = []
        self.refused: dict[str, str] = {}
        self.connections = 0
        self.stalled = threading.Event()

    def _fault(self, session, step: str) -> SMTPFault | None:
        fault = getattr(session, "fault", None)
        return fault if fault is not None and fault.step == step else None

    async def _misbehave(self, server, fault: SMTPFault) -> str | None:
        """The reply to give instead of the normal one, if any (None: carry on)."""
        if fault.delay:
            self.stalled.set()
            await asyncio.sleep(fault.delay)
        if fault.drop:
            server.transport.close()
            return "250 OK"  # never reaches the client: the connection is closed
        return fault.reply or None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
            session.fault = self.faults.pop(0) if self.faults else None
        session.host_name = hostname
        if fault := self._fault(session, "EHLO"):
            return [await self._misbehave(server, fault) or responses[-1]]
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        if fault := self._fault(session, "EHLO"):
            return fault.reply
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if (fault := self._fault(session, "MAIL")) and (reply := await self._misbehave(server, fault)):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return self.refused[address]
        if (fault := self._fault(session, "RCPT")) and (reply := await self._misbehave(server, fault)):
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self._fault(session, "DATA")
        if fault and fault.keep:
            await super().handle_DATA(server, session, envelope)
        if fault and (reply := await self._misbehave(server, fault)):
            return reply
        if fault and fault.keep:
            return "250 Message accepted for delivery"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def misbehaving_smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that misbehaves as told: (port, handler)."""
    handler = MisbehavingHandler()
    with running_smtp_server(handler) as port:
        yield port, handler
