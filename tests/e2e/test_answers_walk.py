"""The focal point's answer is theirs (issue 10), walked in Chromium in Arabic.

The invitation arrives in Arabic over real SMTP. The focal point, on a phone, sends the form
with a field missing (the error summary takes the focus), confirms, asks not to be named
publicly (without withdrawing), changes the answer to a refusal, signs after all, withdraws, and hands the invitation to a colleague, whose own link
works while the old one says it was handed on. Each decision is recorded in the history with a
receipt email in Arabic. axe-core checks each page in both languages; screenshots are written
to the test's temporary directory.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import DecisionKind, Invitation, InvitationState, User
from letterhub.services import drafting, inviting, signing

from ..conftest import LETTER_TEXT
from .conftest import COORDINATOR_EMAIL, PHONE, said

pytestmark = pytest.mark.browser

FOCAL_POINT = "focal@archive.example"
COLLEAGUE = "colleague@archive.example"


@pytest.fixture
def invitation_id(walk_server, walk_mail) -> int:
    """An Arabic invitation to a letter, sent: the email is on the SMTP server."""
    app = walk_server.app
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        letter = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Syrian coalition")
        invitation = inviting.add_organization(
            letter,
            name_en="Syrian Archive",
            name_ar="الأرشيف السوري",
            email=FOCAL_POINT,
            language="ar",
            by=coordinator,
        )
        inviting.send_invitation(invitation, by=coordinator)
        db.session.commit()
        invitation_id = invitation.id
    walk_mail.deliver(app)
    return invitation_id


def test_a_focal_point_changes_the_answer_in_arabic_and_hands_the_invitation_on(
    walk_server, walking, walk_mail, looking, invitation_id
):
    app = walk_server.app
    link = walk_mail.link(FOCAL_POINT, "/sign/", base_url=walk_server.url)
    (invitation_email,) = walk_mail.to(FOCAL_POINT)
    assert invitation_email["Content-Language"] == "ar"

    page = walking.new_page(locale="ar", viewport=PHONE)
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    looking.in_both_languages(page, "signing")

    # --- Sent with the name missing: the summary at the top of the form takes the focus. -----
    page.fill("#signer_role", "المديرة التنفيذية")
    page.check("input[name=consent]")
    page.click("input[name=confirm]")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.locator('a[href="#signer_name"]')).to_be_visible()
    expect(page.locator("#signer_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signer_role")).to_have_value("المديرة التنفيذية")  # nothing typed is lost
    assert page.title().startswith(said(app, "ar", "Error:"))
    looking.check(page, "signing-error-phone")

    # --- Confirm. -----------------------------------------------------------------------------
    page.fill("#signer_name", "ريم الأحمد")
    page.click("input[name=confirm]")
    expect(page.locator("dl.receipt")).to_be_visible()
    looking.check(page, "receipt-confirmed-phone")

    # --- Back through the receipt's link: the current answer, and a way to change it. ----------
    page.click('main a[href*="/sign/"]')
    expect(page.locator(".current-answer")).to_be_visible()
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    looking.check(page, "signing-confirmed-phone")

    # --- Not to be named after all: switched without withdrawing. ------------------------------
    page.click("#naming button[name=naming]")
    expect(page.locator("main h1")).to_have_text(said(app, "ar", "Your choice is recorded"))
    looking.check(page, "receipt-unnamed-phone")
    page.click('main a[href*="/sign/"]')
    expect(page.locator("#naming button[name=naming]")).to_have_text(
        said(app, "ar", "Name our organisation publicly")
    )
    page.fill("#decline_reason", "نحتاج إلى موافقة مجلس الإدارة.")
    page.click("input[name=decline]")  # "Withdraw our signature": the confirmation becomes a refusal
    expect(page.locator("main h1")).to_have_text(said(app, "ar", "Your signature is withdrawn"))
    looking.check(page, "receipt-withdrawn-phone")

    # --- Sign after all, then withdraw once more. ----------------------------------------------
    page.click('main a[href*="/sign/"]')
    expect(page.locator("#answer h2")).to_have_text(said(app, "ar", "Sign after all"))
    page.check("input[name=consent]")
    page.click("input[name=confirm]")
    expect(page.locator("dl.receipt")).to_be_visible()
    page.click('main a[href*="/sign/"]')
    page.click("input[name=decline]")
    expect(page.locator("dl.receipt")).to_be_visible()

    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        kinds = [decision.kind for decision in signing.history(invitation)]
        assert kinds == [
            DecisionKind.CONFIRMED,
            DecisionKind.CONFIRMED,  # the same confirmation, not to be named
            DecisionKind.WITHDRAWN,
            DecisionKind.CONFIRMED,
            DecisionKind.WITHDRAWN,
        ]
        assert invitation.state == InvitationState.DECLINED
    walk_mail.deliver(app)
    receipts = walk_mail.to(FOCAL_POINT)[1:]
    assert len(receipts) == 5 and {m["Content-Language"] for m in receipts} == {"ar"}

    # --- Hand the invitation to a colleague. ---------------------------------------------------
    page.click('main a[href*="/sign/"]')
    page.click('.delegation a[href$="/forward"]')
    looking.in_both_languages(page, "forward")
    page.fill("#email", COLLEAGUE)
    page.fill("#to_name", "سامر")
    page.click("main form button[type=submit]")
    expect(page.locator("main h1")).to_have_text(said(app, "ar", "The invitation was handed on"))
    looking.check(page, "forwarded-phone")

    page.goto(link)  # the old link now says where the invitation went
    expect(page.locator("main h1")).to_have_text(
        said(app, "ar", "This invitation was handed to someone else")
    )
    looking.in_both_languages(page, "old-link")

    walk_mail.deliver(app)
    colleague = walking.new_page(locale="en-GB")
    colleague.goto(walk_mail.link(COLLEAGUE, "/sign/", base_url=walk_server.url))
    expect(colleague.locator("html")).to_have_attribute("lang", "ar")  # the invitation's language
    colleague.fill("#signer_name", "سامر الحلبي")
    colleague.fill("#signer_role", "منسق المناصرة")
    colleague.check("input[name=consent]")
    colleague.click("input[name=confirm]")
    expect(colleague.locator("dl.receipt")).to_be_visible()
    looking.check(colleague, "colleague-confirmed")
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).state == InvitationState.CONFIRMED

    looking.assert_clean()
    # The browser reports the pages' own refusals: the form with an error (422), the old link (410).
    unexpected = [p for p in walking.problems if not ("status of 422" in p or "status of 410" in p)]
    assert unexpected == [], unexpected
