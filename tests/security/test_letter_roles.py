"""Each role on a letter's team may do exactly what it may, on every route of the letter.

The walk covers the URL map: every route that takes a ``letter_id`` must be listed in
``NEEDS`` with the action it performs (a new route fails here until it is), and for each role a
route answers 403 with the role's message exactly when that role may not do the action, and
never 404 or a server error. An administrator on no team may do everything.
"""

from __future__ import annotations

import pytest

from letterhub.extensions import db
from letterhub.models import Letter, LetterRole
from letterhub.services import accounts, teams
from letterhub.services.permissions import ALLOWED

from ..conftest import PASSWORD, AuthActions, csrf_token
from .test_every_route import PUBLIC_ENDPOINTS

# What each route of a letter does, in services.permissions' words.
NEEDS = {
    "letters.show": "view",
    "letters.edit": "edit",
    "letters.add_organization": "invite",
    "letters.send_invitations": "invite",
    "letters.resend_invitation": "invite",
    "letters.revoke_invitation": "invite",
    "letters.toggle_reminders": "invite",
    "letters.act_on_selection": "invite",
    "letters.documents_status": "view",
    "letters.evidence_json": "view",
    "letters.evidence_pdf": "view",
    "letters.close": "close",
    "letters.reopen": "close",
    "letters.final_pdf": "view",
    "letters.signatories_csv": "view",
    "letters.retry_documents": "close",
    "letters.list_options": "edit",
    "imports.pairs": "view",
    "imports.pair": "edit",
    "imports.resolve_duplicate": "edit",
    "audit.letter_trail": "view",
    "comments.discussion": "view",
    "comments.start_thread": "comment",
    "comments.reply": "comment",
    "comments.resolve": "comment",
    "comments.reopen": "comment",
    "teams.members": "members",
    "teams.add_member": "members",
    "teams.change_role": "members",
    "teams.remove_member": "members",
    "revisions.index": "view",
    "revisions.show": "view",
    "revisions.compare": "view",
    "revisions.restore": "edit",
    "revisions.parity_warnings": "view",
    "revisions.acknowledge": "edit",
    "revisions.start_from": "view",
    "bulk_invite.upload": "invite",
    "bulk_invite.preview": "invite",
    "bulk_invite.confirm": "invite",
    "proposals.queue": "view",
    "proposals.approve": "invite",
    "proposals.reject": "invite",
    "proposals.open_signon": "edit",
}
ROLES = ["owner", "editor", "reviewer", "admin"]
MEMBER = "member@example.org"


def letter_routes(routes):
    """The coordinators' routes of a letter (a letter's public sign-on page is no team's)."""
    return [
        route
        for route in routes
        if "letter_id" in route.rule.arguments and route.rule.endpoint not in PUBLIC_ENDPOINTS
    ]


def test_every_route_of_a_letter_says_what_it_needs(routes):
    assert {route.rule.endpoint for route in letter_routes(routes)} == set(NEEDS)


@pytest.fixture(params=ROLES)
def member(request, app, real_values):
    """A client signed in as someone with the role on both letters (or an administrator on none)."""
    user = accounts.create_user(MEMBER, "Member", PASSWORD, is_admin=request.param == "admin")
    if request.param != "admin":
        for letter_id in (real_values["letter_id"], real_values["imported_letter_id"]):
            letter = db.session.get(Letter, letter_id)
            teams.add_member(letter, user, LetterRole(request.param), by=None)
    db.session.commit()
    browser = app.test_client()
    assert AuthActions(browser).login(email=MEMBER).status_code == 302
    return request.param, browser


def may(role: str, needs: str) -> bool:
    return role == "admin" or needs in ALLOWED[LetterRole(role)]


def test_each_role_is_refused_exactly_what_it_may_not_do(member, routes, form_fields):
    role, browser = member
    token = csrf_token(browser, "/letters/new")
    wrong, refused = {}, set()
    for route in letter_routes(routes):
        needs = NEEDS[route.rule.endpoint]
        for method in sorted(route.methods):
            data = {**form_fields, "csrf_token": token} if method == "POST" else None
            response = browser.open(route.path(), method=method, data=data)
            page = response.get_data(as_text=True)
            if may(role, needs):
                if response.status_code in (403, 404) or response.status_code >= 500:
                    wrong[f"{method} {route.path()}"] = f"{response.status_code}, {needs} allowed"
            elif response.status_code != 403 or "Only the letter" not in page:
                wrong[f"{method} {route.path()}"] = f"{response.status_code}, {needs} refused"
            else:
                refused.add(needs)
    assert wrong == {}
    expected = {"owner": set(), "admin": set(), "editor": {"close", "members"}}
    assert refused == expected.get(role, {"edit", "invite", "close", "members"})


def test_a_refused_member_is_told_why_in_their_language(member, letter):
    role, browser = member
    if role != "reviewer":
        pytest.skip("the reviewer is the one refused editing")
    browser.post("/language/ar", data={"csrf_token": csrf_token(browser, "/letters/"), "next": "/letters/"})
    response = browser.get(f"/letters/{letter.id}/edit")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'lang="ar"' in page and "Only the letter" not in page
    assert "لا يحق تعديل الرسالة إلا لمالكيها ومحرريها." in page
