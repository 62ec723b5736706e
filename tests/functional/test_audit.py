"""The audit trail: hash chains that verify, refuse forks and edits, and read in words."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from letterhub.extensions import db
from letterhub.models import AuditEvent, Letter
from letterhub.models.audit import GENESIS_HASH, NO_LETTER_CHAIN
from letterhub.models.types import UTCDateTime
from letterhub.services import accounts, audit, drafting, publishing
from letterhub.views import audit as audit_views

from ..conftest import LETTER_TEXT, REPO_ROOT, make_app

# The revision 0009_audit_chain follows, whichever it is once branches are merged.
BEFORE_AUDIT_CHAIN = (
    ScriptDirectory(str(REPO_ROOT / "migrations")).get_revision("0009_audit_chain").down_revision
)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def tamper(sql: str, **params) -> None:
    """Change the table behind the application's back, as someone with database access could.

    On PostgreSQL the append-only trigger would refuse, so this is a superuser session with
    triggers off (``session_replication_role = replica``).
    """
    db.session.remove()
    with db.engine.begin() as connection:
        if is_postgres():
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(sql), params)


def chain_of(letter_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == letter_id).order_by(AuditEvent.sequence)
        )
    )


@pytest.fixture
def letter_with_history(letter, invite, coordinator):
    """A letter with a dozen events: created, invitations added and sent, revised, closed."""
    for number in range(3):
        invite(f"Organisation {number}", f"منظمة {number}", f"focal{number}@example.org")
    drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "A revised body."}, coordinator)
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    return letter


# --- the chain ------------------------------------------------------------------------------


def test_each_letter_and_the_events_without_one_form_chains_linked_by_hash(letter_with_history, coordinator):
    accounts.change_password(coordinator, "another long password")
    db.session.commit()
    db.session.expire_all()

    events = chain_of(letter_with_history.id)
    assert len(events) >= 8
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert events[0].previous_hash == GENESIS_HASH
    assert all(
        later.previous_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False)
    )
    assert len({e.hash for e in events}) == len(events)
    (password_changed,) = [e for e in chain_of(NO_LETTER_CHAIN) if e.action == "user.password_changed"]
    assert password_changed.letter_id is None


def test_the_hash_covers_what_the_database_gives_back_on_both_databases(letter):
    details = {
        "names": ("منظمة الياسمين", "Jasmine"),
        "nested": {"b": 1, "a": [1.5, None, True]},
        "text": "ligne\u00a0\u200f",
    }
    recorded = audit.record("test.round_trip", letter=letter, **details)
    db.session.commit()
    recorded_hash, event_id = recorded.hash, recorded.id
    db.session.remove()

    stored = db.session.get(AuditEvent, event_id)
    assert stored.details["names"] == ["منظمة الياسمين", "Jasmine"]
    assert stored.created_at.tzinfo is not None
    assert audit.event_hash(audit.hashed_fields(stored)) == recorded_hash == stored.hash


def test_events_name_the_organisation_they_concern(letter, invite):
    invitation, _link = invite()
    concerning = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.organization_id == invitation.organization_id)
    ).all()
    assert set(concerning) == {"invitation.added", "invitation.sent"}


def test_a_fork_is_refused_by_the_database_even_without_the_lock(letter):
    first = chain_of(letter.id)[0]
    fork = AuditEvent(
        letter_id=letter.id,
        action="test.fork",
        details={},
        chain=letter.id,
        sequence=first.sequence,
        previous_hash=GENESIS_HASH,
        hash="f" * 64,
    )
    db.session.add(fork)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_writers_appending_to_one_letter_at_once_never_fork_its_chain(app, letter):
    letter_id, writers, per_writer = letter.id, 4, 15
    db.session.commit()  # this thread holds no transaction (on SQLite, no write lock) meanwhile
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def append(writer: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                own_letter = db.session.get(Letter, letter_id)
                for number in range(per_writer):
                    audit.record("test.concurrent", letter=own_letter, writer=writer, number=number)
                    db.session.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=append, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    events = chain_of(letter_id)
    assert sum(e.action == "test.concurrent" for e in events) == writers * per_writer
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert audit.verify().first_break is None


def test_a_second_writer_waits_for_the_first_and_appends_after_it(app, letter):
    letter_id = letter.id
    first = audit.record("test.first", letter=letter)  # not committed: holds the chain's lock
    done = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with app.app_context():
                audit.record("test.second", letter=db.session.get(Letter, letter_id))
                db.session.commit()
        except BaseException as error:
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set(), "the second writer did not wait for the chain's lock"
    db.session.commit()
    thread.join(30)
    assert errors == []
    db.session.expire_all()
    second = chain_of(letter_id)[-1]
    assert second.action == "test.second"
    assert (second.sequence, second.previous_hash) == (first.sequence + 1, first.hash)


# --- append-only ----------------------------------------------------------------------------


def test_postgres_refuses_to_update_or_delete_an_audit_event(letter):
    if not is_postgres():
        pytest.skip("the append-only trigger is PostgreSQL's")
    event_id = chain_of(letter.id)[0].id
    db.session.remove()
    for statement in (
        "UPDATE audit_events SET action = 'letter.forged' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(IntegrityError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement), {"id": event_id})
    assert db.session.get(AuditEvent, event_id).action == "letter.created"


def test_a_letter_with_audit_events_cannot_be_deleted(letter_with_history):
    letter_id = letter_with_history.id
    db.session.remove()
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM letters WHERE id = :id"), {"id": letter_id})
    assert db.session.get(Letter, letter_id) is not None
    assert len(chain_of(letter_id)) >= 8


# --- audit verify -------------------------------------------------------------------------


def test_audit_verify_passes_on_untouched_data(letter_with_history, coordinator, runner):
    accounts.deactivate(coordinator)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert f"audit trail intact: {events} event(s) in 2 chain(s)" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_audit_verify_names_the_first_edited_event(letter_with_history, runner):
    events = chain_of(letter_with_history.id)
    edited, later = events[3], events[5]
    tamper("UPDATE audit_events SET ip_address = '10.0.0.1' WHERE id = :id", id=later.id)
    tamper(
        "UPDATE audit_events SET details = :details WHERE id = :id", id=edited.id, details='{"revision": 9}'
    )

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (
        f"audit trail broken: chain of letter {letter_with_history.id}, event {edited.id} (sequence 4): "
        "hash mismatch" in result.output
    )


def test_audit_verify_detects_an_event_deleted_from_the_middle(letter_with_history, runner):
    events = chain_of(letter_with_history.id)
    tamper("DELETE FROM audit_events WHERE id = :id", id=events[4].id)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {events[5].id} (sequence 6): gap: sequence number expected 5, found 6" in result.output


def test_audit_verify_detects_a_rewritten_link(letter_with_history, runner):
    events = chain_of(letter_with_history.id)
    tamper("UPDATE audit_events SET previous_hash = :forged WHERE id = :id", id=events[2].id, forged="a" * 64)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {events[2].id} (sequence 3): broken link" in result.output


# --- the migration ------------------------------------------------------------------------


def test_migration_chains_the_events_already_stored_and_downgrades(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade(revision="0003_login_sessions")
        letter_id, organization_id = _old_schema_rows()

        upgrade(revision="0009_audit_chain")
        result = audit.verify()
        assert (result.first_break, result.events, result.chains) == (None, 5, 2)
        rows = db.session.execute(
            text("SELECT id, chain, sequence, organization_id FROM audit_events ORDER BY id")
        ).all()
        assert [(r.chain, r.sequence, r.organization_id) for r in rows] == [
            (letter_id, 1, None),
            (NO_LETTER_CHAIN, 1, None),
            (letter_id, 2, organization_id),
            (letter_id, 3, organization_id),
            (NO_LETTER_CHAIN, 2, None),
        ]
        db.session.remove()
        upgrade()  # the models' schema, for what follows
        audit.record("letter.settings", letter=db.session.get(Letter, letter_id))
        db.session.commit()
        assert audit.verify().first_break is None
        if is_postgres():
            db.session.remove()
            with pytest.raises(IntegrityError, match="append-only"), db.engine.begin() as connection:
                connection.execute(text("DELETE FROM audit_events"))

        db.session.remove()
        downgrade(revision=BEFORE_AUDIT_CHAIN)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("audit_events")}
        assert {"chain", "sequence", "previous_hash", "hash", "organization_id"}.isdisjoint(columns)
        with db.engine.begin() as connection:  # no trigger left
            connection.execute(text("UPDATE audit_events SET ip_address = '' WHERE id = 1"))
        upgrade(revision="0009_audit_chain")
        assert audit.verify().first_break is None
        db.session.remove()
        db.engine.dispose()


def _old_schema_rows() -> tuple[int, int]:
    """A letter, an organisation and five audit events written as the code before 0006 did."""
    when = datetime(2026, 11, 30, 9, 15, 42, 123456, tzinfo=UTC)
    users = sa.table(
        "users",
        *(sa.column(n) for n in ("email", "name", "password_hash", "locale", "active")),
        sa.column("created_at", UTCDateTime),
    )
    letters = sa.table(
        "letters",
        *(sa.column(n) for n in ("status", "coalition", "created_by_id")),
        sa.column("created_at", UTCDateTime),
    )
    organizations = sa.table(
        "organizations",
        *(sa.column(n) for n in ("name_en", "name_ar", "email")),
        sa.column("created_at", UTCDateTime),
    )
    invitations = sa.table(
        "invitations",
        *(sa.column(n) for n in ("letter_id", "organization_id", "email", "language", "state")),
        sa.column("created_at", UTCDateTime),
    )
    events = sa.table(
        "audit_events",
        *(sa.column(n) for n in ("letter_id", "user_id", "action", "ip_address")),
        sa.column("details", sa.JSON),
        sa.column("created_at", UTCDateTime),
    )
    with db.engine.begin() as connection:
        user_id = connection.execute(
            users.insert().returning(sa.column("id")),
            {
                "email": "c@example.org",
                "name": "C",
                "password_hash": "x",
                "locale": "en",
                "active": True,
                "created_at": when,
            },
        ).scalar_one()
        letter_id = connection.execute(
            letters.insert().returning(sa.column("id")),
            {"status": "open", "coalition": "", "created_by_id": user_id, "created_at": when},
        ).scalar_one()
        organization_id = connection.execute(
            organizations.insert().returning(sa.column("id")),
            {"name_en": "Jasmine", "name_ar": "الياسمين", "email": "j@example.org", "created_at": when},
        ).scalar_one()
        invitation_id = connection.execute(
            invitations.insert().returning(sa.column("id")),
            {
                "letter_id": letter_id,
                "organization_id": organization_id,
                "email": "j@example.org",
                "language": "ar",
                "state": "confirmed",
                "created_at": when,
            },
        ).scalar_one()
        for letter, action, details in (
            (letter_id, "letter.created", {}),
            (None, "user.login", {}),
            (letter_id, "invitation.added", {"invitation": invitation_id, "organization": organization_id}),
            (
                letter_id,
                "signature.confirmed",
                {"invitation": invitation_id, "revision": 1, "sha256": "ab" * 32},
            ),
            (None, "user.password_changed", {"sessions_ended": 2, "note": "كلمة"}),
        ):
            connection.execute(
                events.insert(),
                {
                    "letter_id": letter,
                    "user_id": user_id,
                    "action": action,
                    "ip_address": "",
                    "details": details,
                    "created_at": when,
                },
            )
    return letter_id, organization_id


# --- reading the trail ----------------------------------------------------------------------


def test_coordinators_read_a_letters_audit_trail_in_words(signed_in, letter, invite):
    invite()
    page = signed_in.get(f"/letters/{letter.id}/audit?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for words in (
        "Letter created",
        "Organisation added to the list",
        "Invitation link sent",
        "Syrian Archive",
    ):
        assert words in html
    assert "invitation.sent" not in html.split("<tbody>")[1].replace('data-action="invitation.sent"', "")

    arabic = signed_in.get(f"/letters/{letter.id}/audit?lang=ar").get_data(as_text=True)
    assert "أُرسل رابط الدعوة" in arabic
    assert "الأرشيف السوري" in arabic
    assert f'href="/letters/{letter.id}/audit"' in signed_in.get(f"/letters/{letter.id}").get_data(
        as_text=True
    )


def test_the_audit_trail_filters_by_organisation(signed_in, letter, invite):
    first, _ = invite("First", "الأولى", "first@example.org")
    invite("Second", "الثانية", "second@example.org")
    html = signed_in.get(f"/letters/{letter.id}/audit?lang=en&organization={first.organization_id}").get_data(
        as_text=True
    )
    rows = html.split("<tbody>")[1]
    assert rows.count("<tr ") == 2  # added and sent
    assert "First" in rows and "Second" not in rows


def test_a_long_audit_trail_is_paginated_and_read_in_one_query(signed_in, letter, monkeypatch):
    monkeypatch.setattr(audit_views, "PER_PAGE", 5)
    for number in range(12):
        audit.record("letter.settings", letter=letter, number=number)
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = signed_in.get(f"/letters/{letter.id}/audit?lang=en").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    reading_events = [s for s in statements if s.lstrip().startswith("SELECT audit_events.")]
    assert len(reading_events) == 1
    assert first.split("<tbody>")[1].count("<tr ") == 5
    assert "Older events" in first and "Newer events" not in first
    last = signed_in.get(f"/letters/{letter.id}/audit?lang=en&page=3").get_data(as_text=True)
    assert last.split("<tbody>")[1].count("<tr ") == 4  # 14 events (created, its owner, 12): 5, 5, 4
    assert "Newer events" in last and "Older events" not in last


def test_oversized_filters_and_pages_are_ignored_not_errors(signed_in, letter):
    for query in (
        "organization=99999999999999999999",
        "page=99999999999999999999",
        "page=-3",
        "organization=x",
    ):
        assert signed_in.get(f"/letters/{letter.id}/audit?{query}").status_code == 200
    assert signed_in.get("/letters/99999999999999999999/audit").status_code == 404


def test_the_audit_trail_is_for_signed_in_coordinators_only(client, letter_with_history):
    response = client.get(f"/letters/{letter_with_history.id}/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    code = letter_with_history.verification_code
    public = client.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "Audit trail" not in public and "/audit" not in public
