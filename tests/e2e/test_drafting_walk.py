"""A drafting round (issue 11), walked in Chromium by two members in two browser contexts.

The owner, in English, invites a colleague by email; she works in Arabic, sets her password
through the link the real SMTP server received, lands on the letter and comments on an Arabic
paragraph; the owner replies and she gets the digest. Both open the editor on the same
revision: the owner saves first, her save collides and shows the three texts, she merges and
saves; the numbers of the two languages now differ and the editor says so. The owner compares
the revisions word by word. axe-core checks each page in both languages; screenshots, on a
desktop and a phone, are written to the test's temporary directory.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import Comment, User
from letterhub.models.types import utcnow
from letterhub.services import commenting, drafting, revisions

from ..conftest import LETTER_TEXT, PASSWORD
from .conftest import COORDINATOR_EMAIL, said

pytestmark = pytest.mark.browser

MEMBER = "reem@example.org"
MEMBER_PASSWORD = "a long drafting password"
BODY_EN = "We write to you about 13 million displaced people.\n\nWe ask you to act now."
BODY_AR = "نكتب إليكم بشأن ١٣ مليون نازح.\n\nنطلب منكم التحرك الآن."
OWNER_BODY_EN = (
    "We write to you about 13 million displaced Syrians and their families.\n\nWe ask you to act now."
)
MEMBER_BODY_AR = "نكتب إليكم بشأن ١٤ مليون نازح.\n\nنطلب منكم التحرك الآن."
COMMENT = "هل الرقم ١٣ مليون محدَّث؟"
REPLY = "Yes: the latest UNHCR figure. Change both languages if it moves."


@pytest.fixture
def letter_path(walk_server) -> str:
    """A letter whose two languages agree (no warning), owned by the coordinator."""
    with walk_server.app.app_context():
        owner = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        text = {**LETTER_TEXT, "body_en": BODY_EN, "body_ar": BODY_AR}
        letter = drafting.create_letter(owner, text, coalition="Syrian coalition")
        db.session.commit()
        assert revisions.parity_items(letter) == []
        return f"/letters/{letter.id}"


def test_two_members_draft_together_one_in_arabic(walk_server, walking, walk_mail, looking, letter_path):
    app = walk_server.app

    # --- The owner invites a colleague, who will work in Arabic. ------------------------------------
    owner = walking.new_page(locale="en-GB")
    owner.goto("/language/en?next=/login")
    owner.fill("#email", COORDINATOR_EMAIL)
    owner.fill("#password", PASSWORD)
    owner.click("main form button[type=submit]")
    owner.goto(letter_path)
    owner.click(f'main a[href$="{letter_path}/members"]')
    looking.in_both_languages(owner, "team")
    owner.fill("#email", MEMBER)
    owner.select_option("#role", "editor")
    owner.select_option("#language", "ar")
    owner.click('form[action$="/members"] button[type=submit]')
    expect(owner.locator(".flash-success")).to_be_visible()
    expect(owner.locator("table.members tbody tr")).to_have_count(2)

    walk_mail.deliver(app)
    (invitation,) = walk_mail.to(MEMBER)
    assert invitation["Content-Language"] == "ar"
    link = walk_mail.link(MEMBER, "/account/link/", base_url=walk_server.url)

    # --- She sets her name and password through the emailed link and lands on the letter. ----------
    member = walking.new_page(locale="ar")
    member.goto(link)
    expect(member.locator("html")).to_have_attribute("dir", "rtl")
    expect(member.locator("main h1")).to_have_text(said(app, "ar", "Welcome to letterhub"))
    looking.in_both_languages(member, "set-password")
    looking.on_phone(member, "set-password-ar")
    member.fill("#name", "ريم الحسن")
    member.fill("#new_password", MEMBER_PASSWORD)
    member.fill("#repeat_password", MEMBER_PASSWORD)
    member.click("main form button[type=submit]")
    expect(member).to_have_url(re.compile(re.escape(letter_path) + "$"))
    expect(member.locator(".flash-success")).to_have_text(
        said(app, "ar", "Your password is set and you are signed in.")
    )
    expect(member.locator("html")).to_have_attribute("lang", "ar")
    looking.check(member, "letter-member-ar")
    looking.on_phone(member, "letter-member-ar")

    # --- She comments on the first Arabic paragraph. ----------------------------------------------
    member.click("main a.discussion-link")
    arabic = member.locator('section.discussion-column[aria-labelledby="column-ar"]')
    paragraph = arabic.locator(".commented-paragraph").filter(
        has=member.locator(".paragraph-text.field-body", has_text="١٣ مليون")
    )
    paragraph.locator("details.comment-form > summary").click()
    paragraph.locator("textarea").fill(COMMENT)
    paragraph.locator("form button[type=submit]").click()
    thread = member.locator("article.thread")
    expect(thread).to_have_count(1)
    expect(thread.locator(".comment-body")).to_have_text([COMMENT])
    expect(arabic.locator("article.thread")).to_be_visible()  # under the Arabic paragraph

    # --- The owner replies; she gets the digest in Arabic and reads the reply. ----------------------
    owner.goto(f"{letter_path}/comments")
    owner_thread = owner.locator("article.thread")
    owner_thread.locator("details.comment-form > summary").click()
    owner_thread.locator("textarea").fill(REPLY)
    owner_thread.locator("details.comment-form form button[type=submit]").click()
    expect(owner.locator("article.thread .comment-body")).to_have_text([COMMENT, REPLY])
    looking.check(owner, "discussion-en")  # and in Arabic on her phone, below

    with app.app_context():
        assert commenting.send_comment_digests(now=utcnow() + timedelta(hours=1))["comment_digests"] == 1
    walk_mail.deliver(app)
    digest = walk_mail.to(MEMBER)[-1]
    assert digest["Content-Language"] == "ar"
    assert REPLY in digest.get_body(("plain",)).get_content()
    member.reload()
    expect(thread.locator(".comment-body")).to_have_text([COMMENT, REPLY])
    looking.on_phone(member, "discussion-ar")

    # --- Both open the editor on revision 1; the owner saves first. ---------------------------------
    owner.goto(f"{letter_path}/edit")
    member.goto(f"{letter_path}/edit")
    expect(member.locator("input[name=base_revision]")).to_have_value("1")
    looking.check(owner, "editor-en")  # in Arabic: hers, with the collision, below
    owner.fill("#body_en", OWNER_BODY_EN)
    owner.click("button[name=action][value=save]")
    expect(owner).to_have_url(re.compile(re.escape(letter_path) + "$"))

    # --- Her save collides: the three texts, per language, with the differences marked. ------------
    member.fill("#body_ar", MEMBER_BODY_AR)
    member.click("button[name=action][value=save]")
    collision = member.locator("#collision")
    expect(collision).to_be_visible()
    # Only what differs is listed: the addressees nobody changed are not (whatever the line endings).
    expect(collision.locator('.collision-field[data-field="addressees"]')).to_have_count(0)
    english = collision.locator('.collision-field[data-language="en"][data-field="body"]')
    expect(english.locator(".diff")).to_have_count(3)
    expect(english.locator('[data-side="theirs"] ins').first).to_be_visible()
    expect(english.locator('[data-side="theirs"] ins').first).to_contain_text("Syrians")
    arabic_body = collision.locator('.collision-field[data-language="ar"][data-field="body"]')
    expect(arabic_body.locator('[data-side="base"]')).to_contain_text("١٣ مليون")
    expect(arabic_body.locator('[data-side="yours"] del')).to_contain_text("١٣")
    expect(arabic_body.locator('[data-side="yours"] ins')).to_contain_text("١٤")
    expect(arabic_body.locator('[data-side="yours"] ins')).to_be_visible()
    assert (
        arabic_body.locator('[data-side="yours"]').evaluate("el => getComputedStyle(el).direction") == "rtl"
    )
    expect(member.locator("#body_ar")).to_have_value(MEMBER_BODY_AR)  # her text is kept
    # The parity check of the owner's revision: English changed, Arabic did not.
    expect(member.locator('#parity li[data-warning="one_language_changed"] > span').first).to_have_text(
        said(app, "ar", "English changed since revision %(since)d, Arabic did not.", since=1)
    )
    looking.check(member, "collision-ar")
    looking.on_phone(member, "collision-ar")

    # She takes the owner's English into her text and saves: revision 3.
    member.fill("#body_en", OWNER_BODY_EN)
    member.click("button[name=action][value=save]")
    expect(member).to_have_url(re.compile(re.escape(letter_path) + "$"))
    with app.app_context():
        assert db.session.scalar(select(Comment.revision_number).where(Comment.body == COMMENT)) == 1

    # --- The numbers now differ between the languages: the editor says so. --------------------------
    owner.goto(f"{letter_path}/edit")
    numbers = owner.locator('#parity li[data-warning="numbers"]')
    expect(numbers).to_be_visible()
    expect(numbers).to_contain_text("13")
    expect(numbers).to_contain_text("14")  # compared as numbers, whatever the digits
    owner.goto(f"{letter_path}/parity")
    expect(owner.locator('li[data-warning="numbers"]')).to_be_visible()
    looking.in_both_languages(owner, "parity")

    # --- The owner compares revision 1 with revision 3, word by word. -------------------------------
    owner.goto(letter_path)
    owner.click(f'main a[href$="{letter_path}/revisions"]')
    expect(owner.locator("table.revisions tbody tr")).to_have_count(3)
    looking.in_both_languages(owner, "revisions")
    owner.select_option("#old", "1")
    owner.select_option("#new", "3")
    owner.click("form.compare-form button[type=submit]")
    arabic_diff = owner.locator('.diff[data-language="ar"][data-field="body"]')
    english_diff = owner.locator('.diff[data-language="en"][data-field="body"]')
    expect(arabic_diff.locator("del").first).to_have_text("١٣")
    expect(arabic_diff.locator("ins").first).to_have_text("١٤")
    expect(english_diff.locator("ins").first).to_contain_text("Syrians")
    for mark in (arabic_diff.locator("del").first, arabic_diff.locator("ins").first):
        expect(mark).to_be_visible()
        box = mark.bounding_box()
        assert box and box["width"] > 5 and box["height"] > 5
    expect(arabic_diff).to_have_attribute("dir", "rtl")
    looking.in_both_languages(owner, "compare")
    looking.on_phone(owner, "compare-en")

    looking.assert_clean()
    # The collision is the page's own answer (409): the only thing the console reports.
    unexpected = [p for p in walking.problems if "status of 409" not in p]
    assert unexpected == [], unexpected
