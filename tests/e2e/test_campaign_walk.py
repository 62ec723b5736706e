"""The campaign in Arabic (issue 9), walked in Chromium.

A coordinator working in the Arabic interface uploads a CSV file written with Arabic column
titles, one of its lines bad; the preview says which line and why, in Arabic; confirming invites
the good lines and sends their invitations over real SMTP. On the letter page, on a phone, the
list is filtered, searched and sorted, two organisations are selected and reminded at once, and
only those two get a reminder. axe-core checks each page in both languages; screenshots are
written to the test's temporary directory.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import Decision, Invitation, User
from letterhub.services import drafting, signing

from ..conftest import LETTER_TEXT, PASSWORD
from .conftest import COORDINATOR_EMAIL, PHONE, SMALL_PHONE, overflow, said

pytestmark = pytest.mark.browser

# Arabic column titles, as a coordinator's spreadsheet has them; line 4 has a bad address.
CSV = (
    "الاسم بالإنجليزية,الاسم بالعربية,البريد الإلكتروني,اللغة\n"
    "Syrians for Truth and Justice,سوريون من أجل الحقيقة والعدالة,stj@example.org,عربي\n"
    "Baytna Syria,بيتنا سوريا,baytna@example.org,ar\n"
    "Dawlaty,دولتي,dawlaty-at-example.org,ar\n"
    "Madaniya,مدنية,madaniya@example.org,en\n"
    "Hurras Network,شبكة حراس,hurras@example.org,ar\n"
)
BAD_LINE = 4
# The Arabic names in the order of the Arabic alphabet.
ALPHABETICAL_AR = ["بيتنا سوريا", "سوريون من أجل الحقيقة والعدالة", "شبكة حراس", "مدنية"]
# How the invitation list is laid out: the page, the list's scrolling box, each row and its cells.
INVITATION_LAYOUT = """() => {
  const box = document.querySelector("#invitations .table-scroll");
  const table = box.querySelector("table.invitations");
  const rows = [...table.querySelectorAll("tbody tr")].map(row => {
    const r = row.getBoundingClientRect();
    const cells = [...row.children].map(c => c.getBoundingClientRect()).filter(c => c.width > 1 && c.height > 1);
    return {height: r.height, left: Math.min(...cells.map(c => c.left)), right: Math.max(...cells.map(c => c.right))};
  });
  return {window: document.documentElement.clientWidth, page: document.documentElement.scrollWidth,
          box: box.clientWidth, boxScroll: box.scrollWidth, table: table.getBoundingClientRect().width, rows};
}"""
# A row of the walk's list on a 320 px phone, in Arabic: the names, the address, the answer, the
# mail, the reminders (when any) and the buttons, stacked, measure 296 to 409 px. Laid out as a
# table row, the cells were side by side in a box scrolled sideways, and each row as tall as its
# tallest cell, out of sight: most of what showed was blank.
MAX_ROW_HEIGHT_320 = 460


def accessibility_roles(page) -> dict[str, int]:
    """How many nodes of each table role Chromium's accessibility tree has (what a screen reader gets)."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    roles = [node["role"]["value"] for node in nodes if not node.get("ignored")]
    return {role: roles.count(role) for role in ("table", "row", "columnheader", "rowheader", "cell")}


def assert_rows_are_cards(page) -> None:
    """On a 320 px phone: no sideways scrolling of the page or of the list's own box, every row's
    cells inside the window, rows compact, and still a table for screen readers (one row header
    and a cell per column in every row)."""
    layout = page.evaluate(INVITATION_LAYOUT)
    assert layout["page"] <= layout["window"], layout
    assert layout["boxScroll"] <= layout["box"] and layout["table"] <= layout["box"] + 1, layout
    assert overflow(page)["out"] == []
    heights = [round(row["height"]) for row in layout["rows"]]
    assert heights and max(heights) <= MAX_ROW_HEIGHT_320, heights
    for row in layout["rows"]:
        assert row["left"] >= -1 and row["right"] <= layout["window"] + 1, row
    roles = accessibility_roles(page)
    count = len(layout["rows"])
    columns = roles["columnheader"]
    assert roles["table"] == 1 and roles["row"] == count + 1 and roles["rowheader"] == count, roles
    assert roles["cell"] == count * (columns - 1), roles


@pytest.fixture
def letter_path(walk_server) -> str:
    with walk_server.app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        letter = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Syrian coalition")
        db.session.commit()
        return f"/letters/{letter.id}"


def upload(page, content: str) -> None:
    page.set_input_files(
        "#file", files=[{"name": "منظمات.csv", "mimeType": "text/csv", "buffer": content.encode("utf-8")}]
    )
    page.click("form.csv-upload-form button[type=submit]")


def test_a_coordinator_runs_the_campaign_in_arabic(walk_server, walking, walk_mail, looking, letter_path):
    app = walk_server.app
    page = walking.new_page(locale="ar")
    page.goto("/language/ar?next=/login")  # the interface in Arabic, whatever the account says
    page.fill("#email", COORDINATOR_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(letter_path)
    expect(page.locator("html")).to_have_attribute("lang", "ar")

    # --- The CSV upload page, then the preview. -------------------------------------------------
    page.click(f'main a[href$="{letter_path}/invitations/csv"]')
    looking.in_both_languages(page, "csv-upload")
    looking.on_phone(page, "csv-upload-ar")
    upload(page, CSV)
    lines = page.locator("table.csv-lines tbody tr")
    expect(lines).to_have_count(5)
    expect(page.locator('dd[data-count="new"]')).to_have_text("4")
    expect(page.locator('dd[data-count="error"]')).to_have_text("1")
    bad = page.locator(f'tr[data-line="{BAD_LINE}"]')
    expect(bad).to_have_attribute("data-status", "error")
    message = said(app, "ar", "“%(email)s” is not a valid email address.", email="dawlaty-at-example.org")
    expect(bad.locator('li.error[data-code="bad_email"]')).to_have_text(message)
    expect(bad.locator("li.error")).to_be_visible()
    for number in (2, 3, 5, 6):
        expect(page.locator(f'tr[data-line="{number}"]')).to_have_attribute("data-status", "new")
    looking.check(page, "csv-preview-ar")
    looking.on_phone(page, "csv-preview-ar")

    page.check("#send_now")
    page.click("form.csv-confirm-form button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(letter_path) + r"#invitations$"))
    rows = page.locator("table.invitations tbody tr[data-invitation]")
    expect(rows).to_have_count(4)
    expect(page.locator('dd[data-count="invited"]')).to_have_text("4")
    walk_mail.deliver(app)
    for address in ("stj@example.org", "baytna@example.org", "madaniya@example.org", "hurras@example.org"):
        assert len(walk_mail.to(address)) == 1
    assert walk_mail.to("dawlaty") == []
    assert walk_mail.to("madaniya@example.org")[0]["Content-Language"] == "en"

    # One organisation answers, as its focal point would.
    with app.app_context():
        madaniya = db.session.scalar(select(Invitation).where(Invitation.email == "madaniya@example.org"))
        signing.record_decision(
            madaniya,
            signing.DecisionInput(
                decision=Decision.CONFIRMED,
                revision_id=madaniya.letter.current_revision.id,
                name_en="Madaniya",
                name_ar="مدنية",
                signer_name="Ayman",
                signer_role="Director",
                consent=True,
            ),
        )
        db.session.commit()
    walk_mail.deliver(app)

    # --- The letter page on a phone: filter, search, sort. ---------------------------------------
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator('dd[data-count="sent"]')).to_have_text("4")
    expect(page.locator('dd[data-count="confirmed"]')).to_have_text("1")
    looking.on_phone(page, "letter-ar")
    page.set_viewport_size(SMALL_PHONE)
    assert_rows_are_cards(page)
    looking.check(page, "letter-ar-320")
    page.set_viewport_size(PHONE)

    page.select_option("#invitation-sort", "name")
    page.click("form.invitation-filter button[type=submit]")
    expect(rows.locator('th [lang="ar"]')).to_have_text(ALPHABETICAL_AR)

    page.fill("#invitation-search", "سوري")
    page.click("form.invitation-filter button[type=submit]")
    expect(rows.locator('th [lang="ar"]')).to_have_text(ALPHABETICAL_AR[:2])

    page.fill("#invitation-search", "")
    page.select_option("#invitation-state", "not-answered")
    page.click("form.invitation-filter button[type=submit]")
    expect(page).to_have_url(re.compile(r"state=not-answered"))
    expect(rows.locator('th [lang="ar"]')).to_have_text(ALPHABETICAL_AR[:3])
    looking.check(page, "letter-filtered-ar-phone")

    # --- Remind two of them now. -------------------------------------------------------------------
    chosen = rows.filter(has_text="بيتنا سوريا").or_(rows.filter(has_text="شبكة حراس"))
    expect(chosen).to_have_count(2)
    for box in chosen.locator('input[name="invitation_ids"]').all():
        box.check()
    page.click('#selection button[value="remind"]')
    expect(page.locator(".flash-success")).to_have_text(
        said(
            app,
            "ar",
            ("%(num)d reminder queued for sending.", "%(num)d reminders queued for sending."),
            num=2,
        )
    )
    expect(page).to_have_url(re.compile(r"state=not-answered"))  # the same view of the list
    expect(chosen.locator("td.reminders")).to_have_count(2)
    for cell in chosen.locator("td.reminders").all():
        expect(cell).not_to_be_empty()
    expect(rows.filter(has_text="سوريون").locator("td.reminders")).to_be_empty()
    looking.on_phone(page, "letter-reminded-ar")
    page.set_viewport_size(SMALL_PHONE)
    assert_rows_are_cards(page)  # with a reminder history and a filter, too
    looking.check(page, "letter-reminded-ar-320")
    page.set_viewport_size({"width": 1280, "height": 900})
    looking.in_both_languages(page, "letter-reminded")

    walk_mail.deliver(app)
    assert [len(walk_mail.to(a)) for a in ("baytna@example.org", "hurras@example.org")] == [2, 2]
    assert len(walk_mail.to("stj@example.org")) == 1 and len(walk_mail.to("madaniya@example.org")) == 2
    reminder = walk_mail.to("baytna@example.org")[-1]
    assert reminder["Content-Language"] == "ar"
    assert walk_mail.link("baytna@example.org", "/sign/", base_url=walk_server.url)

    # --- The same preview in English, for the English interface's check. -------------------------
    page.goto(f"{letter_path}/invitations/csv")
    page.click("header button.language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    upload(page, CSV)
    expect(page.locator(f'tr[data-line="{BAD_LINE}"] li.error')).to_be_visible()
    looking.check(page, "csv-preview-en")
    page.goto(letter_path)
    looking.on_phone(page, "letter-en")
    page.set_viewport_size(SMALL_PHONE)
    assert_rows_are_cards(page)
    looking.check(page, "letter-en-320")

    # --- The letters list on the same phone: each letter's counts and deadline in sight. -------
    page.goto("/letters/")
    row = page.locator(f'table.letters tr[data-letter="{letter_path.rsplit("/", 1)[1]}"]')
    expect(row.locator('td[data-count="invited"]')).to_have_text("4")
    fits = page.evaluate(
        """() => { const box = document.querySelector("table.letters").parentElement;
                   return box.scrollWidth <= box.clientWidth && document.documentElement.scrollWidth <= 320; }"""
    )
    assert fits, "the letters list scrolls sideways at 320 px"
    for cell in row.locator("td").all():
        box = cell.bounding_box()
        assert box is None or (box["x"] >= -1 and box["x"] + box["width"] <= SMALL_PHONE["width"] + 1), box
    looking.check(page, "letters-en-320")

    looking.assert_clean()
    assert walking.problems == [], walking.problems
