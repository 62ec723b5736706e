"""The focal point's link: what it opens, what it refuses, and that only a POST signs."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import Decision, InvitationState, OutboxMessage, Signature
from letterhub.models.types import utcnow
from letterhub.services import drafting, inviting, reconfirming

from ..conftest import LETTER_TEXT, csrf_token


def path_of(link: str) -> str:
    return link.removeprefix("http://localhost")


def confirm_data(client, path, letter, **overrides):
    data = {
        "csrf_token": csrf_token(client, path),
        "revision_id": letter.current_revision.id,
        "name_en": "Syrian Archive",
        "name_ar": "الأرشيف السوري",
        "signer_name": "Hadi",
        "signer_role": "Director",
        "consent": "y",
        "confirm": "1",
    }
    data.update(overrides)
    return data


def signature_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Signature))


def test_opening_the_link_with_get_or_head_changes_nothing(client, letter, invite):
    invitation, link = invite()
    for method in (client.get, client.head):
        assert method(path_of(link)).status_code == 200
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.PENDING
    assert invitation.opened_at is None
    assert signature_count() == 0


def test_signing_page_opens_in_the_invitations_language_and_can_be_switched(client, letter, invite):
    _invitation, link = invite(language="ar")
    page = client.get(path_of(link)).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    page = client.get(path_of(link) + "?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page


def test_page_script_marks_the_invitation_opened_with_a_csrf_protected_post(client, letter, invite):
    invitation, link = invite()
    path = path_of(link)
    assert client.post(path + "/opened").status_code == 400  # no CSRF token
    token = csrf_token(client, path)
    assert client.post(path + "/opened", headers={"X-CSRFToken": token}).get_json() == {"status": "opened"}
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.OPENED


def test_confirm_records_signature_bound_to_the_revision_shown(client, letter, invite):
    invitation, link = invite()
    path = path_of(link)
    response = client.post(path, data=confirm_data(client, path, letter), headers={"User-Agent": "phone"})
    assert response.status_code == 200
    signature = db.session.scalars(select(Signature)).one()
    assert signature.decision == Decision.CONFIRMED
    assert signature.revision_id == letter.current_revision.id
    assert signature.revision_sha256 == letter.current_revision.content_sha256
    assert (signature.signer_name, signature.signer_role) == ("Hadi", "Director")
    assert signature.ip_address == "127.0.0.1" and signature.user_agent == "phone"
    assert signature.decided_at <= utcnow()


def test_second_confirm_says_already_recorded_and_keeps_one_signature(client, letter, invite):
    _invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter)  # the form as a second tab still shows it
    assert client.post(path, data=data).status_code == 200
    second = client.post(path, data={**data, "signer_name": "Someone else"})
    assert second.status_code == 409
    assert signature_count() == 1
    assert db.session.scalars(select(Signature)).one().signer_name == "Hadi"


def test_confirm_without_consent_comes_back_filled_in_and_records_nothing(client, letter, invite):
    _invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter, signer_name="Hadi Al-Khatib")
    del data["consent"]
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Hadi Al-Khatib"' in page
    assert "aria-invalid" in page or "has-error" in page
    assert signature_count() == 0


def test_bad_input_message_is_in_arabic_on_an_arabic_page(client, letter, invite):
    _invitation, link = invite(language="ar")
    path = path_of(link)
    data = confirm_data(client, path, letter, signer_name="")
    page = client.post(path, data=data).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    with force_locale("ar"):
        message = gettext("Enter your name.")
    assert message != "Enter your name."  # the Arabic catalogue has it
    assert message in page
    assert signature_count() == 0


def test_post_without_csrf_token_records_nothing(client, letter, invite):
    _invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter)
    data["csrf_token"] = "forged"
    assert client.post(path, data=data).status_code == 422
    assert signature_count() == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-3],  # truncated
        lambda token: token[:10] + ("A" if token[10] != "A" else "B") + token[11:],  # tampered
        lambda token: "not-a-token",
    ],
)
def test_tampered_or_truncated_link_is_refused_and_writes_nothing(client, letter, invite, mangle):
    invitation, link = invite()
    token = path_of(link).removeprefix("/sign/")
    bad = "/sign/" + mangle(token)
    assert client.get(bad).status_code == 404
    response = client.post(bad, data=confirm_data(client, path_of(link), letter))
    assert response.status_code == 404
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.PENDING and signature_count() == 0


def test_link_signed_with_another_key_is_refused(client, app, letter, invite):
    from letterhub.services.tokens import issue_invitation_token

    invitation, _link = invite()
    forged = issue_invitation_token(invitation.id, "some other secret").token
    assert client.get(f"/sign/{forged}").status_code == 404


def test_revoked_link_is_refused_and_writes_nothing(client, letter, invite, coordinator):
    invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter)
    inviting.revoke_invitation(invitation, by=coordinator)
    db.session.commit()
    assert client.get(path).status_code == 410
    assert client.post(path, data=data).status_code == 410
    assert signature_count() == 0


def test_resend_makes_the_old_link_useless(client, letter, invite, coordinator):
    invitation, old_link = invite()
    data = confirm_data(client, path_of(old_link), letter)
    new_link = inviting.send_invitation(invitation, by=coordinator)
    db.session.commit()
    assert client.get(path_of(old_link)).status_code == 410
    assert client.post(path_of(old_link), data=data).status_code == 410
    assert client.get(path_of(new_link)).status_code == 200
    assert signature_count() == 0


def test_expired_link_changes_nothing(client, letter, invite):
    invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 410
    assert client.post(path, data=data).status_code == 410
    assert signature_count() == 0


def test_link_past_the_signed_maximum_age_is_refused(app, client, letter, invite):
    _invitation, link = invite()
    app.config["INVITATION_MAX_AGE_DAYS"] = 0  # itsdangerous checks the age inside the signature
    import time

    time.sleep(1.1)
    assert client.get(path_of(link)).status_code == 410


def test_text_revised_after_page_was_shown_asks_to_read_again_and_keeps_answers(
    client, letter, invite, coordinator
):
    _invitation, link = invite()
    path = path_of(link)
    data = confirm_data(client, path, letter, signer_role="Board member")
    drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "A revised text."}, coordinator)
    db.session.commit()
    response = client.post(path, data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="Board member"' in page and "A revised text." in page
    assert signature_count() == 0


def latest_link(invitation) -> str:
    """The signing link of the newest email queued for ``invitation`` (its body is still kept)."""
    body = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.invitation_id == invitation.id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).one()
    return re.search(r"http://localhost/sign/\S+", body).group(0)


def test_confirmation_of_an_older_text_is_replaced_when_reconfirmed(client, letter, invite, coordinator):
    invitation, link = invite()
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    revision = drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "A revised text."}, coordinator)
    db.session.commit()
    # The substantive change stopped the link confirmed through; the worker emails a new one.
    assert client.get(path).status_code == 410
    assert reconfirming.send_requested() == {"reconfirmations": 1}
    path = path_of(latest_link(invitation))
    response = client.post(path, data=confirm_data(client, path, letter))
    assert response.status_code == 200
    signature = db.session.scalars(select(Signature)).one()
    assert signature.revision_sha256 == revision.content_sha256


def test_decline_is_recorded_with_reason_and_never_listed(client, letter, invite):
    from letterhub.services.finalizing import confirmed_signatures

    invitation, link = invite()
    path = path_of(link)
    data = {
        "csrf_token": csrf_token(client, path),
        "revision_id": letter.current_revision.id,
        "decline_reason": "Outside our mandate",
        "decline": "1",
    }
    assert client.post(path, data=data).status_code == 200
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.DECLINED
    assert db.session.scalars(select(Signature)).one().decline_reason == "Outside our mandate"
    assert confirmed_signatures(letter) == []


def test_two_simultaneous_confirmations_make_one_signature(app, letter, invite):
    _invitation, link = invite()
    path = path_of(link)
    clients = [app.test_client() for _ in range(4)]
    payloads = [confirm_data(c, path, letter) for c in clients]
    statuses = []
    barrier = threading.Barrier(len(clients))

    def submit(client, payload):
        with app.app_context():
            barrier.wait()
            statuses.append(client.post(path, data=payload).status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(clients, payloads, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    db.session.commit()  # end this test's own read, begun before the threads wrote (a snapshot on SQLite)
    assert signature_count() == 1
