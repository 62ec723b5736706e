"""Names typed by focal points reach the signatories CSV as text a spreadsheet will not run (OWASP)."""

from __future__ import annotations

import csv
import io

import pytest

from letterhub.extensions import db
from letterhub.services import publishing
from letterhub.services.spreadsheet import FORMULA_TRIGGERS, neutralise_cell, read_csv_rows, write_csv

from ..conftest import csrf_token

TYPED_NAMES = {
    '=HYPERLINK("http://evil","x")': '\'=HYPERLINK("http://evil","x")',
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "+1": "'+1",
    "- Relief": "'- Relief",
    "Baytna Syria": "Baytna Syria",
}
ARABIC_NAME = "الشبكة السورية لحقوق الإنسان"


def confirm_through_the_link(client, invitation, link, name_en, name_ar):
    path = link.removeprefix("http://localhost")
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "revision_id": invitation.letter.current_revision.id,
            "name_en": name_en,
            "name_ar": name_ar,
            "signer_name": "=cmd|' /C calc'!A0",
            "signer_role": "Director",
            "consent": "y",
            "confirm": "1",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_the_csv_export_neutralises_every_cell_a_focal_point_typed(
    app, client, signed_in, letter, invite, coordinator
):
    for number, name in enumerate(TYPED_NAMES):
        invitation, link = invite(name, f"منظمة {number}", f"focal{number}@example.org")
        confirm_through_the_link(client, invitation, link, name, f"{name} {ARABIC_NAME}")
    invitation, link = invite("Syrian Network", ARABIC_NAME, "snhr@example.org")
    confirm_through_the_link(client, invitation, link, "Syrian Network", ARABIC_NAME)
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()

    text = signed_in.get(f"/letters/{letter.id}/signatories.csv").get_data(as_text=True)
    lines = text.splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)  # every cell quoted
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["language", "number", "name", "name_en", "name_ar", "named"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), (row, cell)
    english = {row[2] for row in rows[1:] if row[0] == "en"}
    assert set(TYPED_NAMES.values()) | {"Syrian Network"} == english
    arabic = {row[2] for row in rows[1:] if row[0] == "ar"}
    assert ARABIC_NAME in arabic
    assert '\'=HYPERLINK("http://evil","x") الشبكة السورية لحقوق الإنسان' in arabic
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in text  # quotes doubled inside the quoted cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("- Relief", "'- Relief"),
        ("'=1+2", "'=1+2"),  # already neutral: not quoted twice
        ("Baytna Syria", "Baytna Syria"),
        ("الأرشيف السوري", "الأرشيف السوري"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (-1, "-1"),  # a number the program wrote is a number
    ],
)
def test_neutralise_cell(cell, written):
    assert neutralise_cell(cell) == written


def test_written_cells_are_quoted_with_embedded_quotes_and_separators_escaped():
    text = write_csv([["name"], ['=1+2";=1+2'], ["a,=1+2"]])
    assert text == '"name"\r\n"\'=1+2"";=1+2"\r\n"a,=1+2"\r\n'


def test_cells_read_from_a_csv_are_neutralised():
    uploaded = 'name,email\r\n=HYPERLINK("http://evil"),a@example.org\r\n"+1",@b\r\n- Relief,"\t-3"\r\n'
    assert list(read_csv_rows(uploaded)) == [
        ["name", "email"],
        ['\'=HYPERLINK("http://evil")', "a@example.org"],
        ["'+1", "'@b"],
        ["'- Relief", "'\t-3"],
    ]


def test_what_is_read_and_written_again_is_not_changed_twice():
    text = write_csv([["=1", "-1", "plain"]])
    assert write_csv(read_csv_rows(text)) == text
