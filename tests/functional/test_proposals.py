"""Handing an invitation to a colleague, proposing an organisation, and the vetted open sign-on
page: nothing proposed reaches a letter's list before a coordinator approves it."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import (
    AuditEvent,
    Invitation,
    InvitationForward,
    OutboxMessage,
    Proposal,
    ProposalSource,
    ProposalStatus,
    Signature,
)
from letterhub.models.types import utcnow
from letterhub.services import directory, inviting, mailing, proposals, publishing, reminding

from ..conftest import csrf_token
from .test_signing import confirm_data, path_of


def invitations_of(letter) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(Invitation.letter_id == letter.id)))


def listed_names(letter) -> set[str]:
    return {invitation.organization.name_en for invitation in invitations_of(letter)}


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def delivered(app, smtp_server) -> list:
    """Send the outbox over the real SMTP fixture; the messages it received."""
    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    handler.messages.clear()
    mailing.drain_outbox()
    return list(handler.messages)


def link_in(message, pattern=r"http://localhost/sign/\S+") -> str:
    return re.search(pattern, message.get_body(("plain",)).get_content()).group(0)


def forward(client, path, email, name=""):
    return client.post(
        path + "/forward",
        data={"csrf_token": csrf_token(client, path + "/forward"), "email": email, "to_name": name},
    )


# --------------------------------------------------------------------------- forwarding


def test_a_forwarded_link_works_for_the_colleague_and_the_old_one_does_not(
    app, client, signed_in, letter, invite, smtp_server
):
    invitation, old_link = invite(email="hadi@archive.example", language="ar")
    delivered(app, smtp_server)
    old = path_of(old_link)
    assert 'href="/sign/' in client.get(old).get_data(as_text=True)  # the page links to handing on

    response = forward(client, old, "Lina@Archive.example", "Lina")
    assert response.status_code == 200
    assert "l•••@a•••.example" in response.get_data(as_text=True)

    (message,) = delivered(app, smtp_server)
    assert message["To"] == "lina@archive.example"
    assert message["Content-Language"] == "ar"  # the invitation's language
    new_link = link_in(message)
    assert "hadi@archive.example" in message.get_body(("plain",)).get_content()

    # The old link stops, says why without the new address in full, and changes nothing.
    page = client.get(old)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "l•••@a•••.example" in text and "lina@archive.example" not in text
    refused = client.post(old, data=confirm_data(client, path_of(new_link), letter))
    assert refused.status_code == 410
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert forward(client, old, "someone@else.example").status_code == 410

    # The colleague's link works and signs.
    new = path_of(new_link)
    assert client.post(new, data=confirm_data(client, new, letter)).status_code == 200
    db.session.refresh(invitation)
    assert invitation.email == "lina@archive.example"
    assert invitation.state.value == "confirmed"

    handed = db.session.scalars(select(InvitationForward)).one()
    assert (handed.from_email, handed.to_email, handed.to_name) == (
        "hadi@archive.example",
        "lina@archive.example",
        "Lina",
    )
    assert handed.other_domain is False
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.forwarded")).one()
    assert (
        event.details["from_email"] == "hadi@archive.example"
        and event.details["to_email"] == "lina@archive.example"
    )
    assert event.organization_id == invitation.organization_id

    letter_page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "hadi@archive.example" in letter_page and "lina@archive.example" in letter_page
    assert "other-domain" not in letter_page


def test_handing_on_to_an_address_of_another_domain_is_flagged_for_the_coordinator(
    client, signed_in, letter, invite
):
    _invitation, link = invite(email="hadi@archive.example")
    assert forward(client, path_of(link), "hadi.private@gmail.example").status_code == 200
    handed = db.session.scalars(select(InvitationForward)).one()
    assert handed.other_domain is True
    for page in (f"/letters/{letter.id}", f"/letters/{letter.id}/proposals"):
        text = signed_in.get(page).get_data(as_text=True)
        assert "other-domain" in text and "hadi.private@gmail.example" in text
    trail = signed_in.get(f"/letters/{letter.id}/audit").get_data(as_text=True)
    assert "hadi@archive.example → hadi.private@gmail.example" in trail


def test_handing_on_to_the_same_address_or_a_bad_one_is_refused_and_changes_nothing(client, letter, invite):
    invitation, link = invite(email="hadi@archive.example")
    token_hash = invitation.token_hash
    assert forward(client, path_of(link), "HADI@archive.example").status_code == 422
    assert forward(client, path_of(link), "not an address").status_code == 422
    db.session.refresh(invitation)
    assert invitation.token_hash == token_hash and invitation.email == "hadi@archive.example"
    assert db.session.scalar(select(func.count()).select_from(InvitationForward)) == 0
    assert client.get(path_of(link)).status_code == 200


def test_a_forwarded_invitation_is_reminded_at_the_new_address_and_its_link_follows_the_deadline(
    client, letter, invite
):
    letter.deadline = utcnow() + timedelta(days=10)
    db.session.commit()
    invitation, link = invite(email="hadi@archive.example", language="en")
    assert forward(client, path_of(link), "lina@archive.example").status_code == 200
    assert reminding.send_due_reminders(now=letter.deadline - timedelta(days=7) + timedelta(minutes=1)) == {
        "reminded": 1
    }
    latest = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert latest.recipient == "lina@archive.example"
    db.session.refresh(invitation)
    assert invitation.expires_at > utcnow()


def test_an_older_link_of_the_first_focal_point_also_says_the_invitation_was_handed_on(
    client, letter, invite, coordinator
):
    invitation, first_link = invite(email="hadi@archive.example")
    time.sleep(1.1)  # links are signed to the second
    from letterhub.services import inviting

    second_link = inviting.send_invitation(invitation, by=coordinator)
    db.session.commit()
    time.sleep(1.1)
    assert forward(client, path_of(second_link), "lina@archive.example").status_code == 200
    for old in (first_link, second_link):
        text = client.get(path_of(old)).get_data(as_text=True)
        assert "l•••@a•••.example" in text and "lina@archive.example" not in text


# --------------------------------------------------------------------------- nominating


def nominate(client, path, **fields):
    data = {
        "csrf_token": csrf_token(client, path + "/nominate"),
        "name_en": "Women Now",
        "name_ar": "النساء الآن",
        "email": "focal@womennow.example",
        "language": "en",
        **fields,
    }
    return client.post(path + "/nominate", data=data)


def test_a_nominated_organisation_reaches_the_list_only_after_approval(
    app, client, signed_in, letter, invite, smtp_server
):
    _invitation, link = invite()
    assert nominate(client, path_of(link)).status_code == 200
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.source, proposal.status) == (ProposalSource.NOMINATION, ProposalStatus.PENDING)
    assert listed_names(letter) == {"Syrian Archive"}
    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert f'data-proposal="{proposal.id}"' in page and "Women Now" in page
    delivered(app, smtp_server)

    approve = f"/letters/{letter.id}/proposals/{proposal.id}/approve"
    token = csrf_token(signed_in, f"/letters/{letter.id}")
    assert signed_in.post(approve, data={"csrf_token": token}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.APPROVED and proposal.decided_by_id is not None
    assert listed_names(letter) == {"Syrian Archive", "Women Now"}
    (message,) = delivered(app, smtp_server)
    assert message["To"] == "focal@womennow.example" and message["Content-Language"] == "en"
    new = path_of(link_in(message))
    assert client.post(new, data=confirm_data(client, new, letter, name_en="Women Now")).status_code == 200
    assert {"proposal.nominated", "proposal.approved"} <= set(audit_actions())

    # Approving again changes nothing.
    signed_in.post(approve, data={"csrf_token": token})
    assert len(invitations_of(letter)) == 2


def test_a_rejected_nomination_never_reaches_the_list(client, signed_in, letter, invite):
    _invitation, link = invite()
    nominate(client, path_of(link))
    proposal = db.session.scalars(select(Proposal)).one()
    token = csrf_token(signed_in, f"/letters/{letter.id}")
    reject = f"/letters/{letter.id}/proposals/{proposal.id}/reject"
    assert signed_in.post(reject, data={"csrf_token": token, "reason": "Not a member"}).status_code == 302
    db.session.refresh(proposal)
    assert (proposal.status, proposal.reject_reason) == (ProposalStatus.REJECTED, "Not a member")
    signed_in.post(f"/letters/{letter.id}/proposals/{proposal.id}/approve", data={"csrf_token": token})
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.REJECTED
    assert listed_names(letter) == {"Syrian Archive"}
    assert "Not a member" in signed_in.get(f"/letters/{letter.id}/proposals").get_data(as_text=True)


def test_a_nomination_matching_a_directory_entry_invites_that_entry(coordinator, letter, invite):
    existing = directory.add_organization(name_en="The Women Now", name_ar="", by=coordinator)
    invitation, _link = invite()
    proposal = proposals.nominate(
        invitation, name_en="Women now", name_ar="النساء الآن", email="x@womennow.example", language="ar"
    )
    proposals.approve(proposal, by=coordinator)
    db.session.commit()
    assert proposal.organization_id == existing.id
    assert existing.email == "x@womennow.example"


def test_a_nomination_of_an_organisation_already_on_the_list_is_not_added_twice(
    client, signed_in, letter, invite
):
    _invitation, link = invite()
    nominate(client, path_of(link), name_en="syrian archive", name_ar="")
    proposal = db.session.scalars(select(Proposal)).one()
    token = csrf_token(signed_in, f"/letters/{letter.id}")
    response = signed_in.post(
        f"/letters/{letter.id}/proposals/{proposal.id}/approve",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "already on this letter" in response.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.PENDING
    assert len(invitations_of(letter)) == 1


# --------------------------------------------------------------------------- open sign-on


def open_signon(signed_in, letter, value=True):
    token = csrf_token(signed_in, f"/letters/{letter.id}")
    data = {"csrf_token": token, **({"open_signon": "y"} if value else {})}
    assert signed_in.post(f"/letters/{letter.id}/open-signon", data=data).status_code == 302
    db.session.refresh(letter)
    assert letter.open_signon is value


def ask(client, letter, **fields):
    path = f"/join/{letter.id}"
    data = {
        "csrf_token": csrf_token(client, path),
        "name_en": "Baytna",
        "name_ar": "بيتنا",
        "email": "contact@baytna.example",
        "country": "Lebanon",
        **fields,
    }
    return client.post(path, data=data)


@pytest.fixture
def open_letter(letter, invite, signed_in):
    invite()  # sending the first invitation opens signing
    open_signon(signed_in, letter)
    return letter


def test_the_open_signon_page_exists_only_where_the_letter_allows_it(client, signed_in, letter, invite):
    assert client.get(f"/join/{letter.id}").status_code == 404
    invite()
    assert client.get(f"/join/{letter.id}").status_code == 404
    open_signon(signed_in, letter)
    assert client.get(f"/join/{letter.id}").status_code == 200
    assert f"/join/{letter.id}" in signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    open_signon(signed_in, letter, False)
    assert client.get(f"/join/{letter.id}").status_code == 404
    assert "letter.open_signon" in audit_actions()


def test_an_open_signon_organisation_reaches_the_list_only_after_confirming_and_approval(
    app, client, signed_in, open_letter, smtp_server
):
    letter = open_letter
    delivered(app, smtp_server)
    client.get(f"/join/{letter.id}?lang=ar")
    assert ask(client, letter).status_code == 200
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.source, proposal.status, proposal.language) == (
        ProposalSource.OPEN_SIGNON,
        ProposalStatus.UNCONFIRMED,
        "ar",
    )
    # Not confirmed: not in the queue of the letter page, not on the list.
    assert f'data-proposal="{proposal.id}"' not in signed_in.get(f"/letters/{letter.id}").get_data(
        as_text=True
    )
    assert "Baytna" not in listed_names(letter)

    (message,) = delivered(app, smtp_server)
    assert message["To"] == "contact@baytna.example" and message["Content-Language"] == "ar"
    confirm = path_of(link_in(message, r"http://localhost/join/confirm/\S+"))
    assert client.get(confirm).status_code == 200  # a GET (a mail scanner) confirms nothing
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.UNCONFIRMED
    assert client.post(confirm, data={"csrf_token": csrf_token(client, confirm)}).status_code == 200
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.PENDING and proposal.email_confirmed_at is not None
    assert "Baytna" not in listed_names(letter)
    assert f'data-proposal="{proposal.id}"' in signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)

    token = csrf_token(signed_in, f"/letters/{letter.id}")
    signed_in.post(f"/letters/{letter.id}/proposals/{proposal.id}/approve", data={"csrf_token": token})
    assert "Baytna" in listed_names(letter)
    # Approval is an invitation, not a signature: the organisation confirms on the signing page.
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    (invitation_email,) = delivered(app, smtp_server)
    assert invitation_email["To"] == "contact@baytna.example"
    signing_path = path_of(link_in(invitation_email))
    assert client.post(signing_path, data=confirm_data(client, signing_path, letter)).status_code == 200
    assert {"proposal.requested", "proposal.email_confirmed", "proposal.approved"} <= set(audit_actions())


def test_a_rejected_open_signon_request_never_reaches_the_list_or_the_public_page(
    client, signed_in, open_letter, coordinator
):
    letter = open_letter
    ask(client, letter, name_en="Spam Org")
    proposal = db.session.scalars(select(Proposal)).one()
    proposals.reject(proposal, by=coordinator)
    db.session.commit()
    assert "Spam Org" not in listed_names(letter)
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    page = client.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    assert "Spam Org" not in page


def test_a_tampered_or_expired_confirmation_link_changes_nothing(app, client, open_letter):
    letter = open_letter
    ask(client, letter)
    proposal = db.session.scalars(select(Proposal)).one()
    _p, link = proposals.request_signon(
        letter, name_en="Other", name_ar="", email="o@other.example", country="Syria", language="en"
    )
    db.session.commit()
    confirm = path_of(link)
    head, _dot, signature = confirm.rpartition(".")
    tampered = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (tampered, confirm[:-3], "/join/confirm/nonsense"):
        assert client.get(bad).status_code == 404
        assert (
            client.post(bad, data={"csrf_token": csrf_token(client, f"/join/{letter.id}")}).status_code == 404
        )
    app.config["SIGNON_CONFIRM_HOURS"] = 0
    time.sleep(1.1)
    expired = client.post(confirm, data={"csrf_token": csrf_token(client, f"/join/{letter.id}")})
    assert expired.status_code == 410
    statuses = set(db.session.scalars(select(Proposal.status)))
    assert statuses == {ProposalStatus.UNCONFIRMED}
    assert proposal.status == ProposalStatus.UNCONFIRMED
    assert "proposal.email_confirmed" not in audit_actions()


def test_a_submission_with_the_honeypot_filled_is_answered_alike_and_dropped(client, open_letter):
    letter = open_letter
    messages = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    human = ask(client, letter).get_data(as_text=True)
    robot = ask(client, letter, name_en="Robot", website="http://spam.example")
    assert robot.status_code == 200
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731
    assert strip(robot.get_data(as_text=True)) == strip(human)
    assert [p.name_en for p in db.session.scalars(select(Proposal))] == ["Baytna"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == messages + 1


def test_bad_input_on_the_open_signon_page_comes_back_filled_in_and_saves_nothing(client, open_letter):
    response = ask(client, open_letter, email="not an address", country="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Baytna"' in page and "This is not a valid email address." in page
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_the_confirmation_link_opens_in_the_language_the_request_was_made_in(client, open_letter):
    """The email was in Arabic: its link's page is too, in a browser that asks for English, and
    so is the error of a form sent without its CSRF token, which confirms nothing."""
    client.get(f"/join/{open_letter.id}?lang=ar")
    assert ask(client, open_letter).status_code == 200
    _p, link = proposals.request_signon(
        open_letter,
        name_en="Baytna",
        name_ar="بيتنا",
        email="c@baytna.example",
        country="Lebanon",
        language="ar",
    )
    db.session.commit()
    reader = client.application.test_client()
    english = {"Accept-Language": "en"}
    page = reader.get(path_of(link), headers=english).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "أكّد طلبك للتوقيع" in page
    refused = reader.post(path_of(link), headers=english)
    assert refused.status_code == 422 and '<html lang="ar" dir="rtl">' in refused.get_data(as_text=True)
    assert "انتهت صلاحية هذا النموذج" in refused.get_data(as_text=True)
    assert set(db.session.scalars(select(Proposal.status))) == {ProposalStatus.UNCONFIRMED}
    assert '<html lang="en" dir="ltr">' in reader.get(path_of(link) + "?lang=en").get_data(as_text=True)


def test_a_revoked_or_tampered_link_proposes_nothing_and_says_why_in_the_invitations_language(
    client, letter, invite, coordinator
):
    invitation, link = invite(language="ar")
    path = path_of(link)
    data = {
        "csrf_token": csrf_token(client, path + "/nominate"),
        "name_en": "Women Now",
        "email": "focal@womennow.example",
        "language": "en",
    }
    head, _dot, signature = path.rpartition(".")
    tampered = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert client.post(tampered + "/nominate", data=data).status_code == 404
    inviting.revoke_invitation(invitation, by=coordinator)
    db.session.commit()
    refused = client.post(path + "/nominate", data=data, headers={"Accept-Language": "en"})
    assert refused.status_code == 410
    page = refused.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "سُحبت هذه الدعوة" in page
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert "proposal.nominated" not in audit_actions()


def test_an_expired_confirmation_link_says_so_in_the_language_the_request_was_made_in(
    app, client, open_letter
):
    _p, link = proposals.request_signon(
        open_letter,
        name_en="Baytna",
        name_ar="بيتنا",
        email="c@baytna.example",
        country="Lebanon",
        language="ar",
    )
    db.session.commit()
    app.config["SIGNON_CONFIRM_HOURS"] = 0
    time.sleep(1.1)
    english = {"Accept-Language": "en"}
    for response in (client.get(path_of(link), headers=english), client.post(path_of(link), headers=english)):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in page and "انتهت صلاحية هذا الرابط" in page
    assert set(db.session.scalars(select(Proposal.status))) == {ProposalStatus.UNCONFIRMED}


def test_a_proposal_or_a_request_to_sign_without_its_csrf_token_comes_back_filled_in_and_saves_nothing(
    client, open_letter, invite
):
    _invitation, link = invite(name_en="Second", name_ar="الثانية", email="s@second.example", language="ar")
    typed = {"name_en": "Women Now", "name_ar": "النساء الآن", "email": "focal@womennow.example"}
    nominated = client.post(path_of(link) + "/nominate", data={**typed, "language": "en"})
    asked = client.post(f"/join/{open_letter.id}?lang=ar", data={**typed, "country": "Lebanon"})
    for response in (nominated, asked):
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in page and "انتهت صلاحية هذا النموذج" in page
        assert 'value="Women Now"' in page and 'value="النساء الآن"' in page
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
