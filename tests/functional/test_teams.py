"""A team per letter: lists, inviting by email over real SMTP, roles, removal, administrators."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from letterhub.extensions import db
from letterhub.logs import mask_tokens
from letterhub.models import AuditEvent, LetterMember, LetterRole, LoginSession, User
from letterhub.models.types import utcnow
from letterhub.services import accounts, commenting, drafting, mailing, teams

from ..conftest import LETTER_TEXT, PASSWORD, AuthActions, csrf_token

NEW_PASSWORD = "a long new password"


def signed_in_as(app, email: str):
    browser = app.test_client()
    assert AuthActions(browser).login(email=email).status_code == 302
    return browser


def post(client, path: str, page: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **fields})


@pytest.fixture
def colleague(app):
    user = accounts.create_user("colleague@example.org", "Colleague", PASSWORD)
    db.session.commit()
    return user


def audit_actions(letter) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.letter_id == letter.id).order_by(AuditEvent.id)
        )
    )


def delivered_link(app, smtp_server) -> tuple[str, object]:
    """Deliver the outbox over real SMTP; the one message and the account link in it."""
    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    assert mailing.drain_outbox()["sent"] == 1
    (message,) = handler.messages
    text = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"http://localhost(/account/link/\S+)", text)
    return link, message


def test_a_coordinator_sees_only_the_letters_of_their_teams_and_an_administrator_all(app, letter, colleague):
    own = drafting.create_letter(colleague, dict(LETTER_TEXT, title_en="Colleague's own letter"))
    accounts.create_user("admin@example.org", "Admin", PASSWORD, is_admin=True)
    db.session.commit()
    listing = signed_in_as(app, "colleague@example.org").get("/letters/").get_data(as_text=True)
    assert "Colleague&#39;s own letter" in listing and f'/letters/{letter.id}"' not in listing
    everything = signed_in_as(app, "admin@example.org").get("/letters/").get_data(as_text=True)
    assert f'/letters/{letter.id}"' in everything and f'/letters/{own.id}"' in everything


def test_starting_a_letter_makes_its_coordinator_the_owner(app, signed_in, coordinator):
    fields = {"action": "save", **LETTER_TEXT}
    response = post(signed_in, "/letters/new", "/letters/new", **fields)
    assert response.status_code == 302
    (member,) = db.session.scalars(select(LetterMember)).all()
    assert (member.user_id, member.role) == (coordinator.id, LetterRole.OWNER)


def test_an_existing_account_is_added_at_once_without_an_email(app, signed_in, letter, colleague):
    members = f"/letters/{letter.id}/members"
    response = post(
        signed_in, members, members, email="Colleague@Example.org", role="reviewer", language="en"
    )
    assert response.status_code == 302
    assert teams.membership(letter, colleague).role == LetterRole.REVIEWER
    assert mailing.drain_outbox()["sent"] == 0
    assert signed_in_as(app, "colleague@example.org").get(f"/letters/{letter.id}").status_code == 200


def test_an_invited_member_sets_their_password_through_the_emailed_link_and_lands_on_the_letter(
    app, signed_in, letter, smtp_server
):
    members = f"/letters/{letter.id}/members"
    response = post(signed_in, members, members, email="new@example.org", role="editor", language="ar")
    assert response.status_code == 302
    link, message = delivered_link(app, smtp_server)
    assert message["To"] == "new@example.org"
    assert "رسالة مشتركة بشأن المعتقلين" in message["Subject"]

    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    short = newcomer.post(
        link,
        data={
            "csrf_token": csrf_token(newcomer, link),
            "name": "Rana",
            "new_password": "short",
            "repeat_password": "short",
        },
    )
    assert short.status_code == 422 and 'value="Rana"' in short.get_data(as_text=True)
    landed = newcomer.post(
        link,
        data={
            "csrf_token": csrf_token(newcomer, link),
            "name": "Rana",
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert landed.status_code == 302 and landed.headers["Location"] == f"/letters/{letter.id}"
    assert newcomer.get(f"/letters/{letter.id}").status_code == 200
    user = accounts.find_user_by_email("new@example.org")
    assert user.name == "Rana" and user.password_hash.startswith("$argon2id$")
    assert teams.membership(letter, user).role == LetterRole.EDITOR
    assert app.test_client().get(link).status_code == 410  # once only
    assert (
        AuthActions(app.test_client()).login(email="new@example.org", password=NEW_PASSWORD).status_code
        == 302
    )


def test_log_lines_mask_the_account_link(app, signed_in, letter, smtp_server):
    members = f"/letters/{letter.id}/members"
    post(signed_in, members, members, email="logged@example.org", role="editor", language="en")
    link, _message = delivered_link(app, smtp_server)
    token = link.rsplit("/", 1)[1]
    assert token not in mask_tokens(f'"GET {link} HTTP/1.1" 200') and "[token]" in mask_tokens(link)


def test_an_expired_or_altered_link_sets_nothing(app, signed_in, letter, smtp_server):
    members = f"/letters/{letter.id}/members"
    post(signed_in, members, members, email="late@example.org", role="editor", language="en")
    link, _message = delivered_link(app, smtp_server)
    assert app.test_client().get(link[:-3] + "xyz").status_code == 404
    app.config["ACCOUNT_LINK_MAX_AGE_HOURS"] = -1
    assert app.test_client().get(link).status_code == 410


def test_a_removed_member_loses_access_at_once(app, signed_in, letter, colleague):
    teams.add_member(letter, colleague, LetterRole.EDITOR, by=None)
    db.session.commit()
    browser = signed_in_as(app, "colleague@example.org")
    assert browser.get(f"/letters/{letter.id}").status_code == 200
    member = teams.membership(letter, colleague)
    members = f"/letters/{letter.id}/members"
    assert post(signed_in, f"{members}/{member.id}/remove", members).status_code == 302
    assert browser.get(f"/letters/{letter.id}").status_code == 404
    assert browser.get(f"/letters/{letter.id}/audit").status_code == 404
    assert f'/letters/{letter.id}"' not in browser.get("/letters/").get_data(as_text=True)


def test_a_withdrawn_invitation_s_link_changes_nothing(app, signed_in, letter, smtp_server):
    members = f"/letters/{letter.id}/members"
    post(signed_in, members, members, email="withdrawn@example.org", role="editor", language="en")
    link, _message = delivered_link(app, smtp_server)
    invited = accounts.find_user_by_email("withdrawn@example.org")
    placeholder = invited.password_hash
    member = teams.membership(letter, invited)
    assert "Withdraw the invitation" in signed_in.get(members).get_data(as_text=True)

    response = post(signed_in, f"{members}/{member.id}/remove", members)
    assert response.status_code == 302
    assert "withdrawn@example.org is withdrawn" in signed_in.get(members).get_data(as_text=True)
    assert teams.membership(letter, invited) is None
    assert audit_actions(letter)[-1] == "member.invitation_withdrawn"

    stranger = app.test_client()
    page = stranger.get(link)
    assert page.status_code == 410 and "This invitation was withdrawn" in page.get_data(as_text=True)
    fields = {"name": "Too Late", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    token = csrf_token(stranger, "/login")  # the link's page has no form any more; any token of the session
    assert stranger.post(link, data={"csrf_token": token, **fields}).status_code == 410
    db.session.expire_all()
    invited = accounts.find_user_by_email("withdrawn@example.org")
    assert (invited.name, invited.password_hash) == ("withdrawn@example.org", placeholder)
    assert db.session.scalars(select(LoginSession).where(LoginSession.user_id == invited.id)).all() == []
    assert stranger.get(f"/letters/{letter.id}").status_code == 302  # not signed in


def test_withdrawing_one_letter_s_invitation_leaves_another_letter_s_link_working(
    app, signed_in, letter, coordinator, smtp_server
):
    other = drafting.create_letter(coordinator, dict(LETTER_TEXT, title_en="Another letter"))
    db.session.commit()
    first, second = f"/letters/{letter.id}/members", f"/letters/{other.id}/members"
    post(signed_in, first, first, email="twice@example.org", role="editor", language="en")
    post(signed_in, second, second, email="twice@example.org", role="reviewer", language="en")
    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    assert mailing.drain_outbox()["sent"] == 2
    newest = handler.messages[-1].get_body(("plain",)).get_content()
    (link,) = re.findall(r"http://localhost(/account/link/\S+)", newest)
    invited = accounts.find_user_by_email("twice@example.org")
    post(signed_in, f"{first}/{teams.membership(letter, invited).id}/remove", first)

    newcomer = app.test_client()
    fields = {"name": "Twice", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    landed = newcomer.post(link, data={"csrf_token": csrf_token(newcomer, link), **fields})
    assert landed.status_code == 302 and landed.headers["Location"] == f"/letters/{other.id}"
    assert newcomer.get(f"/letters/{letter.id}").status_code == 404


def test_a_letter_keeps_at_least_one_owner(app, signed_in, letter, coordinator, colleague):
    members = f"/letters/{letter.id}/members"
    own = teams.membership(letter, coordinator)
    page = post(signed_in, f"{members}/{own.id}/role", members, role="editor").headers["Location"]
    assert "at least one owner" in signed_in.get(page).get_data(as_text=True)
    post(signed_in, f"{members}/{own.id}/remove", members)
    assert teams.membership(letter, coordinator).role == LetterRole.OWNER
    teams.add_member(letter, colleague, LetterRole.OWNER, by=None)
    db.session.commit()
    assert post(signed_in, f"{members}/{own.id}/role", members, role="reviewer").status_code == 302
    assert teams.membership(letter, coordinator).role == LetterRole.REVIEWER
    assert signed_in.get(members).status_code == 403  # a reviewer now


def test_an_administrator_creates_an_account_that_sets_its_password_by_link(app, smtp_server):
    accounts.create_user("admin@example.org", "Admin", PASSWORD, is_admin=True)
    db.session.commit()
    admin = signed_in_as(app, "admin@example.org")
    response = post(
        admin, "/admin/accounts", "/admin/accounts", email="fresh@example.org", name="Fresh", locale="ar"
    )
    assert response.status_code == 302
    link, message = delivered_link(app, smtp_server)
    assert message["To"] == "fresh@example.org" and "كلمة" in message["Subject"]
    fresh = app.test_client()
    fields = {"name": "Fresh", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    landed = fresh.post(link, data={"csrf_token": csrf_token(fresh, link), **fields})
    assert landed.status_code == 302 and landed.headers["Location"] == "/letters/"
    assert not accounts.find_user_by_email("fresh@example.org").is_admin


def test_deactivating_an_account_ends_its_sessions_and_a_reset_link_replaces_the_password(
    app, coordinator, colleague, smtp_server
):
    accounts.create_user("admin@example.org", "Admin", PASSWORD, is_admin=True)
    db.session.commit()
    admin = signed_in_as(app, "admin@example.org")
    browser = signed_in_as(app, "colleague@example.org")
    assert post(admin, f"/admin/accounts/{colleague.id}/reset", "/admin/accounts").status_code == 302
    link, _message = delivered_link(app, smtp_server)
    assert browser.get("/letters/").status_code == 200  # a reset link alone ends nothing
    post(admin, f"/admin/accounts/{colleague.id}/deactivate", "/admin/accounts")
    assert browser.get("/letters/").status_code == 302
    assert all(
        s.revoked_at
        for s in db.session.scalars(select(LoginSession).where(LoginSession.user_id == colleague.id))
    )
    assert app.test_client().get(link).status_code == 404  # a deactivated account's link opens nothing
    post(admin, f"/admin/accounts/{colleague.id}/activate", "/admin/accounts")
    reset = app.test_client()
    fields = {"name": "Colleague", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert reset.post(link, data={"csrf_token": csrf_token(reset, link), **fields}).status_code == 302
    assert (
        AuthActions(app.test_client()).login(email="colleague@example.org").status_code == 422
    )  # old password
    assert (
        AuthActions(app.test_client()).login(email="colleague@example.org", password=NEW_PASSWORD).status_code
        == 302
    )


def test_users_create_makes_a_coordinator_and_with_admin_an_administrator(app, runner):
    env = {"LETTERHUB_NEW_PASSWORD": PASSWORD}
    result = runner.invoke(args=["users", "create", "--email", "a@example.org", "--admin"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "c@example.org"], env=env)
    assert result.exit_code == 0, result.output
    admin, coordinator = (
        db.session.scalar(select(User).where(User.email == e)) for e in ("a@example.org", "c@example.org")
    )
    assert admin.is_admin and not coordinator.is_admin
    assert runner.invoke(args=["users", "admin", "--email", "c@example.org"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(User, coordinator.id).is_admin


def test_a_removed_member_gets_no_more_comment_digests(app, letter, coordinator, colleague):
    member = teams.add_member(letter, colleague, LetterRole.REVIEWER, by=coordinator)
    key = commenting.paragraphs(letter.current_revision, "en")[0].key
    thread = commenting.start_thread(letter, key, "A remark", colleague)
    commenting.reply(thread, "An answer", coordinator)
    teams.remove(member, by=coordinator)
    db.session.commit()
    later = utcnow() + timedelta(minutes=app.config["COMMENT_DIGEST_MINUTES"], seconds=1)
    assert commenting.send_comment_digests(now=later) == {"comment_digests": 0}
