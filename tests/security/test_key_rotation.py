"""Rotating SECRET_KEY: what the old key signed keeps working while it is a fallback, and only then.

The same database is served by three configurations in turn: the old key alone, the new key
with the old one in SECRET_KEY_FALLBACKS, and the new key alone.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from letterhub import config as config_module
from letterhub import create_app
from letterhub.extensions import db
from letterhub.models import Letter, Signature, User
from letterhub.services import inviting

from ..conftest import PASSWORD, csrf_token, make_app

OLD_KEY = "old-key-0123456789abcdef0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210fedcba9876543210"


@pytest.fixture
def app_config():
    return {"SECRET_KEY": OLD_KEY}


@pytest.fixture
def served_with(database, tmp_path):
    """``served_with(key, fallbacks)``: the same database served by an app with these keys."""

    @contextmanager
    def serve(secret_key: str, fallbacks: list[str] | str):
        other = make_app(database, tmp_path, SECRET_KEY=secret_key, SECRET_KEY_FALLBACKS=fallbacks)
        try:
            yield other
        finally:
            with other.app_context():
                db.engine.dispose()

    return serve


def with_cookies(app, cookies: dict[str, str]):
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def path_of(link: str) -> str:
    return link.removeprefix("http://localhost")


def test_a_session_signed_with_the_old_key_works_while_the_key_is_a_fallback(app, signed_in, served_with):
    cookies = {"session": signed_in.get_cookie("session").value}
    assert signed_in.get("/letters/").status_code == 200

    with served_with(NEW_KEY, [OLD_KEY]) as rotating:
        assert with_cookies(rotating, cookies).get("/letters/").status_code == 200
    with served_with(NEW_KEY, []) as rotated:
        assert with_cookies(rotated, cookies).get("/letters/").status_code == 302


def test_an_invitation_link_signed_with_the_old_key_works_while_the_key_is_a_fallback(invite, served_with):
    _invitation, link = invite()
    with served_with(NEW_KEY, [OLD_KEY]) as rotating:
        assert rotating.test_client().get(path_of(link)).status_code == 200
    with served_with(NEW_KEY, []) as rotated:
        assert rotated.test_client().get(path_of(link)).status_code == 404


def test_a_signing_page_opened_before_the_rotation_can_still_be_sent(client, letter, invite, served_with):
    """Session cookie and CSRF token both signed with the old key; the answer is recorded."""
    _invitation, link = invite()
    path = path_of(link)
    data = {
        "csrf_token": csrf_token(client, path),
        "revision_id": letter.current_revision.id,
        "name_en": "Syrian Archive",
        "name_ar": "الأرشيف السوري",
        "signer_name": "Hadi",
        "signer_role": "Director",
        "consent": "y",
        "confirm": "1",
    }
    cookies = {"session": client.get_cookie("session").value}
    with served_with(NEW_KEY, [OLD_KEY]) as rotating:
        response = with_cookies(rotating, cookies).post(path, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_what_the_new_key_signs_needs_no_fallback_and_is_refused_by_the_old_key(
    app, coordinator, letter, served_with
):
    letter_id, coordinator_id = letter.id, coordinator.id
    with served_with(NEW_KEY, [OLD_KEY]) as rotating:
        with rotating.app_context():
            author = db.session.get(User, coordinator_id)
            invitation = inviting.add_organization(
                db.session.get(Letter, letter_id),
                name_en="Org",
                name_ar="منظمة",
                email="org@example.org",
                language="en",
                by=author,
            )
            link = inviting.send_invitation(invitation, by=author)
            db.session.commit()
            db.session.remove()
        client = rotating.test_client()
        client.post(
            "/login",
            data={
                "email": coordinator.email,
                "password": PASSWORD,
                "csrf_token": csrf_token(client, "/login"),
            },
        )
        cookies = {"session": client.get_cookie("session").value}
    with served_with(NEW_KEY, []) as rotated:
        assert rotated.test_client().get(path_of(link)).status_code == 200
        assert with_cookies(rotated, cookies).get("/letters/").status_code == 200
    assert app.test_client().get(path_of(link)).status_code == 404
    assert with_cookies(app, cookies).get("/letters/").status_code == 302


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ("key-one", ["key-one"]),
        ("key-one, key-two", ["key-one", "key-two"]),
        ('["key-one", "key-two"]', ["key-one", "key-two"]),
        ("", []),
    ],
)
def test_fallback_keys_are_read_from_the_environment_as_a_list(raw, keys, tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", NEW_KEY)
    monkeypatch.setenv("LETTERHUB_SECRET_KEY_FALLBACKS", raw)
    app = create_app()
    assert app.config["SECRET_KEY_FALLBACKS"] == keys
    assert config_module.key_list(raw) == keys


def test_the_readme_documents_the_setting():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^\| `SECRET_KEY_FALLBACKS` \|", readme, re.MULTILINE)
