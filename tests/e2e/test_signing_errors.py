"""The signing form sent with a field missing, in Chromium: the page comes back with the
error summary at the top of the form, scrolled to and holding the focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from letterhub import database as letterhub_database
from letterhub.extensions import db
from letterhub.models import User
from letterhub.services import drafting, inviting

from ..conftest import LETTER_TEXT
from .conftest import COORDINATOR_EMAIL

pytestmark = pytest.mark.browser


def invitation_link(app, language: str) -> str:
    with app.app_context(), letterhub_database.writing():
        coordinator = db.session.query(User).filter_by(email=COORDINATOR_EMAIL).one()
        letter = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Test coalition")
        invitation = inviting.add_organization(
            letter,
            name_en="Syrian Archive",
            name_ar="الأرشيف السوري",
            email="focal@archive.example",
            language=language,
            by=coordinator,
        )
        link = inviting.send_invitation(invitation, by=coordinator)
        db.session.commit()
    return link


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_missing_field_lands_the_focus_on_the_error_summary(live_server, browsing, language):
    link = invitation_link(live_server.app, language)
    page = browsing.new_page(locale=language)
    page.goto(link)
    page.fill("#signer_role", "Director")
    page.check("input[name=consent]")  # the name is left empty
    page.click("input[name=confirm]")

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.evaluate(
        "(() => { const r = document.getElementById('error-summary').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; })()"
    )
    expect(summary.locator('a[href="#signer_name"]')).to_have_count(1)
    expect(page.locator("#signer_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signer_name")).to_have_attribute("aria-describedby", "signer_name-error")
    assert page.title().startswith("خطأ:" if language == "ar" else "Error:")
    # Following the summary's link takes the focus to the field.
    summary.locator('a[href="#signer_name"]').click()
    expect(page.locator("#signer_name")).to_be_focused()
    # The form's own 422 (the answer was not recorded) is the only thing the console reports.
    assert [problem for problem in browsing.problems if "status of 422" not in problem] == []
