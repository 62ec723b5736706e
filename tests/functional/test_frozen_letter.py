"""A closed letter is frozen: nothing changes its list; reopening supersedes its documents,
whose code keeps resolving; each verification page lists exactly what its PDF prints."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pypdf
import pytest
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import (
    Decision,
    FinalDocument,
    Invitation,
    Letter,
    LetterStatus,
    Organization,
    RenderStatus,
    Signature,
)
from letterhub.models.signature import CONSENT_WORDING_VERSION
from letterhub.services import publishing, signing
from letterhub.services.pdf_pages import count_pages
from letterhub.services.render_limits import render_within_limits

from ..conftest import (
    answer,
    close_signing,
    csrf_token,
    database_fingerprint,
    pdf_text,
    printed_list,
    reading_order_text,
    without_spaces,
)


@pytest.fixture
def answered_letter(letter, invite):
    """Confirmed: Baytna and Women Now; declined: Dawlaty; withdrawn (confirmed, then declined):
    Kesh Malek; never answered: Pending Org."""
    invitations = {}
    for name_en, name_ar, email in [
        ("Women Now for Development", "النساء الآن من أجل التنمية", "a@example.org"),
        ("Baytna Syria", "بيتنا سوريا", "b@example.org"),
        ("Dawlaty", "دولتي", "c@example.org"),
        ("Kesh Malek", "كش ملك", "d@example.org"),
        ("Pending Org", "منظمة لم ترد", "e@example.org"),
    ]:
        invitations[name_en], _link = invite(name_en, name_ar, email)
    answer(invitations["Women Now for Development"], letter)
    answer(invitations["Baytna Syria"], letter)
    answer(invitations["Dawlaty"], letter, Decision.DECLINED)
    answer(invitations["Kesh Malek"], letter)
    answer(invitations["Kesh Malek"], letter, Decision.DECLINED)
    letter.invitations_by_name = invitations
    return letter


def post(client, path, form_path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, form_path), **fields})


def close_through_the_page(client, letter):
    return close_signing(client, letter.id)


def verification_lists(html: str) -> dict[str, list[tuple[int, str]]]:
    lists = {}
    for language, body in re.findall(r'<section lang="(en|ar)"[^>]*>(.*?)</section>', html, re.S):
        lists[language] = [
            (int(number), unescape(name))
            for number, name in re.findall(r'<li value="(\d+)"><bdi>(.*?)</bdi>', body)
        ]
    return lists


# --- frozen -----------------------------------------------------------------------------------


def test_after_closing_every_way_to_change_the_list_is_refused_and_nothing_is_written(
    app, signed_in, answered_letter, coordinator, runner
):
    letter = answered_letter
    pending = letter.invitations_by_name["Pending Org"]
    confirmed = letter.invitations_by_name["Baytna Syria"]
    other = Organization(name_en="Baytna Syria (duplicate entry)", name_ar="")
    db.session.add(other)
    db.session.commit()
    assert close_through_the_page(signed_in, letter).status_code == 303
    db.session.refresh(letter)
    assert letter.status == LetterStatus.CLOSED
    before = database_fingerprint()
    show = f"/letters/{letter.id}"
    invitation_path = f"{show}/invitations"
    attempts = [
        (f"{invitation_path}/{confirmed.id}/revoke", {}),
        (f"{invitation_path}/{pending.id}/revoke", {}),
        (f"{invitation_path}/{pending.id}/resend", {}),
        (f"{invitation_path}/{pending.id}/reminders", {}),
        (f"{show}/send", {}),
        *(
            (
                f"{invitation_path}/selection",
                {"action": action, "invitation_ids": str(pending.id), "confirmed": "1"},
            )
            for action in ("send", "resend", "remind", "revoke")
        ),
        (
            f"{show}/organizations",
            {"name_en": "New Org", "name_ar": "جديدة", "email": "n@example.org", "language": "en"},
        ),
        (
            f"{show}/list-options",
            {
                "numbering_style": "dash",
                "list_order": "alphabetical",
                "late_signatories": "merge",
                "first_language": "ar",
            },
        ),
        (
            f"{show}/edit",
            {
                "base_revision": 1,
                "action": "save",
                "title_en": "Changed",
                "body_en": "x",
                "title_ar": "ع",
                "body_ar": "ع",
            },
        ),
    ]
    for path, fields in attempts:
        response = post(signed_in, path, show, **fields)
        assert response.status_code in (302, 303, 409), path
        page = signed_in.get(show).get_data(as_text=True)
        assert "Signing is closed" in page, path
        assert database_fingerprint() == before, path
    # The directory's merge, on the web and on the command line.
    response = post(
        signed_in,
        "/organizations/merge",
        f"/organizations/merge?keep={other.id}&other={confirmed.organization_id}",
        keep=other.id,
        other=confirmed.organization_id,
        confirm="y",
    )
    assert response.status_code == 409
    assert "signing is closed" in response.get_data(as_text=True)
    result = runner.invoke(args=["organizations", "merge", str(other.id), str(confirmed.organization_id)])
    assert result.exit_code != 0 and "closed" in result.output
    # The focal points' links: a new answer, a withdrawal.
    for invitation, decision in ((pending, Decision.CONFIRMED), (confirmed, Decision.DECLINED)):
        with pytest.raises(signing.SigningClosed):
            answer(invitation, letter, decision, name_en="X", name_ar="", consent=True)
        db.session.rollback()
    assert database_fingerprint() == before


def test_a_closed_letters_page_offers_no_revoke_resend_or_add(signed_in, answered_letter):
    close_through_the_page(signed_in, answered_letter)
    page = signed_in.get(f"/letters/{answered_letter.id}").get_data(as_text=True)
    assert "/revoke" not in page and "/resend" not in page and '/organizations"' not in page
    assert page.count(f"/letters/{answered_letter.id}/audit?organization=") == 5  # one per row


def test_merge_page_says_an_entry_on_a_closed_letter_cannot_be_merged(signed_in, answered_letter):
    close_through_the_page(signed_in, answered_letter)
    kept = answered_letter.invitations_by_name["Dawlaty"].organization_id
    other = Organization(name_en="Dawlaty (old)", name_ar="")
    db.session.add(other)
    db.session.commit()
    page = signed_in.get(f"/organizations/merge?keep={other.id}&other={kept}").get_data(as_text=True)
    assert 'id="merge-closed"' in page and "disabled" in page


# --- closing ----------------------------------------------------------------------------------


def test_closing_asks_for_confirmation_naming_who_is_listed_and_who_never_answered(
    signed_in, answered_letter
):
    show = f"/letters/{answered_letter.id}"
    page = signed_in.get(show).get_data(as_text=True)
    assert 'id="close-signing"' in page
    assert "2 organisations will be listed in the final documents." in page
    assert "1 organisation never answered." in page
    assert 'name="confirm" value="yes" required' in page
    assert "http-equiv" not in page
    unconfirmed = post(signed_in, f"{show}/close", show)
    assert unconfirmed.status_code == 303
    db.session.refresh(answered_letter)
    assert answered_letter.status == LetterStatus.OPEN
    assert "tick the box" in signed_in.get(show).get_data(as_text=True)
    assert close_through_the_page(signed_in, answered_letter).status_code == 303
    db.session.refresh(answered_letter)
    assert answered_letter.status == LetterStatus.CLOSED


def test_closing_is_refused_when_answers_arrived_after_the_numbers_were_shown(signed_in, answered_letter):
    """The closing step names the numbers; an answer arriving before the click changes them, so
    the letter stays open and the step comes back with the new numbers."""
    letter = answered_letter
    show = f"/letters/{letter.id}"
    page = signed_in.get(show).get_data(as_text=True)
    shown = re.search(r'name="expected_counts" value="([^"]*)"', page).group(1)
    assert shown == "2-1"
    answer(letter.invitations_by_name["Pending Org"], letter)  # confirms meanwhile
    stale = post(signed_in, f"{show}/close", show, confirm="yes", expected_counts=shown)
    assert stale.status_code == 303
    db.session.refresh(letter)
    assert letter.status == LetterStatus.OPEN
    page = signed_in.get(show).get_data(as_text=True)
    assert "answers arrived while you were deciding" in page
    assert "3 organisations will be listed in the final documents." in page
    missing = post(signed_in, f"{show}/close", show, confirm="yes")
    db.session.refresh(letter)
    assert missing.status_code == 303 and letter.status == LetterStatus.OPEN
    assert close_through_the_page(signed_in, letter).status_code == 303
    db.session.refresh(letter)
    assert letter.status == LetterStatus.CLOSED


def test_after_closing_the_page_reports_each_documents_state_and_updates_in_place(
    app, signed_in, answered_letter
):
    close_through_the_page(signed_in, answered_letter)
    show = f"/letters/{answered_letter.id}"
    page = signed_in.get(show).get_data(as_text=True)
    assert "being rendered" in page and "is ready" not in page
    assert 'aria-live="polite"' in page and 'documents.js"' in page and "http-equiv" not in page
    status = signed_in.get(f"{show}/documents.json").get_json()
    assert status["done"] is False
    assert [d["status"] for d in status["documents"]] == ["queued"] * 3
    assert all(d["url"] is None for d in status["documents"])
    publishing.render_queued_documents()
    status = signed_in.get(f"{show}/documents.json").get_json()
    assert status["done"] is True and status["summary"] == "All 3 final documents are ready."
    assert all(d["status"] == "ready" and d["url"] and d["pages"] >= 1 for d in status["documents"])
    assert 'documents.js"' not in signed_in.get(show).get_data(as_text=True)
    script = signed_in.get("/static/documents.js")
    assert script.status_code == 200
    script.close()


def test_page_counts_of_final_documents_are_those_a_pdf_reader_counts(app, signed_in, answered_letter):
    close_through_the_page(signed_in, answered_letter)
    publishing.render_queued_documents()
    for document in publishing.documents_of(answered_letter):
        reader = pypdf.PdfReader(io.BytesIO(document.pdf))
        assert document.pages == len(reader.pages) >= 1


# --- reopening and superseded codes -----------------------------------------------------------


def test_reopening_supersedes_the_documents_and_the_old_code_points_to_the_new_one(
    app, signed_in, client, answered_letter
):
    letter = answered_letter
    close_through_the_page(signed_in, letter)
    publishing.render_queued_documents()
    db.session.refresh(letter)
    old_code = letter.verification_code
    old_hashes = {d.sha256 for d in publishing.documents_of(letter)}
    old_list = verification_lists(signed_in.get(f"/verify/{old_code}").get_data(as_text=True))

    show = f"/letters/{letter.id}"
    post(signed_in, f"{show}/reopen", show)
    db.session.refresh(letter)
    assert letter.status == LetterStatus.OPEN and letter.verification_code is None
    page = signed_in.get(f"/verify/{old_code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This version was superseded" in html and "No new version has been issued yet." in html
    assert verification_lists(html) == old_list
    assert all(h in html for h in old_hashes)

    # Now the list may change: revoke Baytna, close again.
    baytna = letter.invitations_by_name["Baytna Syria"]
    post(signed_in, f"{show}/invitations/{baytna.id}/revoke", show)
    close_through_the_page(signed_in, letter)
    publishing.render_queued_documents()
    db.session.refresh(letter)
    new_code = letter.verification_code
    assert new_code and new_code != old_code
    html = signed_in.get(f"/verify/{old_code}").get_data(as_text=True)
    assert f'href="/verify/{new_code}"' in html
    assert verification_lists(html) == old_list  # the old PDF's list, as it printed it
    new_html = signed_in.get(f"/verify/{new_code}").get_data(as_text=True)
    assert "superseded" not in new_html
    assert [name for _, name in verification_lists(new_html)["en"]] == ["Women Now for Development"]
    # Every issued file is kept: three superseded, three current.
    documents = db.session.scalars(select(FinalDocument).order_by(FinalDocument.id)).all()
    assert [d.verification_code for d in documents] == [old_code] * 3 + [new_code] * 3
    assert all(d.pdf for d in documents)
    assert {d.sha256 for d in documents[:3]} == old_hashes
    # The coordinator's page serves the current files only.
    assert old_code not in signed_in.get(show).get_data(as_text=True)


def unnamed_line_of(html: str, language: str) -> str:
    match = re.search(rf'<section lang="{language}".*?<p class="unnamed-signatories">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else ""


def test_a_superseded_code_keeps_the_unnamed_count_its_pdf_printed(app, signed_in, answered_letter):
    """The line "and N organisations that prefer not to be named" is part of what a PDF prints:
    after a reopening changes the count, the old code still shows the old line, as its file does."""
    letter = answered_letter
    unnamed_org = letter.invitations_by_name["Pending Org"]
    answer(unnamed_org, letter, unnamed=True)
    close_through_the_page(signed_in, letter)
    publishing.render_queued_documents()
    db.session.refresh(letter)
    old_code = letter.verification_code
    bilingual = publishing.ready_document(letter, "en,ar")
    printed = pdf_text(bilingual.pdf)
    assert "and 1 organisation that prefers not to be named" in printed
    html = signed_in.get(f"/verify/{old_code}").get_data(as_text=True)
    assert unnamed_line_of(html, "en") == "and 1 organisation that prefers not to be named"

    show = f"/letters/{letter.id}"
    post(signed_in, f"{show}/reopen", show)
    post(signed_in, f"{show}/invitations/{unnamed_org.id}/revoke", show)
    close_through_the_page(signed_in, letter)
    publishing.render_queued_documents()
    db.session.refresh(letter)
    assert letter.verification_code != old_code
    old_html = signed_in.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "This version was superseded" in old_html
    assert unnamed_line_of(old_html, "en") == "and 1 organisation that prefers not to be named"
    assert unnamed_line_of(old_html, "ar")  # worded in Arabic, from the same stored count
    new_html = signed_in.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    assert unnamed_line_of(new_html, "en") == "" and "prefer" not in pdf_text(
        publishing.ready_document(letter, "en,ar").pdf
    )


def test_resolving_a_duplicate_of_an_imported_letter_supersedes_and_reissues_under_a_new_code(
    app, runner, coordinator, seed_text, tmp_path, client
):
    paths = []
    for number in (0, 1):
        path = tmp_path / f"seed_{number}.txt"
        path.write_text(seed_text(number), encoding="utf-8")
        paths.append(str(path))
    result = runner.invoke(args=["letters", "import", *paths])
    letter = db.session.get(Letter, json.loads(result.stdout)["letter"])
    old_code = letter.verification_code
    from letterhub.services.imports import review

    rows = review.imported_rows(letter, "en")
    review.merge_duplicate(letter, rows[0].id, rows[1].id, by=coordinator)
    db.session.commit()
    assert letter.verification_code not in (None, old_code)
    html = client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "This version was superseded" in html and f"/verify/{letter.verification_code}" in html
    assert len(verification_lists(html)["en"]) == 54
    assert (
        len(
            verification_lists(client.get(f"/verify/{letter.verification_code}").get_data(as_text=True))["en"]
        )
        == 53
    )


# --- the verification page lists what the PDF prints -----------------------------------------


def assert_verification_page_matches_pdfs(client, letter, headings: dict[str, str]) -> None:
    html = client.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    shown = verification_lists(html)
    assert set(shown) == set(headings)
    for language, heading in headings.items():
        document = publishing.ready_document(letter, language)
        assert document is not None and document.sha256 in html
        printed = printed_list(reading_order_text(document.pdf), heading)
        assert [n for n, _ in printed] == [n for n, _ in shown[language]]
        assert [without_spaces(name) for _, name in printed] == [
            without_spaces(name) for _, name in shown[language]
        ]


def test_verification_page_lists_exactly_what_the_seed_letters_pdfs_print(
    app, runner, client, coordinator, seed_text, tmp_path
):
    paths = []
    for number in (0, 1):
        path = tmp_path / f"seed_{number}.txt"
        path.write_text(seed_text(number), encoding="utf-8")
        paths.append(str(path))
    result = runner.invoke(args=["letters", "import", *paths])
    letter = db.session.get(Letter, json.loads(result.stdout)["letter"])
    publishing.render_queued_documents()
    assert_verification_page_matches_pdfs(client, letter, {"en": "Signatories:", "ar": "الموقعون:"})


@pytest.mark.slow
def test_verification_page_lists_exactly_what_a_2000_name_letters_pdfs_print(
    app, client, letter, coordinator
):
    """2,000 confirmed organisations; only the single-language documents are rendered (the
    combined one holds the same two lists)."""
    organizations = [
        Organization(name_en=f"Syrian Relief Organisation {i:04d}", name_ar=f"منظمة الإغاثة السورية {i:04d}")
        for i in range(2000)
    ]
    db.session.add_all(organizations)
    db.session.flush()
    revision = letter.current_revision
    for organization in organizations:
        invitation = Invitation(
            letter=letter, organization=organization, email="x@example.org", language="en", state="confirmed"
        )
        db.session.add(invitation)
        db.session.flush()
        db.session.add(
            Signature(
                letter_id=letter.id,
                organization_id=organization.id,
                invitation_id=invitation.id,
                revision_id=revision.id,
                revision_sha256=revision.content_sha256,
                decision=Decision.CONFIRMED,
                name_en=organization.name_en,
                name_ar=organization.name_ar,
                consent=True,
            )
        )
    letter.status = LetterStatus.OPEN
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    for document in publishing.documents_of(letter):
        if document.languages in ("en", "ar"):
            publishing.store_rendered(document, render_within_limits(publishing.document_source(document)))
    db.session.commit()
    assert_verification_page_matches_pdfs(client, letter, {"en": "Signatories:", "ar": "الموقعون:"})
    english = publishing.ready_document(letter, "en")
    assert english.pages == len(pypdf.PdfReader(io.BytesIO(english.pdf)).pages) > 30


# --- evidence -----------------------------------------------------------------------------------


def test_evidence_json_holds_every_decision_of_every_organisation_and_the_files_hashes(
    app, signed_in, answered_letter
):
    close_through_the_page(signed_in, answered_letter)
    publishing.render_queued_documents()
    response = signed_in.get(f"/letters/{answered_letter.id}/evidence.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    report = json.loads(response.get_data(as_text=True))
    assert report["audit"]["verified"] is True and report["audit"]["first_break"] is None
    assert report["consent_wording_version"] == CONSENT_WORDING_VERSION
    by_name = {o["name_en"]: o for o in report["organizations"]}
    assert {name: (o["state"], o["listed"]) for name, o in by_name.items()} == {
        "Women Now for Development": ("confirmed", True),
        "Baytna Syria": ("confirmed", True),
        "Dawlaty": ("declined", False),
        "Kesh Malek": ("declined", False),
        "Pending Org": ("pending", False),
    }
    revision = answered_letter.finalized_revision
    (confirmation,) = by_name["Baytna Syria"]["decisions"]
    assert confirmation | {"at": None, "audit_sequence": None} == {
        "decision": "confirmed",
        "at": None,
        "signer_name": "Hadi Al-Khatib",
        "signer_role": "Director",
        "revision": revision.number,
        "sha256": revision.content_sha256,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (evidence test)",
        "consent_version": CONSENT_WORDING_VERSION,
        "replaced_an_earlier_answer": False,
        "late": False,
        "unnamed": False,
        "naming_changed": False,
        "audit_sequence": None,
    }
    withdrawn = by_name["Kesh Malek"]["decisions"]
    assert [d["decision"] for d in withdrawn] == [
        "confirmed",
        "withdrawn",
    ]  # a decline replacing a confirmation
    assert withdrawn[1]["replaced_an_earlier_answer"] is True and withdrawn[1]["consent_version"] is None
    assert by_name["Pending Org"]["decisions"] == []
    for organization in report["organizations"]:
        # the invitation, and a receipt for each answer
        emails = 1 + len(organization["decisions"])
        assert (
            organization["invited_at"]
            and organization["links_issued"]
            and len(organization["sent"]) == emails
        )
    documents = report["documents"]
    assert [d["languages"] for d in documents] == ["en,ar", "en", "ar"]
    for document, stored in zip(documents, publishing.documents_of(answered_letter), strict=True):
        assert document["sha256"] == stored.sha256 and document["pages"] == stored.pages >= 1
    kinds = [event["kind"] for event in report["audit"]["events"]]
    assert kinds.count("signature.confirmed") == 3 and kinds[-1] == "letter.closed"


def test_evidence_history_shows_other_event_kinds_such_as_forwarding_by_kind(
    app, answered_letter, coordinator
):
    from letterhub.services import audit, evidence

    forwarded = answered_letter.invitations_by_name["Pending Org"]
    audit.record(
        "invitation.forwarded", letter=answered_letter, invitation=forwarded.id, to="colleague@example.org"
    )
    publishing.close_signing(answered_letter, by=coordinator)
    db.session.commit()
    report = evidence.build(answered_letter)
    (pending,) = [o for o in report["organizations"] if o["name_en"] == "Pending Org"]
    assert [e["kind"] for e in pending["forwarding_and_nomination"]] == ["invitation.forwarded"]
    assert pending["forwarding_and_nomination"][0]["details"]["to"] == "colleague@example.org"


def test_evidence_pdf_names_every_organisation_in_the_readers_language(app, signed_in, answered_letter):
    close_through_the_page(signed_in, answered_letter)
    english = pdf_text(signed_in.get(f"/letters/{answered_letter.id}/evidence.pdf").data)
    for name in ("Women Now for Development", "Baytna Syria", "Dawlaty", "Kesh Malek", "Pending Org"):
        assert name in english
    assert "Evidence report" in english and "The hash chain verifies" in english
    signed_in.post(
        "/language/ar", data={"csrf_token": csrf_token(signed_in, f"/letters/{answered_letter.id}")}
    )
    arabic = signed_in.get(f"/letters/{answered_letter.id}/evidence.pdf")
    assert arabic.status_code == 200
    text = pdf_text(arabic.data)
    assert "Evidence report" not in text and "Baytna Syria" in text


def test_evidence_is_refused_before_closing_and_written_by_the_cli(
    app, runner, answered_letter, coordinator, tmp_path
):
    result = runner.invoke(args=["letters", "evidence", str(answered_letter.id)])
    assert result.exit_code != 0 and "not closed" in result.output
    publishing.close_signing(answered_letter, by=coordinator)
    db.session.commit()
    result = runner.invoke(args=["letters", "evidence", str(answered_letter.id)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["letter"]["id"] == answered_letter.id
    target = tmp_path / "evidence.pdf"
    result = runner.invoke(
        args=["letters", "evidence", str(answered_letter.id), "--format", "pdf", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "Kesh Malek" in pdf_text(target)


def test_documents_under_a_new_code_render_and_count_pages(app, answered_letter, coordinator):
    publishing.close_signing(answered_letter, by=coordinator)
    db.session.commit()
    publishing.reopen_signing(answered_letter, by=coordinator)
    db.session.commit()
    assert publishing.render_queued_documents() == {"rendered": 0, "failed": 0}  # superseded: not rendered
    publishing.close_signing(answered_letter, by=coordinator)
    db.session.commit()
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    for document in publishing.documents_of(answered_letter):
        assert document.status == RenderStatus.READY
        assert document.pages == count_pages(document.pdf)
        assert answered_letter.verification_code in pdf_text(document.pdf)


def test_documents_issued_before_lists_were_stored_keep_their_list_when_superseded(
    app, client, answered_letter, coordinator
):
    publishing.close_signing(answered_letter, by=coordinator)
    for document in publishing.documents_of(answered_letter):
        document.printed_lists = None  # as migration 0011 leaves documents issued before it
    db.session.commit()
    code = answered_letter.verification_code
    before = verification_lists(client.get(f"/verify/{code}").get_data(as_text=True))
    assert [name for _, name in before["en"]] == ["Baytna Syria", "Women Now for Development"]
    publishing.reopen_signing(answered_letter, by=coordinator)
    db.session.commit()
    assert verification_lists(client.get(f"/verify/{code}").get_data(as_text=True)) == before
