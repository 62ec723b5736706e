"""Editing a directory entry in Arabic (issue 9), walked in Chromium.

A coordinator working in the Arabic interface opens an entry from the directory, adds an address
that is not one, gets the error summary at the top (focused) with everything typed still there,
corrects it and makes it the primary address, removes an old spelling and renames the entry,
whose former name stays as another spelling.
axe-core checks the edit page in both languages and on a phone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.models import AliasSource, Organization
from letterhub.services import directory

from ..conftest import PASSWORD
from .conftest import COORDINATOR_EMAIL, said

pytestmark = pytest.mark.browser


@pytest.fixture
def entry_id(walk_server) -> int:
    with walk_server.app.app_context():
        entry = directory.add_organization(
            name_en="Syrian Archive", name_ar="الأرشيف السوري", email="focal@archive.example", by=None
        )
        entry.add_email("old@archive.example")
        directory.remember_spellings([(entry, "ar", "ارشيف سوريا")], AliasSource.IMPORT)
        db.session.commit()
        return entry.id


def test_a_coordinator_edits_a_directory_entry_in_arabic(walk_server, walking, looking, entry_id):
    app = walk_server.app
    page = walking.new_page(locale="ar")
    page.goto("/language/ar?next=/login")
    page.fill("#email", COORDINATOR_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto("/organizations/")
    page.click(f'a[href="/organizations/{entry_id}/edit"]')
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    looking.in_both_languages(page, "directory-edit")
    looking.on_phone(page, "directory-edit-ar")

    page.fill("#name_ar", "منيمونيك")
    page.fill("#email", "lina-at-mnemonic.example")
    page.check("#new_email_primary")
    page.locator("#remove_aliases input[type=checkbox]").first.check()
    page.click("main form button[type=submit].primary")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(said(app, "ar", "This is not a valid email address."))
    expect(page.locator("#name_ar")).to_have_value("منيمونيك")
    expect(page.locator("#email")).to_have_value("lina-at-mnemonic.example")
    expect(page.locator("#new_email_primary")).to_be_checked()
    looking.check(page, "directory-edit-error-ar")

    page.fill("#email", "lina@mnemonic.example")
    page.click("main form button[type=submit].primary")
    expect(page).to_have_url(re.compile(rf"/organizations/\?q=.*#organization-{entry_id}$"))
    expect(page.locator(".flash-success")).to_have_text(said(app, "ar", "The entry is saved."))
    expect(page.locator(".flash-info")).to_contain_text(
        said(
            app,
            "ar",
            "The name it replaced stays as another spelling, so searches and imports still find the entry; you can remove it on the entry's edit page.",
        )
    )
    row = page.locator(f"#organization-{entry_id}")
    expect(row).to_contain_text("منيمونيك")
    expect(row).to_contain_text("الأرشيف السوري")  # the former name, now another spelling
    expect(row).to_contain_text("lina@mnemonic.example")
    expect(row).not_to_contain_text("ارشيف سوريا")
    with app.app_context():
        entry = db.session.scalar(select(Organization).where(Organization.id == entry_id))
        assert entry.email == "lina@mnemonic.example"
        assert [e.email for e in entry.emails_primary_first()] == [
            "lina@mnemonic.example",
            "focal@archive.example",
            "old@archive.example",
        ]

    looking.assert_clean()
    # The browser reports the page's own refusal (the form with an error, 422); nothing else.
    unexpected = [p for p in walking.problems if "status of 422" not in p]
    assert unexpected == [], unexpected
