"""Final documents: rendered once in the background, stored with their hash, verifiable in public."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import FinalDocument, RenderErrorKind, RenderStatus
from letterhub.services import drafting, publishing

from ..conftest import answer, csrf_token, pdf_text


@pytest.fixture
def signed_letter(letter, invite):
    """A letter with three confirmed organisations (given out of alphabetical order) and one pending."""
    for name_en, name_ar, email in [
        ("Women Now for Development", "النساء الآن من أجل التنمية", "a@example.org"),
        ("Baytna Syria", "بيتنا سوريا", "b@example.org"),
        ("Syrian Network for Human Rights (SNHR)", "الشبكة السورية لحقوق الإنسان", "c@example.org"),
    ]:
        invitation, _link = invite(name_en, name_ar, email)
        answer(invitation, letter, name_en=name_en, name_ar=name_ar, signer_name="Focal point")
    invite("Pending Organisation", "منظمة لم ترد", "d@example.org")
    return letter


def close_and_render(app, letter, coordinator):
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    return publishing.render_queued_documents()


def test_closing_queues_documents_and_a_worker_renders_them_once(app, signed_letter, coordinator):
    publishing.close_signing(signed_letter, by=coordinator)
    db.session.commit()
    documents = publishing.documents_of(signed_letter)
    assert [d.languages for d in documents] == ["en,ar", "en", "ar"]
    assert {d.status for d in documents} == {RenderStatus.QUEUED}
    assert len(signed_letter.verification_code) == publishing.CODE_LENGTH
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    assert publishing.render_queued_documents() == {"rendered": 0, "failed": 0}
    for document in publishing.documents_of(signed_letter):
        assert document.status == RenderStatus.READY
        assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()


def test_download_serves_the_stored_file_with_numbered_alphabetical_lists(
    app, signed_in, signed_letter, coordinator
):
    close_and_render(app, signed_letter, coordinator)
    response = signed_in.get(f"/letters/{signed_letter.id}/final.pdf")
    assert response.status_code == 200
    stored = publishing.ready_document(signed_letter, "en,ar")
    assert response.data == stored.pdf
    text = pdf_text(response.data)
    signatories = text[text.index("Signatories:") :]
    english = [
        line.strip() for line in signatories.splitlines() if line.strip()[:2] in ("1.", "2.", "3.", "4.")
    ]
    assert english[:3] == [
        "1. Baytna Syria",
        "2. Syrian Network for Human Rights (SNHR)",
        "3. Women Now for Development",
    ]
    assert "Pending Organisation" not in text and "منظمة لم ترد" not in text
    assert signed_letter.verification_code in text


def test_single_language_documents_hold_only_that_language(app, signed_in, signed_letter, coordinator):
    close_and_render(app, signed_letter, coordinator)
    arabic = pdf_text(signed_in.get(f"/letters/{signed_letter.id}/final.pdf?languages=ar").data)
    assert "Baytna" not in arabic and "بيتنا" in arabic
    assert signed_in.get(f"/letters/{signed_letter.id}/final.pdf?languages=fr").status_code == 404


def test_verification_page_shows_lists_and_file_hashes_but_nothing_about_signers(
    app, client, signed_letter, coordinator
):
    close_and_render(app, signed_letter, coordinator)
    page = client.get(f"/verify/{signed_letter.verification_code}").get_data(as_text=True)
    for document in publishing.documents_of(signed_letter):
        assert document.sha256 in page
    assert "Baytna Syria" in page and "بيتنا سوريا" in page
    assert "Pending Organisation" not in page
    for private in ("a@example.org", "Focal point", "Director"):
        assert private not in page
    assert client.get("/verify/NOSUCHCODE").status_code == 404


def test_csv_export_has_both_names_language_and_number(app, signed_in, signed_letter, coordinator):
    close_and_render(app, signed_letter, coordinator)
    rows = list(
        csv.DictReader(
            io.StringIO(signed_in.get(f"/letters/{signed_letter.id}/signatories.csv").get_data(as_text=True))
        )
    )
    english = [row for row in rows if row["language"] == "en"]
    assert [(row["number"], row["name"]) for row in english] == [
        ("1", "Baytna Syria"),
        ("2", "Syrian Network for Human Rights (SNHR)"),
        ("3", "Women Now for Development"),
    ]
    assert english[0]["name_ar"] == "بيتنا سوريا"
    assert len([row for row in rows if row["language"] == "ar"]) == 3


def test_list_options_change_numbering_and_late_signatories_are_appended(
    app, signed_in, letter, invite, coordinator
):
    show = f"/letters/{letter.id}"
    response = signed_in.post(
        f"{show}/list-options",
        data={
            "csrf_token": csrf_token(signed_in, show),
            "numbering_style": "dashed",
            "list_order": "alphabetical",
            "late_signatories": "append",
            "first_language": "ar",
        },
    )
    assert response.status_code == 302
    early, _ = invite("Zeta Relief", "زيتا للإغاثة", "z@example.org")
    answer(early, letter, name_en="Zeta Relief", name_ar="زيتا للإغاثة", signer_name="Focal point")
    letter.late_after = early.signature.decided_at + timedelta(microseconds=1)
    db.session.commit()
    late, _ = invite("Alpha Media", "ألفا ميديا", "a@example.org")
    answer(late, letter, name_en="Alpha Media", name_ar="ألفا ميديا", signer_name="Focal point")
    close_and_render(app, letter, coordinator)
    assert [d.languages for d in publishing.documents_of(letter)][0] == "ar,en"
    text = pdf_text(publishing.ready_document(letter, "en").pdf)
    assert text.index("- 1 - Zeta Relief") < text.index("- 2 - Alpha Media")


def test_reopening_supersedes_stored_documents_and_keeps_their_code_resolving(
    app, signed_letter, coordinator
):
    close_and_render(app, signed_letter, coordinator)
    code = signed_letter.verification_code
    publishing.reopen_signing(signed_letter, by=coordinator)
    db.session.commit()
    kept = db.session.scalars(select(FinalDocument)).all()
    assert len(kept) == 3 and all(d.superseded_at is not None and d.pdf for d in kept)
    assert publishing.documents_of(signed_letter) == []
    assert publishing.letter_for_code(code) is None
    issue = publishing.verification_for_code(code)
    assert issue is not None and issue.superseded_at is not None and issue.newer_code is None


def test_a_render_stopped_at_its_memory_ceiling_is_shown_and_can_be_retried(
    app, signed_in, signed_letter, coordinator
):
    app.config["PDF_RENDER_MEMORY_MB"] = 100  # less than the renderer itself occupies
    assert close_and_render(app, signed_letter, coordinator) == {"rendered": 0, "failed": 3}
    page = signed_in.get(f"/letters/{signed_letter.id}").get_data(as_text=True)
    assert "render-failed" in page and "more than 100 MB of memory" in page and "PDF_RENDER_MEMORY_MB" in page
    signed_in.get("/language/ar")
    page = signed_in.get(f"/letters/{signed_letter.id}").get_data(as_text=True)
    assert "100 ميغابايت" in page
    stored = db.session.scalars(select(FinalDocument)).all()
    assert {(d.error_kind, d.error_limit, d.error) for d in stored} == {
        (RenderErrorKind.MEMORY_LIMIT, 100, "")
    }
    app.config["PDF_RENDER_MEMORY_MB"] = 2048
    show = f"/letters/{signed_letter.id}"
    signed_in.post(f"{show}/documents/retry", data={"csrf_token": csrf_token(signed_in, show)})
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}


def test_a_render_that_fails_is_stored_as_failed_with_its_detail_and_worded_for_the_reader(
    app, signed_in, signed_letter, coordinator, monkeypatch
):
    def broken_render(documents):
        raise ValueError("no font for this")

    monkeypatch.setattr(publishing, "render_batch_within_limits", broken_render)
    assert close_and_render(app, signed_letter, coordinator) == {"rendered": 0, "failed": 3}
    stored = db.session.scalars(select(FinalDocument)).all()
    assert {(d.error_kind, d.error_limit, d.error) for d in stored} == {
        (RenderErrorKind.FAILED, None, "ValueError: no font for this")
    }
    page = signed_in.get(f"/letters/{signed_letter.id}").get_data(as_text=True)
    assert "The PDF could not be rendered (ValueError: no font for this)" in page
    monkeypatch.undo()
    show = f"/letters/{signed_letter.id}"
    signed_in.post(f"{show}/documents/retry", data={"csrf_token": csrf_token(signed_in, show)})
    assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    assert {(d.error_kind, d.error_limit, d.error) for d in db.session.scalars(select(FinalDocument))} == {
        (None, None, "")
    }


def test_a_conditional_download_of_the_final_pdf_gets_304(app, signed_in, signed_letter, coordinator):
    close_and_render(app, signed_letter, coordinator)
    url = f"/letters/{signed_letter.id}/final.pdf"
    document = publishing.ready_document(signed_letter, "en,ar")
    first = signed_in.get(url)
    assert first.status_code == 200 and first.data == document.pdf
    assert first.headers["ETag"] == f'"{document.sha256}"'
    assert first.headers["Content-Disposition"] == f"attachment; filename=letter-{signed_letter.id}-en-ar.pdf"
    assert first.last_modified == document.rendered_at.replace(microsecond=0)
    assert "private" in first.headers["Cache-Control"] and "public" not in first.headers["Cache-Control"]
    by_tag = signed_in.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert by_tag.status_code == 304 and by_tag.data == b""
    by_date = signed_in.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    stale = signed_in.get(url, headers={"If-None-Match": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and stale.data == document.pdf


def test_a_conditional_download_of_the_csv_gets_304_until_the_list_changes(
    app, signed_in, signed_letter, coordinator
):
    close_and_render(app, signed_letter, coordinator)
    url = f"/letters/{signed_letter.id}/signatories.csv"
    first = signed_in.get(url)
    assert first.status_code == 200 and first.mimetype == "text/csv"
    assert first.headers["ETag"] == f'"{hashlib.sha256(first.data).hexdigest()}"'
    assert signed_in.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_missing_letter_or_another_letters_invitation_is_404(app, signed_in, signed_letter, coordinator):
    assert signed_in.get("/letters/999999").status_code == 404
    fields = {**drafting.empty_fields(), "title_en": "T", "body_en": "B", "title_ar": "ع", "body_ar": "ب"}
    other = drafting.create_letter(coordinator, fields)
    db.session.commit()
    invitation = signed_letter.invitations[0]
    url = f"/letters/{other.id}/invitations/{invitation.id}/revoke"
    response = signed_in.post(url, data={"csrf_token": csrf_token(signed_in, f"/letters/{other.id}")})
    assert response.status_code == 404
