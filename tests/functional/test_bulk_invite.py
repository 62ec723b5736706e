"""Inviting many at once: a CSV file (CLI and web preview), its encodings and headers, picks from the directory."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import (
    AliasSource,
    AuditEvent,
    Decision,
    Invitation,
    InvitationState,
    Organization,
    OutboxMessage,
    Signature,
)
from letterhub.services import bulk_inviting, directory, drafting, inviting
from letterhub.services.bulk_inviting import CsvFileError, LineStatus, read_csv

from ..conftest import LETTER_TEXT, csrf_token

HEADER = "name_en,name_ar,email,language,tags"

# One line of each kind; the comment is what the line must become.
MIXED_LINES = [
    "Syrian Archive,الأرشيف السوري,a@archive.example,ar,media",  # 2 new
    "Women Now,النساء الآن,w@now.example,en,",  # 3 new
    ",,x@nameless.example,ar,",  # 4 no_name
    "Bad Mail,بريد سيء,not-an-email,ar,",  # 5 bad_email
    "the syrian archive,,b@archive2.example,en,",  # 6 duplicate_organization (line 2)
    "Other Org,منظمة أخرى,a@archive.example,ar,",  # 7 duplicate_email (line 2)
    "Invited Org,منظمة مدعوة,i@invited.example,ar,",  # 8 already_invited
    "Lang Org,منظمة اللغة,l@lang.example,fr,",  # 9 bad_language
    "Existing Entry,الكيان الموجود,e@existing.example,en,",  # 10 existing
    '"=HYPERLINK(""http://evil"",""x"")",,f@formula.example,en,',  # 11 new, neutralised
]
EXPECTED_ERRORS = {
    4: "no_name",
    5: "bad_email",
    6: "duplicate_organization",
    7: "duplicate_email",
    8: "already_invited",
    9: "bad_language",
}


def mixed_csv() -> bytes:
    return ("\n".join([HEADER, *MIXED_LINES]) + "\n").encode("utf-8")


@pytest.fixture
def prepared(letter, coordinator):
    """The directory and letter the mixed file meets: one entry in the directory, one already invited."""
    directory.add_organization(
        name_en="Existing Entry", name_ar="الكيان الموجود", email="e@existing.example", by=coordinator
    )
    inviting.add_organization(
        letter, name_en="Invited Org", name_ar="منظمة مدعوة", email="i@invited.example", language="ar"
    )
    db.session.commit()
    return letter


def invitation_names(letter) -> set[str]:
    return set(
        db.session.scalars(
            select(Organization.name_en)
            .join(Invitation, Invitation.organization_id == Organization.id)
            .where(Invitation.letter_id == letter.id)
        )
    )


# --------------------------------------------------------------------------- the CLI


def test_cli_invites_exactly_the_good_lines_and_reports_the_bad_ones_by_line(
    runner, prepared, coordinator, tmp_path
):
    path = tmp_path / "list.csv"
    path.write_bytes(mixed_csv())
    result = runner.invoke(args=["letters", "invite", str(prepared.id), "--csv", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the JSON report is the only thing on stdout
    assert set(report) == {"added", "existing", "errors", "possible_duplicates"}
    assert (report["added"], report["existing"]) == (3, 1)
    assert {e["line"]: e["code"] for e in report["errors"]} == EXPECTED_ERRORS
    assert all(e["message"] for e in report["errors"])
    assert "line 2" in next(e["message"] for e in report["errors"] if e["line"] == 6)
    db.session.expire_all()
    assert invitation_names(prepared) == {
        "Invited Org",
        "Syrian Archive",
        "Women Now",
        "Existing Entry",
        '\'=HYPERLINK("http://evil","x")',  # the formula is text now
    }
    # The existing entry was reused, not copied; new entries carry the file's tags.
    assert db.session.scalar(select(func.count()).where(Organization.name_en == "Existing Entry")) == 1
    archive = db.session.scalars(select(Organization).where(Organization.name_en == "Syrian Archive")).one()
    assert [t.name for t in archive.tags] == ["media"]
    languages = dict(
        tuple(row)
        for row in db.session.execute(
            select(Organization.name_en, Invitation.language).join(
                Invitation, Invitation.organization_id == Organization.id
            )
        )
    )
    assert languages["Women Now"] == "en" and languages["Syrian Archive"] == "ar"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitations.imported")).one()
    assert event.details["added"] == 3 and event.details["existing"] == 1
    # Nothing was sent without --send.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_cli_dry_run_writes_nothing_and_reports_the_same(runner, prepared, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(mixed_csv())
    organizations = db.session.scalar(select(func.count()).select_from(Organization))
    result = runner.invoke(args=["letters", "invite", str(prepared.id), "--csv", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["existing"]) == (3, 1)
    assert {e["line"]: e["code"] for e in report["errors"]} == EXPECTED_ERRORS
    db.session.expire_all()
    assert invitation_names(prepared) == {"Invited Org"}
    assert db.session.scalar(select(func.count()).select_from(Organization)) == organizations


def test_cli_exits_non_zero_only_when_nothing_could_be_added(runner, prepared, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n,,x@example.org,ar,\nNo Mail,,,en,\n", encoding="utf-8")
    result = runner.invoke(args=["letters", "invite", str(prepared.id), "--csv", str(bad)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == 0 and [e["code"] for e in report["errors"]] == ["no_name", "missing_email"]

    unreadable = tmp_path / "no-header.csv"
    unreadable.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = runner.invoke(args=["letters", "invite", str(prepared.id), "--csv", str(unreadable)])
    assert result.exit_code != 0 and result.stdout == ""
    assert "first line must name the columns" in result.output


def test_cli_invites_possible_duplicates_and_lists_them_and_send_queues_mail(runner, prepared, tmp_path):
    path = tmp_path / "list.csv"
    # Line 3 has the words of line 2 in another order: a possible duplicate, invited and listed.
    path.write_text(
        HEADER + "\nNetwork for Rights,شبكة الحقوق,n@one.example,ar,\nRights Network,,r@two.example,en,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["letters", "invite", str(prepared.id), "--csv", str(path), "--send"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == 2
    assert [(d["line"], d["similar_lines"]) for d in report["possible_duplicates"]] == [(3, [2])]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


# --------------------------------------------------------------------------- reading files


ARABIC_LINES = [
    ("Syrian Archive", "الأرشيف السوري", "a@example.org", "ar"),
    ("", "النساء الآن", "w@example.org", ""),
]


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected_encoding"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ",", "utf-8"),
        ("cp1256", ";", "cp1256"),
        ("utf-16", "\t", "utf-16"),  # what Excel's "Unicode text" writes: UTF-16LE with a BOM, tabs
        ("utf-8-sig", ";", "utf-8"),
        ("utf-8", "\t", "utf-8"),
    ],
)
def test_encodings_and_separators_are_recognised(encoding, delimiter, expected_encoding):
    rows = [["name_en", "name_ar", "email", "language"], *map(list, ARABIC_LINES)]
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    parsed = read_csv(text.encode(encoding))
    assert parsed.delimiter == delimiter and parsed.encoding == expected_encoding
    assert [
        (line.number, line.name_en, line.name_ar, line.email, line.language) for line in parsed.lines
    ] == [
        (2, "Syrian Archive", "الأرشيف السوري", "a@example.org", "ar"),
        (3, "", "النساء الآن", "w@example.org", "ar"),  # no language: Arabic for an Arabic name
    ]
    assert all(not line.errors for line in parsed.lines)


@pytest.mark.parametrize(
    "header",
    [
        "English name,Arabic name,E-mail,Language,Tags",
        "Name in English;Name in Arabic;Email address;LANGUAGE;tag",
        "الاسم بالإنجليزية,الاسم بالعربية,البريد الإلكتروني,اللغة,الوسوم",
        "الاسم بالانجليزيه,الاسم بالعربيه,البريد الالكتروني,اللغه,وسوم",  # typed without hamza, haa for taa
    ],
)
def test_header_titles_people_type_in_either_language_are_recognised(header):
    delimiter = ";" if ";" in header else ","
    line = delimiter.join(["Syrian Archive", "الأرشيف السوري", "A@Example.org", "العربية", "media، Idlib"])
    parsed = read_csv(f"{header}\n{line}\n".encode())
    assert parsed.columns == ["name_en", "name_ar", "email", "language", "tags"]
    (only,) = parsed.lines
    assert (only.name_en, only.name_ar, only.email, only.language, only.tags) == (
        "Syrian Archive",
        "الأرشيف السوري",
        "a@example.org",
        "ar",
        ["media", "Idlib"],
    )


def test_formula_cells_are_read_as_text():
    parsed = read_csv(
        b"name_en,name_ar,email,language\n=1+2,@SUM(A1),a@example.org,en\n-2+3,+cmd,b@example.org,en\n"
    )
    assert [(line.name_en, line.name_ar) for line in parsed.lines] == [
        ("'=1+2", "'@SUM(A1)"),
        ("'-2+3", "'+cmd"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"PK\x03\x04rest of a workbook", "workbook"),
        (b"a,b,c\n1,2,3\n", "no_header"),
        (b"name_en,name_ar\nx,y\n", "no_email_column"),
        (b"email,language\nx@example.org,en\n", "no_name_column"),
        (b"name_en,email\n", "no_lines"),
    ],
)
def test_files_that_are_no_list_are_refused_with_a_code(data, code):
    with pytest.raises(CsvFileError) as refused:
        read_csv(data)
    assert refused.value.code == code


def test_blank_rows_keep_spreadsheet_line_numbers_and_quoted_line_breaks_are_one_line():
    parsed = read_csv(
        b'name_en,email\n\nFirst,a@example.org\n"Two\nlines",b@example.org\nThird,c@example.org\n'
    )
    assert [(line.number, line.name_en) for line in parsed.lines] == [
        (3, "First"),
        (4, "Two lines"),
        (5, "Third"),
    ]


def test_directory_matching_uses_the_folded_names_and_aliases(app, letter, coordinator):
    entry = directory.add_organization(
        name_en="The Day After", name_ar="اليوم التالي", email="tda@example.org", by=coordinator
    )
    db.session.commit()
    data = (
        "name_en,name_ar,email\n"
        "day after,,one@example.org\n"  # "the" and case: existing
        ",اليوم التالى,two@example.org\n"  # alef maqsura: existing (but same org as line 2)
    ).encode()
    result = bulk_inviting.preview(letter, data)
    statuses = {line.number: (line.status, line.organization_id) for line in result.lines}
    assert statuses[2] == (LineStatus.EXISTING, entry.id)
    # Another spelling of the entry of line 2: the same organisation twice in the file.
    assert statuses[3] == (LineStatus.ERROR, entry.id)
    assert result.lines[1].errors[0].code == "duplicate_organization"
    # The Arabic name matches, the English name is another: a look-alike, the coordinator decides.
    data = "name_en,name_ar,email\nDay After Tomorrow,اليوم التالي,three@example.org\n".encode()
    (line,) = bulk_inviting.preview(letter, data).lines
    assert (line.status, line.similar_organizations) == (LineStatus.DUPLICATE, [entry.id])
    # Another spelling kept as an alias matches the entry too.
    directory.remember_spellings([(entry, "en", "Al-Youm Al-Tali")], AliasSource.MANUAL)
    db.session.commit()
    data = b"name_en,email\nal youm al tali,four@example.org\n"
    (line,) = bulk_inviting.preview(letter, data).lines
    assert (line.status, line.organization_id) == (LineStatus.EXISTING, entry.id)


def test_committed_rows_hold_exactly_what_the_file_said(letter, coordinator):
    """The new rows are loaded in bulk (COPY on PostgreSQL, whose text format has escapes):
    backslashes, quotes and a literal \\N arrive as written, with every derived column."""
    data = (
        "name_en,name_ar,email,language,tags\n"
        '"Back\\slash ""Quoted"" \\N",الخط المائل \\ العكسي,bs@example.org,en,media\n'
    ).encode()
    (line,) = read_csv(data).lines
    assert "\\" in line.name_en and "\\" in line.name_ar
    outcome = bulk_inviting.invite_csv(letter, data, by=coordinator)
    db.session.commit()
    db.session.expire_all()
    (organization_id,) = outcome.created_organization_ids
    organization = db.session.get(Organization, organization_id)
    assert (organization.name_en, organization.name_ar, organization.email) == (
        line.name_en,
        line.name_ar,
        "bs@example.org",
    )
    # The same derived columns the model's validator writes for an entry made one at a time.
    made_by_hand = Organization(name_en=line.name_en, name_ar=line.name_ar)
    assert (organization.name_en_key, organization.name_ar_key) == (
        made_by_hand.name_en_key,
        made_by_hand.name_ar_key,
    )
    assert (organization.name_en_folded, organization.name_ar_folded) == (
        made_by_hand.name_en_folded,
        made_by_hand.name_ar_folded,
    )
    assert [tag.name for tag in organization.tags] == ["media"]
    (invitation_id,) = outcome.invitation_ids
    invitation = db.session.get(Invitation, invitation_id)
    assert (invitation.letter_id, invitation.organization_id, invitation.email, invitation.language) == (
        letter.id,
        organization_id,
        "bs@example.org",
        "en",
    )
    assert invitation.state == InvitationState.PENDING and not invitation.do_not_remind
    assert invitation.created_at.tzinfo is not None and organization.created_at == invitation.created_at


# --------------------------------------------------------------------------- the web


def upload(client, letter, data: bytes, name="list.csv"):
    token = csrf_token(client, f"/letters/{letter.id}/invitations/csv")
    return client.post(
        f"/letters/{letter.id}/invitations/csv",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_web_preview_lists_each_line_saves_nothing_and_confirm_invites_the_good_ones(signed_in, prepared):
    response = upload(signed_in, prepared, mixed_csv())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    statuses = dict(re.findall(r'data-line="(\d+)" data-status="(\w+)"', page))
    assert statuses == {
        "2": "new",
        "3": "new",
        "4": "error",
        "5": "error",
        "6": "error",
        "7": "error",
        "8": "error",
        "9": "error",
        "10": "existing",
        "11": "new",
    }
    assert set(re.findall(r'data-code="(\w+)"', page)) == set(EXPECTED_ERRORS.values())
    assert "The same organisation is already on line 2 of the file." in page
    assert 'class="table-scroll"' in page
    db.session.expire_all()
    assert invitation_names(prepared) == {"Invited Org"}  # the preview saved nothing

    upload_field = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    confirmed = signed_in.post(
        f"/letters/{prepared.id}/invitations/csv/confirm",
        data={"csrf_token": token, "upload": upload_field},
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert invitation_names(prepared) == {
        "Invited Org",
        "Syrian Archive",
        "Women Now",
        "Existing Entry",
        '\'=HYPERLINK("http://evil","x")',
    }
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_web_duplicate_choices_are_obeyed_and_send_now_queues_the_emails(signed_in, prepared):
    entry = db.session.scalars(select(Organization).where(Organization.name_en == "Existing Entry")).one()
    data = (
        HEADER + "\nExisting Entry,كيان آخر,new@existing.example,ar,\n"  # matches on English only
        "Rights Network,,r@one.example,en,\nNetwork Rights,,r@two.example,en,\n"
    ).encode()
    page = upload(signed_in, prepared, data).get_data(as_text=True)
    assert re.findall(r'data-line="(\d+)" data-status="(\w+)"', page) == [
        ("2", "duplicate"),
        ("3", "new"),
        ("4", "duplicate"),
    ]
    assert f'value="existing:{entry.id}"' in page
    upload_field = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = signed_in.post(
        f"/letters/{prepared.id}/invitations/csv/confirm",
        data={
            "csrf_token": token,
            "upload": upload_field,
            "choice-2": f"existing:{entry.id}",
            "choice-4": "skip",
            "send_now": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert invitation_names(prepared) == {"Invited Org", "Existing Entry", "Rights Network"}
    assert db.session.scalar(select(func.count()).where(Organization.name_en == "Existing Entry")) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_web_form_errors_come_back_in_the_readers_language(signed_in, prepared, coordinator):
    no_file = signed_in.post(
        f"/letters/{prepared.id}/invitations/csv",
        data={"csrf_token": csrf_token(signed_in, f"/letters/{prepared.id}/invitations/csv")},
    )
    assert no_file.status_code == 422 and "Choose a CSV file to upload." in no_file.get_data(as_text=True)
    no_header = upload(signed_in, prepared, b"a,b\n1,2\n")
    assert no_header.status_code == 422
    assert "The first line must name the columns" in no_header.get_data(as_text=True)

    coordinator.locale = "ar"
    db.session.commit()
    workbook = upload(signed_in, prepared, b"PK\x03\x04...", name="list.xlsx")
    assert workbook.status_code == 422
    assert "Excel" in workbook.get_data(as_text=True) and "CSV" in workbook.get_data(as_text=True)
    page = upload(signed_in, prepared, mixed_csv()).get_data(as_text=True)
    assert "السطر 2" in page  # the duplicate's message, in Arabic
    assert 'dir="rtl"' in page


def test_web_confirm_refuses_an_upload_signed_for_another_letter(signed_in, prepared, coordinator):
    other = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.commit()
    signed = bulk_inviting.sign_upload(mixed_csv().decode(), letter_id=other.id, user_id=coordinator.id)
    token = csrf_token(signed_in, f"/letters/{prepared.id}/invitations/csv")
    response = signed_in.post(
        f"/letters/{prepared.id}/invitations/csv/confirm", data={"csrf_token": token, "upload": signed}
    )
    assert response.status_code == 422
    assert "upload the file again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert invitation_names(prepared) == {"Invited Org"}


# --------------------------------------------------------------------------- picks from the directory


def entries(coordinator, count: int, tag: str = "", prefix: str = "Org") -> list[Organization]:
    made = [
        directory.add_organization(
            name_en=f"{prefix} {i}",
            name_ar="",
            email=f"{prefix.lower()}{i}@example.org",
            tags=[tag] if tag else [],
            by=coordinator,
        )
        for i in range(count)
    ]
    db.session.commit()
    return made


def directory_csrf(client) -> str:
    page = client.get("/organizations/").get_data(as_text=True)
    return re.search(r'name="pick-csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def pick(client, data: dict):
    return client.post("/organizations/invite", data={"pick-csrf_token": directory_csrf(client), **data})


def test_picking_by_tag_and_search_invites_all_matching_and_skips_those_already_invited(
    signed_in, letter, coordinator
):
    tagged = entries(coordinator, 3, tag="Idlib partners")
    entries(coordinator, 2, prefix="Media")
    inviting.add_organization(letter, name_en="Org 0", name_ar="", email="org0@example.org", language="en")
    db.session.commit()

    response = pick(
        signed_in, {"pick-letter": letter.id, "pick-tag": "idlib partners", "pick-all_matching": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert invitation_names(letter) == {o.name_en for o in tagged}
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 organisations invited." in page and "Already on the list: 1" in page

    pick(signed_in, {"pick-letter": letter.id, "pick-q": "media", "pick-all_matching": "y"})
    db.session.expire_all()
    assert invitation_names(letter) == {o.name_en for o in tagged} | {"Media 0", "Media 1"}
    invitation = db.session.scalars(
        select(Invitation).join(Organization).where(Organization.name_en == "Media 0")
    ).one()
    assert (invitation.email, invitation.language) == ("media0@example.org", "en")


def test_picking_a_selection_uses_the_primary_email_and_preferred_language(signed_in, letter, coordinator):
    first, second = entries(coordinator, 2)
    other = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.add(Invitation(letter=other, organization=second, email="old@example.org", language="ar"))
    db.session.commit()
    pick(signed_in, {"pick-letter": letter.id, "organization_ids": [str(second.id)]})
    db.session.expire_all()
    (invitation,) = db.session.scalars(select(Invitation).where(Invitation.letter_id == letter.id))
    assert (invitation.organization_id, invitation.email, invitation.language) == (
        second.id,
        "org1@example.org",
        "ar",
    )


def answered(source, organization, state: InvitationState) -> Invitation:
    """An invitation of ``source`` answered as ``state`` (confirmed or declined) to its current text."""
    invitation = Invitation(
        letter=source, organization=organization, email=organization.email, language="en", state=state
    )
    db.session.add(invitation)
    db.session.flush()
    revision = source.current_revision
    db.session.add(
        Signature(
            letter_id=source.id,
            organization_id=organization.id,
            invitation_id=invitation.id,
            revision_id=revision.id,
            revision_sha256=revision.content_sha256,
            decision=Decision.CONFIRMED if state == InvitationState.CONFIRMED else Decision.DECLINED,
            name_en=organization.name_en,
            consent=state == InvitationState.CONFIRMED,
        )
    )
    return invitation


def test_picking_everyone_who_confirmed_another_letter(signed_in, letter, coordinator):
    source = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    made = entries(coordinator, 3)
    for organization, state in zip(
        made, [InvitationState.CONFIRMED, InvitationState.DECLINED, InvitationState.CONFIRMED], strict=True
    ):
        answered(source, organization, state)
    db.session.commit()
    response = signed_in.post(
        "/organizations/invite-confirmed",
        data={
            "confirmed-csrf_token": directory_csrf(signed_in),
            "confirmed-source": source.id,
            "confirmed-letter": letter.id,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert invitation_names(letter) == {"Org 0", "Org 2"}


def test_picks_sent_at_once_queue_the_emails_and_say_how_many(signed_in, letter, coordinator):
    first, second, third = entries(coordinator, 3)
    source = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    answered(source, third, InvitationState.CONFIRMED)
    db.session.commit()

    picked = pick(
        signed_in,
        {"pick-letter": letter.id, "organization_ids": [str(first.id), str(second.id)], "pick-send_now": "y"},
    )
    page = signed_in.get(picked.headers["Location"]).get_data(as_text=True)
    assert "2 organisations invited." in page and "2 invitations queued for sending." in page

    confirmed = signed_in.post(
        "/organizations/invite-confirmed",
        data={
            "confirmed-csrf_token": directory_csrf(signed_in),
            "confirmed-source": source.id,
            "confirmed-letter": letter.id,
            "confirmed-send_now": "y",
        },
    )
    page = signed_in.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "1 organisation invited." in page and "1 invitation queued for sending." in page
    db.session.expire_all()
    assert invitation_names(letter) == {"Org 0", "Org 1", "Org 2"}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
