"""After a substantive change: the emails asking to confirm again are written by the mail
worker (once, in each organisation's language, even with workers racing), the organisations
that must reconfirm are reminded, "everyone who confirmed" leaves them out until they do, and
a focal point switches between named and not named without withdrawing."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from letterhub import database
from letterhub.extensions import db
from letterhub.models import (
    AuditEvent,
    InvitationState,
    OutboxMessage,
    ReconfirmationRequest,
    Reminder,
    Signature,
    SignatureDecision,
)
from letterhub.models.types import utcnow
from letterhub.services import bulk_inviting, drafting, finalizing, inviting, reconfirming, reminding, signing

from ..conftest import LETTER_TEXT, close_signing, csrf_token, pdf_text, printed_list
from .test_answers import plain, receipts
from .test_corrections import REWORDED, confirm, edit
from .test_signing import latest_link, path_of

SECOND_CHANGE = {**REWORDED, "body_en": REWORDED["body_en"] + "\n4. Let families visit."}


def three_confirmed(client, letter, invite):
    """Three organisations that confirmed revision 1 (Arabic, English, English) and one that never answered."""
    confirmed = []
    for number, language in enumerate(("ar", "en", "en")):
        invitation, link = invite(
            f"Org {number}", f"منظمة {number}", f"org{number}@example.org", language=language
        )
        confirm(client, link, letter, name_en=f"Org {number}", name_ar=f"منظمة {number}")
        confirmed.append((invitation, link))
    waiting, _ = invite("Waiting", "منظمة تنتظر", "waiting@example.org", language="en")
    return confirmed, waiting


def requests_done() -> list[tuple[int, str]]:
    db.session.commit()
    return [
        (row.invitation_id, row.outcome)
        for row in db.session.scalars(select(ReconfirmationRequest).order_by(ReconfirmationRequest.id))
        if row.done_at is not None
    ]


def test_the_save_records_the_requests_and_the_worker_writes_each_email_once_in_its_language(
    app, client, signed_in, letter, invite, smtp_server
):
    confirmed, waiting = three_confirmed(client, letter, invite)
    receipts(app, smtp_server)  # the invitations and receipts
    outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    response = edit(signed_in, letter, REWORDED)
    assert response.status_code == 302
    db.session.expire_all()
    # Nothing rendered in the request: three requests recorded, no email queued yet.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before
    assert db.session.scalar(select(func.count()).select_from(ReconfirmationRequest)) == 3
    assert "3 organisations that had confirmed were asked to confirm again" in signed_in.get(
        f"/letters/{letter.id}"
    ).get_data(as_text=True)

    # The link confirmed through already says that a newer email is on its way, to whom.
    old_page = client.get(path_of(confirmed[1][1]))
    assert old_page.status_code == 410
    text = old_page.get_data(as_text=True)
    assert "A newer link replaces this one" in text
    assert "confirm again is on its way to org1@example.org" in text
    assert "The most recent email was sent" not in text  # that one was the receipt: not the newer email

    # Two workers racing over the same requests: each email is written exactly once.
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reconfirming.send_requested()["reconfirmations"])
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 3
    assert reconfirming.send_requested() == {"reconfirmations": 0}
    assert sorted(requests_done()) == sorted((invitation.id, "sent") for invitation, _ in confirmed)

    mails = receipts(app, smtp_server)
    assert sorted(message["To"] for message in mails) == [
        "org0@example.org",
        "org1@example.org",
        "org2@example.org",
    ]
    by_address = {message["To"]: message for message in mails}
    arabic = by_address["org0@example.org"]
    assert arabic["Content-Language"] == "ar" and arabic["Subject"].startswith("تغيّرت الرسالة")
    assert plain(arabic).index("== العربية ==") < plain(arabic).index("== English ==")
    english = plain(by_address["org1@example.org"])
    assert "you confirmed revision 1, the text is now revision 2" in english
    assert "We write to you {+urgently+}." in english
    # The email's link opens the page with the difference; the old page now names that email.
    new_link = re.search(r"http://localhost/sign/\S+", english).group(0)
    page = client.get(path_of(new_link)).get_data(as_text=True)
    assert "What changed since revision 1, which you confirmed" in page
    assert "The most recent email was sent to org1@example.org" in client.get(
        path_of(confirmed[1][1])
    ).get_data(as_text=True)
    asked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "invitation.reconfirmation_asked")
    ).all()
    assert sorted(event.details["invitation"] for event in asked) == sorted(i.id for i, _ in confirmed)
    db.session.refresh(waiting)
    assert waiting.state == InvitationState.PENDING


def test_a_request_no_longer_needed_sends_nothing_and_a_second_change_sends_one_email(
    app, client, letter, invite, coordinator, smtp_server
):
    (first, second, third), _waiting = three_confirmed(client, letter, invite)
    receipts(app, smtp_server)
    with database.writing():
        drafting.save_revision(letter, 1, REWORDED, coordinator)
        db.session.commit()
    with database.writing():
        drafting.save_revision(letter, 2, SECOND_CHANGE, coordinator)  # before the worker ran
        inviting.revoke_invitation(third[0], by=coordinator)
        db.session.commit()

    assert reconfirming.send_requested() == {"reconfirmations": 6}
    outcomes = requests_done()
    assert sorted(outcomes[:3]) == [
        (first[0].id, "superseded"),
        (second[0].id, "superseded"),
        (third[0].id, "superseded"),
    ]
    assert sorted(outcomes[3:]) == [(first[0].id, "sent"), (second[0].id, "sent"), (third[0].id, "revoked")]
    mails = receipts(app, smtp_server)
    assert sorted(message["To"] for message in mails) == ["org0@example.org", "org1@example.org"]
    assert "you confirmed revision 1, the text is now revision 3" in plain(
        next(m for m in mails if m["To"] == "org1@example.org")
    )


def test_a_worker_that_died_holding_requests_leaves_them_to_another_once_the_claim_expires(
    app, client, letter, invite, coordinator
):
    (first, _second, _third), _waiting = three_confirmed(client, letter, invite)
    with database.writing():
        drafting.save_revision(letter, 1, REWORDED, coordinator)
        db.session.commit()
    claimed_until = utcnow() + timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"])
    with database.writing():  # a worker claimed every request, then was killed
        db.session.execute(update(ReconfirmationRequest).values(claimed_until=claimed_until))
        db.session.commit()
    assert reconfirming.send_requested() == {"reconfirmations": 0}
    assert reconfirming.send_requested(now=claimed_until + timedelta(seconds=1)) == {"reconfirmations": 3}
    assert [outcome for _id, outcome in requests_done()] == ["sent"] * 3
    assert latest_subject(first[0]).startswith("تغيّرت الرسالة")


def latest_subject(invitation) -> str:
    return db.session.scalars(
        select(OutboxMessage.subject)
        .where(OutboxMessage.invitation_id == invitation.id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).one()


# --- reminders -------------------------------------------------------------------------------


def test_scheduled_reminders_go_to_the_unanswered_and_to_those_that_must_reconfirm(
    app, client, letter, invite, coordinator, smtp_server
):
    (must, current, quiet), waiting = three_confirmed(client, letter, invite)
    declined, declined_link = invite("Declined", "منظمة رفضت", "declined@example.org", language="en")
    path = path_of(declined_link)
    data = {"csrf_token": csrf_token(client, path), "revision_id": letter.current_revision.id, "decline": "1"}
    assert client.post(path, data=data).status_code == 200
    with database.writing():
        letter.deadline = utcnow() + timedelta(days=10)
        drafting.save_revision(letter, 1, REWORDED, coordinator)
        reminding.set_do_not_remind(quiet[0], True, by=coordinator)
        db.session.commit()
    # Not reminded while the request's email is still to be written; then only after the next point.
    assert reminding.send_due_reminders(now=letter.deadline - timedelta(days=7)) == {"reminded": 1}
    reconfirming.send_requested()
    path = path_of(latest_link(current[0]))
    confirm(client, path, letter, name_en="Org 1", name_ar="منظمة 1")  # confirms the new text: counts
    receipts(app, smtp_server)

    three_days = letter.deadline - timedelta(days=3)
    assert reminding.send_due_reminders(now=three_days) == {"reminded": 2}
    reminded = db.session.scalars(select(Reminder.invitation_id).where(Reminder.days_before == 3)).all()
    assert sorted(reminded) == sorted([must[0].id, waiting.id])
    mails = {message["To"]: message for message in receipts(app, smtp_server)}
    assert set(mails) == {"org0@example.org", "waiting@example.org"}
    arabic = mails["org0@example.org"]
    assert arabic["Content-Language"] == "ar"
    assert arabic["Subject"].startswith("تذكير: يرجى تأكيد الرسالة المعدّلة")
    assert "تغيّر نص الرسالة المشتركة" in plain(arabic)
    english = plain(mails["waiting@example.org"])
    assert "has not yet answered" in english and "confirmed it" not in english
    link = re.search(r"http://localhost/sign/\S+", plain(arabic)).group(0)
    assert "What changed since revision 1" in client.get(path_of(link) + "?lang=en").get_data(as_text=True)


def test_remind_now_picks_the_organisations_that_must_reconfirm_from_the_dashboard_filter(
    app, client, signed_in, letter, invite, coordinator
):
    (must, current, _third), waiting = three_confirmed(client, letter, invite)
    with database.writing():
        drafting.save_revision(letter, 1, REWORDED, coordinator)
        db.session.commit()
    reconfirming.send_requested()
    confirm(client, path_of(latest_link(current[0])), letter, name_en="Org 1", name_ar="منظمة 1")

    page = signed_in.get(f"/letters/{letter.id}?state=must-reconfirm").get_data(as_text=True)
    assert '<option value="must-reconfirm" selected>Must reconfirm</option>' in page
    rows = [int(found) for found in re.findall(r'<tr data-invitation="(\d+)"', page)]
    assert sorted(rows) == sorted([must[0].id, _third[0].id])

    path = f"/letters/{letter.id}"
    response = signed_in.post(
        f"/letters/{letter.id}/invitations/selection",
        data={
            "csrf_token": csrf_token(signed_in, path),
            "action": "remind",
            "invitation_ids": [str(must[0].id), str(current[0].id), str(waiting.id)],
        },
    )
    assert response.status_code in (302, 303)
    db.session.expire_all()
    reminded = db.session.scalars(select(Reminder.invitation_id)).all()
    assert sorted(reminded) == sorted([must[0].id, waiting.id])  # not the one whose answer counts
    assert "تذكير: يرجى تأكيد الرسالة المعدّلة" in latest_subject(must[0])


# --- everyone who confirmed -----------------------------------------------------------------


def test_everyone_who_confirmed_is_the_final_list_or_those_whose_confirmation_counts(
    app, client, signed_in, letter, invite, coordinator
):
    (must, current, unnamed), _waiting = three_confirmed(client, letter, invite)
    with database.writing():
        drafting.save_revision(letter, 1, REWORDED, coordinator)
        db.session.commit()
    reconfirming.send_requested()
    confirm(client, path_of(latest_link(current[0])), letter, name_en="Org 1", name_ar="منظمة 1")
    confirm(client, path_of(latest_link(unnamed[0])), letter, name_en="Org 2", name_ar="منظمة 2", unnamed="y")
    ids = {invitation.organization_id for invitation, _ in (current, unnamed)}
    # Open: the organisation that confirmed only the earlier text is not among them.
    assert set(bulk_inviting.confirmed_organization_ids(letter.id)) == ids

    other = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Test coalition")
    db.session.commit()
    assert inviting.invite_from(other, letter, confirmed_only=True, by=coordinator) == 2
    assert {invitation.organization_id for invitation in other.invitations} == ids
    db.session.commit()

    # Closed: the final list, the organisation not named publicly included.
    assert close_signing(signed_in, letter.id).status_code == 303
    db.session.expire_all()
    assert set(finalizing.listed_organization_ids(letter)) == ids
    assert set(bulk_inviting.confirmed_organization_ids(letter.id)) == ids


# --- named or not ----------------------------------------------------------------------------


def test_a_focal_point_switches_between_named_and_not_named_without_withdrawing(
    app, client, signed_in, letter, invite, smtp_server
):
    first, first_link = invite("First Org", "المنظمة الأولى", "first@example.org", language="en")
    confirm(client, first_link, letter, name_en="First Org", name_ar="المنظمة الأولى")
    archive, link = invite(language="ar")
    confirm(client, link, letter)
    receipts(app, smtp_server)
    path = path_of(link)
    page = client.get(path + "?lang=en").get_data(as_text=True)
    assert "Do not name our organisation publicly" in page

    def switch(unnamed: bool):
        data = {
            "csrf_token": csrf_token(client, path),
            "revision_id": letter.current_revision.id,
            "unnamed": "y" if unnamed else "",
            "naming": "1",
        }
        return client.post(path, data=data)

    with database.writing():  # both confirmed two hours ago, before a deadline now past
        for signature in db.session.scalars(select(Signature)):
            signature.decided_at = utcnow() - timedelta(hours=2 - signature.id / 100)
        letter.deadline = utcnow() - timedelta(hours=1)  # the choice of naming is still theirs
        db.session.commit()
    response = switch(True)
    assert response.status_code == 200
    db.session.expire_all()
    signature = signing.existing_answer(archive)
    assert signature.unnamed is True and archive.state == InvitationState.CONFIRMED
    # Still listed, in its place, counted without its name.
    assert [s.name_en for s in finalizing.confirmed_signatures(letter)] == ["First Org", "Syrian Archive"]
    assert finalizing.public_signatures(letter)[1] == 1
    (mail,) = receipts(app, smtp_server)
    assert mail["To"] == "focal@archive.example" and mail["Content-Language"] == "ar"
    assert "طلبت منظمتكم عدم ذكر اسمها علنًا" in plain(mail)

    # A stale page pressing the same button again: already recorded, nothing written.
    assert switch(True).status_code == 409
    assert receipts(app, smtp_server) == []
    # And back: named again, a third decision in the history, a receipt saying so.
    assert switch(False).status_code == 200
    db.session.expire_all()
    assert signing.existing_answer(archive).unnamed is False
    history = db.session.scalars(
        select(SignatureDecision)
        .where(SignatureDecision.invitation_id == archive.id)
        .order_by(SignatureDecision.id)
    ).all()
    assert [(h.kind.value, h.unnamed, h.late) for h in history] == [
        ("confirmed", False, False),
        ("confirmed", True, False),
        ("confirmed", False, False),
    ]
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "signature.confirmed", AuditEvent.letter_id == letter.id)
        .order_by(AuditEvent.sequence)
    ).all()
    assert [(e.details.get("naming_changed", False), e.details["unnamed"]) for e in events][-2:] == [
        (True, True),
        (True, False),
    ]
    (mail,) = receipts(app, smtp_server)
    assert "طلبت منظمتكم ذكر اسمها علنًا" in plain(mail)

    assert close_signing(signed_in, letter.id).status_code == 303
    db.session.expire_all()
    from letterhub.services import publishing

    publishing.render_queued_documents()
    text = pdf_text(publishing.ready_document(letter, "en,ar").pdf)
    assert printed_list(text, "Signatories:") == [(1, "First Org"), (2, "Syrian Archive")]
    assert switch(True).status_code == 409  # closed: the list is frozen
