"""Answers the focal point controls: changing an answer, its history and receipts, and
organisations that confirm without being named."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import (
    AuditEvent,
    Decision,
    DecisionKind,
    InvitationState,
    OutboxMessage,
    Signature,
    SignatureDecision,
)
from letterhub.models.types import utcnow
from letterhub.services import finalizing, mailing, publishing
from letterhub.services.rendering import LanguageText, LetterDocument, Signatory, render_letter_pdf

from ..conftest import reading_order_text, without_spaces
from .test_signing import confirm_data, path_of

ARABIC_MARKS = re.compile("[\u064b-\u0652]")  # pdftotext may put a shadda before its letter


def flat(text: str) -> str:
    """Spaces and Arabic vowel marks removed: how two texts are compared across pdftotext."""
    return ARABIC_MARKS.sub("", without_spaces(text))


FINGERPRINT_EN = "Fingerprint (SHA-256) of the letter's text you answered about:"
FINGERPRINT_AR = "البصمة (SHA-256) لنص الرسالة الذي رددتم عليه:"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def decline_data(client, path, letter, **overrides):
    data = confirm_data(client, path, letter, decline="1", decline_reason="Outside our mandate.")
    del data["confirm"]
    data.update(overrides)
    return data


def history_kinds(invitation) -> list[DecisionKind]:
    return list(
        db.session.scalars(
            select(SignatureDecision.kind)
            .where(SignatureDecision.invitation_id == invitation.id)
            .order_by(SignatureDecision.id)
        )
    )


def signature_actions(letter) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.letter_id == letter.id, AuditEvent.action.like("signature.%"))
            .order_by(AuditEvent.id)
        )
    )


def receipts(app, smtp_server) -> list:
    """Deliver the outbox over the real SMTP server; the messages it received since last time."""
    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    mailing.drain_outbox()
    received = list(handler.messages)
    handler.messages.clear()
    return received


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- changing an answer --------------------------------------------------------------------


def test_a_decline_becomes_a_confirmation_then_is_withdrawn_each_kept_with_a_receipt(
    app, client, letter, invite, smtp_server
):
    invitation, link = invite(language="en")
    receipts(app, smtp_server)  # the invitation itself
    path = path_of(link)
    revision = letter.current_revision

    assert client.post(path, data=decline_data(client, path, letter)).status_code == 200
    page = client.get(path).get_data(as_text=True)
    assert "Your organisation declined to sign." in page
    assert 'name="confirm"' in page and 'name="decline"' not in page  # may sign after all

    response = client.post(path, data=confirm_data(client, path, letter))
    assert response.status_code == 200
    page = client.get(path).get_data(as_text=True)
    assert "Your organisation's signature is recorded." in page
    assert "Withdraw our signature" in page and 'name="confirm"' not in page

    response = client.post(path, data=decline_data(client, path, letter, decline_reason=""))
    assert response.status_code == 200
    assert "Your signature is withdrawn" in response.get_data(as_text=True)

    db.session.expire_all()
    assert count(Signature) == 1
    signature = db.session.scalars(select(Signature)).one()
    assert signature.decision == Decision.DECLINED
    assert signature.signer_name == "Hadi"  # a withdrawal keeps who signed
    assert invitation.state == InvitationState.DECLINED
    assert history_kinds(invitation) == [
        DecisionKind.DECLINED,
        DecisionKind.CONFIRMED,
        DecisionKind.WITHDRAWN,
    ]
    assert signature_actions(letter) == ["signature.declined", "signature.confirmed", "signature.withdrawn"]

    mails = receipts(app, smtp_server)
    assert [m["To"] for m in mails] == ["focal@archive.example"] * 3
    answers = [
        "Answer: Declined",
        "Answer: Confirmed: your organisation signs the letter",
        "Answer: Signature withdrawn",
    ]
    for mail, answer in zip(mails, answers, strict=True):
        body = plain(mail)
        title = revision.title_en
        assert mail["Subject"] == f"Your answer is recorded: {title}"
        assert f'"{title}"' in body and answer in body
        assert f"Text revision: {revision.number}" in body
        assert FINGERPRINT_EN in body and revision.content_sha256 in body
        assert "signed text" not in body
        assert "(Syria Time, Asia/Damascus)" in body  # the coalition's zone, as the deadline is shown
        assert "until signing closes" in body and path in body  # the way to change it
        assert mail["Content-Language"] == "en"


def test_the_receipt_is_in_the_invitations_language_with_its_digits(app, client, letter, invite, smtp_server):
    _invitation, link = invite(language="ar")
    receipts(app, smtp_server)
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter, unnamed="y")).status_code == 200
    (mail,) = receipts(app, smtp_server)
    body = plain(mail)
    assert mail["Subject"].startswith("سُجّل ردّكم:")
    assert FINGERPRINT_AR in body and letter.current_revision.content_sha256 in body
    assert "مؤكَّد: منظمتكم توقّع على الرسالة" in body
    assert "توقيت سوريا" in body and re.search("[٠-٩]{2}:[٠-٩]{2}", body)
    assert "طلبت منظمتكم عدم ذكر اسمها علنًا" in body  # the choice not to be named, confirmed
    assert "نسخة النص: 1" in body


def test_the_same_answer_again_from_a_stale_page_is_already_recorded_and_writes_nothing(
    client, letter, invite
):
    invitation, link = invite(language="en")
    path = path_of(link)
    stale = confirm_data(client, path, letter)  # a second tab showing the form
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    before = (count(SignatureDecision), count(OutboxMessage), count(AuditEvent))
    response = client.post(path, data={**stale, "signer_name": "Someone else"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Already recorded" in page and "nothing was changed" in page
    assert (
        letter.current_revision.title_en in page
        and "Fingerprint (SHA-256) of the letter's text you answered about" in page
    )
    assert (count(SignatureDecision), count(OutboxMessage), count(AuditEvent)) == before
    assert db.session.scalars(select(Signature)).one().signer_name == "Hadi"
    # The same for a decline sent twice.
    assert client.post(path, data=decline_data(client, path, letter)).status_code == 200
    before = (count(SignatureDecision), count(OutboxMessage), count(AuditEvent))
    assert client.post(path, data=decline_data(client, path, letter)).status_code == 409
    assert (count(SignatureDecision), count(OutboxMessage), count(AuditEvent)) == before
    assert history_kinds(invitation) == [DecisionKind.CONFIRMED, DecisionKind.WITHDRAWN]


def test_a_confirmation_can_be_withdrawn_after_the_deadline_but_not_given_again(client, letter, invite):
    invitation, link = invite(language="en")
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    letter.deadline = utcnow() - timedelta(hours=1)
    letter.deadline_timezone = "Asia/Damascus"
    db.session.commit()

    page = client.get(path).get_data(as_text=True)
    assert "The deadline for signing has passed" in page and "Withdraw our signature" in page
    assert client.post(path, data=decline_data(client, path, letter)).status_code == 200
    assert history_kinds(invitation) == [DecisionKind.CONFIRMED, DecisionKind.WITHDRAWN]

    page = client.get(path).get_data(as_text=True)
    assert 'name="confirm"' not in page  # no late signatures on this letter
    before = (count(SignatureDecision), count(OutboxMessage), count(AuditEvent))
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 409
    assert (count(SignatureDecision), count(OutboxMessage), count(AuditEvent)) == before
    db.session.expire_all()
    assert db.session.scalars(select(Signature)).one().decision == Decision.DECLINED


def test_a_late_confirmation_after_a_withdrawal_is_recorded_late_when_the_letter_accepts_them(
    client, letter, invite
):
    invitation, link = invite(language="en")
    path = path_of(link)
    assert client.post(path, data=decline_data(client, path, letter)).status_code == 200
    letter.deadline = utcnow() - timedelta(hours=1)
    letter.allow_late_signatures = True
    db.session.commit()
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    record = db.session.scalars(select(SignatureDecision).order_by(SignatureDecision.id.desc())).first()
    assert (record.kind, record.late) == (DecisionKind.CONFIRMED, True)


def test_no_answer_changes_once_signing_is_closed(client, letter, invite, coordinator):
    invitation, link = invite(language="en")
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    withdraw = decline_data(client, path, letter)
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    before = (count(SignatureDecision), count(OutboxMessage), count(AuditEvent))
    response = client.post(path, data=withdraw)
    assert response.status_code == 409
    assert "Signing is closed for this letter." in response.get_data(as_text=True)
    assert (count(SignatureDecision), count(OutboxMessage), count(AuditEvent)) == before
    db.session.expire_all()
    assert db.session.scalars(select(Signature)).one().decision == Decision.CONFIRMED
    page = client.get(path).get_data(as_text=True)
    assert "Withdraw our signature" not in page and 'name="confirm"' not in page


# --- the signing form's errors ---------------------------------------------------------------


@pytest.mark.parametrize(("language", "title_word"), [("en", "Error:"), ("ar", "خطأ:")])
def test_errors_are_summarised_at_the_top_of_the_form_and_tied_to_their_fields(
    client, letter, invite, language, title_word
):
    _invitation, link = invite(language=language)
    path = path_of(link)
    data = confirm_data(client, path, letter, signer_name="")
    del data["consent"]
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.strip().startswith(title_word)
    form = page[page.index('id="answer"') :]
    summary = re.search(r'<div class="error-summary"[^>]*>', form).group(0)
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    # The summary comes first in the form, before any field, with a link to each field.
    assert form.index("error-summary") < form.index('id="name_en"')
    assert 'href="#signer_name"' in form and 'href="#consent"' in form
    signer = re.search(r'<input[^>]*id="signer_name"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in signer and 'aria-describedby="signer_name-error"' in signer
    assert 'id="signer_name-error"' in form
    consent = re.search(r'<input[^>]*id="consent"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in consent and 'aria-describedby="consent-error"' in consent
    assert 'id="consent-error"' in form
    name_en = re.search(r'<input[^>]*id="name_en"[^>]*>', form).group(0)
    assert "aria-invalid" not in name_en  # only the fields in error are marked


# --- organisations that prefer not to be named -----------------------------------------------

NAMED = [
    ("Baytna Syria", "بيتنا سوريا", "b@example.org"),
    ("Women Now for Development", "النساء الآن من أجل التنمية", "w@example.org"),
]
HIDDEN = ("Quiet Relief Network", "شبكة الإغاثة الهادئة", "q@example.org")


def test_an_unnamed_organisation_is_counted_but_never_named_in_public(
    app, client, signed_in, letter, invite, coordinator
):
    for name_en, name_ar, email in [*NAMED, HIDDEN]:
        invitation, link = invite(name_en, name_ar, email, language="en")
        path = path_of(link)
        extra = {"unnamed": "y"} if name_en == HIDDEN[0] else {}
        data = confirm_data(client, path, letter, name_en=name_en, name_ar=name_ar, **extra)
        assert client.post(path, data=data).status_code == 200
    hidden = db.session.scalars(select(Signature).where(Signature.name_en == HIDDEN[0])).one()
    assert hidden.unnamed

    # Coordinators still see it, marked, on the letter page.
    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert HIDDEN[0] in page and "Not to be named publicly" in page

    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    for document in publishing.documents_of(letter):
        text = reading_order_text(document.pdf)
        assert HIDDEN[0] not in text and flat(HIDDEN[1]) not in flat(text), document.languages
        if "en" in document.languages:
            assert "Baytna Syria" in text
            assert "and 1 organisation that prefers not to be named" in text
        if "ar" in document.languages:
            assert flat("بيتنا سوريا") in flat(text)
            assert flat("ومنظمة واحدة فضّلت عدم ذكر اسمها") in flat(text)

    verification = client.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    assert HIDDEN[0] not in verification and HIDDEN[1] not in verification
    assert "Baytna Syria" in verification
    assert "and 1 organisation that prefers not to be named" in verification
    assert "ومنظمة واحدة فضّلت عدم ذكر اسمها" in verification
    lists = publishing.numbered_lists(letter)
    assert [name for _n, name in lists["en"]] == ["Baytna Syria", "Women Now for Development"]

    # The coordinators' CSV lists it after the numbered names, without a number, marked.
    rows = list(
        csv.DictReader(
            io.StringIO(signed_in.get(f"/letters/{letter.id}/signatories.csv").get_data(as_text=True))
        )
    )
    english = [(row["number"], row["name"], row["named"]) for row in rows if row["language"] == "en"]
    assert english == [
        ("1", "Baytna Syria", "yes"),
        ("2", "Women Now for Development", "yes"),
        ("", HIDDEN[0], "no"),
    ]


EXPECTED_LINES = {
    0: (None, None),
    1: ("and 1 organisation that prefers not to be named", "ومنظمة واحدة فضّلت عدم ذكر اسمها"),
    2: ("and 2 organisations that prefer not to be named", "ومنظمتان فضّلتا عدم ذكر اسميهما"),
    3: ("and 3 organisations that prefer not to be named", "و3 منظمات فضّلت عدم ذكر أسمائها"),
    11: ("and 11 organisations that prefer not to be named", "و11 منظمة فضّلت عدم ذكر اسمها"),
    100: ("and 100 organisations that prefer not to be named", "و100 منظمة فضّلت عدم ذكر أسمائها"),
}


@pytest.mark.parametrize("unnamed", sorted(EXPECTED_LINES))
def test_the_unnamed_count_is_worded_for_every_count_in_both_languages_in_the_pdf(app, unnamed):
    english, arabic = EXPECTED_LINES[unnamed]
    texts = tuple(
        LanguageText(
            language=language,
            title="Letter" if language == "en" else "رسالة",
            addressees="",
            date_place="",
            body_markdown="Text.",
            signatories_heading="Signatories:" if language == "en" else "الموقعون:",
            signatories=(Signatory("Baytna Syria" if language == "en" else "بيتنا سوريا"),),
            unnamed_line=finalizing.unnamed_line(unnamed, language),
        )
        for language in ("en", "ar")
    )
    pdf = render_letter_pdf(LetterDocument(texts=texts, pdf_variant=None))
    text = reading_order_text(pdf)
    if english is None:
        assert "prefer" not in text and flat("عدم ذكر") not in flat(text)
        return
    assert english in text
    arabic_part = text.split("الموقعون:")[1]
    assert flat(arabic) in flat(arabic_part)


def test_the_arabic_count_takes_the_lists_arabic_indic_digits(app):
    line = finalizing.unnamed_line(11, "ar", arabic_indic_digits=True)
    assert line == "و١١ منظمة فضّلت عدم ذكر اسمها"
    assert finalizing.unnamed_line(11, "en", arabic_indic_digits=True).startswith("and 11 ")
    assert datetime.now(UTC)  # the catalogue was read inside the app (force_locale)
