"""Sign-out, a new password and deactivation end a coordinator's sessions everywhere, at once.

Each test copies the cookies a browser held (as an attacker with a copy would) and replays
them from another client after the session was ended.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from letterhub import worker
from letterhub.extensions import db
from letterhub.models import LoginSession, SessionEnd, User
from letterhub.models.types import utcnow
from letterhub.services import accounts

from ..conftest import PASSWORD, csrf_token

# The cookies a signed-in browser holds: Flask's session and Flask-Login's remember cookie.
AUTH_COOKIES = ("session", "remember_token")


def sign_in(client, *, remember=False, user_agent="Browser A", password=PASSWORD, **environ):
    data = {
        "email": "coordinator@example.org",
        "password": password,
        "csrf_token": csrf_token(client, "/login"),
    }
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, headers={"User-Agent": user_agent}, **environ)


def copied_cookies(client) -> dict[str, str]:
    copies = {}
    for name in AUTH_COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            copies[name] = cookie.value
    return copies


def replay(app, cookies: dict[str, str]):
    """A fresh client holding only ``cookies`` (copied from another browser)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def opens_the_letters(client) -> bool:
    response = client.get("/letters/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def post_action(client, path, form_page="/account"):
    return client.post(path, data={"csrf_token": csrf_token(client, form_page)})


def sessions_of(user) -> list[LoginSession]:
    return db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remembered"])
def test_cookies_copied_before_sign_out_no_longer_open_the_letters(app, client, coordinator, remember):
    assert sign_in(client, remember=remember).status_code == 302
    copy = copied_cookies(client)
    assert opens_the_letters(replay(app, copy))

    post_action(client, "/logout", form_page="/letters/")

    assert not opens_the_letters(client)
    assert not opens_the_letters(replay(app, copy))
    (login_session,) = sessions_of(coordinator)
    assert login_session.revoked_reason == SessionEnd.SIGNED_OUT
    assert login_session.revoked_at is not None


def set_cookie_headers(response, name) -> list[str]:
    return [header for header in response.headers.getlist("Set-Cookie") if header.startswith(name + "=")]


def cookie_lifetime(header: str) -> timedelta:
    expires = next(part for part in header.split("; ") if part.lower().startswith("expires="))
    return parsedate_to_datetime(expires.split("=", 1)[1]) - datetime.now(UTC)


def test_a_remembered_sign_in_is_one_lax_httponly_cookie_that_lasts_thirty_days(client, coordinator):
    response = sign_in(client, remember=True)
    assert response.status_code == 302
    assert set_cookie_headers(response, "remember_token") == []  # no second, year-long cookie
    (header,) = set_cookie_headers(response, "session")
    assert "SameSite=Lax" in header
    assert "HttpOnly" in header
    assert "Secure" not in header  # BASE_URL is http here
    assert timedelta(days=29) < cookie_lifetime(header) <= timedelta(days=30)
    (login_session,) = sessions_of(coordinator)
    assert login_session.remember
    assert timedelta(days=29) < login_session.expires_at - utcnow() <= timedelta(days=30)


def test_a_sign_in_without_remember_me_ends_with_the_browser_and_after_sign_in_hours(client, coordinator):
    (header,) = set_cookie_headers(sign_in(client), "session")
    assert "Expires=" not in header
    (login_session,) = sessions_of(coordinator)
    assert timedelta(hours=11) < login_session.expires_at - utcnow() <= timedelta(hours=12)


@pytest.mark.parametrize("app_config", [{"REMEMBER_ME_DAYS": 7}])
def test_remember_me_lasts_the_configured_number_of_days(client, coordinator):
    (header,) = set_cookie_headers(sign_in(client, remember=True), "session")
    assert timedelta(days=6) < cookie_lifetime(header) <= timedelta(days=7)


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://localhost"}])  # the test client's host
def test_session_cookies_are_secure_when_the_site_is_served_over_https(client, coordinator):
    client.environ_base["wsgi.url_scheme"] = "https"
    response = sign_in(client, remember=True)
    assert response.status_code == 302
    for header in response.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "SameSite=Lax" in header and "HttpOnly" in header, header


def test_the_cookie_names_a_random_token_whose_hash_alone_is_stored(app, client, coordinator):
    sign_in(client)
    cookie = client.get_cookie("session").value
    session_data = app.session_interface.get_signing_serializer(app).loads(cookie)
    token = session_data["_user_id"]
    assert token != str(coordinator.id) and len(token) >= 40
    (login_session,) = sessions_of(coordinator)
    assert login_session.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(db.session.execute(select(LoginSession.__table__)).all())


def test_sign_out_of_all_devices_ends_every_session_of_the_account(app, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user_agent="Laptop")
    sign_in(phone, remember=True, user_agent="Phone")
    phone_copy = copied_cookies(phone)

    response = post_action(laptop, "/account/sessions/end-all")

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for client in (laptop, phone, replay(app, phone_copy)):
        assert not opens_the_letters(client)
    assert {s.revoked_reason for s in sessions_of(coordinator)} == {SessionEnd.ALL_DEVICES}


def test_the_account_page_lists_the_devices_and_signs_out_another_one(app, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user_agent="Laptop browser")
    sign_in(phone, user_agent="Phone browser")
    page = laptop.get("/account").get_data(as_text=True)
    assert "Laptop browser" in page and "Phone browser" in page
    phone_session = next(s for s in sessions_of(coordinator) if s.user_agent == "Phone browser")

    post_action(laptop, f"/account/sessions/{phone_session.id}/end")

    assert not opens_the_letters(phone)
    assert opens_the_letters(laptop)
    assert "Phone browser" not in laptop.get("/account").get_data(as_text=True)
    db.session.refresh(phone_session)
    assert phone_session.revoked_reason == SessionEnd.ENDED_ELSEWHERE


def test_another_accounts_session_cannot_be_ended_from_this_one(app, coordinator):
    accounts.create_user("other@example.org", "Other", PASSWORD)
    db.session.commit()
    other = app.test_client()
    other.post(
        "/login",
        data={"email": "other@example.org", "password": PASSWORD, "csrf_token": csrf_token(other, "/login")},
    )
    mine = app.test_client()
    sign_in(mine)
    (their_session,) = [s for s in db.session.scalars(select(LoginSession)) if s.user_id != coordinator.id]

    assert post_action(mine, f"/account/sessions/{their_session.id}/end").status_code == 404
    assert opens_the_letters(other)


def test_a_new_password_from_the_account_page_signs_out_every_other_device(app, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone, remember=True)
    phone_copy = copied_cookies(phone)
    new_password = "a much newer passphrase"

    response = laptop.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(laptop, "/account"),
            "current_password": PASSWORD,
            "new_password": new_password,
            "repeat_password": new_password,
        },
    )

    assert response.status_code == 302
    assert opens_the_letters(laptop)
    assert not opens_the_letters(phone)
    assert not opens_the_letters(replay(app, phone_copy))
    assert accounts.authenticate(coordinator.email, PASSWORD) is None
    assert accounts.authenticate(coordinator.email, new_password) is not None


def test_a_wrong_current_password_changes_nothing(app, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    response = laptop.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(laptop, "/account"),
            "current_password": "not the password",
            "new_password": "a much newer passphrase",
            "repeat_password": "a much newer passphrase",
        },
    )
    assert response.status_code == 422
    assert opens_the_letters(phone)
    assert accounts.authenticate(coordinator.email, PASSWORD) is not None


@pytest.mark.parametrize(
    "command",
    [
        ["users", "password", "--email", "coordinator@example.org", "--password", "another long password"],
        ["users", "deactivate", "--email", "coordinator@example.org"],
        ["users", "sign-out", "--email", "coordinator@example.org"],
    ],
    ids=["password", "deactivate", "sign-out"],
)
def test_the_cli_ends_every_session_of_the_account(app, runner, coordinator, command):
    browser = app.test_client()
    sign_in(browser, remember=True)
    copy = copied_cookies(browser)

    result = runner.invoke(args=command)

    assert result.exit_code == 0, result.output
    assert "1 session(s)" in result.output
    assert not opens_the_letters(browser)
    assert not opens_the_letters(replay(app, copy))


def test_deactivating_an_account_ends_its_sessions_and_refuses_its_sign_in(app, client, coordinator):
    sign_in(client)
    accounts.deactivate(db.session.get(User, coordinator.id))
    db.session.commit()
    assert not opens_the_letters(client)
    assert sign_in(app.test_client()).status_code == 422


def test_a_login_session_past_its_expiry_is_refused(client, coordinator):
    sign_in(client)
    (login_session,) = sessions_of(coordinator)
    login_session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not opens_the_letters(client)


def test_last_seen_moves_forward_on_use_at_most_every_few_minutes(client, coordinator):
    sign_in(client)
    (login_session,) = sessions_of(coordinator)
    long_ago = utcnow() - timedelta(hours=1)
    login_session.last_seen_at = long_ago
    db.session.commit()
    client.get("/letters/")
    db.session.refresh(login_session)
    first = login_session.last_seen_at
    assert first > long_ago + timedelta(minutes=59)
    client.get("/letters/")
    db.session.refresh(login_session)
    assert login_session.last_seen_at == first


def old_and_recent_sessions(app, user) -> dict[str, int]:
    """Sessions of ``user`` that ended or expired just over and just under SESSION_HISTORY_DAYS ago."""
    now = utcnow()
    history = timedelta(days=app.config["SESSION_HISTORY_DAYS"])
    rows = {
        "ended long ago": {
            "revoked_at": now - history - timedelta(hours=1),
            "expires_at": now + timedelta(days=1),
        },
        "expired long ago": {"expires_at": now - history - timedelta(hours=1)},
        "ended lately": {
            "revoked_at": now - history + timedelta(hours=1),
            "expires_at": now + timedelta(days=1),
        },
        "expired lately": {"expires_at": now - history + timedelta(hours=1)},
    }
    sessions = {}
    for name, times in rows.items():
        row = LoginSession(token_hash=hashlib.sha256(name.encode()).hexdigest(), user_id=user.id, **times)
        db.session.add(row)
        db.session.flush()
        sessions[name] = row.id
    db.session.commit()
    return sessions


def test_the_worker_deletes_sessions_that_ended_or_expired_over_the_history_ago(app, client, coordinator):
    sign_in(client)
    (working,) = sessions_of(coordinator)
    sessions = old_and_recent_sessions(app, coordinator)
    assert worker.run_once((worker.Job.MAIL,))["sessions_pruned"] == 2
    db.session.expire_all()
    kept = {row.id for row in sessions_of(coordinator)}
    assert kept == {working.id, sessions["ended lately"], sessions["expired lately"]}
    assert opens_the_letters(client)


def test_users_prune_sessions_deletes_the_same_rows_and_says_how_many(app, runner, coordinator):
    sessions = old_and_recent_sessions(app, coordinator)
    result = runner.invoke(args=["users", "prune-sessions"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 login session(s)")
    db.session.expire_all()
    assert {row.id for row in sessions_of(coordinator)} == {
        sessions["ended lately"],
        sessions["expired lately"],
    }


def test_a_session_from_before_the_change_naming_the_account_id_is_refused(app, client, coordinator):
    """Cookies written by the old code carried the account's id; after the upgrade they open nothing."""
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(coordinator.id)
        flask_session["_fresh"] = True
    assert not opens_the_letters(client)
