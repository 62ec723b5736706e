"""The final PDF: what a UN reader sees, checked on the text extracted from the PDF itself."""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
from weasyprint.urls import URLFetchingError

from letterhub.services.rendering import (
    LABELS,
    LanguageText,
    LetterDocument,
    RenderOptions,
    Signatory,
    StaticAssetsURLFetcher,
    _write_pdf,
    ordered_signatories,
    page_css,
    render_letter_html,
    render_letter_pdf,
)

from ..conftest import BIDI_MARKS, pdf_text, printed_list, without_spaces

# --- Seed letters -------------------------------------------------------------------------


def seed_letter(text: str, heading: str, item: str) -> tuple[str, str, list[str]]:
    """Split a seed into (addressees, body, signatory names)."""
    letter, _, signatories = text.partition(heading)
    paragraphs = letter.strip().split("\n\n")
    names = [m.group(1).strip() for m in re.finditer(item, signatories, re.M)]
    return paragraphs[0], "\n\n".join(paragraphs[1:]), names


@pytest.fixture(scope="module")
def seeds(seed_text):
    ar = seed_letter(seed_text(0), "### الموقعون:", r"^\d+\.\s+(.+)$")
    en = seed_letter(seed_text(1), "Signatories:", r"^-?\s*\d+-\s*(.+)$")
    assert len(ar[2]) == len(en[2]) == 54
    return {"ar": ar, "en": en}


def language_text(seeds, language: str, signatories=None) -> LanguageText:
    addressees, body, names = seeds[language]
    if signatories is None:
        signatories = tuple(Signatory(name) for name in names)
    if language == "ar":
        return LanguageText(
            "ar", "رسالة مشتركة", addressees, "جنيف، شباط ٢٠١٨", body, "الموقعون:", signatories
        )
    return LanguageText(
        "en", "Joint letter", addressees, "Geneva, February 2018", body, "Signatories:", signatories
    )


def bilingual(seeds, **options) -> LetterDocument:
    return LetterDocument(
        (language_text(seeds, "en"), language_text(seeds, "ar")),
        RenderOptions(**options),
        author="Syrian coalition",
        verification_code="K7Q2-9XPA",
        verification_url="https://letters.example.org/v/K7Q2-9XPA",
        created=datetime(2018, 2, 20, 9, 30, tzinfo=UTC),
    )


def small_letter(language: str, names, **options) -> LetterDocument:
    signatories = tuple(n if isinstance(n, Signatory) else Signatory(n) for n in names)
    heading = "الموقعون:" if language == "ar" else "Signatories:"
    text = LanguageText(language, "T", "", "", "Body.", heading, signatories)
    return LetterDocument((text,), RenderOptions(**options))


# --- Reading the PDF ----------------------------------------------------------------------


def pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True)
    return BIDI_MARKS.sub("", result.stdout.decode("utf-8"))


@pytest.fixture(scope="module")
def seed_pdf(seeds):
    return render_letter_pdf(bilingual(seeds))


@pytest.fixture(scope="module")
def seed_pdf_text(seed_pdf, tmp_path_factory):
    return pdftotext(seed_pdf, tmp_path_factory.mktemp("seed"))


# --- The lists ----------------------------------------------------------------------------


def test_english_list_matches_seed_order_numbered_from_one(seeds, seed_pdf_text):
    printed = printed_list(seed_pdf_text, "Signatories:")
    assert printed == list(enumerate(seeds["en"][2], start=1))


def test_arabic_list_holds_every_seed_name_with_the_alphabetical_part_in_seed_order(seeds, seed_pdf_text):
    printed = printed_list(seed_pdf_text, "الموقعون:")
    seed_names = seeds["ar"][2]
    assert [number for number, _ in printed] == list(range(1, 55))
    names = [name for _, name in printed]
    # Spaces around the Latin comma in «جمعية المرأة السورية , سلام» may shift in extraction.
    assert sorted(map(without_spaces, names)) == sorted(map(without_spaces, seed_names))
    exact = sum(name in seed_names for name in names)
    assert exact >= 53, f"only {exact}/54 Arabic names extract exactly"
    in_order = [
        without_spaces(n) for n in names if without_spaces(n) in set(map(without_spaces, seed_names[:42]))
    ]
    assert in_order == [without_spaces(n) for n in seed_names[:42]]


def test_ordered_signatories_numbers_one_to_n_and_collapses_exact_duplicates():
    text = small_letter(
        "en", ["Dawlaty", "Baytna Syria", "Dawlaty", " Dawlaty\u202e ", "", "Asharq News"]
    ).texts[0]
    assert ordered_signatories(text, RenderOptions()) == [
        (1, "Asharq News"),
        (2, "Baytna Syria"),
        (3, "Dawlaty"),
    ]


def test_names_lose_bidi_overrides_and_control_characters_before_printing(tmp_path):
    pdf = render_letter_pdf(small_letter("en", ["Evil\u202eCorp", "Tab\x07Org"]))
    assert printed_list(pdftotext(pdf, tmp_path), "Signatories:") == [(1, "EvilCorp"), (2, "TabOrg")]


@pytest.mark.parametrize(
    ("numbering", "expected"),
    [
        ("dot", ["1. Alpha", "2. Beta"]),
        ("dash", ["1- Alpha", "2- Beta"]),
        ("dashed", ["- 1 - Alpha", "- 2 - Beta"]),
    ],
)
def test_numbering_style_is_printed_as_chosen(numbering, expected, tmp_path):
    pdf = render_letter_pdf(small_letter("en", ["Beta", "Alpha"], numbering=numbering))
    lines = [line.strip() for line in pdftotext(pdf, tmp_path).splitlines()]
    assert [line for line in lines if "Alpha" in line or "Beta" in line] == expected


def test_arabic_indic_digits_number_the_arabic_list_and_its_pages(tmp_path):
    names = ["الأرشيف السوري", "بيتنا سوريا", "دولتي"]
    pdf = render_letter_pdf(small_letter("ar", names, arabic_indic_digits=True))
    text = pdftotext(pdf, tmp_path)
    digits_in_list = re.findall(r"[0-9٠-٩]+", text.split("الموقعون:", 1)[1].split("صفحة")[0])
    assert digits_in_list == ["١", "٢", "٣"]
    assert re.search(r"صفحة\s*١\s*من\s*١", text)


def test_western_digits_are_the_default_for_arabic(tmp_path):
    pdf = render_letter_pdf(small_letter("ar", ["الأرشيف السوري", "دولتي"]))
    text = pdftotext(pdf, tmp_path)
    assert printed_list(text, "الموقعون:") == [(1, "الأرشيف السوري"), (2, "دولتي")]
    assert re.search(r"صفحة\s*1\s*من\s*1", text)


def test_confirmation_order_lists_earliest_first_and_unknown_times_last():
    start = datetime(2018, 2, 1, tzinfo=UTC)
    text = small_letter(
        "en",
        [
            Signatory("Zeta", start),
            Signatory("Alpha", None),
            Signatory("Mu", start + timedelta(hours=1)),
            Signatory("Beta", start - timedelta(days=1)),
        ],
    ).texts[0]
    assert ordered_signatories(text, RenderOptions(order="confirmation")) == [
        (1, "Beta"),
        (2, "Zeta"),
        (3, "Mu"),
        (4, "Alpha"),
    ]
    assert [n for _, n in ordered_signatories(text, RenderOptions())] == ["Alpha", "Beta", "Mu", "Zeta"]


def test_late_signatories_are_appended_under_their_own_heading_with_numbering_continuing(tmp_path):
    names = [
        Signatory("Zeta"),
        Signatory("Beta"),
        Signatory("Alpha", late=True),
        Signatory("Gamma", late=True),
    ]
    document = small_letter("en", names, late_signatories="append")
    assert ordered_signatories(document.texts[0], document.options) == [
        (1, "Beta"),
        (2, "Zeta"),
        (3, "Alpha"),
        (4, "Gamma"),
    ]
    text = pdftotext(render_letter_pdf(document), tmp_path)
    main, _, late = text.partition(LABELS["en"]["late_signatories"])
    assert printed_list(main, "Signatories:") == [(1, "Beta"), (2, "Zeta")]
    assert printed_list("\n" + late, "\n") == [(3, "Alpha"), (4, "Gamma")]


def test_late_signatories_merge_into_the_alphabetical_list_by_default():
    names = [Signatory("Zeta"), Signatory("Alpha", late=True)]
    assert ordered_signatories(small_letter("en", names).texts[0], RenderOptions()) == [
        (1, "Alpha"),
        (2, "Zeta"),
    ]


def test_two_columns_put_names_side_by_side_on_fewer_pages(seeds):
    text = language_text(seeds, "en", tuple(Signatory(f"{n} {i}") for i in range(4) for n in seeds["en"][2]))
    one = pypdf.PdfReader(_bytes_io(render_letter_pdf(LetterDocument((text,)))))
    two = pypdf.PdfReader(
        _bytes_io(render_letter_pdf(LetterDocument((text,), RenderOptions(two_columns=True))))
    )
    assert len(two.pages) < len(one.pages)
    left_edges = _line_starts(two.pages[-2])
    assert max(left_edges) - min(left_edges) > 200  # a second column starts mid-page


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _line_starts(page) -> set[float]:
    starts: set[float] = set()

    def visit(text, cm, tm, font, size):
        if text.strip():
            starts.add(round(tm[4] * cm[0] + cm[4]))

    page.extract_text(visitor_text=visit)
    return starts


# --- Direction ----------------------------------------------------------------------------


def _words(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, str]]:
    """Words of the first page as (left x, top y, bottom y, text), from pdftotext -bbox."""
    xml = pdftotext(pdf, tmp_path, "-bbox", "-f", "1", "-l", "1")
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
    return [(float(x), float(top), float(bottom), word) for x, top, bottom, word in re.findall(pattern, xml)]


def _line_with(words, word: str) -> dict[str, float]:
    """{word: left x} for the printed line that holds ``word`` (Arabic words come out reversed)."""
    (top, bottom) = next((t, b) for _, t, b, w in words if w == word)
    return {w: x for x, t, b, w in words if top <= (t + b) / 2 <= bottom}


def test_mixed_direction_names_read_in_order_in_the_arabic_list(tmp_path):
    """Right to left: number, then the name as typed; Latin runs keep their parentheses."""
    pdf = render_letter_pdf(small_letter("ar", ["SCM – المركز السوري", "منظمة X (SAMS)"]))
    lines = _words(pdf, tmp_path)
    scm = _line_with(lines, "SCM")  # 2. SCM – المركز السوري
    number = next(x for w, x in scm.items() if w.strip(".") == "2")
    arabic = [x for w, x in scm.items() if re.search("[\u0600-\u06ff]", w)]
    assert number > scm["SCM"] > scm["–"] > max(arabic)
    sams = _line_with(lines, "(SAMS)")  # 1. منظمة X (SAMS) — not ")SAMS(" or "X" after "(SAMS)"
    number = next(x for w, x in sams.items() if w.strip(".") == "1")
    arabic = next(x for w, x in sams.items() if re.search("[\u0600-\u06ff]", w))
    assert number > arabic > sams["(SAMS)"] > sams["X"]


def test_arabic_name_in_the_english_list_stays_after_the_latin_part(tmp_path):
    pdf = render_letter_pdf(small_letter("en", ["Al-Marsad – المرصد (Golan)"]))
    line = _line_with(_words(pdf, tmp_path), "Al-Marsad")
    arabic = next(x for w, x in line.items() if re.search("[\u0600-\u06ff]", w))
    assert line["1."] < line["Al-Marsad"] < line["–"] < arabic < line["(Golan)"]


def test_arabic_section_is_right_to_left_in_naskh_and_english_in_serif(seeds):
    html = render_letter_html(bilingual(seeds))
    assert '<section class="language-section" lang="ar" dir="rtl">' in html
    assert '<section class="language-section" lang="en" dir="ltr">' in html


# --- The document -------------------------------------------------------------------------


def test_fonts_are_embedded_and_subset(seed_pdf, tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(seed_pdf)
    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[1]: row.split() for row in rows}
    for family in ("Noto-Serif", "Noto-Naskh-Arabic"):
        emb, sub = fonts[family][-5:-3]
        assert (emb, sub) == ("yes", "yes"), fonts[family]
    assert all(re.fullmatch(r"[A-Z]{6}\+.*", row.split()[0]) for row in rows)  # subset prefix on all


RENDER_WITH_ONLY_VENDORED_FONTS = """
import sys
from letterhub.services.rendering import LanguageText, LetterDocument, RenderOptions, Signatory, render_letter_pdf
texts = (LanguageText("en", "Joint letter", "", "", "We write.", "Signatories:", (Signatory("Baytna Syria"),)),
         LanguageText("ar", "رسالة", "", "", "نكتب إليكم.", "الموقعون:", (Signatory("الشبكة السورية لحقوق الإنسان"),)))
sys.stdout.buffer.write(render_letter_pdf(LetterDocument(texts, RenderOptions())))
"""


def test_vendored_fonts_are_used_on_a_machine_without_any_fonts(tmp_path):
    """The fonts travel with the app: a server with no fonts installed prints the same letter.

    (Without a FontConfiguration WeasyPrint ignores @font-face and takes the machine's
    fonts, which only shows on a machine that lacks Noto.)
    """
    config = tmp_path / "fonts.conf"
    config.write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    environment = {**os.environ, "FONTCONFIG_FILE": str(config)}
    result = subprocess.run(
        [sys.executable, "-c", RENDER_WITH_ONLY_VENDORED_FONTS],
        env=environment,
        capture_output=True,
        check=True,
    )
    path = tmp_path / "letter.pdf"
    path.write_bytes(result.stdout)
    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert {row.split()[0].split("+", 1)[1] for row in rows} >= {"Noto-Serif", "Noto-Naskh-Arabic"}
    assert "الشبكة السورية لحقوق الإنسان" in pdftotext(result.stdout, tmp_path)


def test_every_page_has_its_number_in_its_language_and_the_verification_code(seed_pdf, tmp_path):
    reader = pypdf.PdfReader(_bytes_io(seed_pdf))
    total = len(reader.pages)
    first_arabic = None
    for number in range(1, total + 1):
        page = pdftotext(seed_pdf, tmp_path, "-f", str(number), "-l", str(number))
        if f"Page {number} of {total}" not in page:
            # pdftotext may drop the space between an Arabic word and a digit.
            assert re.search(rf"صفحة\s*{number}\s*من\s*{total}\b", page), page
            first_arabic = first_arabic or number
        else:
            assert first_arabic is None, "English footer after the Arabic section began"
        assert "K7Q2-9XPA" in page
        assert "https://letters.example.org/v/K7Q2-9XPA" in page
    assert first_arabic is not None and 1 < first_arabic <= total


def test_each_language_starts_on_a_new_page(seed_pdf, tmp_path):
    reader = pypdf.PdfReader(_bytes_io(seed_pdf))
    pages = [
        pdftotext(seed_pdf, tmp_path, "-f", str(n), "-l", str(n)) for n in range(1, len(reader.pages) + 1)
    ]
    (arabic_start,) = [n for n, page in enumerate(pages) if "رسالة مشتركة" in page]
    assert (
        "Signatories:" not in pages[arabic_start] and "Women Now for Development" in pages[arabic_start - 1]
    )


def test_pdf_metadata_has_title_language_author_and_dates(seed_pdf):
    reader = pypdf.PdfReader(_bytes_io(seed_pdf))
    assert reader.metadata.title == "Joint letter"
    assert reader.metadata.author == "Syrian coalition"
    assert reader.metadata.creation_date == datetime(2018, 2, 20, 9, 30, tzinfo=UTC)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)


def test_arabic_first_document_declares_arabic(seeds):
    document = LetterDocument((language_text(seeds, "ar"),))
    assert pypdf.PdfReader(_bytes_io(render_letter_pdf(document))).trailer["/Root"]["/Lang"] == "ar"


# --- Archival PDF/A -----------------------------------------------------------------------
#
# No veraPDF here: these check, on the file itself, the PDF/A-2b requirements that our
# letters could break (see rendering.DEFAULT_PDF_VARIANT for the whole verification).

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDF = "{http://ns.adobe.com/pdf/1.3/}"


def xmp_properties(pdf: bytes) -> dict[str, str]:
    """The document's XMP properties by namespaced name (attribute or element form alike)."""
    root = pypdf.PdfReader(_bytes_io(pdf)).trailer["/Root"]
    if "/Metadata" not in root:
        return {}
    properties = {}
    for description in ElementTree.fromstring(  # noqa: S314 (our own renderer's XMP)
        root["/Metadata"].get_object().get_data()
    ).iter(f"{RDF}Description"):
        properties.update((key, value) for key, value in description.attrib.items() if key != f"{RDF}about")
        for element in description:
            properties[element.tag] = " ".join(text.strip() for text in element.itertext() if text.strip())
    return properties


def font_rows(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return [
        row.split()
        for row in subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
    ]


def test_final_pdf_identifies_itself_as_pdf_a_2b_with_metadata_matching_the_info_dictionary(seed_pdf):
    reader = pypdf.PdfReader(_bytes_io(seed_pdf))
    xmp = xmp_properties(seed_pdf)
    assert (xmp[f"{PDFAID}part"], xmp[f"{PDFAID}conformance"]) == ("2", "B")
    assert xmp[f"{DC}title"] == reader.metadata.title == "Joint letter"
    assert xmp[f"{DC}creator"] == reader.metadata.author == "Syrian coalition"
    assert xmp[f"{PDF}Producer"] == reader.metadata.producer
    assert xmp[f"{XMP}CreatorTool"] == reader.metadata.creator
    assert datetime.fromisoformat(xmp[f"{XMP}CreateDate"]) == reader.metadata.creation_date
    assert datetime.fromisoformat(xmp[f"{XMP}ModifyDate"]) == reader.metadata.modification_date
    assert len(reader.trailer["/ID"]) == 2 and not reader.is_encrypted
    assert re.match(rb"%PDF-1\.7\n%[\x80-\xff]{4}", seed_pdf)


def test_final_pdf_has_an_srgb_output_intent(seed_pdf):
    (intent,) = pypdf.PdfReader(_bytes_io(seed_pdf)).trailer["/Root"]["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert (icc[36:40], icc[16:20], profile["/N"]) == (b"acsp", b"RGB ", 3)  # an ICC profile, for RGB


def test_pdf_a_embeds_every_font_subset_with_a_unicode_map(seed_pdf, tmp_path):
    rows = font_rows(seed_pdf, tmp_path)
    assert {row[0].split("+", 1)[1] for row in rows} >= {"Noto-Serif", "Noto-Naskh-Arabic"}
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows), rows  # emb, sub, uni


def test_pdf_a_text_layer_is_the_plain_pdf_text_layer_with_every_name(seeds, seed_pdf):
    plain = render_letter_pdf(replace(bilingual(seeds), pdf_variant=None))
    assert xmp_properties(plain) == {} and xmp_properties(seed_pdf)
    assert pdf_text(seed_pdf) == pdf_text(plain)
    text = without_spaces(BIDI_MARKS.sub("", pdf_text(seed_pdf)))
    for language in ("en", "ar"):
        names = seeds[language][2]
        assert len(names) == 54 and [n for n in names if without_spaces(n) not in text] == []


def test_pdf_a_3b_can_be_chosen_and_unverified_variants_are_refused():
    document = replace(small_letter("ar", ["الأرشيف السوري"]), pdf_variant="pdf/a-3b")
    xmp = xmp_properties(render_letter_pdf(document))
    assert (xmp[f"{PDFAID}part"], xmp[f"{PDFAID}conformance"]) == ("3", "B")
    for variant in ("pdf/a-3u", "pdf/ua-1", "pdf/a-1b"):
        with pytest.raises(ValueError, match="unknown PDF variant"):
            render_letter_pdf(replace(document, pdf_variant=variant))


def test_a_character_no_font_has_gives_a_plain_pdf_rather_than_a_false_pdf_a_claim(caplog):
    """Such a character is drawn with a glyph the embedded font lacks, which PDF/A forbids."""
    assert xmp_properties(render_letter_pdf(small_letter("en", ["Org"])))
    pdf = render_letter_pdf(small_letter("en", ["Org \U000f0000"]))  # private use: in no font
    assert xmp_properties(pdf) == {}
    assert "/OutputIntents" not in pypdf.PdfReader(_bytes_io(pdf)).trailer["/Root"]
    assert "no font has" in caplog.text and "pdf/a-2b" in caplog.text


# --- Hostile input ------------------------------------------------------------------------


def test_markup_in_plain_fields_is_printed_as_text_not_interpreted():
    text = LanguageText(
        "en",
        "<b>Title</b>",
        "<script>x</script>",
        "{{ 7*7 }}",
        "Body <style>p{display:none}</style>",
        "H",
        (Signatory("<i>Org</i>"),),
    )
    html = render_letter_html(LetterDocument((text,)))
    assert "<b>Title" not in html and "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "<script>" not in html and "<style>p" not in html and "<i>Org" not in html
    assert "{{ 7*7 }}" in html  # data is never a template


def test_verification_code_cannot_break_out_of_the_footer_css():
    document = LetterDocument(
        (LanguageText("en", "T", "", "", "", "H"),),
        verification_code='x"; } @page { margin: 0 } "',
        verification_url="https://e.org/",
    )
    css = page_css(document)
    assert "@page { margin" not in css and '"; }' not in css


def test_a_huge_body_still_renders(tmp_path):
    paragraph = "A long paragraph of the letter that goes on and on. " * 40
    document = LetterDocument(
        (LanguageText("en", "T", "", "", "\n\n".join([paragraph] * 120), "H", (Signatory("Org"),)),)
    )
    pdf = render_letter_pdf(document)
    assert len(pypdf.PdfReader(_bytes_io(pdf)).pages) > 20
    assert printed_list(pdftotext(pdf, tmp_path), "\nH\n") == [(1, "Org")]


# --- Nothing is fetched -------------------------------------------------------------------


@pytest.fixture
def counting_server():
    """A local HTTP server that counts every request; /redirect points to /target."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/target")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { background: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_markdown_body_with_links_to_files_and_servers_fetches_nothing(counting_server, tmp_path):
    base, hits = counting_server
    body = (
        f"![x](file:///etc/passwd) ![y]({base}/image.png) [z]({base}/redirect)\n\n"
        f'<link rel="attachment" href="file:///etc/passwd"><img src="{base}/raw.png">\n\n'
        f"<style>@import url({base}/import.css);</style>"
    )
    document = LetterDocument((LanguageText("en", "T", "", "", body, "H", (Signatory("Org"),)),))
    pdf = render_letter_pdf(document)
    assert hits == []
    assert b"/EmbeddedFile" not in pdf
    assert "root:" not in pdftotext(pdf, tmp_path)


def test_html_that_reaches_weasyprint_still_fetches_nothing(counting_server, tmp_path, caplog):
    """Belt and braces: even HTML that bypassed the sanitiser cannot make the renderer fetch."""
    base, hits = counting_server
    hostile = f"""<html><head>
      <link rel="stylesheet" href="{base}/style.css">
      <link rel="stylesheet" href="{base}/redirect">
      <link rel="attachment" href="file:///etc/passwd">
      <link rel="stylesheet" href="file:///etc/passwd">
      <style>@import url("{base}/import.css"); @font-face {{ font-family: X; src: url("{base}/font.ttf") }}</style>
      </head><body style="font-family: X">
      <p>Still rendered</p>
      <img src="file:///etc/passwd"><img src="{base}/img.png"><img src="data:image/png;base64,iVBORw0KGgo=">
      <a rel="attachment" href="file:///etc/passwd">attached?</a>
      <object data="{base}/object"></object><iframe src="{base}/frame"></iframe>
      <img src="../../../../../../etc/passwd">
    </body></html>"""
    document = small_letter("en", ["Org"])
    pdf = _write_pdf(document, hostile, page_css(document))
    assert hits == []
    assert b"/EmbeddedFile" not in pdf
    text = pdftotext(pdf, tmp_path)
    assert "Still rendered" in text and "root:" not in text


def test_fetcher_serves_only_the_static_assets():
    fetcher = StaticAssetsURLFetcher()
    static = Path(__file__).resolve().parents[2] / "letterhub" / "static"
    font = fetcher.fetch((static / "fonts" / "NotoSerif-Regular.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"
    for url in (
        "file:///etc/passwd",
        (static / "fonts" / ".." / ".." / ".." / "pyproject.toml").as_uri(),
        (static / "fonts").as_uri().replace("fonts", "fonts/../../services/rendering.py"),
        "http://127.0.0.1:9/x.css",
        "https://fonts.example.org/font.ttf",
        "data:text/css,body{}",
    ):
        with pytest.raises(URLFetchingError):
            fetcher.fetch(url)


# --- Latin inside Arabic ------------------------------------------------------------------

ACRONYM_BODY = {
    "en": "We write with the Syrian Network for Human Rights (SNHR) about the detainees.",
    "ar": "نكتب إليكم مع الشبكة السورية لحقوق الإنسان (SNHR) بشأن المعتقلين.",
}


def _acronym_letter(*languages: str) -> LetterDocument:
    texts = tuple(
        LanguageText(
            language,
            "رسالة" if language == "ar" else "Letter",
            "",
            "",
            ACRONYM_BODY[language],
            "الموقعون:" if language == "ar" else "Signatories:",
            (Signatory("بيتنا سوريا" if language == "ar" else "Baytna Syria"),),
        )
        for language in languages
    )
    return LetterDocument(texts, RenderOptions())


def _pdf_fonts(pdf: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {row.split()[0].split("+", 1)[1] for row in rows.splitlines()[2:]}


def test_latin_run_in_arabic_text_is_drawn_by_its_own_serif_not_dejavu(tmp_path):
    """ "(SNHR)" in an Arabic paragraph: Naskh has no Latin, and DejaVu Sans (the last resort)
    stood out, wide and heavy. A one-paragraph Arabic letter uses the derived Noto Serif only."""
    pdf = render_letter_pdf(_acronym_letter("ar"))
    fonts = _pdf_fonts(pdf, tmp_path)
    assert "Noto-Serif-Latin-in-Arabic" in fonts
    assert not [font for font in fonts if "DejaVu" in font], fonts
    assert fonts <= {"Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold", "Noto-Serif-Latin-in-Arabic"}
    # pdftotext misplaces the brackets of a Latin run in right-to-left text (as it did with
    # DejaVu): the acronym and both brackets are there, on the paragraph's line.
    (line,) = [line for line in pdftotext(pdf, tmp_path).splitlines() if "SNHR" in line]
    assert "(" in line and ")" in line and "الإنسان" in line


def test_latin_run_in_arabic_text_is_as_wide_as_in_the_english_text(tmp_path):
    """The Arabic section is set larger (Naskh reads small); its Latin runs are not: "(SNHR)"
    takes the width it takes in the English section, within 5%."""
    pdf = render_letter_pdf(_acronym_letter("en", "ar"))
    xml = pdftotext(pdf, tmp_path, "-bbox")
    pattern = r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">[^<]*SNHR[^<]*</word>'
    english, arabic = (float(right) - float(left) for left, right in re.findall(pattern, xml))
    assert abs(arabic / english - 1) < 0.05, (english, arabic)
