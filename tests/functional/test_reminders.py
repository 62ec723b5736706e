"""Reminders counted back from the deadline: to the unanswered only, once per point, even racing."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import OutboxMessage, Reminder, ReminderKind
from letterhub.models.types import utcnow
from letterhub.services import inviting, mailing, reminding

from ..conftest import csrf_token
from .test_signing import confirm_data, path_of


def reminder_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Reminder))


def campaign(letter, invite, coordinator, client):
    """One organisation of each kind: waiting, opened, confirmed, declined, revoked, do-not-remind."""
    waiting, waiting_link = invite("Waiting", "منظمة تنتظر", "waiting@example.org", language="ar")
    opened, _ = invite("Opened", "منظمة فتحت", "opened@example.org", language="en")
    opened.state = opened.state.OPENED
    confirmed, confirmed_link = invite("Confirmed", "منظمة وقعت", "confirmed@example.org", language="en")
    path = path_of(confirmed_link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    declined, declined_link = invite("Declined", "منظمة رفضت", "declined@example.org", language="en")
    path = path_of(declined_link)
    data = {"csrf_token": csrf_token(client, path), "revision_id": letter.current_revision.id, "decline": "1"}
    assert client.post(path, data=data).status_code == 200
    revoked, _ = invite("Revoked", "منظمة ملغاة", "revoked@example.org", language="en")
    inviting.revoke_invitation(revoked, by=coordinator)
    quiet, _ = invite("Quiet", "منظمة هادئة", "quiet@example.org", language="en")
    reminding.set_do_not_remind(quiet, True, by=coordinator)
    letter.deadline = utcnow() + timedelta(days=10)
    db.session.commit()
    return waiting, waiting_link, opened


def test_schedule_reminds_only_the_unanswered_once_per_point_in_their_language(
    app, client, letter, invite, coordinator, smtp_server
):
    waiting, old_link, opened = campaign(letter, invite, coordinator, client)
    deadline = letter.deadline
    assert reminding.next_reminder(letter) == deadline - timedelta(days=7)

    assert reminding.send_due_reminders(now=deadline - timedelta(days=8)) == {"reminded": 0}
    seven_days = deadline - timedelta(days=7) + timedelta(minutes=1)
    assert reminding.send_due_reminders(now=seven_days) == {"reminded": 2}
    assert reminding.send_due_reminders(now=seven_days + timedelta(hours=1)) == {"reminded": 0}
    reminders = db.session.scalars(select(Reminder).order_by(Reminder.invitation_id)).all()
    assert [(r.invitation_id, r.days_before, r.kind) for r in reminders] == [
        (waiting.id, 7, ReminderKind.SCHEDULED),
        (opened.id, 7, ReminderKind.SCHEDULED),
    ]

    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    handler.messages.clear()
    assert mailing.drain_outbox(now=seven_days)["sent"] >= 2
    to_waiting = [m for m in handler.messages if m["To"] == "waiting@example.org"]
    assert len(to_waiting) == 2  # the invitation, then one reminder
    reminder = to_waiting[-1]
    assert reminder["Content-Language"] == "ar" and reminder["Subject"].startswith("تذكير")
    body = reminder.get_body(("plain",)).get_content()
    new_link = re.search(r"http://localhost/sign/\S+", body).group(0)
    assert client.get(path_of(new_link)).status_code == 200  # the reminder's link works
    old_page = client.get(path_of(old_link))  # the earlier email's link says a newer one was sent
    assert old_page.status_code == 410
    assert "waiting@example.org" in old_page.get_data(as_text=True)

    # Three days before: one more each; the worker down at the 3- and 1-day points sends only the last.
    assert reminding.send_due_reminders(now=deadline - timedelta(days=3)) == {"reminded": 2}
    assert reminding.send_due_reminders(now=deadline - timedelta(hours=1)) == {"reminded": 2}
    assert reminding.send_due_reminders(now=deadline + timedelta(hours=1)) == {"reminded": 0}
    assert reminder_count() == 6


def test_a_point_that_passed_before_the_invitation_was_sent_is_not_sent(letter, invite):
    letter.deadline = utcnow() + timedelta(days=2)  # the 7- and 3-day points are already past
    db.session.commit()
    invite()
    assert reminding.send_due_reminders(now=utcnow() + timedelta(minutes=1)) == {"reminded": 0}
    assert reminding.send_due_reminders(now=letter.deadline - timedelta(hours=23)) == {"reminded": 1}


def test_two_workers_racing_send_each_reminder_exactly_once(app, letter, invite):
    invitations = [invite(f"Org {n}", f"منظمة {n}", f"org{n}@example.org")[0] for n in range(6)]
    letter.deadline = utcnow() + timedelta(days=5)
    db.session.commit()
    now = letter.deadline - timedelta(days=3)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reminding.send_due_reminders(now=now)["reminded"])
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
    assert sum(results) == len(invitations)
    db.session.commit()  # end this test's own read (a snapshot on SQLite)
    rows = db.session.execute(
        select(Reminder.invitation_id, func.count()).group_by(Reminder.invitation_id)
    ).all()
    assert sorted(rows) == sorted((invitation.id, 1) for invitation in invitations)
    reminder_mail = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.id.in_(select(Reminder.outbox_message_id)))
    )
    assert reminder_mail == len(invitations)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2 * len(invitations)


def test_letter_page_reminds_a_selection_now_and_turns_reminders_off(
    app, signed_in, client, letter, invite, coordinator
):
    waiting, _link, opened = campaign(letter, invite, coordinator, client)
    show = f"/letters/{letter.id}"
    token = csrf_token(signed_in, show)
    response = signed_in.post(f"{show}/invitations/{opened.id}/reminders", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(opened)
    assert opened.do_not_remind
    everyone = [str(invitation.id) for invitation in letter.invitations]
    response = signed_in.post(
        f"{show}/invitations/selection",
        data={"csrf_token": token, "action": "remind", "invitation_ids": everyone},
    )
    assert response.status_code == 302
    manual = db.session.scalars(select(Reminder)).all()
    assert [(r.invitation_id, r.kind) for r in manual] == [(waiting.id, ReminderKind.MANUAL)]
    # The 7-day point comes later: it reminds the waiting one again, never the one turned off.
    assert reminding.send_due_reminders(now=letter.deadline - timedelta(days=6)) == {"reminded": 1}
    assert db.session.scalars(select(Reminder.invitation_id).where(Reminder.days_before == 7)).all() == [
        waiting.id
    ]
    page = signed_in.get(show).get_data(as_text=True)
    row = page.split(f'data-invitation="{waiting.id}"')[1].split("</tr>")[0]
    assert "2 sent, last" in row
    assert "Next reminder" in page
