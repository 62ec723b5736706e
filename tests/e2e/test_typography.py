"""Two languages on one page, measured in a real Chromium: what is laid out in which direction,
which way a mixed Arabic-Latin label reads, and whether Arabic reads at the size of the English
beside it. Screenshots are written to the test's temporary directory for a person to look at;
the assertions are on the geometry the browser computed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import User
from letterhub.services import drafting, inviting
from letterhub.services.imports import storage

from ..conftest import LETTER_TEXT, PASSWORD, read_seed
from .conftest import COORDINATOR_EMAIL

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The body of the Arabic letter names an organisation with its Latin acronym.
BODY_AR = "نكتب إليكم مع الشبكة السورية لحقوق الإنسان (SNHR) بشأن المعتقلين.\n\nنطلب منكم الإفراج عنهم."
BODY_EN = "We write to you with the Syrian Network for Human Rights (SNHR) about the detainees."


@pytest.fixture
def site(live_server):
    """A letter with one organisation invited in each language, and an imported letter."""
    app = live_server.app
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        letter = drafting.create_letter(
            coordinator, {**LETTER_TEXT, "body_ar": BODY_AR, "body_en": BODY_EN}, coalition="Coalition"
        )
        links = {}
        for language, name_en, name_ar, email in (
            (
                "ar",
                "Syrian Network for Human Rights",
                "الشبكة السورية لحقوق الإنسان (SNHR)",
                "snhr@example.org",
            ),
            ("en", "Baytna Syria", "بيتنا سوريا", "baytna@example.org"),
        ):
            invitation = inviting.add_organization(
                letter, name_en=name_en, name_ar=name_ar, email=email, language=language, by=coordinator
            )
            links[language] = inviting.send_invitation(invitation, by=coordinator)
        imported = storage.import_letter([read_seed(0), read_seed(1)], author=coordinator).letter_id
        db.session.commit()
        return {
            "letter": f"/letters/{letter.id}",
            "pairs": f"/letters/import/{imported}/pairs",
            "sign": links,
        }


def signed_in(browsing, language: str, viewport=DESKTOP):
    page = browsing.new_page()
    page.set_viewport_size(viewport)
    page.goto(f"/language/{language}?next=/login")
    page.fill("#email", COORDINATOR_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


# Where each label, table heading and error of the page is laid out, and in which language:
# everything the interface says must follow the interface, whichever column it stands in.
INTERFACE_TEXT_PLACEMENT = """() => {
  const root = document.documentElement;
  const out = [];
  for (const el of document.querySelectorAll("main label, main th, main .error, main .hint")) {
    const style = getComputedStyle(el);
    const lang = el.closest("[lang]").getAttribute("lang");
    if (style.direction !== root.dir || lang !== root.lang) {
      out.push(`${el.tagName.toLowerCase()} «${el.textContent.trim().slice(0, 40)}»: ${style.direction}, lang ${lang}`);
    }
  }
  return out;
}"""

# The horizontal extent of parts of an element's text, found by their position in the text
# (a Range over the characters, so the browser's bidi reordering is what is measured).
TEXT_PART_BOXES = """([selector, parts]) => {
  const el = document.querySelector(selector);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let text = "", nodes = [];
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const boxes = {};
  for (const [name, part, occurrence] of parts) {
    let at = -1;
    for (let i = 0; i <= occurrence; i++) at = text.indexOf(part, at + 1);
    if (at < 0) throw new Error(`${part} not in ${text}`);
    const [node, offset] = nodes.filter(([, start]) => start <= at).pop();
    const range = document.createRange();
    range.setStart(node, at - offset);
    range.setEnd(node, at - offset + part.length);
    const rect = range.getBoundingClientRect();
    boxes[name] = {left: rect.left, right: rect.right, top: rect.top};
  }
  return boxes;
}"""

# The height in pixels of a glyph, drawn with the computed font of an element: the Latin
# x-height ("x") and the Arabic letter heh ("ه", the height of Naskh's bowls and teeth).
GLYPH_HEIGHT = """async ([selector, glyph]) => {
  await document.fonts.ready;
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const context = document.createElement("canvas").getContext("2d");
  // Drawn ten times larger: the browser reports whole pixels, too coarse at the page's size.
  const size = parseFloat(style.fontSize) * 10;
  context.font = `${style.fontStyle} ${style.fontWeight} ${size}px ${style.fontFamily}`;
  return context.measureText(glyph).actualBoundingBoxAscent / 10;
}"""


def test_labels_of_the_other_languages_column_follow_the_interface(live_server, browsing, site, tmp_path):
    """The English column of the Arabic interface (and the Arabic one of the English interface):
    its inputs are in the text's language and direction, its labels in the reader's."""
    for interface, other in (("ar", "en"), ("en", "ar")):
        page = signed_in(browsing, interface)
        pages = {
            "new letter": "/letters/new",
            "letter": site["letter"],
            "import": "/letters/import/",
            "pairs": site["pairs"],
            "account": "/account",
        }
        for name, path in pages.items():
            page.goto(path)
            assert page.evaluate(INTERFACE_TEXT_PLACEMENT) == [], f"{name} in {interface}"
        page.goto("/letters/new")
        page.screenshot(path=tmp_path / f"editor-{interface}.png", full_page=True)
        for field in ("title", "addressees", "date_place", "body", "heading"):
            for language in (interface, other):
                box = page.locator(f"#{field}_{language}")
                expect(box).to_have_attribute("lang", language)
                direction = box.evaluate("el => getComputedStyle(el).direction")
                assert direction == ("rtl" if language == "ar" else "ltr"), (field, language)
                label = page.locator(f'label[for="{field}_{language}"]')
                assert label.evaluate("el => getComputedStyle(el).direction") == (
                    "rtl" if interface == "ar" else "ltr"
                )
        # Both columns are named in their own language.
        expect(page.locator("legend[lang=en]")).to_have_text("English")
        expect(page.locator("legend[lang=ar]")).to_have_text("العربية")

    for language, link in site["sign"].items():
        signer = browsing.new_page()
        signer.goto(link)
        expect(signer.locator("html")).to_have_attribute("lang", language)
        assert signer.evaluate(INTERFACE_TEXT_PLACEMENT) == [], f"signing page in {language}"
    assert browsing.problems == []


def test_mixed_arabic_and_latin_label_reads_right_to_left_with_its_brackets(
    live_server, browsing, site, tmp_path
):
    """«نص الرسالة (بصيغة Markdown)», the label of the English text in the Arabic interface:
    from the right, the Arabic words, "(", "بصيغة", "Markdown", then ")" at the far left."""
    page = signed_in(browsing, "ar")
    page.goto("/letters/new")
    label = page.locator('label[for="body_en"]')
    expect(label).to_have_text("نص الرسالة (بصيغة Markdown)")
    label.screenshot(path=tmp_path / "label-body-en-ar.png")
    box = page.evaluate(
        TEXT_PART_BOXES,
        [
            'label[for="body_en"]',
            [
                ["text", "نص", 0],
                ["open", "(", 0],
                ["format", "بصيغة", 0],
                ["latin", "Markdown", 0],
                ["close", ")", 0],
            ],
        ],
    )
    assert box["text"]["top"] == box["latin"]["top"]  # one line
    assert box["text"]["left"] > box["open"]["left"] > box["format"]["left"] > box["latin"]["left"]
    assert box["latin"]["left"] > box["close"]["left"]
    # In the English interface the same field of the Arabic column reads left to right.
    page.goto("/language/en?next=/letters/new")
    box = page.evaluate(
        TEXT_PART_BOXES,
        [
            'label[for="body_ar"]',
            [["word", "Letter", 0], ["open", "(", 0], ["latin", "Markdown", 0], ["close", ")", 0]],
        ],
    )
    assert box["word"]["left"] < box["open"]["left"] < box["latin"]["left"] < box["close"]["left"]
    assert browsing.problems == []


def _glyph_ratio(page, arabic: str, english: str) -> float:
    """Height of the Arabic heh over the Latin x-height, each in its element's computed font."""
    return page.evaluate(GLYPH_HEIGHT, [arabic, "ه"]) / page.evaluate(GLYPH_HEIGHT, [english, "x"])


def test_arabic_body_text_reads_at_the_size_of_the_english_beside_it(live_server, browsing, site, tmp_path):
    """Naskh at the nominal size of the English looks a size smaller: its letters must reach
    the Latin x-height within 10%, in the editor, the preview and on the signing page."""
    ratios = {}
    for interface in ("ar", "en"):
        page = signed_in(browsing, interface)
        page.goto(f"{site['letter']}/edit")
        ratios[f"editor {interface}"] = _glyph_ratio(page, "#body_ar", "#body_en")
        page.click("button[name=action][value=preview]")
        expect(page.locator("#preview")).to_be_visible()
        page.locator("#preview").screenshot(path=tmp_path / f"preview-{interface}.png")
        ratios[f"preview {interface}"] = _glyph_ratio(
            page, "#preview article[lang=ar] .body p", "#preview article[lang=en] .body p"
        )
    for language, link in site["sign"].items():
        signer = browsing.new_page()
        signer.goto(link)
        signer.screenshot(path=tmp_path / f"signing-{language}.png", full_page=True)
        ratios[f"signing {language}"] = _glyph_ratio(
            signer, "section.letter article[lang=ar] .body p", "section.letter article[lang=en] .body p"
        )
    assert all(0.9 <= ratio <= 1.1 for ratio in ratios.values()), ratios
    assert browsing.problems == []


def test_latin_inside_arabic_is_drawn_at_the_english_size(live_server, browsing, site):
    """ "(SNHR)" in the Arabic body must not stand out: its x-height is the English text's."""
    page = signed_in(browsing, "ar")
    page.goto(site["letter"])
    arabic = page.locator("article.letter-text[lang=ar] .body p").first
    english = page.locator("article.letter-text[lang=en] .body p").first
    boxes = {}
    for name, element, selector in (
        ("ar", arabic, "article.letter-text[lang=ar] .body p"),
        ("en", english, "article.letter-text[lang=en] .body p"),
    ):
        expect(element).to_contain_text("SNHR")
        boxes[name] = page.evaluate(TEXT_PART_BOXES, [selector, [["acronym", "SNHR", 0]]])["acronym"]
    width = {name: box["right"] - box["left"] for name, box in boxes.items()}
    assert abs(width["ar"] / width["en"] - 1) < 0.1, width
    assert browsing.problems == []


@pytest.mark.parametrize("interface", ["ar", "en"])
def test_editor_on_a_phone_keeps_both_columns_readable(live_server, browsing, site, tmp_path, interface):
    """At 390x844 the columns stack, nothing is wider than the screen, and the directions hold."""
    page = signed_in(browsing, interface, PHONE)
    page.goto(f"{site['letter']}/edit")
    page.screenshot(path=tmp_path / f"editor-phone-{interface}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(INTERFACE_TEXT_PLACEMENT) == []
    english, arabic = page.locator("#body_en").bounding_box(), page.locator("#body_ar").bounding_box()
    assert english["y"] + english["height"] <= arabic["y"]  # one above the other
    assert browsing.problems == []


@pytest.mark.parametrize("interface", ["ar", "en"])
def test_pages_with_tables_fit_a_phone_and_scroll_their_tables_in_place(
    live_server, browsing, site, tmp_path, interface
):
    """A wide table scrolls inside its own box; the page itself is never wider than the screen."""
    page = signed_in(browsing, interface, PHONE)
    too_wide = {}
    for path in (
        site["letter"],
        f"{site['letter']}/audit",
        site["pairs"],
        "/letters/",
        "/organizations/",
        "/account",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
    page.goto(site["letter"])
    page.screenshot(path=tmp_path / f"letter-phone-{interface}.png", full_page=True)
    assert too_wide == {}
    assert browsing.problems == []
