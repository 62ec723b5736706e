"""The whole journey through HTTP: draft, invite, deliver over real SMTP, sign from the link, PDF."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import (
    AuditEvent,
    Invitation,
    InvitationState,
    Letter,
    OutboxMessage,
    OutboxStatus,
    Signature,
)
from letterhub.services import mailing, publishing

from ..conftest import LETTER_TEXT, close_signing, csrf_token, pdf_text


def form_data(client, path, **fields):
    return {"csrf_token": csrf_token(client, path), **fields}


def test_coordinator_drafts_invites_and_downloads_pdf_with_confirmed_signatory_only(
    app, signed_in, smtp_server
):
    client = signed_in
    port, received = smtp_server
    app.config["SMTP_PORT"] = port

    # 1. Draft in both languages.
    response = client.post(
        "/letters/new", data=form_data(client, "/letters/new", action="save", **LETTER_TEXT)
    )
    assert response.status_code == 302
    letter = db.session.scalars(select(Letter)).one()
    show = f"/letters/{letter.id}"
    assert re.fullmatch(r"[0-9a-f]{64}", letter.current_revision.content_sha256)

    # 2. Three organisations; send the invitations: one outbox message each, nothing sent yet.
    organisations = [
        ("Syrian Archive", "الأرشيف السوري", "archive@example.org", "ar"),
        ("Baytna Syria", "بيتنا سوريا", "baytna@example.org", "en"),
        ("Dawlaty", "دولتي", "dawlaty@example.org", "ar"),
    ]
    for name_en, name_ar, email, language in organisations:
        response = client.post(
            f"{show}/organizations",
            data=form_data(client, show, name_en=name_en, name_ar=name_ar, email=email, language=language),
        )
        assert response.status_code == 302
    client.post(f"{show}/send", data=form_data(client, show))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    assert received.messages == []

    # 3. The mail worker delivers over real SMTP.
    assert mailing.drain_outbox() == {"sent": 3, "retry": 0, "failed": 0}
    assert sorted(message["To"] for message in received.messages) == sorted(o[2] for o in organisations)

    def link_for(email):
        message = next(m for m in received.messages if m["To"] == email)
        text = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"http://localhost(/sign/\S+)", text).group(1)

    # 4. The first confirms from the link in the email; the second declines; the third does nothing.
    archive_link = link_for("archive@example.org")
    page = client.get(archive_link)
    assert page.status_code == 200
    assert "الأرشيف السوري" in page.get_data(as_text=True)
    revision_id = letter.current_revision.id
    response = client.post(
        archive_link,
        data=form_data(
            client,
            archive_link,
            revision_id=revision_id,
            name_en="Syrian Archive",
            name_ar="الأرشيف السوري",
            signer_name="Hadi",
            signer_role="Director",
            consent="y",
            confirm="1",
        ),
        headers={"User-Agent": "journey-test"},
    )
    assert response.status_code == 200

    baytna_link = link_for("baytna@example.org")
    response = client.post(
        baytna_link,
        data=form_data(
            client,
            baytna_link,
            revision_id=revision_id,
            name_en="Baytna Syria",
            name_ar="بيتنا سوريا",
            decline_reason="Not our field",
            decline="1",
        ),
    )
    assert response.status_code == 200

    signature = db.session.scalars(select(Signature).where(Signature.name_en == "Syrian Archive")).one()
    assert signature.revision_sha256 == letter.current_revision.content_sha256
    assert signature.user_agent == "journey-test"
    assert signature.ip_address == "127.0.0.1"
    states = {i.organization.name_en: i.state for i in db.session.scalars(select(Invitation))}
    assert states == {
        "Syrian Archive": InvitationState.CONFIRMED,
        "Baytna Syria": InvitationState.DECLINED,
        "Dawlaty": InvitationState.PENDING,
    }

    # 5. Coordinator sees the states, closes signing, downloads the PDF.
    overview = client.get(show).get_data(as_text=True)
    assert overview.count("state-confirmed") == 1 and overview.count("state-declined") == 1
    close_signing(client, int(show.rsplit("/", 1)[1]))
    assert client.get(f"{show}/final.pdf").status_code == 302  # not rendered yet: back to the letter page
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    response = client.get(f"{show}/final.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Syrian Archive" in text and "الأرشيف السوري" in text.replace("\u200f", "")
    for absent in ("Baytna", "Dawlaty", "بيتنا", "دولتي"):
        assert absent not in text
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "letter.closed")
        )
        == 1
    )


def test_pdf_is_refused_before_signing_is_closed(app, signed_in, letter):
    response = signed_in.get(f"/letters/{letter.id}/final.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/letters/{letter.id}")


def test_unreachable_smtp_keeps_the_invitation_queued_and_visible(app, signed_in, letter, invite):
    invitation, _link = invite()
    counts = mailing.drain_outbox()  # SMTP_PORT 9: nothing listens
    assert counts == {"sent": 0, "retry": 1, "failed": 0}
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.QUEUED
    assert (
        message.attempts == 1
        and "Connection" in message.last_error
        or "refused" in message.last_error.lower()
    )
    assert message.next_attempt_at > message.created_at
    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "mail-queued" in page


def test_message_is_sent_later_once_smtp_is_back(app, letter, invite, smtp_server):
    invite()
    assert mailing.drain_outbox()["retry"] == 1
    port, received = smtp_server
    app.config["SMTP_PORT"] = port
    message = db.session.scalars(select(OutboxMessage)).one()
    assert mailing.drain_outbox(now=message.next_attempt_at) == {
        "sent": 1,
        "retry": 0,
        "failed": 0,
    }
    assert len(received.messages) == 1


def test_sent_invitation_keeps_no_signing_link_in_the_outbox(app, letter, invite, smtp_server):
    invitation, link = invite()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert "/sign/" in message.body_text  # queued: the worker still needs it
    port, received = smtp_server
    app.config["SMTP_PORT"] = port
    assert mailing.drain_outbox()["sent"] == 1
    assert "/sign/" in received.messages[0].get_body(("plain",)).get_content()
    db.session.refresh(message)
    stored = message.body_text + message.body_html
    assert "/sign/" not in stored and link.rsplit("/", 1)[-1] not in stored
    assert (message.recipient, message.status) == (invitation.email, OutboxStatus.SENT)
