"""Revisions read back, compared and restored; save collisions; parity warnings; start from a letter."""

from __future__ import annotations

import re

from sqlalchemy import select

from letterhub.database import writing
from letterhub.extensions import db
from letterhub.models import (
    AuditEvent,
    Letter,
    LetterRevision,
    ParityAcknowledgement,
)
from letterhub.services import drafting, revisions
from letterhub.services.imports.parsing import parse_letter_text

from ..conftest import LETTER_TEXT, close_signing, csrf_token
from .test_signing import confirm_data, path_of


def post_form(client, path, form_path=None, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, form_path or path), **fields})


def save(letter, coordinator, **changes):
    with writing():
        revision = drafting.save_revision(
            letter,
            letter.current_revision.number,
            {**letter.current_revision.content(), **changes},
            coordinator,
        )
        db.session.commit()
    return revision


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def actions(letter) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.letter_id == letter.id)))


def test_revision_list_names_each_revision_its_author_and_time(signed_in, letter, coordinator):
    save(
        letter,
        coordinator,
        body_en="We write to you again.\n\n1. Release the detainees.\n2. Reveal their fate.",
    )
    page = signed_in.get(f"/letters/{letter.id}/revisions").get_data(as_text=True)
    assert 'data-revision="2"' in page and 'data-revision="1"' in page
    assert page.count("Coordinator") >= 2 and "<time" in page


def test_an_old_revision_opens_read_only_with_its_text(signed_in, letter, coordinator):
    save(letter, coordinator, body_ar="نص جديد تماماً.")
    page = signed_in.get(f"/letters/{letter.id}/revisions/1").get_data(as_text=True)
    assert "الإفراج عن المعتقلين" in page and "نص جديد" not in page
    assert "<textarea" not in page
    assert signed_in.get(f"/letters/{letter.id}/revisions/9").status_code == 404


def test_compare_marks_inserted_and_deleted_words_per_language_with_arabic_right_to_left(
    signed_in, letter, coordinator
):
    save(
        letter,
        coordinator,
        body_en=LETTER_TEXT["body_en"].replace("Reveal their fate", "Reveal the fate of the missing"),
        body_ar=LETTER_TEXT["body_ar"].replace("الكشف عن مصيرهم", "الكشف الفوري عن مصيرهم"),
    )
    response = signed_in.get(f"/letters/{letter.id}/revisions/compare?old=1&new=2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    arabic = re.search(
        r'<div class="diff" lang="ar" dir="rtl" data-language="ar" data-field="body">(.*?)</div>', page, re.S
    )
    assert arabic and "<ins>الفوري</ins>" in arabic.group(1).replace(" ", "").replace("<ins>", "<ins>")
    english = re.search(r'data-language="en" data-field="body">(.*?)</div>', page, re.S).group(1)
    assert "<del>their</del>" in english.replace("<del> ", "<del>")
    assert "missing" in text_of(english)


def test_restore_makes_a_new_revision_with_the_old_text_and_an_audit_event(signed_in, letter, coordinator):
    save(letter, coordinator, body_en="A different text.")
    response = post_form(
        signed_in, f"/letters/{letter.id}/revisions/1/restore", f"/letters/{letter.id}/revisions/1"
    )
    assert response.status_code == 302
    numbers = db.session.scalars(
        select(LetterRevision.number).where(LetterRevision.letter_id == letter.id)
    ).all()
    assert sorted(numbers) == [1, 2, 3]
    restored = drafting.revision_by_number(letter, 3)
    assert restored.content() == drafting.revision_by_number(letter, 1).content()
    assert restored.content_sha256 == drafting.revision_by_number(letter, 1).content_sha256
    assert actions(letter)[-2:] == ["letter.revised", "letter.restored"]


def test_restoring_the_current_text_makes_no_revision(signed_in, letter):
    post_form(signed_in, f"/letters/{letter.id}/revisions/1/restore", f"/letters/{letter.id}/revisions/1")
    assert letter.current_revision.number == 1


def test_restore_without_csrf_changes_nothing(signed_in, letter, coordinator):
    save(letter, coordinator, body_en="A different text.")
    signed_in.post(f"/letters/{letter.id}/revisions/1/restore")
    assert letter.current_revision.number == 2


def test_a_save_collision_shows_three_texts_per_language_and_keeps_the_users_text(
    signed_in, letter, coordinator
):
    save(letter, coordinator, body_ar=LETTER_TEXT["body_ar"].replace("نكتب إليكم.", "نكتب إليكم اليوم."))
    mine = {**LETTER_TEXT, "body_ar": LETTER_TEXT["body_ar"].replace("مصيرهم", "مصير المفقودين")}
    response = post_form(signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "مصير المفقودين.</textarea>" in page  # the user's text is still in the form
    collision = page[page.index('id="collision"') :]
    sides = dict(re.findall(r'data-side="(\w+)">(.*?)</div>', collision, re.S))
    assert set(sides) == {"base", "theirs", "yours"}
    assert "اليوم" in sides["theirs"] and "<ins>" in sides["theirs"]
    assert "المفقودين" in sides["yours"] and "<ins>" in sides["yours"]
    assert 'data-language="ar" data-field="body"' in collision
    assert 'data-language="en"' not in collision  # English did not differ
    assert 'name="base_revision" value="2"' in page


def test_a_save_collision_lists_only_the_fields_that_differ_whatever_the_line_endings(
    signed_in, letter, coordinator
):
    """A browser ends a textarea's lines with CRLF: the addressees nobody changed are not listed."""
    save(letter, coordinator, body_en=LETTER_TEXT["body_en"].replace("We write", "Today we write"))
    mine = {key: value.replace("\n", "\r\n") for key, value in LETTER_TEXT.items()}
    mine["body_ar"] = mine["body_ar"].replace("مصيرهم", "مصير المفقودين")
    response = post_form(signed_in, f"/letters/{letter.id}/edit", base_revision=1, action="save", **mine)
    assert response.status_code == 409
    collision = response.get_data(as_text=True).split('id="collision"', 1)[1]
    listed = re.findall(r'data-language="(\w+)" data-field="(\w+)"', collision)
    assert sorted(set(listed)) == [("ar", "body"), ("en", "body")]


def test_parity_warnings_are_listed_in_the_editor_and_acknowledged_with_an_audit_event(
    signed_in, letter, coordinator
):
    save(letter, coordinator, body_en=LETTER_TEXT["body_en"] + "\n3. Open the prisons to inspection.")
    page = signed_in.get(f"/letters/{letter.id}/edit").get_data(as_text=True)
    assert 'id="parity"' in page and "Numbered demand 3 of the English text" in page
    assert "English changed since revision 1, Arabic did not." in page
    (item,) = [i for i in revisions.parity_items(letter) if i.warning.code == "missing_item"]
    response = post_form(
        signed_in,
        f"/letters/{letter.id}/parity/acknowledge",
        f"/letters/{letter.id}/parity",
        key=item.warning.key,
    )
    assert response.status_code == 302
    acknowledgement = db.session.scalars(select(ParityAcknowledgement)).one()
    assert (acknowledgement.revision_number, acknowledgement.warning_key) == (2, item.warning.key)
    assert actions(letter)[-1] == "parity.acknowledged"
    assert [i.warning.code for i in revisions.parity_items(letter) if i.acknowledgement is None] == [
        "one_language_changed"
    ]


def test_unresolved_warnings_are_listed_before_sending_and_closing_and_block_nothing(
    signed_in, letter, coordinator, invite
):
    save(letter, coordinator, body_en=LETTER_TEXT["body_en"].replace("We write", "In 2024 we write"))
    page = signed_in.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert page.count("parity-notice") == 2  # above closing and above sending
    assert f"/letters/{letter.id}/parity" in page
    response = close_signing(signed_in, letter.id)
    assert response.status_code == 303
    assert db.session.get(Letter, letter.id).status.value == "closed"


def test_an_unknown_warning_key_records_nothing(signed_in, letter):
    post_form(
        signed_in, f"/letters/{letter.id}/parity/acknowledge", f"/letters/{letter.id}/parity", key="nothing"
    )
    assert db.session.scalars(select(ParityAcknowledgement)).all() == []


def test_seed_letters_000_and_001_show_no_warning(signed_in, coordinator, seed_text):
    english, arabic = parse_letter_text(seed_text(1)), parse_letter_text(seed_text(0))
    fields = {
        **LETTER_TEXT,
        "body_en": english.body,
        "body_ar": arabic.body,
        "addressees_en": english.addressees,
        "addressees_ar": arabic.addressees,
    }
    with writing():
        letter = drafting.create_letter(coordinator, fields)
        db.session.commit()
    assert revisions.parity_items(letter) == []
    page = signed_in.get(f"/letters/{letter.id}/parity").get_data(as_text=True)
    assert "No differences found" in page


def test_start_from_copies_text_addressees_and_list_options_and_the_confirmed_organisations(
    client, signed_in, letter, coordinator, invite
):
    confirmed, link = invite("Syrian Archive", "الأرشيف السوري", "a@archive.example")
    pending, _ = invite("Jasmine Dream", "حلم الياسمين", "b@jasmine.example", language="en")
    path = path_of(link)
    assert client.post(path, data=confirm_data(client, path, letter)).status_code == 200
    with writing():
        source = db.session.get(Letter, letter.id)
        source.numbering_style, source.arabic_indic_digits, source.two_columns = "dashed", True, True
        db.session.commit()
    response = post_form(signed_in, f"/letters/{letter.id}/start-from", invitations="confirmed")
    assert response.status_code == 302
    new = db.session.scalars(select(Letter).order_by(Letter.id.desc())).first()
    assert new.id != letter.id and response.headers["Location"].endswith(f"/letters/{new.id}/edit")
    assert new.current_revision.content() == letter.current_revision.content()
    assert (new.numbering_style, new.arabic_indic_digits, new.two_columns) == ("dashed", True, True)
    assert new.coalition == "Test coalition" and new.status.value == "draft" and new.deadline is None
    assert [(i.organization.name_en, i.email, i.token_hash) for i in new.invitations] == [
        ("Syrian Archive", "a@archive.example", None)
    ]
    assert "letter.started_from" in actions(new)


def test_start_from_with_everyone_invited_copies_each_address_and_language(signed_in, letter, invite):
    invite("Syrian Archive", "الأرشيف السوري", "a@archive.example")
    invite("Jasmine Dream", "حلم الياسمين", "b@jasmine.example", language="en")
    post_form(signed_in, f"/letters/{letter.id}/start-from", invitations="all")
    new = db.session.scalars(select(Letter).order_by(Letter.id.desc())).first()
    assert sorted((i.email, i.language) for i in new.invitations) == [
        ("a@archive.example", "ar"),
        ("b@jasmine.example", "en"),
    ]


def test_start_from_without_a_choice_is_refused_and_creates_nothing(signed_in, letter):
    response = post_form(signed_in, f"/letters/{letter.id}/start-from", invitations="everybody")
    assert response.status_code == 422
    assert len(db.session.scalars(select(Letter)).all()) == 1
