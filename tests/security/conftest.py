"""Fixtures for the security suite: every route of the app, with arguments that reach real data.

``routes`` walks ``app.url_map`` (as the CSRF test does), so a route added later is attacked
without anyone remembering to list it. ``route_values`` holds a real letter, an imported
letter, an invitation and its working signing token, a verification code and a development
mailbox message, so each route's happy path is reachable and the attacks start from a URL
that works. A few routes need state of their own (``ENDPOINT_VALUES``): proposing an
organisation gets a signing link no other route ends, and the open sign-on pages a letter that
accepts them, with a request waiting for its email confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from letterhub.extensions import db
from letterhub.models import Letter, LetterRole, LoginSession
from letterhub.services import (
    account_links,
    accounts,
    commenting,
    drafting,
    inviting,
    proposals,
    publishing,
    teams,
)
from letterhub.services.imports import storage

from ..conftest import LETTER_TEXT, PASSWORD, AuthActions, csrf_token

IMPORTED_TEXT = (
    "Joint statement\n\nWe ask for the release of the detainees.\n\nSignatories:\n1. Alpha\n2. Beta\n"
)

# A value for every form field any form of the app has (the ids are filled in by ``form_fields``).
# Fields no validator looked at before the base form came first: a valid POST without them
# changes state (a decline is recorded) and later POSTs stop before storing anything.
FORM_FIELDS = {
    "decline_reason": "Not now",
    "text_en": IMPORTED_TEXT,
    **LETTER_TEXT,
    "action": "save",
    "base_revision": "1",
    "coalition": "Coalition",
    "name_en": "Organisation",
    "name_ar": "منظمة",
    "email": "focal@example.org",
    "password": "not the password",
    "language": "en",
    "signer_name": "Signer",
    "signer_role": "Director",
    "decline": "1",
    "numbering_style": "dot",
    "list_order": "alphabetical",
    "late_signatories": "merge",
    "first_language": "en",
    "en_row": "1",
    "ar-1": "2. Beta",  # the import review's picker for English row 1, read outside the form
    "ar_row": "0",
    "first_row": "1",
    "second_row": "2",
    "choice": "not_duplicate",
    "body": "A remark on this paragraph",
    "role": "reviewer",
    "name": "New Member",
    "new_password": "a new password for the member",
    "repeat_password": "a new password for the member",
    "locale": "en",
    "is_admin": "",  # an administrator's new account is a coordinator's
    "to_name": "A Colleague",
    "country": "Lebanon",
    "website": "",  # the open sign-on page's honeypot: people leave it empty
    # The letter form's campaign settings, left as a person leaves them.
    "deadline": "",
    "deadline_time": "",
    "reminder_days": "",
    "contact_email": "",
    "change_kind": "correction",
    "text_ar": "",
    "tags": "media",
    "alias_en": "",
    "alias_ar": "",
    "remember": "",
    "current_password": "not the password",  # so that the password is never changed
    "confirm": "yes",  # closing signing and merging entries are ticked...
    "expected_counts": "0:0",  # ...but closing names numbers that are not the letter's: it stays open
    "keep": "1",
    "other": "2",
    "key": "a parity warning",
    "reason": "Not a member",
    "open_signon": "y",
    "invitations": "none",
    "upload": "an upload that expired",
    "pick-q": "",
    "pick-tag": "",
}


# <converter(args):name> or <name> in a rule's text.
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass
class Route:
    """One URL rule and the arguments that make it point at real data."""

    rule: Rule
    arguments: dict = field(repr=False)

    @property
    def methods(self) -> set[str]:
        return set(self.rule.methods or ()) - {"HEAD", "OPTIONS"}

    @property
    def integer_arguments(self) -> list[str]:
        return [
            match["name"]
            for match in ARGUMENT.finditer(self.rule.rule)
            if match["converter"] in ("int", "id")
        ]

    @property
    def text_arguments(self) -> list[str]:
        return [name for name in self.arguments if name not in self.integer_arguments]

    def path(self, **overrides) -> str:
        """The URL with real arguments; ``overrides`` go in as given (percent-encode them yourself)."""
        return ARGUMENT.sub(
            lambda match: str(overrides.get(match["name"], self.arguments[match["name"]])), self.rule.rule
        )

    def __str__(self) -> str:
        return f"{'/'.join(sorted(self.methods))} {self.rule.rule}"


@pytest.fixture
def real_values(app, coordinator, letter, invite):
    """Names of URL arguments → values pointing at real rows (an imported letter for imports.*).

    ``session_id`` is a sign-in of the coordinator on another device, so that ending it does
    not sign out the client a test walks with. ``member_id`` and ``user_id`` are a new team
    member invited by email (an editor of both letters), ``link_token`` their link to set a password.
    """
    invitation, link = invite()
    AuthActions(app.test_client()).login()
    other_device = db.session.scalars(
        select(LoginSession.id).where(LoginSession.user_id == coordinator.id).order_by(LoginSession.id.desc())
    ).first()
    closed = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Closed coalition")
    db.session.flush()
    publishing.close_signing(closed, by=coordinator)
    imported = storage.import_letter([IMPORTED_TEXT], author=coordinator)
    first_paragraph = commenting.paragraphs(letter.current_revision, "en")[0]
    thread = commenting.start_thread(letter, first_paragraph.key, "A remark", coordinator)
    db.session.flush()
    member, _emailed = teams.invite(
        letter, "new.member@example.org", LetterRole.EDITOR, language="en", by=coordinator
    )
    # for the imported letter: the walk's removal of the member from ``letter`` withdraws a link to it
    join_link = account_links.issue(member.user, "join", letter_id=imported.letter_id)
    teams.add_member(
        db.session.get(Letter, imported.letter_id), member.user, LetterRole.EDITOR, by=coordinator
    )
    proposal = proposals.nominate(
        invitation, name_en="Proposed", name_ar="مقترحة", email="p@proposed.example", language="en"
    )
    _nominating, nomination_link = invite(name_en="Nominating", name_ar="مرشِّحة", email="n@nominating.example")
    signon_letter = drafting.create_letter(coordinator, dict(LETTER_TEXT), coalition="Open coalition")
    db.session.flush()
    inviting.send_invitation(
        inviting.add_organization(
            signon_letter, name_en="Invited", name_ar="مدعوة", email="i@invited.example", language="en"
        ),
        by=coordinator,
    )
    proposals.set_open_signon(signon_letter, True, by=coordinator)
    _asking, signon_link = proposals.request_signon(
        signon_letter,
        name_en="Asking",
        name_ar="طالبة",
        email="a@asking.example",
        country="Syria",
        language="en",
    )
    managed = accounts.create_user("managed@example.org", "Managed", PASSWORD)
    db.session.commit()
    return {
        "letter_id": letter.id,
        "imported_letter_id": imported.letter_id,
        "invitation_id": invitation.id,
        "token": link.rsplit("/", 1)[1],
        "code": closed.verification_code,
        "message_id": "20260101-000000-000001",
        "revision_id": letter.current_revision.id,
        "number": letter.current_revision.number,
        "session_id": other_device,
        "comment_id": thread.id,
        "paragraph": first_paragraph.key,
        "member_id": member.id,
        "user_id": member.user_id,
        "purpose": "join",
        "link_token": join_link.rsplit("/", 1)[1],
        "proposal_id": proposal.id,
        "organization_id": invitation.organization_id,
        "nomination_token": nomination_link.rsplit("/", 1)[1],
        "signon_letter_id": signon_letter.id,
        "signon_token": signon_link.rsplit("/", 1)[1],
        "language": "en",
        "managed_user_id": managed.id,
    }


@pytest.fixture
def form_fields(real_values) -> dict[str, str]:
    """A valid value for every field of every form, so that a POST reaches its view's logic."""
    return {
        **FORM_FIELDS,
        "revision_id": str(real_values["revision_id"]),
        "paragraph": real_values["paragraph"],
        # the directory's two forms to invite organisations, told apart by their prefixes
        "pick-letter": str(real_values["letter_id"]),
        "organization_ids": str(real_values["organization_id"]),
        "confirmed-source": str(real_values["letter_id"]),
        "confirmed-letter": str(real_values["signon_letter_id"]),
    }


# Routes that sign the walking client out: walked last, so the others are reached signed in.
# (A password set through an account link signs the client in as that account instead.)
SIGNING_OUT = ("accounts.logout", "accounts.end_all_sessions", "accounts.account_link")


# (endpoint, argument) → the ``real_values`` entry to use instead of the argument's own name.
ENDPOINT_VALUES = {
    # Handing the invitation on ends its link: proposing an organisation gets a link of its own.
    ("delegation.nominate", "token"): "nomination_token",
    # Only a letter that accepts open sign-on has the page; its link confirms an email address.
    ("signon.ask", "letter_id"): "signon_letter_id",
    ("signon.confirm", "token"): "signon_token",
    # The administrators deactivate, reactivate and reset an account of their own: the team
    # member's join link must still work when the walk reaches it.
    ("admin.deactivate", "user_id"): "managed_user_id",
    ("admin.activate", "user_id"): "managed_user_id",
    ("admin.reset_password", "user_id"): "managed_user_id",
    # The language switch's argument is a language (the verification page's is a letter's code).
    ("public.switch_language", "code"): "language",
}


@pytest.fixture
def routes(app, real_values) -> list[Route]:
    """Every rule of the URL map except static files, with real arguments; sign-outs last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = {}
        for name in sorted(rule.arguments):
            if name == "letter_id" and rule.endpoint.startswith("imports."):
                arguments[name] = real_values["imported_letter_id"]
            else:
                arguments[name] = real_values[ENDPOINT_VALUES.get((rule.endpoint, name), name)]
        found.append(Route(rule, arguments))
    return sorted(found, key=lambda route: route.rule.endpoint in SIGNING_OUT)


class ReadTrackingForm(ImmutableMultiDict):
    """``request.form`` (and ``args``) noting which submitted names a request read a value of.

    A value is read through ``form[name]``, ``get`` and ``getlist`` (WTForms uses ``getlist``);
    anything else that hands out values (``items``, ``values``, ``to_dict``, a copy ...) counts
    as reading every name. Names alone (``in``, ``keys``, iteration, ``len``) are free: they are
    the same whatever a field holds. So a field never read cannot have changed the answer.
    """

    EVERY_NAME = "*"
    reads: ClassVar[set[str]] = set()
    _FREE = frozenset({"__class__", "keys", "get", "getlist", "__contains__", "__iter__", "__len__"})

    def __getattribute__(self, name: str):
        if name not in ReadTrackingForm._FREE:
            ReadTrackingForm.reads.add(ReadTrackingForm.EVERY_NAME)
        return super().__getattribute__(name)

    def __getitem__(self, key):
        ReadTrackingForm.reads.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (MultiDict's own signature)
        ReadTrackingForm.reads.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        ReadTrackingForm.reads.add(key)
        return super().getlist(key, type)


@pytest.fixture
def form_reads(app):
    """``form_reads(client, path, data)``: POST ``data``; (response, the names of ``data`` the request read)."""

    class TrackingRequest(app.request_class):
        parameter_storage_class = ReadTrackingForm

    app.request_class = TrackingRequest

    def post(client, path: str, data: dict) -> tuple[TestResponse, set[str]]:
        ReadTrackingForm.reads = set()
        response = client.post(path, data=data)
        read = ReadTrackingForm.reads
        return response, set(data) if ReadTrackingForm.EVERY_NAME in read else read & set(data)

    return post


@pytest.fixture
def session_csrf_token(signed_in) -> str:
    """A CSRF token valid for ``signed_in``'s session (any form's token serves every form)."""
    return csrf_token(signed_in, "/letters/new")


ADMINISTRATOR = "administrator@example.org"


@pytest.fixture
def administrator(app, real_values):
    """A client signed in as an installation administrator (the ``/admin`` pages are theirs)."""
    accounts.create_user(ADMINISTRATOR, "Administrator", PASSWORD, is_admin=True)
    db.session.commit()
    browser = app.test_client()
    assert AuthActions(browser).login(email=ADMINISTRATOR).status_code == 302
    return browser
