"""The final PDF of a joint letter: each language's text followed by its numbered signatory list.

Rendering is a pure function of a :class:`LetterDocument` (plain dataclasses, no Flask, no
database models): ``render_letter_pdf(document)`` returns the PDF bytes, so the web view,
the CLI and the tests all call the same thing. What it guarantees:

- Names are cleaned (:func:`letterhub.services.names.clean_name`), exact duplicates
  collapse, and the program numbers the list 1..N with no gaps (:func:`ordered_signatories`).
- Arabic sections are ``dir="rtl" lang="ar"`` in Noto Naskh Arabic, English in Noto Serif;
  every name is wrapped in bidi isolate characters (RLI/LRI … PDI; WeasyPrint 70 ignores
  ``unicode-bidi: isolate`` and ``<bdi>``) so that ``SCM – المركز`` or ``منظمة X (SAMS)``
  keep their parentheses and dashes on the right side in either list.
- The few words the PDF prints by itself (page footer, verification line, heading of the
  late signatories) come from :data:`LABELS`, an explicit dict per language, not from
  Flask-Babel: rendering must work without an application or request context.
- Nothing is fetched at render time: :class:`StaticAssetsURLFetcher` serves only the
  stylesheet and fonts under ``letterhub/static`` and refuses every other URL (other
  files, http(s), data:, redirects), so a letter body cannot read files or call servers.
- The file is archival PDF/A-2b by default (:data:`DEFAULT_PDF_VARIANT`): sRGB output intent,
  XMP identification matching the document information, a file /ID, every font embedded.
"""

from __future__ import annotations

import copy
import gc
import io
import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.request import url2pathname

import jinja2
import pypdf
from weasyprint import CSS, DEFAULT_OPTIONS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.document import Document as WeasyDocument
from weasyprint.document import Page
from weasyprint.formatting_structure import boxes
from weasyprint.formatting_structure.build import build_formatting_structure
from weasyprint.html import get_html_metadata
from weasyprint.layout import layout_document
from weasyprint.layout.background import layout_box_backgrounds
from weasyprint.layout.page import make_margin_boxes
from weasyprint.pdf import VARIANTS as PDF_VARIANT_OPTIONS
from weasyprint.pdf.metadata import DocumentMetadata
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from letterhub.paths import PACKAGE_DIR, TEMPLATES_DIR
from letterhub.services.collation import sort_key_function
from letterhub.services.markdown import render_markdown
from letterhub.services.names import clean_name

STATIC_DIR = PACKAGE_DIR / "static"
STYLESHEET = STATIC_DIR / "pdf" / "letter.css"

logger = logging.getLogger(__name__)

# The PDF flavour of final documents (WeasyPrint's ``pdf_variant``; None: plain PDF).
# PDF/A-2b: letters go to the UN and are archived, and PDF/A-2 is the part archives accept
# most widely. Checked on the bilingual seed letter at 54 and 2,000 names per language:
# output intent, XMP identification equal to the Info dictionary, /ID, all fonts embedded
# with consistent widths and ToUnicode maps, pages and extracted text identical to plain
# PDF; cost ~0.1-0.2 s of PDF writing at 2,000 names (within run-to-run noise) and ~3.3 KB.
# "pdf/a-3b" is the same file with part 3 (allows attachments; we attach none).
# Not offered: PDF/A-2u/3u (fully vocalised Arabic such as «ٱلْإِغَاثَة» yields glyphs with no
# Unicode mapping), and PDF/A-a or PDF/UA-1 (WeasyPrint 70 writes no /Lang on structure
# elements, so the Arabic part is declared English, and leaves page-footer text neither
# tagged nor marked as artifact).
DEFAULT_PDF_VARIANT = "pdf/a-2b"
PDF_VARIANTS = ("pdf/a-2b", "pdf/a-3b")


@dataclass(frozen=True)
class Signatory:
    """One organisation that confirmed, with its name in the language of the list."""

    name: str
    confirmed_at: datetime | None = None  # for "confirmation" order; unknown times go last
    late: bool = False  # confirmed after the list was first circulated: may go to an appended part


@dataclass(frozen=True)
class LanguageText:
    """The whole letter in one language, with that language's signatory names (unsorted)."""

    language: str  # "en" or "ar"
    title: str
    addressees: str  # one addressee per line
    date_place: str
    body_markdown: str
    signatories_heading: str
    signatories: tuple[Signatory, ...] = ()
    # The line that ends the list when some organisations asked not to be named ("and 3
    # organisations that prefer not to be named"), worded by the caller's catalogue; "" for none.
    unnamed_line: str = ""


@dataclass(frozen=True)
class RenderOptions:
    numbering: str = "dot"  # "dot" -> "1.", "dash" -> "1-", "dashed" -> "- 1 -"
    arabic_indic_digits: bool = False  # Arabic list and page numbers in ٠١٢٣ digits
    order: str = "alphabetical"  # or "confirmation"
    late_signatories: str = "merge"  # or "append": own part after the main list, numbering continues
    two_columns: bool = False


@dataclass(frozen=True)
class LetterDocument:
    texts: tuple[LanguageText, ...]  # page order; each language starts on a new page
    options: RenderOptions = field(default_factory=RenderOptions)
    author: str = ""  # the coalition, for the PDF metadata
    verification_code: str | None = None  # printed in every page footer, with the URL
    verification_url: str | None = None
    created: datetime | None = None  # PDF creation date; None keeps the output reproducible
    pdf_variant: str | None = DEFAULT_PDF_VARIANT  # one of PDF_VARIANTS, or None for plain PDF


# Words the PDF prints by itself. {page}/{pages} become CSS page counters; {url}/{code}
# the verification URL and code. Add a language here and in collation.py together.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "page": "Page {page} of {pages}",
        "verification": "Verify signatories: {url} · code {code}",
        "verification_code_only": "Verification code: {code}",
        "late_signatories": "Joined after the letter was first circulated",
    },
    "ar": {
        "page": "صفحة {page} من {pages}",
        "verification": "التحقق من الموقعين: {url} · الرمز {code}",
        "verification_code_only": "رمز التحقق: {code}",
        "late_signatories": "انضموا بعد التعميم الأول للرسالة",
    },
}

NUMBERING_FORMATS = {"dot": "{}.", "dash": "{}-", "dashed": "- {} -"}
ORDERS = ("alphabetical", "confirmation")
LATE_SIGNATORIES = ("merge", "append")
RTL_LANGUAGES = frozenset({"ar"})
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# --- The signatory list -------------------------------------------------------------------


@dataclass(frozen=True)
class SignatoryPart:
    """A run of the numbered list: the main list, or the late signatories appended to it."""

    heading: str | None
    entries: tuple[tuple[int, str], ...]


def _unique_cleaned(signatories: tuple[Signatory, ...]) -> list[Signatory]:
    """Clean every name and collapse exact duplicates (earliest confirmation, not late, wins)."""
    by_name: dict[str, Signatory] = {}
    for signatory in signatories:
        name = clean_name(signatory.name)
        if not name:
            continue
        seen = by_name.get(name)
        if seen is None:
            by_name[name] = Signatory(name, signatory.confirmed_at, signatory.late)
        else:
            times = [t for t in (seen.confirmed_at, signatory.confirmed_at) if t is not None]
            by_name[name] = Signatory(name, min(times, default=None), seen.late and signatory.late)
    return list(by_name.values())


def _order(signatories: list[Signatory], language: str, order: str) -> list[Signatory]:
    name_key = sort_key_function(language)
    if order == "alphabetical":
        return sorted(signatories, key=lambda s: name_key(s.name))
    if order == "confirmation":
        # Unknown confirmation times go last; ties (and unknowns) in alphabetical order.
        def key(s: Signatory):
            when = s.confirmed_at
            return (
                when is None,
                _as_utc(when) if when else datetime.min.replace(tzinfo=UTC),
                name_key(s.name),
            )

        return sorted(signatories, key=key)
    raise ValueError(f"unknown order {order!r}; expected one of {ORDERS}")


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC so that naive and aware times compare."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def signatory_parts(text: LanguageText, options: RenderOptions) -> list[SignatoryPart]:
    """The numbered list of ``text`` split into its printed parts (one, or two with late ones)."""
    if options.late_signatories not in LATE_SIGNATORIES:
        raise ValueError(f"unknown late_signatories {options.late_signatories!r}")
    signatories = _unique_cleaned(text.signatories)
    if options.late_signatories == "append":
        groups = [
            (None, [s for s in signatories if not s.late]),
            (LABELS[text.language]["late_signatories"], [s for s in signatories if s.late]),
        ]
    else:
        groups = [(None, signatories)]
    parts, number = [], 0
    for heading, group in groups:
        if not group:
            continue
        entries = []
        for signatory in _order(group, text.language, options.order):
            number += 1
            entries.append((number, signatory.name))
        parts.append(SignatoryPart(heading, tuple(entries)))
    return parts


def ordered_signatories(text: LanguageText, options: RenderOptions) -> list[tuple[int, str]]:
    """The names of ``text`` as printed: ``[(1, name), (2, name), ...]``, no gaps, no repeats."""
    return [entry for part in signatory_parts(text, options) for entry in part.entries]


def format_number(number: int, language: str, options: RenderOptions) -> str:
    """``3`` -> ``"3."``, ``"3-"`` or ``"- 3 -"``; in ٠١٢٣ digits for Arabic when asked."""
    try:
        text = NUMBERING_FORMATS[options.numbering].format(number)
    except KeyError:
        raise ValueError(
            f"unknown numbering {options.numbering!r}; expected one of {list(NUMBERING_FORMATS)}"
        ) from None
    if language == "ar" and options.arabic_indic_digits:
        text = text.translate(_ARABIC_INDIC)
    return text


# --- HTML ---------------------------------------------------------------------------------

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every value is text, except the body, which is sanitised Markup
    undefined=jinja2.StrictUndefined,
)


def _section_context(text: LanguageText, options: RenderOptions) -> dict:
    if text.language not in LABELS:
        raise ValueError(f"no labels for language {text.language!r}; expected one of {list(LABELS)}")
    # The template reads part.heading and part.entries, with the numbers as printed.
    parts = [
        {
            "heading": part.heading,
            "entries": [(format_number(n, text.language, options), name) for n, name in part.entries],
        }
        for part in signatory_parts(text, options)
    ]
    return {
        "language": text.language,
        "direction": "rtl" if text.language in RTL_LANGUAGES else "ltr",
        # RIGHT-TO-LEFT / LEFT-TO-RIGHT ISOLATE, closed by U+2069 in the template.
        "isolate": "\u2067" if text.language in RTL_LANGUAGES else "\u2066",
        "addressees": [
            line for line in (clean_name(x) for x in (text.addressees or "").splitlines()) if line
        ],
        "title": text.title,
        "date_place": text.date_place,
        "body": render_markdown(text.body_markdown),
        "signatories_heading": text.signatories_heading,
        "signatory_parts": parts,
        "unnamed_line": text.unnamed_line,
        "two_columns": options.two_columns,
    }


def _w3c_date(moment: datetime | None) -> str | None:
    return _as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def render_letter_html(document: LetterDocument) -> str:
    """The letter as one HTML page (what the PDF is made from; also handy for a preview)."""
    if not document.texts:
        raise ValueError("a letter needs at least one language text")
    sections = [_section_context(text, document.options) for text in document.texts]
    return _templates.get_template("pdf/letter.html").render(
        first_language=document.texts[0].language,
        title=document.texts[0].title,
        author=document.author,
        created=_w3c_date(document.created),
        sections=sections,
    )


# --- Page footers -------------------------------------------------------------------------


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe whatever it holds (quotes, backslashes, newlines)."""
    return (
        '"'
        + "".join(ch if ch.isalnum() or ch in " .,:;/-_()#?&=%+@" else f"\\{ord(ch):06x}" for ch in text)
        + '"'
    )


def _css_content(template: str, values: dict[str, str], counter_style: str) -> str:
    """A label such as ``"Page {page} of {pages}"`` as a CSS ``content`` value."""
    pieces, rest = [], template
    while "{" in rest:
        before, _, after = rest.partition("{")
        placeholder, _, rest = after.partition("}")
        if before:
            pieces.append(_css_string(before))
        if placeholder in ("page", "pages"):
            pieces.append(f"counter({placeholder}, {counter_style})")
        else:
            # U+2068/U+2069 (first-strong isolate): a URL or code keeps its own direction in Arabic.
            pieces.append(_css_string("\u2068" + values[placeholder] + "\u2069"))
    if rest:
        pieces.append(_css_string(rest))
    return " ".join(pieces)


def page_css(document: LetterDocument) -> str:
    """Per-language footers: page numbers and the verification line, in the section's language."""
    rules = []
    for language in dict.fromkeys(text.language for text in document.texts):
        labels = LABELS[language]
        rtl = language in RTL_LANGUAGES
        digits = "arabic-indic" if rtl and document.options.arabic_indic_digits else "decimal"
        page_number = _css_content(labels["page"], {}, digits)
        verification = ""
        if document.verification_code:
            key = "verification" if document.verification_url else "verification_code_only"
            verification = _css_content(
                labels[key],
                {"url": document.verification_url or "", "code": document.verification_code},
                digits,
            )
        family = (
            '"Noto Naskh Arabic", "Noto Serif Latin in Arabic", "DejaVu Sans"'
            if rtl
            else '"Noto Serif", "DejaVu Sans"'
        )
        # The page number sits in the outer corner of the reading direction; the verification
        # line takes the rest of the footer.
        number_box, text_box = ("bottom-left", "bottom-right") if rtl else ("bottom-right", "bottom-left")
        rules.append(
            f"@page letter-{language} {{\n"
            + (
                f"  @{number_box} {{ content: {page_number}; font-family: {family}; direction: {'rtl' if rtl else 'ltr'};"
                f" width: 22%; text-align: {'left' if rtl else 'right'}; }}\n"
                if page_number
                else ""
            )
            + (
                f"  @{text_box} {{ content: {verification}; font-family: {family}; direction: {'rtl' if rtl else 'ltr'};"
                f" width: 78%; font-size: 7.5pt; text-align: {'right' if rtl else 'left'}; }}\n"
                if verification
                else ""
            )
            + "}"
        )
    return "\n".join(rules)


# --- Fetching -----------------------------------------------------------------------------


class StaticAssetsURLFetcher(URLFetcher):
    """Serve the PDF's own stylesheet and fonts from ``letterhub/static``; refuse everything else.

    A letter body is user input: an ``<a href>``, a stylesheet or an attachment link that
    slipped past the sanitiser must not make the server read its files or call other
    servers (including ones on localhost). Refusals are logged by WeasyPrint and the
    PDF still renders.
    """

    def __init__(self, root: Path = STATIC_DIR):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self._root = root.resolve()

    def fetch(self, url, headers=None):
        path = self._local_path(url)
        if path is None:
            raise URLFetchingError(
                f"refused to fetch {url[:100]!r}: only letterhub's static assets are served"
            )
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers=_content_type(path))

    def _local_path(self, url: str) -> Path | None:
        if not url.startswith("file:///") or "?" in url or "#" in url:
            return None
        path = Path(url2pathname(url.removeprefix("file://"))).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return None
        return path


def _content_type(path: Path) -> dict[str, str]:
    types = {".css": "text/css; charset=utf-8", ".ttf": "font/ttf"}
    return {"Content-Type": types.get(path.suffix, "application/octet-stream")}


# --- PDF ----------------------------------------------------------------------------------


@contextmanager
def _no_cyclic_gc():
    """Pause Python's cyclic garbage collector during layout.

    WeasyPrint builds millions of small objects; the collector walking them adds ~50% to
    the time of a large render and frees nothing useful mid-render. Reference counting
    still frees memory; the collector runs again afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _MissingGlyphs(Exception):
    """Some characters had no glyph in any font (WeasyPrint drew .notdef boxes)."""


def _refuse_missing_glyphs(rendered, pdf) -> None:
    """WeasyPrint finisher: stop before writing a PDF/A file that references missing glyphs.

    A character no font can draw is written as a glyph the embedded font does not define,
    which PDF/A forbids; such a file must not claim to be PDF/A.
    """
    missing = sorted({chr(code) for font in rendered.fonts.values() for code in getattr(font, "missing", ())})
    if missing:
        raise _MissingGlyphs("".join(missing))


_per_thread = threading.local()


def _fonts_and_stylesheet() -> tuple[FontConfiguration, CSS]:
    """The font configuration and the parsed letter.css, made once per thread.

    Without a FontConfiguration WeasyPrint ignores @font-face and silently takes whatever
    fonts the machine has: the vendored files are used only through this object. Loading
    them and parsing the stylesheet costs ~27 ms, a tenth of a short letter's render, so
    they are kept (per thread, as WeasyPrint objects are not meant to be shared).
    """
    cached = getattr(_per_thread, "fonts_and_stylesheet", None)
    if cached is None:
        fonts = FontConfiguration()
        stylesheet = CSS(filename=str(STYLESHEET), url_fetcher=StaticAssetsURLFetcher(), font_config=fonts)
        cached = _per_thread.fonts_and_stylesheet = (fonts, stylesheet)
    return cached


def warm_up() -> None:
    """Load the fonts and parse letter.css now, in this thread (see :func:`_fonts_and_stylesheet`):
    before forking render children, so that each starts with them."""
    _fonts_and_stylesheet()


def _check_variant(pdf_variant: str | None) -> None:
    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {pdf_variant!r}; expected one of {PDF_VARIANTS} or None")


def _html_and_stylesheets(document: LetterDocument) -> tuple[HTML, list[CSS]]:
    fetcher = StaticAssetsURLFetcher()
    fonts, stylesheet = _fonts_and_stylesheet()
    base_url = STATIC_DIR.as_uri() + "/"
    stylesheets = [
        stylesheet,
        CSS(string=page_css(document), base_url=base_url, url_fetcher=fetcher, font_config=fonts),
    ]
    return HTML(string=render_letter_html(document), base_url=base_url, url_fetcher=fetcher), stylesheets


class _Layout:
    """One language of a letter laid out once, as a document of its own, and kept for reuse.

    ``document`` is that language's final document (its pages numbered 1..n of n). The same
    laid-out pages go into a document of several languages through :meth:`pages`, which gives
    them new footers (WeasyPrint lays out page-margin boxes after all the pages, from the
    page's counters, so only those small boxes are made again; the text is not laid out twice).
    """

    def __init__(self, document: LetterDocument):
        fonts, _stylesheet = _fonts_and_stylesheet()
        html, stylesheets = _html_and_stylesheets(document)
        # What HTML.render() does, keeping the layout context that the footers are made from.
        options = {**DEFAULT_OPTIONS, "stylesheets": stylesheets, "pdf_variant": document.pdf_variant}
        if document.pdf_variant:
            _variant_function, properties = PDF_VARIANT_OPTIONS[document.pdf_variant]
            options.update({key: value for key, value in properties.items() if options.get(key) is None})
        color_profiles: dict = {}
        counter_style = CounterStyle()
        context = WeasyDocument._build_layout_context(html, fonts, counter_style, color_profiles, options)
        root_box = build_formatting_structure(
            html.etree_element,
            context.style_for,
            context.get_image_from_uri,
            html.base_url,
            context.target_collector,
            counter_style,
            context.footnotes,
        )
        self.context = context
        self.page_boxes = list(layout_document(html, root_box, context))
        self.document = WeasyDocument(
            [Page(box) for box in self.page_boxes],
            DocumentMetadata(**get_html_metadata(html)),
            html.url_fetcher,
            fonts,
            color_profiles,
            options["output_intent"],
        )
        self.document._html = html  # as HTML.render() leaves it

    def pages(self, first: int, total: int) -> list[Page]:
        """The pages, numbered ``first``.. of ``total`` in their footers."""
        if first == 1 and total == len(self.page_boxes):
            return list(self.document.pages)
        context, pages = self.context, []
        for index, box in enumerate(self.page_boxes):
            # The page's counters as layout_document() left them, with the new page numbers.
            state = copy.deepcopy(context.page_maker[index + 1][3])
            state[1]["page"] = [first + index]
            state[1]["pages"] = [total]
            context.current_page = index + 1
            page = box.copy()
            page.children = tuple(child for child in box.children if not isinstance(child, boxes.MarginBox))
            margin_boxes = tuple(make_margin_boxes(context, page, state))
            for margin_box in margin_boxes:
                layout_box_backgrounds(page, margin_box, context.get_image_from_uri)
            page.children += margin_boxes
            pages.append(Page(page))
        return pages


def _combined(layouts: list[_Layout]) -> WeasyDocument:
    """One document of the languages' pages in order, numbered through (as one HTML page would be).

    Its metadata (title, language, author, dates) is the first language's, as in a document
    laid out from one HTML page whose first section is that language.
    """
    if len(layouts) == 1:
        return layouts[0].document
    total = sum(len(layout.page_boxes) for layout in layouts)
    pages: list[Page] = []
    for layout in layouts:
        pages += layout.pages(len(pages) + 1, total)
    return layouts[0].document.copy(pages)


def _write(rendered: WeasyDocument, pdf_variant: str | None) -> bytes:
    """Write a laid-out document as ``pdf_variant`` says.

    If the text holds characters that no font has, the file is written as plain PDF
    (and a warning logged) rather than as a PDF/A file that is not one.
    """
    return _write_telling(rendered, pdf_variant)[0]


def _write_telling(rendered: WeasyDocument, pdf_variant: str | None) -> tuple[bytes, bool]:
    """:func:`_write`, and whether the file carries the ``pdf_variant`` claim (False: plain PDF)."""
    if pdf_variant is not None:
        try:
            with warnings.catch_warnings():
                # WeasyPrint 70 opens its sRGB profile for the output intent and never closes it.
                warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
                pdf = _fresh(
                    rendered, output_intent=PDF_VARIANT_OPTIONS[pdf_variant][1].get("output_intent")
                ).write_pdf(pdf_variant=pdf_variant, finisher=_refuse_missing_glyphs)
                return pdf, True
        except _MissingGlyphs as missing:
            logger.warning("no font has %r: PDF written without the %s claim", str(missing), pdf_variant)
    return _fresh(rendered, output_intent=None).write_pdf(), False


def _fresh(rendered: WeasyDocument, *, output_intent: str | None) -> WeasyDocument:
    """The same pages with no colour profiles yet: writing a PDF adds the output intent's profile
    to the document, and pages laid out once are written into several files (PDF/A or plain)."""
    fresh = rendered.copy()
    fresh.color_profiles = {}
    fresh.output_intent = output_intent
    return fresh


def render_letter_pdfs(documents: Sequence[LetterDocument]) -> list[bytes]:
    """Render several documents of one letter, laying out each language only once.

    A letter's final documents are the letter in both languages, then each language alone:
    English and Arabic are each laid out once, as documents of their own, and the bilingual
    document is made of those same pages with footers numbered through. The result is the
    file that laying out the bilingual HTML page would give (same text, pages, fonts and
    metadata; the tests compare them), in about the time of the bilingual layout alone.
    """
    for document in documents:
        if not document.texts:
            raise ValueError("a letter needs at least one language text")
        _check_variant(document.pdf_variant)
    layouts: dict[LetterDocument, _Layout] = {}
    results = []
    with _no_cyclic_gc():
        for document in documents:
            parts = []
            for text in document.texts:
                alone = replace(document, texts=(text,))
                if alone not in layouts:
                    layouts[alone] = _Layout(alone)
                parts.append(layouts[alone])
            results.append(_write(_combined(parts), document.pdf_variant))
    return results


# --- The languages laid out in parallel processes ------------------------------------------


def language_documents(documents: Sequence[LetterDocument]) -> list[LetterDocument]:
    """The one-language documents that ``documents`` are made of, each once, in order of appearance.

    Each is laid out once (by :func:`render_letter_pdfs` in one process, or by
    :func:`render_language_parts` in a process of its own) and serves every document it is part of.
    """
    return list(
        dict.fromkeys(replace(document, texts=(text,)) for document in documents for text in document.texts)
    )


def parts_of(document: LetterDocument, singles: Sequence[LetterDocument]) -> list[int]:
    """The indexes in ``singles`` (:func:`language_documents`) of ``document``'s languages, in its page order."""
    return [singles.index(replace(document, texts=(text,))) for text in document.texts]


@dataclass(frozen=True)
class RenderedPart:
    """A PDF made by :func:`render_language_parts`: document ``document`` whole (``of`` = 1), or its
    part number ``position`` of ``of``, pages numbered through the whole document."""

    document: int
    position: int
    of: int
    pdf: bytes
    claimed: bool  # written with the document's PDF/A claim (False: plain PDF, see _write)


class PageCountExchange(Protocol):
    """How the processes of :func:`render_language_parts` learn each other's page counts (through
    their parent)."""

    def tell(self, count: int) -> None:
        """Send this process's page count."""

    def ready(self) -> bool:
        """Whether every count has arrived (without waiting)."""

    def counts(self) -> list[int]:
        """Every count, one per :func:`language_documents` entry (waits for them)."""


def render_language_parts(
    documents: Sequence[LetterDocument], index: int, exchange: PageCountExchange
) -> Iterator[RenderedPart]:
    """Lay out the ``index``-th one-language document (:func:`language_documents`) once, and yield
    every PDF the process that did so can write: its part of each document of several languages
    (its pages, footers numbered "page k of N" through the whole document, once the other
    languages' page counts are known), and each document that is that language alone.

    One process per language, run at the same time on several cores, so a bilingual letter takes
    about the time of its longer language; :func:`join_parts` puts a document's parts together.
    The parts are yielded first, so the parent can join them while this process writes the rest.
    """
    singles = language_documents(documents)
    mine = singles[index]
    with _no_cyclic_gc():
        layout = _Layout(mine)
        exchange.tell(len(layout.page_boxes))
        alone = [number for number, document in enumerate(documents) if document == mine]
        # Not idle while the other languages are still being laid out: write a file that needs
        # no page count first.
        while alone and not exchange.ready():
            yield RenderedPart(alone[0], 0, 1, *_write_telling(layout.document, mine.pdf_variant))
            alone.pop(0)
        counts = exchange.counts()
        for number, document in enumerate(documents):
            parts = parts_of(document, singles)
            if len(parts) < 2 or index not in parts:
                continue
            position = parts.index(index)
            first = 1 + sum(counts[part] for part in parts[:position])
            total = sum(counts[part] for part in parts)
            pages = layout.document.copy(layout.pages(first, total))
            yield RenderedPart(number, position, len(parts), *_write_telling(pages, document.pdf_variant))
        for number in alone:
            yield RenderedPart(number, 0, 1, *_write_telling(layout.document, mine.pdf_variant))


def join_parts(parts: Sequence[RenderedPart]) -> bytes:
    """One PDF of ``parts`` (one document's, in page order): the pages and bookmarks of each, and
    the first part's catalogue, document information, XMP metadata and output intent, as a
    document laid out from one HTML page has its first language's.

    The PDF/A claim is kept only if every part was written with it (a part whose text holds a
    character no font has is plain PDF, see :func:`_write`). pypdf copies the pages with their
    resources (fonts embedded and subset as each part wrote them).
    """
    if len(parts) == 1:
        return parts[0].pdf
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(parts[0].pdf))
    for part in parts[1:]:
        writer.append(io.BytesIO(part.pdf))
    if not all(part.claimed for part in parts):
        for key in ("/OutputIntents", "/Metadata"):
            writer.root_object.pop(pypdf.generic.NameObject(key), None)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def render_letter_pdf(document: LetterDocument) -> bytes:
    """Render ``document`` to PDF bytes (A4, fonts embedded and subset, nothing fetched).

    The file is archival PDF/A-2b unless ``document.pdf_variant`` says otherwise (see
    :data:`DEFAULT_PDF_VARIANT`). Layout is almost all of the time, and it grows with the
    signatory lists; each language is laid out on its own and the pages put together
    (:func:`render_letter_pdfs`).
    """
    return render_letter_pdfs([document])[0]


def render_letter_pdf_in_one_layout(document: LetterDocument) -> bytes:
    """``document`` laid out from one HTML page holding every language, in one go.

    What :func:`render_letter_pdf` did before it put per-language layouts together; kept as
    the yardstick the tests hold the combined document to.
    """
    return _write_pdf(document, render_letter_html(document), page_css(document))


def _write_pdf(document: LetterDocument, html: str, extra_css: str) -> bytes:
    """Lay out ``html`` (with letter.css and ``extra_css``) in one go and write it as ``document.pdf_variant`` says."""
    _check_variant(document.pdf_variant)
    fetcher = StaticAssetsURLFetcher()
    fonts, stylesheet = _fonts_and_stylesheet()
    base_url = STATIC_DIR.as_uri() + "/"
    stylesheets = [
        stylesheet,
        CSS(string=extra_css, base_url=base_url, url_fetcher=fetcher, font_config=fonts),
    ]
    page = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    with _no_cyclic_gc():
        rendered = page.render(stylesheets=stylesheets, font_config=fonts, pdf_variant=document.pdf_variant)
        return _write(rendered, document.pdf_variant)
