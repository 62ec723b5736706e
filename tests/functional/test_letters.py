"""The coordinator's side: drafting, revisions, the invitation list and bad input."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import AuditEvent, Invitation, Letter, LetterRevision, OutboxMessage
from letterhub.services import drafting

from ..conftest import LETTER_TEXT, answer, close_signing, csrf_token


def post_form(client, path, form_path=None, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, form_path or path), **fields})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_letter_pages_require_sign_in(client, letter):
    for path in ("/letters/", "/letters/new", f"/letters/{letter.id}", f"/letters/{letter.id}/final.pdf"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_and_email_stays_filled_in(client, coordinator):
    response = post_form(client, "/login", email="coordinator@example.org", password="wrong password")
    assert response.status_code == 422
    assert 'value="coordinator@example.org"' in response.get_data(as_text=True)
    assert client.get("/letters/").status_code == 302


def test_new_letter_form_has_default_headings_and_rtl_arabic_fields(signed_in):
    page = signed_in.get("/letters/new").get_data(as_text=True)
    assert 'value="Signatories:"' in page and 'value="الموقعون:"' in page
    assert re.search(
        r'<textarea[^>]*dir="rtl"[^>]*name="body_ar"|<textarea[^>]*name="body_ar"[^>]*dir="rtl"', page
    ) or re.search(r'dir="rtl"[^>]*id="body_ar"', page)


def test_each_save_is_a_revision_with_the_sha256_of_its_content(signed_in, letter):
    path = f"/letters/{letter.id}/edit"
    changed = {**LETTER_TEXT, "body_en": "Changed text."}
    response = post_form(signed_in, path, base_revision=1, action="save", **changed)
    assert response.status_code == 302
    revisions = db.session.scalars(select(LetterRevision).order_by(LetterRevision.number)).all()
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].body_en == "Changed text."
    assert revisions[1].content_sha256 == drafting.content_sha256(drafting.normalise_fields(changed))
    assert revisions[0].content_sha256 != revisions[1].content_sha256


def test_saving_unchanged_text_makes_no_new_revision(signed_in, letter):
    post_form(signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **LETTER_TEXT)
    assert count(LetterRevision) == 1


def test_preview_shows_sanitised_markdown_and_saves_nothing(signed_in, letter):
    hostile = {
        **LETTER_TEXT,
        "body_en": "**Bold** <script>alert(1)</script>\n\n3. third demand\n4. fourth",
        "body_ar": '<img src="file:///etc/passwd"> نص',
    }
    response = post_form(
        signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="preview", **hostile
    )
    page = response.get_data(as_text=True)
    preview = page[page.index('id="preview"') :]
    assert "<strong>Bold</strong>" in preview
    assert "<script>" not in preview and "<img" not in preview
    assert '<ol start="3">' in preview  # the letter's own numbering is kept
    assert count(LetterRevision) == 1


def test_concurrent_edit_tells_the_second_coordinator_and_keeps_their_text(signed_in, letter, coordinator):
    # Another coordinator saves revision 2 while this one still edits revision 1.
    drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "Their version."}, coordinator)
    db.session.commit()
    mine = {**LETTER_TEXT, "body_en": "My long carefully typed version."}
    response = post_form(signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "My long carefully typed version." in page
    assert (
        db.session.scalars(select(LetterRevision).where(LetterRevision.number == 2)).one().body_en
        == "Their version."
    )
    assert count(LetterRevision) == 2
    # Saving again from the conflict page (now based on revision 2) works.
    base = re.search(r'name="base_revision" value="(\d+)"', page).group(1)
    assert base == "2"
    assert (
        post_form(
            signed_in, f"/letters/{letter.id}/edit", base_revision=base, action="save", **mine
        ).status_code
        == 302
    )
    assert count(LetterRevision) == 3


def test_racing_saves_of_the_same_revision_keep_both_texts_apart(app, letter, coordinator):
    first = drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "First."}, coordinator)
    with pytest.raises(drafting.RevisionConflict):
        drafting.save_revision(letter, 1, {**LETTER_TEXT, "body_en": "Second."}, coordinator)
    db.session.commit()
    assert letter.current_revision.id == first.id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title_ar", ""),
        ("body_en", ""),
        ("body_ar", "   "),
        ("title_en", "x" * 501),
        ("heading_en", "Signatories\u202e:"),
    ],
)
def test_bad_letter_input_comes_back_filled_in_and_changes_nothing(signed_in, letter, field, value):
    data = {**LETTER_TEXT, "body_en": "My edited text that must survive.", field: value}
    response = post_form(signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    if field != "body_en":
        assert "My edited text that must survive." in page
    assert count(LetterRevision) == 1
    assert letter.current_revision.body_en == LETTER_TEXT["body_en"]


def test_new_letter_without_arabic_text_is_refused_with_a_message(signed_in):
    data = {**LETTER_TEXT, "body_ar": "", "title_ar": ""}
    response = post_form(signed_in, "/letters/new", action="save", **data)
    assert response.status_code == 422
    assert "The Arabic text of the letter is missing." in response.get_data(as_text=True)
    assert count(Letter) == 0


def test_messages_follow_the_coordinators_language(signed_in, letter):
    signed_in.get("/language/ar")
    data = {**LETTER_TEXT, "body_ar": ""}
    page = post_form(
        signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **data
    ).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "The Arabic text of the letter is missing." not in page


def test_adding_organisations_and_sending_writes_one_outbox_message_each(signed_in, letter):
    show = f"/letters/{letter.id}"
    post_form(
        signed_in,
        f"{show}/organizations",
        show,
        name_en="Dawlaty",
        name_ar="دولتي",
        email="a@dawlaty.example",
        language="ar",
    )
    post_form(
        signed_in,
        f"{show}/organizations",
        show,
        name_en="Syrian Archive",
        name_ar="",
        email="b@archive.example",
        language="en",
    )
    assert count(Invitation) == 2 and count(OutboxMessage) == 0
    post_form(signed_in, f"{show}/send", show)
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in messages] == ["a@dawlaty.example", "b@archive.example"]
    assert all(m.invitation_id is not None for m in messages)
    assert "/sign/" in messages[0].body_text
    # Sending again does not send twice.
    post_form(signed_in, f"{show}/send", show)
    assert count(OutboxMessage) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"name_en": "Dawlaty", "name_ar": "", "email": "not an email"},
            "This is not a valid email address.",
        ),
        (
            {"name_en": "", "name_ar": "", "email": "x@example.org"},
            "Give the organisation's name in at least one language.",
        ),
        (
            {"name_en": "  DAWLATY ", "name_ar": "", "email": "other@example.org"},
            "is already on this letter's list.",
        ),
        (
            {"name_en": "", "name_ar": "دولتي", "email": "other@example.org"},
            "is already on this letter's list.",
        ),
    ],
)
def test_bad_organisation_input_comes_back_filled_in(signed_in, letter, fields, message):
    show = f"/letters/{letter.id}"
    post_form(
        signed_in,
        f"{show}/organizations",
        show,
        name_en="Dawlaty",
        name_ar="دولتي",
        email="a@dawlaty.example",
        language="ar",
    )
    response = post_form(signed_in, f"{show}/organizations", show, language="en", **fields)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert f'value="{fields["email"]}"' in page
    assert count(Invitation) == 1


def test_revoking_removes_the_organisation_from_the_final_list(signed_in, letter, invite, coordinator):
    from letterhub.services import finalizing

    invitation, _link = invite()
    answer(invitation, letter)
    assert len(finalizing.confirmed_signatures(letter)) == 1
    show = f"/letters/{letter.id}"
    post_form(signed_in, f"{show}/invitations/{invitation.id}/revoke", show)
    assert finalizing.confirmed_signatures(letter) == []
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invitation.revoked")
        )
        == 1
    )


def test_closed_letter_cannot_be_edited_and_reopens(signed_in, letter):
    show = f"/letters/{letter.id}"
    close_signing(signed_in, letter.id)
    response = post_form(
        signed_in,
        f"{show}/edit",
        show,
        base_revision=1,
        action="save",
        **{**LETTER_TEXT, "body_en": "late change"},
    )
    assert response.status_code == 302
    assert count(LetterRevision) == 1
    post_form(signed_in, f"{show}/reopen", show)
    assert signed_in.get(f"{show}/edit").status_code == 200


def test_every_post_route_refuses_a_missing_csrf_token(app, signed_in, letter, invite):
    invitation, link = invite()
    token = link.rsplit("/", 1)[1]
    values = {"letter_id": letter.id, "invitation_id": invitation.id, "token": token}
    adapter = app.url_map.bind("localhost")
    routes = [
        adapter.build(rule.endpoint, {name: values.get(name, 1) for name in rule.arguments})
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.rule != "/login"  # nothing to protect before sign-in
    ]
    assert len(routes) >= 13
    revisions, outbox = count(LetterRevision), count(OutboxMessage)
    for route in routes:
        signed_in.post(
            route,
            data={
                **LETTER_TEXT,
                "action": "save",
                "base_revision": 1,
                "name_en": "X",
                "email": "x@example.org",
                "language": "en",
                "confirm": "1",
                "consent": "y",
                "revision_id": letter.current_revision.id,
                "signer_name": "a",
                "signer_role": "b",
                "numbering_style": "dashed",
                "two_columns": "y",
            },
        )
    assert count(LetterRevision) == revisions and count(OutboxMessage) == outbox
    assert count(Invitation) == 1 and count(Letter) == 1
    db.session.refresh(letter)
    db.session.refresh(invitation)
    assert letter.status.value == "open" and invitation.state.value == "pending"
    assert letter.numbering_style == "dot" and not letter.two_columns
    assert signed_in.get("/letters/").status_code == 200  # still signed in: logout was refused too


def test_a_form_with_errors_opens_with_a_focused_summary_linking_each_field(signed_in, letter):
    show = f"/letters/{letter.id}"
    response = post_form(
        signed_in,
        f"{show}/organizations",
        name_en="Kept Name",
        name_ar="",
        email="not-an-email",
        language="ar",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary"[^>]*>.*?</div>', page, re.S)
    assert summary, "no error summary"
    opening = summary.group(0).split(">", 1)[0]
    assert 'role="alert"' in opening and 'tabindex="-1"' in opening and "autofocus" in opening
    assert 'href="#email"' in summary.group(0)
    assert re.search(r"<title>Error: ", page)
    assert 'value="Kept Name"' in page
    assert "<title>Error" not in signed_in.get(show).get_data(as_text=True)  # a page without errors
