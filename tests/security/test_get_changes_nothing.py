"""No GET changes stored data, anywhere: mail scanners, prefetchers and cross-site links issue GETs.

The walk below requests every GET route of the URL map with real arguments (letters in each
state, a live signing link, a verification code, a mailbox message), signed out and signed in,
and compares every table of the database, row by row, before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from letterhub.extensions import db
from letterhub.models import Invitation, InvitationState, LetterRole, User
from letterhub.services import account_links, drafting, inviting, mailing, publishing, teams
from letterhub.services.imports import storage

from ..conftest import answer, csrf_token, database_fingerprint, database_tables


@pytest.fixture
def app_config():
    return {"MAIL_TRANSPORT": "mailbox"}  # the development mailbox's routes are part of the walk


@pytest.fixture
def world(app, coordinator, letter, invite, seed_text):
    """Arguments for every route: an open letter with a pending link, a closed one with its
    final documents and code, an imported one, a mailbox message, a static file."""
    pending, pending_link = invite()
    closed = drafting.create_letter(coordinator, dict(letter.current_revision.content()), coalition="Other")
    db.session.commit()
    signer = inviting.add_organization(
        closed, name_en="Karama", name_ar="كرامة", email="k@example.org", language="en", by=coordinator
    )
    closed_link = inviting.send_invitation(signer, by=coordinator)
    db.session.commit()
    answer(signer, closed)
    publishing.close_signing(closed, by=coordinator)
    db.session.commit()
    assert publishing.render_queued_documents()["rendered"] == 3
    imported = storage.import_letter([seed_text(0), seed_text(1)], author=coordinator).letter_id
    member, _emailed = teams.invite(
        letter, "new.member@example.org", LetterRole.EDITOR, language="en", by=coordinator
    )
    join_link = account_links.issue(member.user, "join", letter_id=letter.id)
    db.session.commit()
    assert mailing.drain_outbox()["sent"] >= 2
    db.session.commit()
    message_id = Path(sorted(Path(app.config["MAILBOX_DIR"]).glob("*.eml"))[0]).stem
    db.session.refresh(closed)
    return {
        "letters": [letter.id, closed.id, imported],
        "invitation_id": pending.id,
        "tokens": [pending_link.rsplit("/", 1)[1], closed_link.rsplit("/", 1)[1]],
        "code": closed.verification_code,
        "message_id": message_id,
        "link_token": join_link.rsplit("/", 1)[1],
        "organizations": [pending.organization_id, signer.organization_id],
    }


def every_get(app, world) -> list[str]:
    """One URL per GET route and argument set, plus the query strings the pages use."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        choices = {
            "letter_id": world["letters"],
            "invitation_id": [world["invitation_id"]],
            "token": world["tokens"],
            "code": [world["code"], "ar", "en"],
            "message_id": [world["message_id"]],
            "filename": ["app.css", "signing.js"],
            "number": [1],
            "purpose": ["join", "reset"],
            "link_token": [world["link_token"]],
            "organization_id": world["organizations"],
        }
        arguments = [{}]
        for name in rule.arguments:
            assert name in choices, f"no value for {name} in {rule.rule}: add one to the walk"
            arguments = [{**done, name: value} for done in arguments for value in choices[name]]
        urls += [adapter.build(rule.endpoint, values) for values in arguments]
    closed_id = world["letters"][1]
    urls += [
        f"/verify/?code={world['code']}",
        f"/letters/{closed_id}/final.pdf?languages=ar",
        f"/letters/{closed_id}/final.pdf?languages=en",
        f"/sign/{world['tokens'][0]}?lang=en",
        "/letters/?lang=ar",
        "/language/ar?next=/letters/",
        f"/letters/{world['letters'][0]}/revisions/compare?old=1&new=1",
    ]
    return urls


def status_of(client, url: str) -> int:
    with client.get(url) as response:  # closes a streamed static file
        return response.status_code


def test_no_get_route_changes_the_database(app, client, world):
    urls = every_get(app, world)
    assert len(urls) >= 25
    tables = database_tables()  # reflected once for the walk (reflecting is most of a fingerprint)
    assert {"letters", "invitations", "signatures", "users", "outbox_messages"} <= {t.name for t in tables}
    before = database_fingerprint(tables)
    answered = {}
    for url in urls:  # first without a session, then signed in as a coordinator
        answered[url] = status_of(client, url)
    client.post(
        "/login",
        data={
            "email": "coordinator@example.org",
            "password": "correct horse battery",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    before_signed_in = database_fingerprint(tables)  # signing in writes its audit event
    for url in urls:
        answered[url] = status_of(client, url)
        assert database_fingerprint(tables) == before_signed_in, f"GET {url} changed the database"
    assert [table.name for table in database_tables()] == [table.name for table in tables]
    assert before.keys() == before_signed_in.keys()
    assert all(status < 500 for status in answered.values()), answered
    # The walk reached the real pages, not only refusals.
    assert answered[f"/verify/{world['code']}"] == 200
    assert answered[f"/sign/{world['tokens'][0]}"] == 200
    assert answered[f"/letters/{world['letters'][1]}/final.pdf?languages=ar"] == 200
    assert (
        db.session.get(Invitation, world["invitation_id"]).state == InvitationState.PENDING
    )  # "opened" is recorded by the page's POST only


def test_language_switch_by_get_changes_only_the_session(signed_in, coordinator):
    page = signed_in.get("/language/ar?next=/letters/", follow_redirects=True)
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)
    assert db.session.get(User, coordinator.id).locale == "en"


def test_language_switch_form_stores_the_accounts_language(signed_in, coordinator):
    token = csrf_token(signed_in, "/letters/")
    response = signed_in.post("/language/ar", data={"csrf_token": token, "next": "/letters/"})
    assert response.status_code == 302 and response.headers["Location"] == "/letters/"
    assert db.session.get(User, coordinator.id).locale == "ar"


def test_language_switch_without_its_token_leaves_the_account_alone(signed_in, coordinator):
    response = signed_in.post("/language/ar", data={"next": "/letters/"})
    assert response.status_code == 302
    assert db.session.get(User, coordinator.id).locale == "en"
    assert '<html lang="ar"' in signed_in.get("/letters/").get_data(as_text=True)  # this browser switched


def test_language_switch_is_a_form_with_a_button(signed_in):
    page = signed_in.get("/letters/").get_data(as_text=True)
    assert 'action="/language/ar"' in page and 'method="post"' in page
    assert '<button type="submit" class="link language" lang="ar">العربية</button>' in page
    assert 'href="/language/' not in page
