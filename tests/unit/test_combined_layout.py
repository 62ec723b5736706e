"""The bilingual document made of the per-language layouts is the document one layout would give.

render_letter_pdf lays out each language on its own and puts the pages together with footers
numbered through; render_letter_pdf_in_one_layout lays out the one HTML page holding both.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pytest

from letterhub.services import rendering
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
