"""Configuration, migrations, the CLI and the development mailbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from letterhub import create_app
from letterhub.config import DEFAULT_SECRET_KEY, from_environment
from letterhub.extensions import db
from letterhub.models import Letter, OutboxMessage, User
from letterhub.services import mailing

from ..conftest import make_app


def test_migrations_upgrade_an_empty_database_to_exactly_the_models_schema(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("secret", [None, "", DEFAULT_SECRET_KEY])
def test_app_refuses_to_start_in_production_with_missing_or_default_secret(tmp_path, monkeypatch, secret):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    for name in ("LETTERHUB_SECRET_KEY", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    if secret is not None:
        monkeypatch.setenv("LETTERHUB_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="LETTERHUB_SECRET_KEY"):
        create_app()


def test_settings_come_from_instance_config_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "SECRET_KEY = 'from-instance-file'\nSMTP_PORT = 2525\nBASE_URL = 'https://a'\n"
    )
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_BASE_URL", "https://letters.example.org")
    monkeypatch.delenv("LETTERHUB_SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance-file"
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["BASE_URL"] == "https://letters.example.org"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'letterhub.db'}"


def test_environment_values_are_typed():
    settings = from_environment(
        {
            "LETTERHUB_SMTP_PORT": "587",
            "LETTERHUB_SMTP_STARTTLS": "true",
            "OTHER": "x",
            "LETTERHUB_DATABASE_URL": "postgresql://db/letters",
        }
    )
    assert settings == {"SMTP_PORT": 587, "SMTP_STARTTLS": True, "DATABASE_URL": "postgresql://db/letters"}


def test_postgres_urls_use_psycopg3(tmp_path):
    from letterhub import normalise_database_url

    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = make_app(("sqlite", f"sqlite:///{tmp_path / 'x.db'}", {}), tmp_path)
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000  # the default
        db.engine.dispose()


def test_sqlite_busy_timeout_follows_its_setting(tmp_path):
    app = make_app(("sqlite", f"sqlite:///{tmp_path / 'x.db'}", {}), tmp_path, SQLITE_BUSY_TIMEOUT_MS=750)
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 750
        db.engine.dispose()


def test_users_create_adds_a_coordinator_who_can_sign_in(app, runner, client):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@Example.org",
            "--name",
            "New",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "new@example.org"
    assert user.password_hash.startswith("$argon2id$")
    from ..conftest import csrf_token

    response = client.post(
        "/login",
        data={
            "email": "new@example.org",
            "password": "a long enough password",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302


def test_users_create_refuses_short_password_and_duplicates(app, runner):
    assert (
        runner.invoke(args=["users", "create", "--email", "a@example.org", "--password", "short"]).exit_code
        != 0
    )
    assert (
        runner.invoke(
            args=["users", "create", "--email", "a@example.org", "--password", "long enough!!"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=["users", "create", "--email", "A@example.org", "--password", "long enough!!"]
    )
    assert result.exit_code != 0 and "exists already" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_command_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    letter = db.session.scalars(select(Letter)).one()
    revision_hash = letter.current_revision.content_sha256
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "existing" in second.output
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert len(letter.invitations) == 3
    assert db.session.scalars(select(Letter)).one().current_revision.content_sha256 == revision_hash


@pytest.fixture
def mailbox_app(database, tmp_path):
    app = make_app(database, tmp_path, MAIL_TRANSPORT="mailbox")
    with app.app_context():
        db.create_all()
        yield app
        from ..conftest import reset_tables

        reset_tables(database[0])


def test_development_mailbox_shows_sent_mail_with_its_link(mailbox_app):
    mailing.enqueue(
        "focal@example.org", "Invitation", "Open http://localhost/sign/abc to sign.", language="en"
    )
    db.session.commit()
    assert mailing.drain_outbox()["sent"] == 1
    client = mailbox_app.test_client()
    index = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "focal@example.org" in index and "Invitation" in index
    message_path = index.split('href="/dev/mailbox/')[1].split('"')[0]
    page = client.get(f"/dev/mailbox/{message_path}").get_data(as_text=True)
    assert '<a href="http://localhost/sign/abc"' in page


def test_mailbox_route_does_not_exist_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", "a-real-production-secret")
    monkeypatch.setenv("LETTERHUB_MAIL_TRANSPORT", "mailbox")
    monkeypatch.setenv("LETTERHUB_BASE_URL", "http://localhost")  # the test client's host
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app()
    assert app.test_client().get("/dev/mailbox/").status_code == 404


def test_two_workers_never_send_the_same_message_twice(app, smtp_server):
    import threading

    port, received = smtp_server
    app.config["SMTP_PORT"] = port
    for number in range(20):
        mailing.enqueue(f"p{number}@example.org", f"Message {number}", "text")
    db.session.commit()
    totals = []

    def worker():
        with app.app_context():
            totals.append(mailing.drain_outbox()["sent"])
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(totals) == 20
    assert sorted(m["To"] for m in received.messages) == sorted(f"p{n}@example.org" for n in range(20))
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        == 0
    )


def test_message_fails_visibly_after_the_last_attempt(app):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    message = mailing.enqueue("p@example.org", "Subject", "text")
    db.session.commit()
    mailing.drain_outbox()
    db.session.refresh(message)
    mailing.drain_outbox(now=message.next_attempt_at)
    db.session.refresh(message)
    assert message.status.value == "failed" and message.attempts == 2 and message.last_error
    assert message.body_text == mailing.BODY_FORGOTTEN  # a resend issues a new link and message


def test_interface_stylesheet_serves_the_vendored_arabic_font(client):
    """Arabic must be readable on a device without Arabic fonts: app.css points at the vendored Naskh."""
    with client.get("/static/app.css") as response:
        css = response.get_data(as_text=True)
    fonts = re.findall(r'url\("(fonts/NotoNaskhArabic-[A-Za-z]+\.ttf)"\)', css)
    assert fonts == ["fonts/NotoNaskhArabic-Regular.ttf", "fonts/NotoNaskhArabic-Bold.ttf"]
    for font in fonts:
        with client.get(f"/static/{font}") as response:
            assert response.status_code == 200 and response.data[:4] == b"\x00\x01\x00\x00"


def test_render_outcome_migration_carries_old_error_texts_over_and_back(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    now = "2026-11-30 12:00:00+00:00"
    fields = ("title", "addressees", "date_place", "body", "heading")
    with app.app_context():
        upgrade(revision="0002_final_documents")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, password_hash, locale, active, created_at) "
                    "VALUES (1, 'a@example.org', 'A', 'x', 'en', true, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO letters (id, status, coalition, created_by_id, created_at) "
                    "VALUES (1, 'closed', 'C', 1, :now)"
                ),
                {"now": now},
            )
            revision = sa.table(
                "letter_revisions",
                *(sa.column(name) for name in ("id", "letter_id", "number", "content_sha256", "created_at")),
                *(sa.column(f"{f}_{lang}") for f in fields for lang in ("en", "ar")),
            )
            connection.execute(
                sa.insert(revision).values(
                    id=1,
                    letter_id=1,
                    number=1,
                    content_sha256="h",
                    created_at=datetime(2026, 11, 30, tzinfo=UTC),
                    **{f"{f}_{lang}": "" for f in fields for lang in ("en", "ar")},
                )
            )
            for document_id, languages, error in [
                (1, "en,ar", "limit time 300: the PDF took longer than 300 seconds to lay out"),
                (2, "en", "limit memory 2048: the PDF needed more than 2048 MB of memory"),
                (3, "ar", "ValueError: no font for this"),
                (4, "ar,en", ""),
            ]:
                connection.execute(
                    sa.text(
                        "INSERT INTO final_documents (id, letter_id, revision_id, languages, status, error, created_at) "
                        "VALUES (:id, 1, 1, :languages, :status, :error, :now)"
                    ),
                    {
                        "id": document_id,
                        "languages": languages,
                        "status": "failed" if error else "ready",
                        "error": error,
                        "now": now,
                    },
                )

        upgrade(revision="0008_render_outcome")
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, error_kind, error_limit, error FROM final_documents ORDER BY id")
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "time", 300.0, ""),
            (2, "memory", 2048.0, ""),
            (3, "failed", None, "ValueError: no font for this"),
            (4, None, None, ""),
        ]

        downgrade(revision="0002_final_documents")
        with db.engine.connect() as connection:
            errors = (
                connection.execute(sa.text("SELECT error FROM final_documents ORDER BY id")).scalars().all()
            )
            columns = {column["name"] for column in sa.inspect(connection).get_columns("final_documents")}
        assert errors[0].startswith("limit time 300: ") and "300 seconds" in errors[0]
        assert errors[1].startswith("limit memory 2048: ") and "PDF_RENDER_MEMORY_MB" in errors[1]
        assert errors[2:] == ["ValueError: no font for this", ""]
        assert "error_kind" not in columns and "error_limit" not in columns
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()
