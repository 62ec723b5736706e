"""The import review page and the CSV export stay small and constant in queries as the lists grow."""

from __future__ import annotations

from letterhub.extensions import db
from letterhub.models import ImportedSignatory, ImportPossibleDuplicate, Letter, LetterStatus, Organization
from letterhub.models.types import utcnow
from letterhub.services import audit, drafting, teams
from letterhub.views.imports import PAGE_SIZE

from ..conftest import counted_queries

SMALL, LARGE = 50, 2000
MAX_PAGE_BYTES = 1024 * 1024


def english_name(i: int) -> str:
    return f"Syrian Organisation for Relief and Sustainable Development {i}"


def arabic_name(i: int) -> str:
    return f"المنظمة السورية للإغاثة والتنمية المستدامة في المحافظات {i}"


def imported_letter(author, size: int) -> Letter:
    """An imported letter of ``size`` names per language: every other pair linked, three open duplicates."""
    letter = Letter(
        created_by=author,
        source="imported",
        status=LetterStatus.CLOSED,
        closed_at=utcnow(),
        finalized_revision_number=1,
        first_language="en",
    )
    db.session.add(letter)
    db.session.flush()
    teams.add_owner(letter, author)
    fields = drafting.empty_fields() | {
        "title_en": "Letter",
        "title_ar": "رسالة",
        "body_en": "B",
        "body_ar": "ب",
    }
    drafting.add_revision(letter, 1, drafting.normalise_fields(fields), author)
    organizations = []
    for i in range(1, size + 1):
        paired = i % 2 == 0
        organizations.append(Organization(name_en=english_name(i), name_ar=arabic_name(i) if paired else ""))
        if not paired:
            organizations.append(Organization(name_en="", name_ar=arabic_name(i)))
    db.session.add_all(organizations)
    db.session.flush()
    by_name = {(o.name_en or None, o.name_ar or None): o for o in organizations}
    rows = []
    for i in range(1, size + 1):
        paired = i % 2 == 0
        english_org = by_name[(english_name(i), arabic_name(i) if paired else None)]
        arabic_org = english_org if paired else by_name[(None, arabic_name(i))]
        rows.append(
            ImportedSignatory(
                letter_id=letter.id,
                language="en",
                position=i,
                name=english_name(i),
                published_number=i,
                organization=english_org,
            )
        )
        rows.append(
            ImportedSignatory(
                letter_id=letter.id,
                language="ar",
                position=i,
                name=arabic_name(i),
                published_number=i,
                organization=arabic_org,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    english = [row for row in rows if row.language == "en"]
    pairs = [(english[k], english[k + 1]) for k in (0, 2, 4)]
    db.session.add_all(
        ImportPossibleDuplicate(
            letter_id=letter.id,
            language="en",
            first_row_id=first.id,
            second_row_id=second.id,
            first_name=first.name,
            second_name=second.name,
        )
        for first, second in pairs
    )
    report = {
        language: {
            "signatories": size,
            "numbering_gaps": [],
            "possible_duplicates": [[a.name, b.name] for a, b in pairs] if language == "en" else [],
            "warnings": [],
        }
        for language in ("en", "ar")
    }
    audit.record(
        "letter.imported", letter=letter, user=author, report=report, pairs=[], warnings=[], notes=[]
    )
    db.session.commit()
    return letter


def fetch(client, path: str) -> tuple[bytes, int]:
    db.session.expire_all()
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(), len(statements)


def test_review_page_runs_the_same_queries_at_2000_names_as_at_50_and_each_page_stays_under_1_mb(
    signed_in, coordinator
):
    figures = {}
    for size in (SMALL, LARGE):
        letter = imported_letter(coordinator, size)
        pages = {}
        for number in (1, 4):
            body, queries = fetch(signed_in, f"/letters/import/{letter.id}/pairs?page={number}")
            pages[number] = (len(body), queries)
            assert body.count(b"<option") == size  # one shared list of every Arabic name
            assert body.count(b'list="arabic-names"') == min(
                size, PAGE_SIZE
            )  # a picker per English name shown
        figures[size] = pages
    print(f"review page (bytes, queries) by size and page: {figures}")
    assert {queries for pages in figures.values() for _size, queries in pages.values()} == {
        figures[SMALL][1][1]
    }
    assert max(size for size, _queries in figures[LARGE].values()) <= MAX_PAGE_BYTES


def test_csv_export_of_an_imported_letter_runs_the_same_queries_at_2000_names_as_at_50(
    signed_in, coordinator
):
    figures = {}
    for size in (SMALL, LARGE):
        letter = imported_letter(coordinator, size)
        body, queries = fetch(signed_in, f"/letters/{letter.id}/signatories.csv")
        assert body.count(b"\n") == 2 * size + 1
        figures[size] = queries
    print(f"CSV export queries by size: {figures}")
    assert figures[LARGE] == figures[SMALL]
