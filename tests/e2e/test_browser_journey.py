"""The whole journey once, in a real headless Chromium, with the interface in Arabic.

A coordinator drafts the letter in both languages, previews it, adds two organisations and
sends the invitations; the mail worker's drain delivers them to the development mailbox; one
focal point opens the link from the email and confirms, the other declines; the coordinator
closes signing and downloads the final PDF. Selectors are ids, names and classes only, never
translated text.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import Decision, Invitation, InvitationState, Letter, Signature
from letterhub.services import mailing, publishing

from ..conftest import PASSWORD
from .conftest import COORDINATOR_EMAIL

pytestmark = pytest.mark.browser

LETTER = {
    "coalition": "Syrian civil society coalition",
    "title_en": "Joint letter on detainees and the disappeared in Syria",
    "title_ar": "رسالة مشتركة بشأن المعتقلين والمختفين قسراً في سوريا",
    "addressees_en": "The Secretary-General of the United Nations\nThe President of the Security Council",
    "addressees_ar": "الأمين العام للأمم المتحدة\nرئيس مجلس الأمن",
    "date_place_en": "Geneva, 1 December 2026",
    "date_place_ar": "جنيف، ١ كانون الأول ٢٠٢٦",
    "body_en": (
        "We, the undersigned organisations, write to you about **enforced disappearance**.\n\n"
        "We ask you to:\n\n"
        "1. Press for the release of every detainee.\n"
        "2. Establish the fate of the disappeared.\n"
        "3. Support their families."
    ),
    "body_ar": (
        "نحن المنظمات الموقعة أدناه نكتب إليكم بشأن **الاختفاء القسري**.\n\n"
        "نطلب منكم:\n\n"
        "1. الضغط للإفراج عن جميع المعتقلين.\n"
        "2. الكشف عن مصير المختفين.\n"
        "3. دعم عائلاتهم."
    ),
}
LIST_ITEMS = {
    "en": [
        "Press for the release of every detainee.",
        "Establish the fate of the disappeared.",
        "Support their families.",
    ],
    "ar": ["الضغط للإفراج عن جميع المعتقلين.", "الكشف عن مصير المختفين.", "دعم عائلاتهم."],
}
BOLD = {"en": "enforced disappearance", "ar": "الاختفاء القسري"}
# The first signs from an Arabic invitation; its Arabic name carries a Latin acronym.
SNHR = {
    "name_en": "Syrian Network for Human Rights",
    "name_ar": "الشبكة السورية لحقوق الإنسان (SNHR)",
    "email": "snhr@example.org",
    "language": "ar",
}
# The second declines from an English invitation.
BAYTNA = {
    "name_en": "Baytna Syria",
    "name_ar": "بيتنا سوريا",
    "email": "baytna@example.org",
    "language": "en",
}

# Direction marks, embeddings and isolates (the PDF's around names, pdftotext's around runs).
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def expect_interface(page, language: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def test_arabic_journey_from_draft_to_final_pdf(live_server, browsing, tmp_path):
    app = live_server.app

    # --- The coordinator switches the interface to Arabic and signs in. ---------------------
    coordinator = browsing.new_page(locale="en-GB")
    coordinator.goto("/login")
    expect_interface(coordinator, "en")
    coordinator.click("header button.language")
    expect(coordinator).to_have_url(re.compile(r"/login"))
    expect_interface(coordinator, "ar")
    coordinator.fill("#email", COORDINATOR_EMAIL)
    coordinator.fill("#password", PASSWORD)
    coordinator.click("main form button[type=submit]")
    expect(coordinator).to_have_url(re.compile(r"/letters/$"))
    expect_interface(coordinator, "ar")

    # --- New letter: both languages, headings pre-filled, preview, save. -----------------------
    coordinator.click('main a[href$="/letters/new"]')
    expect(coordinator).to_have_url(re.compile(r"/letters/new$"))
    expect_interface(coordinator, "ar")
    expect(coordinator.locator("#heading_en")).to_have_value("Signatories:")
    expect(coordinator.locator("#heading_ar")).to_have_value("الموقعون:")
    for name, value in LETTER.items():
        coordinator.fill(f"#{name}", value)

    coordinator.click("button[name=action][value=preview]")
    preview = coordinator.locator("#preview")
    expect(preview).to_be_visible()
    expect_interface(coordinator, "ar")
    for language in ("en", "ar"):
        article = preview.locator(f"article.letter-text[lang={language}]")
        expect(article.locator(".body ol > li")).to_have_text(LIST_ITEMS[language])
        expect(article.locator(".body strong")).to_have_text(BOLD[language])
    assert "**" not in preview.inner_text()
    expect(coordinator.locator("#body_ar")).to_have_value(LETTER["body_ar"])  # the form kept the text

    coordinator.click("button[name=action][value=save]")
    expect(coordinator).to_have_url(re.compile(r"/letters/\d+$"))
    expect_interface(coordinator, "ar")
    letter_path = re.search(r"/letters/\d+$", coordinator.url).group(0)
    letter_id = int(letter_path.rsplit("/", 1)[1])

    # --- Two organisations on the list; send the invitations. -----------------------------------
    invitations = coordinator.locator("table.invitations tr[data-invitation]")
    for count, organisation in enumerate((SNHR, BAYTNA), start=1):
        form = coordinator.locator("form.organization-form")
        form.locator("#name_en").fill(organisation["name_en"])
        form.locator("#name_ar").fill(organisation["name_ar"])
        form.locator("#email").fill(organisation["email"])
        form.locator("#language").select_option(organisation["language"])
        form.locator("button[type=submit]").click()
        expect(invitations).to_have_count(count)
        expect_interface(coordinator, "ar")
    coordinator.click('form[action$="/send"] button[type=submit]')
    expect(invitations.locator(".mail-queued")).to_have_count(2)

    with app.app_context():
        ids = {
            i.email: i.id
            for i in db.session.scalars(select(Invitation).where(Invitation.letter_id == letter_id))
        }
        # What the mail worker does, once.
        assert mailing.drain_outbox() == {"sent": 2, "retry": 0, "failed": 0}
    coordinator.reload()
    expect(invitations.locator(".mail-sent")).to_have_count(2)
    expect(invitations.locator(".state-pending")).to_have_count(2)

    # --- The first focal point reads the email and confirms, in Arabic. ----------------------------
    # The browser asks for English: the signing page must still follow the invitation's language.
    signer = browsing.new_page(locale="en-GB")
    open_signing_link(signer, SNHR, live_server.url, ids[SNHR["email"]], app)
    expect_interface(signer, "ar")
    first_text = signer.locator("section.letter article.letter-text").first
    expect(first_text).to_have_attribute("lang", "ar")
    expect(first_text).to_have_attribute("dir", "rtl")
    expect(first_text.locator(".body ol > li")).to_have_text(LIST_ITEMS["ar"])
    expect(signer.locator("#name_en")).to_have_value(SNHR["name_en"])
    expect(signer.locator("#name_ar")).to_have_value(SNHR["name_ar"])
    coordinator.reload()  # the coordinator sees it opened, before any answer
    expect(coordinator.locator(f'tr[data-invitation="{ids[SNHR["email"]]}"] .state-opened')).to_have_count(1)

    signer.fill("#signer_name", "هادي الخطيب")
    signer.fill("#signer_role", "المدير التنفيذي")
    signer.check("input[name=consent]")
    signer.screenshot(path=tmp_path / "signing-page-ar.png", full_page=True)
    signer.click("input[name=confirm]")
    receipt = signer.locator("dl.receipt")
    expect(receipt).to_be_visible()
    expect_interface(signer, "ar")
    expect(receipt.locator('div[lang="ar"]')).to_have_text(SNHR["name_ar"])
    expect(signer.locator("form#answer")).to_have_count(0)

    # --- The second declines, with a reason, from an English invitation. ----------------------------
    decliner = browsing.new_page(locale="ar")
    open_signing_link(decliner, BAYTNA, live_server.url, ids[BAYTNA["email"]], app)
    expect_interface(decliner, "en")
    decliner.click("details.decline > summary")
    decliner.fill("#decline_reason", "Outside our mandate.")
    decliner.click("input[name=decline]")
    expect(decliner.locator("dl.receipt")).to_be_visible()

    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        answers = {s.invitation.email: s for s in db.session.scalars(select(Signature))}
        confirmed, declined = answers[SNHR["email"]], answers[BAYTNA["email"]]
        assert confirmed.decision == Decision.CONFIRMED and confirmed.consent
        assert (confirmed.name_en, confirmed.name_ar) == (SNHR["name_en"], SNHR["name_ar"])
        assert (confirmed.signer_name, confirmed.signer_role) == ("هادي الخطيب", "المدير التنفيذي")
        assert confirmed.revision_sha256 == letter.current_revision.content_sha256
        assert "Chrome" in confirmed.user_agent and confirmed.ip_address == "127.0.0.1"
        assert declined.decision == Decision.DECLINED and declined.decline_reason == "Outside our mandate."

    # --- Back to the coordinator: one confirmed, one declined; close; the final PDF. ------------------
    coordinator.reload()
    expect_interface(coordinator, "ar")
    expect(coordinator.locator(f'tr[data-invitation="{ids[SNHR["email"]]}"] .state-confirmed')).to_have_count(
        1
    )
    expect(
        coordinator.locator(f'tr[data-invitation="{ids[BAYTNA["email"]]}"] .state-declined')
    ).to_have_count(1)
    expect(invitations.locator(".state-confirmed")).to_have_count(1)
    expect(invitations.locator(".state-declined")).to_have_count(1)
    coordinator.screenshot(path=tmp_path / "letter-page-ar.png", full_page=True)

    coordinator.click("#close-signing summary")
    coordinator.check('form[action$="/close"] input[name=confirm]')
    coordinator.click('form[action$="/close"] button[type=submit]')
    # The PDF is rendered by the worker in the background; the page shows its progress.
    expect(coordinator.locator('tr[data-document="en,ar"] .render-queued')).to_have_count(1)
    with app.app_context():
        assert publishing.render_queued_documents() == {"rendered": 3, "failed": 0}
    download_link = coordinator.locator('tr[data-document="en,ar"] a.download')
    expect(download_link).to_be_visible(timeout=10_000)  # updated in place while rendering
    expect_interface(coordinator, "ar")
    with coordinator.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"letter-{letter_id}-en-ar.pdf"
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")

    text = pdftotext(pdf_path)
    lines = [line.strip() for line in text.splitlines()]
    assert "Signatories:" in lines and "الموقعون:" in lines, text
    assert f"1. {SNHR['name_en']}" in lines, text
    # pdftotext misplaces a Latin run's brackets inside right-to-left text: the page shows
    # "1. الشبكة السورية لحقوق الإنسان (SNHR)" right, the extracted line reads "... ()SNHR".
    # So: the Arabic words and the acronym, on one line of their own.
    arabic_words, acronym = SNHR["name_ar"].split(" (")[0], "SNHR"
    assert [line for line in lines if arabic_words in line and acronym in line], text
    for absent in (BAYTNA["name_en"], BAYTNA["name_ar"], "Baytna", "بيتنا"):
        assert absent not in text

    assert browsing.problems == []


def open_signing_link(page, organisation: dict, base_url: str, invitation_id: int, app) -> None:
    """In the development mailbox, open the message to the organisation and follow its signing link.

    Waits for the page's script to report the visit, and checks that the invitation is now
    "opened": only a real browser running the page's JavaScript does that.
    """
    page.goto("/dev/mailbox/")
    row = page.locator("table.mailbox tbody tr").filter(
        has=page.locator("td", has_text=organisation["email"])
    )
    expect(row).to_have_count(1)
    row.locator("a").click()
    link = page.locator('pre.email-body a[href*="/sign/"]')
    expect(link).to_have_count(1)
    assert link.get_attribute("href").startswith(f"{base_url}/sign/")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/opened")) as beacon:
        link.click()
    assert beacon.value.status == 200
    assert beacon.value.json() == {"status": "opened"}
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).state == InvitationState.OPENED


def pdftotext(path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode("utf-8").translate(BIDI_CONTROLS)
