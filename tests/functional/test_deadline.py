"""The signing deadline: a moment in the coalition's zone that the signing page obeys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import InvitationState, Letter, OutboxMessage, Signature
from letterhub.models.types import utcnow
from letterhub.services import deadlines, finalizing, inviting

from ..conftest import LETTER_TEXT, csrf_token, make_app
from .test_signing import confirm_data, path_of, signature_count

DAMASCUS = "Asia/Damascus"


def set_deadline(letter, moment: datetime, *, allow_late: bool = False) -> None:
    letter.deadline = moment
    letter.deadline_timezone = DAMASCUS
    letter.allow_late_signatures = allow_late
    db.session.commit()


def edit_letter(client, letter, **fields):
    path = f"/letters/{letter.id}/edit"
    data = {
        "csrf_token": csrf_token(client, path),
        "base_revision": letter.current_revision.number,
        "action": "save",
        "deadline_timezone": DAMASCUS,
        "reminder_days": "7,3,1",
        **LETTER_TEXT,
        **fields,
    }
    return client.post(path, data=data)


def test_a_date_alone_means_the_end_of_that_day_in_the_letters_zone(signed_in, letter):
    response = edit_letter(signed_in, letter, deadline="2026-12-15")
    assert response.status_code == 302
    db.session.refresh(letter)
    # Damascus is UTC+3 all year: 23:59:59 there is 20:59:59 UTC.
    assert letter.deadline == datetime(2026, 12, 15, 20, 59, 59, tzinfo=UTC)
    assert letter.deadline_timezone == DAMASCUS
    page = signed_in.get(f"/letters/{letter.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-15"' in page and '<option selected value="Asia/Damascus">' in page


def test_a_time_is_taken_in_the_chosen_zone(signed_in, letter):
    edit_letter(
        signed_in, letter, deadline="2026-12-15", deadline_time="12:00", deadline_timezone="Europe/Paris"
    )
    db.session.refresh(letter)
    assert letter.deadline == datetime(2026, 12, 15, 11, 0, tzinfo=UTC)


def test_deadline_is_shown_in_arabic_with_arabic_digits_and_the_zone(client, letter, invite):
    set_deadline(letter, datetime(2026, 12, 15, 20, 59, 59, tzinfo=UTC))
    _invitation, link = invite(language="ar")
    page = client.get(path_of(link)).get_data(as_text=True)
    assert "١٥ ديسمبر ٢٠٢٦" in page  # the day, in Arabic words and digits
    assert "٢٣:٥٩" in page  # the time in Damascus, not UTC
    assert "توقيت سوريا" in page and "Asia/Damascus" in page
    english = client.get(path_of(link) + "?lang=en").get_data(as_text=True)
    assert "December 15, 2026" in english and "23:59" in english and "Syria Time" in english


def test_invitation_email_states_the_deadline_in_its_language(app, letter, invite, smtp_server):
    from letterhub.services import mailing

    set_deadline(letter, datetime(2026, 12, 15, 20, 59, 59, tzinfo=UTC))
    invite(language="ar")
    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    assert mailing.drain_outbox()["sent"] == 1
    body = handler.messages[0].get_body(("plain",)).get_content()
    assert "١٥ ديسمبر ٢٠٢٦" in body and "٢٣:٥٩" in body and "توقيت سوريا" in body


def test_after_the_deadline_a_confirmation_is_refused_with_a_clear_page_and_nothing_written(
    client, letter, invite
):
    invitation, link = invite(language="en")
    path = path_of(link)
    data = confirm_data(client, path, letter)
    set_deadline(letter, utcnow() - timedelta(hours=1))

    page = client.get(path).get_data(as_text=True)
    assert "The deadline for signing has passed" in page
    assert "coordinator@example.org" in page  # whom to ask: the letter's creator
    assert 'name="confirm"' not in page

    response = client.post(path, data=data)
    assert response.status_code == 409
    assert "The deadline for signing has passed" in response.get_data(as_text=True)
    assert signature_count() == 0
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.PENDING


def test_the_contact_after_the_deadline_can_be_set_on_the_letter(client, letter, invite):
    _invitation, link = invite(language="en")
    letter.contact_email = "campaign@coalition.example"
    set_deadline(letter, utcnow() - timedelta(hours=1))
    assert "campaign@coalition.example" in client.get(path_of(link)).get_data(as_text=True)


def test_declining_and_withdrawing_stay_possible_after_the_deadline(client, letter, invite):
    invitation, link = invite(language="en")
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    set_deadline(letter, utcnow() - timedelta(hours=1))
    page = client.get(path).get_data(as_text=True)
    assert "Withdraw our signature" in page
    data = {
        "csrf_token": csrf_token(client, path),
        "revision_id": letter.current_revision.id,
        "decline_reason": "Board decided otherwise",
        "decline": "1",
    }
    assert client.post(path, data=data).status_code == 200
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.DECLINED
    signature = db.session.scalars(select(Signature)).one()
    assert signature.decision.value == "declined" and signature.decline_reason == "Board decided otherwise"
    assert finalizing.confirmed_signatures(letter) == []


def test_allowed_late_signatures_are_recorded_and_marked_late(client, signed_in, letter, invite):
    invitation, link = invite(language="en")
    path = path_of(link)
    data = confirm_data(client, path, letter)
    set_deadline(letter, utcnow() - timedelta(hours=1), allow_late=True)
    assert "listed as a late signature" in client.get(path).get_data(as_text=True)
    assert client.post(path, data=data).status_code == 200
    signature = db.session.scalars(select(Signature)).one()
    assert deadlines.is_late(letter, signature.decided_at)
    (signatory,) = finalizing.signatories_in(letter, letter.current_revision, "en")
    assert signatory.late  # the final list appends or merges it as late, as it does for late_after
    assert "Late signature" in signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)


def test_extending_the_deadline_reopens_the_same_link(client, signed_in, app, letter, invite):
    invitation, link = invite(language="en")
    path = path_of(link)
    data = confirm_data(client, path, letter)
    grace = timedelta(days=app.config["DEADLINE_LINK_GRACE_DAYS"])
    # The link is past its own age and past the grace after a deadline long gone.
    invitation.expires_at = utcnow() - timedelta(days=1)
    set_deadline(letter, utcnow() - grace - timedelta(days=1))
    assert client.get(path).status_code == 410
    assert client.post(path, data=data).status_code == 410
    assert signature_count() == 0

    later = (utcnow() + timedelta(days=10)).date()
    assert edit_letter(signed_in, letter, deadline=later.isoformat()).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # no new link was sent
    assert client.get(path).status_code == 200
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    assert signature_count() == 1


def test_extending_the_deadline_can_tell_the_unanswered_in_their_language(
    signed_in, letter, invite, coordinator
):
    waiting_ar, _ = invite("Waiting AR", "منظمة تنتظر", "ar@example.org", language="ar")
    waiting_en, _ = invite("Waiting EN", "منظمة أخرى", "en@example.org", language="en")
    revoked, _ = invite("Revoked", "ملغاة", "revoked@example.org", language="en")
    inviting.revoke_invitation(revoked, by=coordinator)
    db.session.commit()
    later = (utcnow() + timedelta(days=10)).date()
    response = edit_letter(signed_in, letter, deadline=later.isoformat(), notify_unanswered="y")
    assert response.status_code == 302
    notices = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like("%: %"), OutboxMessage.id > 3)
    ).all()
    assert sorted(message.recipient for message in notices) == ["ar@example.org", "en@example.org"]
    arabic = next(message for message in notices if message.recipient == "ar@example.org")
    assert arabic.language == "ar" and arabic.subject.startswith("موعد نهائي جديد")
    assert "/sign/" not in arabic.body_text  # no new link: the one they hold works


def test_a_late_deadline_keeps_a_link_alive_past_its_own_age(app, letter, invite):
    invitation, _link = invite()
    set_deadline(letter, utcnow() + timedelta(days=60))
    expires = deadlines.link_expires_at(invitation)
    assert expires == letter.deadline + timedelta(days=app.config["DEADLINE_LINK_GRACE_DAYS"])


# --- migration ---------------------------------------------------------------------------------

BEFORE = "0004_import_review_state"
WHEN = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_migration_turns_dates_into_the_end_of_the_day_in_the_default_zone_and_back_losing_nothing(
    empty_database, tmp_path
):
    app = make_app(empty_database, tmp_path, DEFAULT_TIMEZONE=DAMASCUS)
    users = sa.table(
        "users",
        *(sa.column(name) for name in ("id", "email", "name", "password_hash", "locale", "active")),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    letters = sa.table(
        "letters",
        *(sa.column(name) for name in ("id", "status", "coalition", "created_by_id", "source")),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("deadline", sa.Date),
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                users.insert().values(
                    id=1,
                    email="c@example.org",
                    name="C",
                    password_hash="x",
                    locale="en",
                    active=True,
                    created_at=WHEN,
                )
            )
            for letter_id, deadline in ((1, date(2026, 12, 15)), (2, None)):
                connection.execute(
                    letters.insert().values(
                        id=letter_id,
                        status="open",
                        coalition="",
                        created_by_id=1,
                        source="drafted",
                        created_at=WHEN,
                        deadline=deadline,
                    )
                )
            connection.execute(
                sa.text(
                    "INSERT INTO letter_revisions (id, letter_id, number, content_sha256, created_at, title_en,"
                    " title_ar, addressees_en, addressees_ar, date_place_en, date_place_ar, body_en, body_ar,"
                    " heading_en, heading_ar) VALUES (1, 1, 1, 'x', :when, 'T', '', '', '', '', '', '', '', '', '')"
                ),
                {"when": WHEN},
            )
        upgrade()
        first, second = db.session.get(Letter, 1), db.session.get(Letter, 2)
        assert first.deadline == datetime(2026, 12, 15, 20, 59, 59, tzinfo=UTC)
        assert first.deadline_timezone == DAMASCUS
        assert second.deadline is None
        assert first.reminder_days == "7,3,1" and not first.allow_late_signatures
        db.session.remove()

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, deadline FROM letters ORDER BY id")).all()
            # The letters' rows were altered in place, never copied and dropped: nothing cascaded away.
            assert connection.scalar(sa.text("SELECT count(*) FROM letter_revisions")) == 1
        assert [(row[0], str(row[1]) if row[1] else None) for row in rows] == [(1, "2026-12-15"), (2, None)]
        db.session.remove()
        db.engine.dispose()
