"""Corrections and substantive changes: a correction keeps the confirmations; a substantive
change asks the organisations that confirmed to confirm again, by email and on their page,
showing what changed word by word."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import AuditEvent, ChangeKind, InvitationState, LetterRevision, OutboxMessage
from letterhub.services import accounts, drafting, finalizing, publishing, reconfirming

from ..conftest import (
    LETTER_TEXT,
    PASSWORD,
    close_signing,
    csrf_token,
    make_app,
    pdf_text,
    printed_list,
    without_spaces,
)
from .test_answers import plain, receipts
from .test_signing import confirm_data, latest_link, path_of

# A correction in English only: a word added to the title, a plural in the second demand.
TYPO_FIXED = {
    **LETTER_TEXT,
    "title_en": "Joint letter on the detainees",
    "body_en": "We write to you.\n\n1. Release the detainees.\n2. Reveal their fates.",
}
# Both languages reworded: a third demand in English, the second demand sharpened in Arabic.
REWORDED = {
    **LETTER_TEXT,
    "body_en": "We write to you urgently.\n\n1. Release the detainees.\n2. Reveal their fate.\n3. Open the prisons.",
    "body_ar": "نكتب إليكم.\n\n1. الإفراج عن المعتقلين.\n2. الكشف الفوري عن مصيرهم.",
}


def edit(client, letter, fields, **extra):
    """Save ``fields`` through the editor, starting from the current revision."""
    path = f"/letters/{letter.id}/edit"
    data = {
        "csrf_token": csrf_token(client, path),
        "base_revision": letter.current_revision.number,
        "action": "save",
        **fields,
        **extra,
    }
    return client.post(path, data=data)


def confirm(client, link, letter, **overrides):
    path = path_of(link)
    response = client.post(path, data=confirm_data(client, path, letter, **overrides))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


def listed(letter) -> set[str]:
    return {signature.name_en for signature in finalizing.confirmed_signatures(letter)}


def messages_to(invitation) -> int:
    return len(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.invitation_id == invitation.id)).all()
    )


def revised_events(letter) -> list[dict]:
    return [
        event.details
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.letter_id == letter.id, AuditEvent.action == "letter.revised")
            .order_by(AuditEvent.sequence)
        )
    ]


def close_and_render(client, letter) -> bytes:
    assert close_signing(client, letter.id).status_code == 303
    db.session.expire_all()
    assert letter.status.value == "closed"
    publishing.render_queued_documents()
    return publishing.ready_document(letter, "en,ar").pdf


def test_a_correction_keeps_the_confirmation_and_the_final_pdf_lists_the_organisation(
    app, client, signed_in, letter, invite, coordinator
):
    archive, archive_link = invite(language="en")
    confirm(client, archive_link, letter)
    sent_before = messages_to(archive)

    response = edit(signed_in, letter, TYPO_FIXED, change_kind="correction")
    assert response.status_code == 302
    db.session.expire_all()
    correction = letter.current_revision
    assert correction.number == 2
    assert correction.change_kind == ChangeKind.CORRECTION
    assert correction.judged_by_id == coordinator.id and correction.agreement_number == 1
    assert "Saved as a correction" in signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)

    # The confirmation of revision 1 counts for revision 2: listed, nobody asked, link unchanged.
    assert listed(letter) == {"Syrian Archive"}
    assert messages_to(archive) == sent_before
    page = client.get(path_of(archive_link)).get_data(as_text=True)
    assert "Your organisation's signature is recorded." in page
    assert "What changed since revision" not in page
    dashboard = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert 'data-count="must-reconfirm"' not in dashboard and "must reconfirm" not in dashboard

    # The change of each language is recorded with the kind.
    details = revised_events(letter)[-1]
    assert details["change_kind"] == "correction" and details["revision"] == 2
    assert details["changes"]["en"] == {"changed": True, "inserted_words": 2, "deleted_words": 1}
    assert details["changes"]["ar"] == {"changed": False, "inserted_words": 0, "deleted_words": 0}

    pdf = close_and_render(signed_in, letter)
    text = pdf_text(pdf)
    assert "Joint letter on the detainees" in text  # the corrected text is the final one
    assert printed_list(text, "Signatories:") == [(1, "Syrian Archive")]

    # The evidence names who judged revision 2 a correction; the decision keeps its own text.
    report = json.loads(signed_in.get(f"/letters/{letter.id}/evidence.json").get_data(as_text=True))
    assert [(r["number"], r["change_kind"], r["judged_correction_by"]) for r in report["revisions"]] == [
        (1, "substantive", None),
        (2, "correction", "coordinator@example.org"),
    ]
    assert report["revisions"][1]["agreement_revision"] == 1
    assert report["letter"]["final_revision"]["number"] == 2
    (organization,) = report["organizations"]
    assert organization["listed"] is True
    (decision,) = organization["decisions"]
    first = drafting.revision_by_number(letter, 1)
    assert (decision["revision"], decision["sha256"]) == (1, first.content_sha256)
    assert decision["sha256"] != correction.content_sha256
    evidence_pdf = without_spaces(pdf_text(signed_in.get(f"/letters/{letter.id}/evidence.pdf").data))
    assert "Revisionsofthetext" in evidence_pdf
    assert "Judgedacorrectionbycoordinator@example.org" in evidence_pdf


def test_a_substantive_change_asks_each_confirmed_organisation_again_by_email_with_the_difference(
    app, client, signed_in, letter, invite, smtp_server
):
    archive, _archive_link = invite(language="ar")
    baytna, baytna_link = invite("Baytna Syria", "بيتنا سوريا", "focal@baytna.example", language="en")
    waiting, _waiting_link = invite("Pending Org", "منظمة لم ترد", "focal@pending.example", language="en")
    confirm(client, latest_link(archive), letter)
    confirm(client, latest_link(baytna), letter, name_en="Baytna Syria", name_ar="بيتنا سوريا")
    receipts(app, smtp_server)  # the invitations and receipts

    response = edit(signed_in, letter, REWORDED)  # no kind chosen: substantive
    assert response.status_code == 302
    db.session.expire_all()
    revision = letter.current_revision
    assert revision.change_kind == ChangeKind.SUBSTANTIVE and revision.agreement_number == 2
    assert revision.judged_by_id is None
    assert listed(letter) == set()
    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "2 organisations that had confirmed were asked to confirm again" in page
    assert '<dd data-count="must-reconfirm">2</dd>' in page
    assert page.count("Signed an earlier revision; must reconfirm") == 2
    details = revised_events(letter)[-1]
    assert details["change_kind"] == "substantive" and details["asked_to_reconfirm"] == 2
    assert details["changes"]["en"] == {"changed": True, "inserted_words": 5, "deleted_words": 0}
    assert details["changes"]["ar"]["changed"] and details["changes"]["ar"]["inserted_words"] == 1

    # The save only recorded what to send: the mail worker writes the emails.
    assert receipts(app, smtp_server) == []
    assert reconfirming.send_requested() == {"reconfirmations": 2}
    mails = {message["To"]: message for message in receipts(app, smtp_server)}
    assert set(mails) == {"focal@archive.example", "focal@baytna.example"}  # not the one that never answered
    arabic = mails["focal@archive.example"]
    assert arabic["Content-Language"] == "ar"
    assert arabic["Subject"].startswith("تغيّرت الرسالة")
    body = plain(arabic)
    # Its language first: the Arabic difference, then the English one, marked for plain text.
    assert body.index("== العربية ==") < body.index("== English ==")
    assert "2. الكشف {+الفوري+} عن مصيرهم." in body
    assert "We write to you {+urgently+}." in body and "{+3. Open the prisons.+}" in body
    english = plain(mails["focal@baytna.example"])
    assert english.index("== English ==") < english.index("== العربية ==")
    assert "you confirmed revision 1, the text is now revision 2" in english
    html = mails["focal@baytna.example"].get_body(("html",)).get_content()
    assert "<ins>urgently</ins>" in html or "<ins> urgently</ins>" in html

    # The link in the email is the organisation's link; the one it confirmed through is replaced.
    link = re.search(r"http://localhost/sign/\S+", english).group(0)
    assert client.get(path_of(link)).status_code == 200
    assert client.get(path_of(baytna_link)).status_code == 410
    assert waiting.state == InvitationState.PENDING


def test_the_signing_page_shows_what_changed_since_the_confirmed_revision_and_reconfirms(
    app, client, signed_in, letter, invite
):
    archive, link = invite(language="en")
    confirm(client, link, letter)
    assert edit(signed_in, letter, REWORDED, change_kind="substantive").status_code == 302
    db.session.expire_all()
    assert listed(letter) == set()

    reconfirming.send_requested()
    path = path_of(latest_link(archive))
    page = client.get(path).get_data(as_text=True)
    assert "What changed since revision 1, which you confirmed" in page
    english = re.search(r'<div class="diff" lang="en" dir="ltr" data-field="body">(.*?)</div>', page, re.S)
    arabic = re.search(r'<div class="diff" lang="ar" dir="rtl" data-field="body">(.*?)</div>', page, re.S)
    assert english and arabic
    assert "<ins> urgently</ins>" in english.group(1)
    assert "<ins>" in arabic.group(1) and "الفوري" in arabic.group(1)
    assert "نكتب إليكم" not in arabic.group(1)  # only the paragraphs that changed
    assert page.index('lang="en" dir="ltr" data-field="body"') < page.index(
        'lang="ar" dir="rtl" data-field="body"'
    )
    assert "Confirm the changed letter" in page and 'name="confirm"' in page

    # On an Arabic page the Arabic block comes first, worded in Arabic.
    page_ar = client.get(path + "?lang=ar").get_data(as_text=True)
    assert page_ar.index('lang="ar" dir="rtl" data-field="body"') < page_ar.index(
        'lang="en" dir="ltr" data-field="body"'
    )

    confirm(client, path, letter)
    db.session.expire_all()
    assert listed(letter) == {"Syrian Archive"}
    page = client.get(path + "?lang=en").get_data(as_text=True)
    assert "What changed since revision" not in page and "signature is recorded" in page

    pdf = close_and_render(signed_in, letter)
    assert printed_list(pdf_text(pdf), "Signatories:") == [(1, "Syrian Archive")]
    report = json.loads(signed_in.get(f"/letters/{letter.id}/evidence.json").get_data(as_text=True))
    decisions = report["organizations"][0]["decisions"]
    assert [(d["decision"], d["revision"]) for d in decisions] == [("confirmed", 1), ("confirmed", 2)]
    assert decisions[0]["sha256"] != decisions[1]["sha256"]


def test_a_page_read_before_a_correction_still_confirms_the_text_it_showed(client, signed_in, letter, invite):
    _invitation, link = invite(language="en")
    path = path_of(link)
    shown = confirm_data(client, path, letter)  # the page of revision 1
    assert edit(signed_in, letter, TYPO_FIXED, change_kind="correction").status_code == 302
    response = client.post(path, data=shown)
    assert response.status_code == 200
    db.session.expire_all()
    (signature,) = finalizing.confirmed_signatures(letter)
    assert signature.revision.number == 1  # bound to what the focal point read
    again = client.post(path, data=confirm_data(client, path, letter))
    assert again.status_code == 409  # the same answer to the same agreement: already recorded


def test_the_kind_of_change_is_asked_only_once_invitations_have_gone_out(signed_in, letter, invite):
    question = "What kind of change is this?"
    assert question not in signed_in.get(f"/letters/{letter.id}/edit").get_data(as_text=True)
    # Before invitations go out nobody has confirmed: a correction is taken as substantive.
    assert edit(signed_in, letter, TYPO_FIXED, change_kind="correction").status_code == 302
    db.session.expire_all()
    assert letter.current_revision.change_kind == ChangeKind.SUBSTANTIVE
    assert letter.current_revision.judged_by_id is None

    invite(language="en")
    page = signed_in.get(f"/letters/{letter.id}/edit").get_data(as_text=True)
    assert question in page
    assert "If you choose neither, the change is treated as substantive" in page
    assert 'value="correction"' in page and 'value="substantive"' in page
    assert "checked" not in page.split(question, 1)[1].split("</fieldset>", 1)[0]  # nothing chosen for them


def test_a_save_collision_keeps_the_choice_and_the_merged_save_corrects_the_colleagues_revision(
    client, signed_in, letter, invite, coordinator
):
    archive, link = invite(language="en")
    confirm(client, link, letter)
    drafting.save_revision(letter, 1, TYPO_FIXED, coordinator, kind=ChangeKind.CORRECTION)  # a colleague
    db.session.commit()
    path = f"/letters/{letter.id}/edit"
    mine = {**LETTER_TEXT, "date_place_en": "Geneva, 2 December 2026"}
    data = {"csrf_token": csrf_token(signed_in, path), "base_revision": 1, "action": "save", **mine}
    response = signed_in.post(path, data={**data, "change_kind": "correction"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*value="correction"|<input[^>]*value="correction"[^>]*checked', page
    )
    assert (
        edit(
            signed_in,
            letter,
            {**TYPO_FIXED, "date_place_en": mine["date_place_en"]},
            change_kind="correction",
        ).status_code
        == 302
    )
    db.session.expire_all()
    merged = letter.current_revision
    assert (merged.number, merged.change_kind, merged.agreement_number) == (3, ChangeKind.CORRECTION, 1)
    assert listed(letter) == {"Syrian Archive"}


def test_restoring_an_earlier_revision_is_a_substantive_change(app, client, signed_in, letter, invite):
    archive, link = invite(language="en")
    assert edit(signed_in, letter, TYPO_FIXED, change_kind="correction").status_code == 302
    db.session.expire_all()
    confirm(client, link, letter)
    assert listed(letter) == {"Syrian Archive"}
    path = f"/letters/{letter.id}/revisions/1"
    assert "Restoring is a substantive change" in signed_in.get(path).get_data(as_text=True)
    signed_in.post(f"{path}/restore", data={"csrf_token": csrf_token(signed_in, path)})
    db.session.expire_all()
    assert letter.current_revision.number == 3
    assert letter.current_revision.change_kind == ChangeKind.SUBSTANTIVE
    assert listed(letter) == set()
    reconfirming.send_requested()
    assert (
        "The letter changed"
        in db.session.scalars(
            select(OutboxMessage.subject)
            .where(OutboxMessage.invitation_id == archive.id)
            .order_by(OutboxMessage.id.desc())
        ).first()
    )


def test_the_revision_list_and_audit_trail_name_the_kind_of_change(signed_in, letter, invite):
    invite(language="en")
    edit(signed_in, letter, TYPO_FIXED, change_kind="correction")
    edit(signed_in, letter, REWORDED)
    page = signed_in.get(f"/letters/{letter.id}/revisions").get_data(as_text=True)
    assert "Correction of revision 1, judged so by Coordinator" in page
    assert page.count("Substantive") >= 2
    trail = signed_in.get(f"/letters/{letter.id}/audit").get_data(as_text=True)
    assert "a correction: confirmations keep counting" in trail
    assert "English: words inserted: 2, deleted: 1" in trail


def test_the_migration_makes_every_existing_revision_substantive_and_its_own_agreement(
    empty_database, tmp_path
):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        user = accounts.create_user("coordinator@example.org", "Coordinator", PASSWORD)
        letter = drafting.create_letter(user, dict(LETTER_TEXT))
        drafting.save_revision(letter, 1, TYPO_FIXED, user)
        db.session.commit()
        letter_id = letter.id
        db.session.remove()

        downgrade(revision="0016_printed_unnamed_count")
        upgrade(revision="0017_revision_kinds")
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT number, change_kind, agreement_number, judged_by_id FROM letter_revisions"
                    " WHERE letter_id = :id ORDER BY number"
                ),
                {"id": letter_id},
            ).all()
        assert [tuple(row) for row in rows] == [(1, "substantive", 1, None), (2, "substantive", 2, None)]
        assert db.session.get(LetterRevision, 1).change_kind == ChangeKind.SUBSTANTIVE
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
