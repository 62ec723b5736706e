"""Seeds 000 + 001 imported as one letter and printed again: the lists as the seeds show them."""

from __future__ import annotations

import json
import re

import pytest

from ..conftest import printed_list, reading_order_text, without_spaces

ARABIC_ITEM = re.compile(r"^\d+\.\s+(.+)$", re.M)
ENGLISH_ITEM = re.compile(r"^-?\s*\d+-\s*(.+)$", re.M)


def published_names(text: str, heading: str, item: re.Pattern) -> list[str]:
    return [name.strip() for name in item.findall(text.split(heading, 1)[1])]


@pytest.fixture
def reissued_seed_letter(runner, coordinator, seed_text, tmp_path):
    """Seeds 000 (Arabic) and 001 (English) imported with the CLI, then ``letters pdf --language both``."""
    paths = []
    for number in (0, 1):
        path = tmp_path / f"seed_{number}.txt"
        path.write_text(seed_text(number), encoding="utf-8")
        paths.append(str(path))
    imported = runner.invoke(args=["letters", "import", *paths])
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout)
    assert {lang: part["signatories"] for lang, part in report["languages"].items()} == {"ar": 54, "en": 54}
    target = tmp_path / "letter.pdf"
    rendered = runner.invoke(args=["letters", "pdf", str(report["letter"]), "--output", str(target)])
    assert rendered.exit_code == 0, rendered.output
    return reading_order_text(target.read_bytes())


def test_reissued_english_list_is_seed_001_in_its_order_numbered_1_to_54(reissued_seed_letter, seed_text):
    published = published_names(seed_text(1), "Signatories:", ENGLISH_ITEM)
    printed = printed_list(reissued_seed_letter, "Signatories:")
    assert [number for number, _ in printed] == list(range(1, 55))
    # Seed 001 writes "Basmeh &Zeitooneh"; the importer keeps names as published, spaces normalised.
    assert [without_spaces(name) for _, name in printed] == [without_spaces(name) for name in published]


def test_reissued_arabic_list_holds_all_of_seed_000_with_its_alphabetical_part_in_order(
    reissued_seed_letter, seed_text
):
    published = published_names(seed_text(0), "الموقعون:", ARABIC_ITEM)
    assert len(published) == 54
    printed = printed_list(reissued_seed_letter, "الموقعون:")
    assert [number for number, _ in printed] == list(range(1, 55))
    names = [without_spaces(name) for _, name in printed]
    assert sorted(names) == sorted(map(without_spaces, published))
    # Items 43–54 of the seed were added out of order by hand; 1–42 are its alphabetical part.
    alphabetical_part = [without_spaces(name) for name in published[:42]]
    assert [name for name in names if name in set(alphabetical_part)] == alphabetical_part
