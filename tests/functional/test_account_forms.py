"""The account page's password form and the emailed account link's form, sent back with errors."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from letterhub.extensions import db
from letterhub.services import account_links

from ..conftest import csrf_token


def summary_targets(page: str) -> list[str]:
    """The fields the error summary links to, in the order it lists them."""
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def test_the_account_link_summary_lists_the_name_then_the_new_password(app, coordinator):
    link = urlsplit(account_links.issue(coordinator, "reset")).path
    db.session.commit()
    browser = app.test_client()
    response = browser.post(
        link,
        data={
            "csrf_token": csrf_token(browser, link),
            "name": "",
            "new_password": "short",
            "repeat_password": "different",
        },
    )
    assert response.status_code == 422
    assert summary_targets(response.get_data(as_text=True)) == ["name", "new_password", "repeat_password"]


def test_the_password_form_summary_lists_the_current_password_first(signed_in):
    response = signed_in.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(signed_in, "/account"),
            "current_password": "",
            "new_password": "short",
            "repeat_password": "different",
        },
    )
    assert response.status_code == 422
    assert summary_targets(response.get_data(as_text=True)) == [
        "current_password",
        "new_password",
        "repeat_password",
    ]
