"""The bilingual document made of the per-language layouts is the document one layout would give.

render_letter_pdf lays out each language on its own and puts the pages together with footers
numbered through; render_letter_pdf_in_one_layout lays out the one HTML page holding both. With a
core per language, the bounded render lays the languages out in processes of their own and joins
their parts: the same pages, text, fonts, bookmarks and metadata, though not the same bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pytest

from letterhub.services import render_limits, rendering
from letterhub.services.pdf_pages import count_pages
from letterhub.services.render_limits import render_letter_pdfs_bounded
from letterhub.services.rendering import (
    LanguageText,
    LetterDocument,
    RenderOptions,
    Signatory,
    render_letter_pdf,
    render_letter_pdf_in_one_layout,
    render_letter_pdfs,
)

from .test_rendering import seed_letter


@pytest.fixture(scope="module")
def letter(seed_text) -> LetterDocument:
    """The bilingual seed letter, its lists lengthened so that each language runs to several pages."""
    ar_addressees, ar_body, ar_names = seed_letter(seed_text(0), "### الموقعون:", r"^\d+\.\s+(.+)$")
    en_addressees, en_body, en_names = seed_letter(seed_text(1), "Signatories:", r"^-?\s*\d+-\s*(.+)$")
    late = datetime(2018, 3, 1, tzinfo=UTC)
    en = LanguageText(
        "en",
        "Joint letter",
        en_addressees,
        "Geneva, February 2018",
        en_body,
        "Signatories:",
        tuple(
            Signatory(f"{name} {n}", late if n == 3 else None, n == 3) for n in (1, 2, 3) for name in en_names
        ),
    )
    ar = LanguageText(
        "ar",
        "رسالة مشتركة",
        ar_addressees,
        "جنيف، شباط ٢٠١٨",
        ar_body,
        "الموقعون:",
        tuple(
            Signatory(f"{name} {n}", late if n == 3 else None, n == 3) for n in (1, 2, 3) for name in ar_names
        ),
    )
    return LetterDocument(
        (en, ar),
        author="Syrian coalition",
        verification_code="K7Q2-9XPA",
        verification_url="https://letters.example.org/v/K7Q2-9XPA",
        created=datetime(2018, 2, 20, 9, 30, tzinfo=UTC),
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def fonts(pdf: bytes, tmp_path) -> list[str]:
    """pdffonts' rows without the random subset tag: name, type, encoding, embedded, subset, ToUnicode."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return sorted(" ".join(row.split()[:-2]).split("+", 1)[1] for row in rows.splitlines()[2:])


def metadata(pdf: bytes) -> tuple:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    return (
        dict(reader.metadata or {}),
        root["/Metadata"].get_object().get_data() if "/Metadata" in root else None,
        [intent.get_object()["/S"] for intent in root.get("/OutputIntents", [])],
    )


def outline(pdf: bytes) -> list:
    """The bookmarks: (title, page number) in order, nested lists for the levels below."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))

    def walk(items):
        return [
            walk(item) if isinstance(item, list) else (item.title, reader.get_destination_page_number(item))
            for item in items
        ]

    return walk(reader.outline)


@pytest.mark.parametrize(
    ("order", "options"),
    [
        (("en", "ar"), RenderOptions()),
        (
            ("ar", "en"),
            RenderOptions(numbering="dashed", arabic_indic_digits=True, late_signatories="append"),
        ),
        (("en", "ar"), RenderOptions(two_columns=True, order="confirmation")),
    ],
)
def test_the_combined_bilingual_document_has_the_text_pages_fonts_and_metadata_of_one_layout(
    letter, order, options, tmp_path
):
    by_language = {text.language: text for text in letter.texts}
    document = replace(letter, texts=tuple(by_language[language] for language in order), options=options)
    combined, direct = render_letter_pdf(document), render_letter_pdf_in_one_layout(document)
    combined_pages = pages_text(combined)
    assert len(combined_pages) > 6
    assert combined_pages == pages_text(direct)
    assert fonts(combined, tmp_path) == fonts(direct, tmp_path)
    assert metadata(combined) == metadata(direct)
    assert "/GTS_PDFA1" in metadata(combined)[2]
    # Footers numbered through the whole file: the English section's first or last page.
    total = len(combined_pages)
    english_page = 1 if order[0] == "en" else total
    assert f"Page {english_page} of {total}" in combined_pages[english_page - 1]
    # Pages laid out once are not a different file: byte for byte what one layout gives.
    assert combined == direct


def test_a_letters_documents_rendered_together_lay_out_each_language_once(letter, monkeypatch):
    english, arabic = (replace(letter, texts=(text,)) for text in letter.texts)
    alone = [render_letter_pdf(english), render_letter_pdf(arabic)]
    made = []
    original = rendering._Layout.__init__

    def counting(self, document):
        made.append(tuple(text.language for text in document.texts))
        original(self, document)

    monkeypatch.setattr(rendering._Layout, "__init__", counting)
    together = render_letter_pdfs([letter, english, arabic])
    assert sorted(made) == [("ar",), ("en",)]
    assert together[1:] == alone
    assert together[0] == render_letter_pdf_in_one_layout(letter)
    assert "Page 1 of" in pages_text(together[1])[0]


def test_a_character_no_font_has_makes_the_combined_document_plain_pdf_too(letter, caplog):
    english, arabic = letter.texts
    broken = replace(letter, texts=(replace(english, signatories=(Signatory("Org \U000f0000"),)), arabic))
    pdfs = render_letter_pdfs([broken, replace(broken, texts=(arabic,))])
    assert metadata(pdfs[0])[1:] == (None, [])  # no XMP, no output intent: no PDF/A claim
    assert "/GTS_PDFA1" in metadata(pdfs[1])[2]  # the Arabic document has every glyph
    assert pdfs[0] == render_letter_pdf_in_one_layout(broken)
    assert "no font has" in caplog.text


def test_on_two_cores_each_language_is_laid_out_in_a_process_of_its_own(letter, monkeypatch, tmp_path):
    """The parallel render gives the documents of the single layout: the languages alone byte for
    byte; the bilingual file the same pages, text, fonts and metadata, footers numbered through."""
    english, arabic = (replace(letter, texts=(text,)) for text in letter.texts)
    documents = [letter, english, arabic]
    single = render_letter_pdfs(documents)
    made = tmp_path / "layouts"
    original = rendering._Layout.__init__

    def recording(self, document):  # runs in the render children (forked, so patched too)
        with made.open("a") as record:
            record.write(f"{os.getpid()} {document.texts[0].language}\n")
        original(self, document)

    monkeypatch.setattr(rendering._Layout, "__init__", recording)
    monkeypatch.setattr(render_limits, "available_cores", lambda: 2)
    assert render_limits.render_processes(documents, 2048) == 2
    # No memory ceiling here: the children are forked from this test process, whose address space
    # late in a whole-suite run is already past a child's share (the worker forks from a small
    # fork server, `letters pdf` from the command); the ceilings have tests of their own.
    parallel = render_letter_pdfs_bounded(documents, seconds=120, memory_mb=0, start_method="fork")
    processes = dict(line.split()[::-1] for line in made.read_text().splitlines())
    assert sorted(processes) == ["ar", "en"]
    assert processes["en"] != processes["ar"] and str(os.getpid()) not in processes.values()

    assert parallel[1:] == single[1:]
    joined, direct = parallel[0], single[0]
    assert pages_text(joined) == pages_text(direct)
    total = len(pages_text(joined))
    assert (
        count_pages(joined) == total == len(pages_text(english_pdf := single[1])) + len(pages_text(single[2]))
    )
    assert f"Page 1 of {total}" in pages_text(joined)[0] and "Page 1 of" in pages_text(english_pdf)[0]
    assert sorted(set(fonts(joined, tmp_path))) == sorted(set(fonts(direct, tmp_path)))
    assert all(" yes yes yes" in row for row in fonts(joined, tmp_path))  # embedded, subset, ToUnicode
    assert metadata(joined) == metadata(direct)
    assert "/GTS_PDFA1" in metadata(joined)[2]
    assert outline(joined) == outline(direct) and len(outline(direct)) == 4  # a title and a list per language


def test_on_one_core_or_a_tight_memory_ceiling_the_languages_share_one_process(letter, monkeypatch, tmp_path):
    english, arabic = (replace(letter, texts=(text,)) for text in letter.texts)
    documents = [letter, english, arabic]
    monkeypatch.setattr(render_limits, "available_cores", lambda: 2)
    assert render_limits.render_processes(documents, 0) == 2
    assert render_limits.render_processes(documents, 800) == 1  # 400 MB each is too little
    assert render_limits.render_processes([english], 2048) == 1
    monkeypatch.setattr(render_limits, "available_cores", lambda: 1)
    assert render_limits.render_processes(documents, 2048) == 1
    made = tmp_path / "layouts"
    original = rendering._Layout.__init__

    def recording(self, document):
        with made.open("a") as record:
            record.write(f"{os.getpid()}\n")
        original(self, document)

    monkeypatch.setattr(rendering._Layout, "__init__", recording)
    pdfs = render_letter_pdfs_bounded(documents, seconds=120, memory_mb=2048, start_method="fork")
    assert len(set(made.read_text().split())) == 1
    assert pdfs[0] == render_letter_pdf_in_one_layout(letter)


def test_a_parallel_render_keeps_its_time_ceiling_and_leaves_no_process_behind(letter, monkeypatch):
    monkeypatch.setattr(render_limits, "available_cores", lambda: 2)
    long = replace(
        letter, texts=tuple(replace(text, body_markdown=text.body_markdown * 60) for text in letter.texts)
    )
    before = set(multiprocessing.active_children())
    with pytest.raises(render_limits.RenderLimitExceeded) as stopped:
        render_letter_pdfs_bounded([long], seconds=0.5, memory_mb=0, start_method="fork")
    assert stopped.value.reason == "time"
    assert set(multiprocessing.active_children()) == before


def test_a_character_no_font_has_in_one_part_makes_the_joined_document_plain_pdf(letter, monkeypatch):
    monkeypatch.setattr(render_limits, "available_cores", lambda: 2)
    english, arabic = letter.texts
    broken = replace(letter, texts=(replace(english, signatories=(Signatory("Org \U000f0000"),)), arabic))
    (pdf,) = render_letter_pdfs_bounded([broken], seconds=120, memory_mb=0, start_method="fork")
    assert metadata(pdf)[1:] == (None, [])  # no XMP, no output intent: no PDF/A claim
    assert pages_text(pdf) == pages_text(render_letter_pdf_in_one_layout(broken))
