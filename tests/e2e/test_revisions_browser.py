"""The Arabic comparison of two revisions, in a real Chromium: right-to-left, the words added
and removed present in the page's text, and a Latin name inside the Arabic kept in order.
The screenshot is written to the test's temporary directory for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import User
from letterhub.services import drafting

from ..conftest import LETTER_TEXT
from .conftest import COORDINATOR_EMAIL
from .test_typography import TEXT_PART_BOXES, signed_in

pytestmark = pytest.mark.browser

BODY_AR = "نكتب إليكم مع الشبكة السورية لحقوق الإنسان (SNHR) بشأن المعتقلين.\n\nنطلب منكم الإفراج عنهم فوراً."
BODY_AR_NEW = (
    "نكتب إليكم مع الشبكة السورية لحقوق الإنسان (SNHR) بشأن آلاف المعتقلين.\n\nنطلب منكم الإفراج عنهم."
)


@pytest.fixture
def compared(live_server):
    with live_server.app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        letter = drafting.create_letter(coordinator, {**LETTER_TEXT, "body_ar": BODY_AR})
        drafting.save_revision(
            letter, 1, {**letter.current_revision.content(), "body_ar": BODY_AR_NEW}, coordinator
        )
        db.session.commit()
        return f"/letters/{letter.id}/revisions/compare?old=1&new=2"


def test_arabic_comparison_reads_right_to_left_with_the_changed_words_in_its_text(
    live_server, browsing, compared, tmp_path
):
    page = signed_in(browsing, "ar")
    page.goto(compared)
    arabic = page.locator('.diff[data-language="ar"][data-field="body"]')
    expect(arabic).to_have_attribute("dir", "rtl")
    assert arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
    path = tmp_path / "compare-ar.png"
    arabic.screenshot(path=path)
    assert path.stat().st_size > 1000
    page.screenshot(path=tmp_path / "compare-page-ar.png", full_page=True)

    text = arabic.inner_text()
    assert "آلاف" in text and "فوراً" in text  # inserted and deleted words are both in the text
    assert "آلاف" in arabic.locator("ins").first.inner_text()
    assert "فوراً" in arabic.locator("del").first.inner_text()
    assert (
        arabic.locator("del").first.evaluate("el => getComputedStyle(el).textDecorationLine")
        == "line-through"
    )

    # Right to left: the paragraph's first word stands right of its last word on the line.
    box = page.evaluate(
        TEXT_PART_BOXES,
        [
            '.diff[data-language="ar"][data-field="body"] p',
            [
                ["first", "نكتب", 0],
                ["later", "المعتقلين", 0],
                ["open", "(", 0],
                ["latin", "SNHR", 0],
                ["close", ")", 0],
            ],
        ],
    )
    assert box["first"]["left"] > box["later"]["left"]
    # The Latin name is isolated (<bdi>): it reads left to right inside its brackets.
    assert box["open"]["left"] < box["latin"]["left"] < box["close"]["left"]
    assert arabic.locator("bdi").first.inner_text() == "(SNHR)"
    assert browsing.problems == []
