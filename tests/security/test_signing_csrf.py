"""A signing page sent with a stale CSRF token comes back, not as a 400.

Focal points have no account: their CSRF token lives in a session cookie that can expire or
be lost (a browser restart, a key rotation) while they read a long letter. The form then comes
back in the page's language with a fresh token and everything they typed, and nothing is
written; sending it again records the answer.
"""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import AuditEvent, InvitationState, Signature

from ..conftest import csrf_token

STALE_FORM = (
    "This form expired or was sent from elsewhere. Nothing was saved: check what you typed and send it again."
)

TYPED = {
    "name_en": "Syrian Archive (Berlin office)",
    "name_ar": "الأرشيف السوري – مكتب برلين",
    "signer_name": "Hadi Al-Khatib",
    "signer_role": "Founder & director",
}
DECLINE_REASON = "Our board has not met yet; we will write to you <soon>."


def path_of(link: str) -> str:
    return link.removeprefix("http://localhost")


def page_token(page: str) -> str:
    match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF token in the form"
    return match.group(1)


def stale_token(kind: str, app, client, path: str) -> str | None:
    """A token as a browser would send it after its session expired, or a forged or missing one."""
    if kind == "missing":
        return None
    if kind == "forged":
        return "IjAwMDAi.forged.token"
    if kind == "from another browser":
        return csrf_token(app.test_client(), path)
    token = csrf_token(client, path)
    if kind == "session cookie expired":
        client.delete_cookie("session")
    return token


STALE_KINDS = ["missing", "forged", "from another browser", "session cookie expired"]


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Signature)),
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("signature%"))
        ),
    )


@pytest.mark.parametrize("kind", STALE_KINDS)
@pytest.mark.parametrize("decision", ["confirm", "decline"])
def test_a_stale_token_brings_the_form_back_filled_in_with_a_fresh_token(
    app, client, letter, invite, kind, decision
):
    invitation, link = invite(language="ar")
    path = path_of(link)
    token = stale_token(kind, app, client, path)
    data = {"revision_id": letter.current_revision.id, **TYPED}
    if decision == "confirm":
        data.update(consent="y", confirm="1")
    else:
        data.update(decline_reason=DECLINE_REASON, decline="1")
    if token is not None:
        data["csrf_token"] = token
    before = counts()

    response = client.post(path, data=data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    with force_locale("ar"):
        message = gettext(STALE_FORM)
    assert message != STALE_FORM and html.escape(message) in page
    for name, value in TYPED.items():
        assert f'name="{name}" type="text" value="{html.escape(value)}"' in page, name
    if decision == "confirm":
        assert re.search(r'<input checked id="consent" name="consent" type="checkbox"', page)
    else:
        assert html.escape(DECLINE_REASON) in page
        assert '<details class="decline" open>' in page
    assert counts() == before
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.PENDING

    fresh = page_token(page)
    assert fresh != token
    again = client.post(path, data={**data, "csrf_token": fresh})

    assert again.status_code == 200
    signature = db.session.scalars(select(Signature)).one()
    assert signature.signer_name == TYPED["signer_name"]
    assert signature.decision.value == ("confirmed" if decision == "confirm" else "declined")


def test_the_opened_beacon_with_a_stale_token_is_refused_and_writes_nothing(client, letter, invite):
    invitation, link = invite()
    path = path_of(link)
    client.get(path)
    response = client.post(path + "/opened", headers={"X-CSRFToken": "stale"})
    assert response.status_code == 400
    db.session.refresh(invitation)
    assert invitation.state == InvitationState.PENDING
