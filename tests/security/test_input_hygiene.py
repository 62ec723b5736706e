"""Bad input in the address or a form never reaches a database: 400, 404 or 422, never a 5xx.

Every route of the URL map is attacked (``routes`` in conftest), signed in, on SQLite and on
PostgreSQL (which refuses NUL in text where SQLite takes it).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from letterhub.extensions import db
from letterhub.forms.base import CONTROL_CHARACTERS_MESSAGE, Form
from letterhub.input_hygiene import MAX_ID, disallowed_in_text
from letterhub.models import Letter, LetterRevision, Signature

from ..conftest import LETTER_TEXT, PASSWORD, AuthActions, csrf_token
from .conftest import SIGNING_OUT

# Percent-encoded as a browser or a script would send them.
CONTROL_CHARACTERS = ["%00", "%01", "%09", "%0A", "%0D%0A", "%1B", "%7F", "%C2%85", "%EF%BF%BF"]
BAD_ENCODINGS = ["%", "%zz", "%4", "%FF", "%C3%28", "%ED%A0%80"]  # %ED%A0%80: a UTF-8 encoded surrogate
OVERSIZED_IDS = [str(MAX_ID + 1), str(2**63), "99999999999999999999999", "9" * 400]
NOT_IDS = ["0", "-1", "abc", "1.5", "1e3", "0x10", "%C2%B9"]


def sends(client, route, path: str, *, data: dict | None = None) -> dict[str, int]:
    """``path`` requested with each of the route's methods: {method: status}."""
    return {method: client.open(path, method=method, data=data).status_code for method in route.methods}


def test_every_route_is_walked(routes):
    rules = {route.rule.rule for route in routes}
    assert {"/sign/<token>", "/verify/<code>", "/letters/<id:letter_id>", "/login", "/healthz"} <= rules
    assert len(routes) >= 25


def test_control_characters_and_bad_encoding_in_a_path_answer_400(signed_in, routes):
    wrong = {}
    for route in routes:
        for payload in CONTROL_CHARACTERS + BAD_ENCODINGS:
            paths = [route.path() + payload] + [
                route.path(**{name: f"x{payload}y"}) for name in route.text_arguments
            ]
            for path in paths:
                for method, status in sends(signed_in, route, path).items():
                    if status != 400:
                        wrong[f"{method} {path}"] = status
    assert wrong == {}


def test_the_400_for_a_malformed_address_is_the_normal_error_page_in_the_readers_language(client):
    response = client.get("/verify/AB%00CD?lang=ar")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'lang="ar"' in page
    assert "هذا العنوان غير صالح" in page
    assert (
        client.get("/verify/AB%00CD?lang=en").get_data(as_text=True).count("This address is not valid") == 1
    )


def test_control_characters_and_bad_encoding_in_a_query_answer_400(signed_in, routes):
    queries = [f"q=/letters/{payload}" for payload in CONTROL_CHARACTERS + BAD_ENCODINGS]
    queries += [f"next=/letters/{payload}" for payload in BAD_ENCODINGS]
    queries += [
        "lang=ar%00",
        "code=AB%00CD",
        "languages=en%00",
        "x%00=1",
        "q=%",
    ]
    wrong = {}
    for route in routes:
        for query in queries:
            path = f"{route.path()}?{query}"
            for method, status in sends(signed_in, route, path).items():
                if status != 400:
                    wrong[f"{method} {path}"] = status
    assert wrong == {}


def test_a_control_character_in_next_is_left_to_the_redirect_helper(client, coordinator):
    """A hostile ``next`` is dropped whole by services/urls; signing in still works (tests/security/test_redirects.py)."""
    path = "/login?next=/%0D%0ASet-Cookie:%20a=b"
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        data={"email": coordinator.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/letters/"
    assert "a=b" not in str(response.headers)


def test_oversized_and_non_numeric_ids_are_not_found(signed_in, routes):
    wrong = {}
    for route in routes:
        # the administrators' pages refuse a coordinator (403) before reading an id they accept
        expected = {403, 404} if route.rule.endpoint.startswith("admin.") else {404}
        for name in route.integer_arguments:
            for value in [*OVERSIZED_IDS, *NOT_IDS, str(MAX_ID), "00001"]:
                path = route.path(**{name: value})
                for method, status in sends(signed_in, route, path).items():
                    if status not in expected:
                        wrong[f"{method} {path}"] = status
    assert wrong == {}


def test_no_route_gives_a_5xx_for_bad_text_in_any_path_segment(signed_in, routes):
    """Beyond control characters: long, non-numeric and odd text where the routes take text."""
    odd = ["9" * 400, "a" * 5000, "%E2%80%AE", "..%2F..%2Fetc%2Fpasswd", "%F0%9F%98%80", "'%20OR%201=1--"]
    wrong = {}
    for route in routes:
        for name in route.text_arguments:
            for value in odd:
                path = route.path(**{name: value})
                for method, status in sends(signed_in, route, path).items():
                    if status >= 500:
                        wrong[f"{method} {path}"] = status
    assert wrong == {}


# Characters no form field may hold, one of each kind disallowed_in_text refuses.
DISALLOWED_VALUES = ["\x00", "a\x00b", "\x01", "\x1b[31m", "\x7f", "\x85", "\ufffe", "\uffff", "\U0010ffff"]
# Longer than any field takes (PostgreSQL refuses text longer than a VARCHAR column's length).
OVERLONG = "x" * 20_000


def spoiled_values(original: str) -> list:
    """``original`` with each disallowed character; overlong; and sent twice, the second copy
    holding a NUL (a browser sends one value, a script may send a list)."""
    return [original + value for value in DISALLOWED_VALUES] + [original + OVERLONG, [original, "\x00"]]


# Numbers no id column holds (PostgreSQL's integer) and text where a number is expected.
BAD_ID_VALUES = [str(MAX_ID + 1), "99999999999999999999999", "-" + "9" * 30, "abc", "\x00"]
ID_FIELDS = ("base_revision", "revision_id", "en_row", "ar_row", "first_row", "second_row")


def focal_points_first(routes):
    """The routes of a signing link first: a coordinator's resend or revoke ends the link they walk
    with (then every POST to them answers 410 before reading a field); sign-outs stay last."""
    return sorted(
        routes, key=lambda route: (route.rule.endpoint in SIGNING_OUT, "token" not in route.arguments)
    )


# POST routes whose only field is the CSRF token (buttons and the signing page's beacon): the
# walk must reach their form (it reads the token), but has no other field to spoil. A route
# that starts reading a field fails the walk until it is taken off this list.
ONLY_A_CSRF_TOKEN = {
    "accounts.end_all_sessions",
    "accounts.end_session",
    "accounts.logout",
    "admin.activate",
    "admin.deactivate",
    "admin.reset_password",
    "comments.reopen",
    "comments.resolve",
    "letters.reopen",
    "letters.resend_invitation",
    "letters.retry_documents",
    "letters.revoke_invitation",
    "letters.send_invitations",
    "letters.toggle_reminders",
    "proposals.approve",
    "revisions.restore",
    "teams.remove_member",
    "public.switch_language",
    "signing.opened",
    "signon.confirm",
}


# POST routes whose one field is a file (its encodings and contents: tests/functional/test_bulk_invite.py).
ONLY_A_FILE = {"bulk_invite.preview"}

# (endpoint, field) where the page that comes back shows a field of another form, filled from
# the request (the letter page's queue of proposals has the rejection's reason): its answer is
# not about that field.
ANOTHER_FORMS_FIELD = {("letters.add_organization", "reason")}


@dataclass
class PostWalk:
    """What the walk of the POST routes met: 5xx answers, and the names each endpoint read."""

    wrong: dict[str, int] = field(default_factory=dict)
    reads: dict[str, set[str]] = field(default_factory=dict)
    unexplained: dict[str, str] = field(default_factory=dict)


def is_csrf(name: str) -> bool:
    """The CSRF token's field, with or without a form's prefix (``pick-csrf_token``)."""
    return name == "csrf_token" or name.endswith("-csrf_token")


def typed_field(page: str, name: str) -> bool:
    """Whether ``page`` shows ``name`` as a field a person types into (not hidden, not a choice)."""
    for tag in re.finditer(rf'<(input|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>', page):
        kind = re.search(r'\btype="(\w+)"', tag.group(0))
        if tag.group(1) == "textarea" or kind is None or kind.group(1) in TYPED_INPUTS:
            return True
    return False


TYPED_INPUTS = {"text", "email", "password", "search", "url", "tel", "number", "date", "time"}


def post_attacks(post, client, route, valid: dict, names, spoil, walk: PostWalk) -> None:
    """``route``'s answers to ``valid`` with each field it reads spoiled, and to ``valid``.

    Which of ``names`` the route reads (``form_reads``) is learnt from ``valid`` sent without
    its CSRF token first, which changes nothing; each field read is then spoiled in turn with
    every value ``spoil(original)`` gives, in that unchanged state; then ``valid`` goes as it
    is, and a field only that request read is attacked as well, until no new one turns up. A
    field no request reads cannot change an answer, so it is not sent spoiled: that would be
    ``valid`` again, once per field and value, hundreds of times per route. A 5xx lands in
    ``walk.wrong``; a form sent back (422) for a disallowed character that does not say so in
    the page's language lands in ``walk.unexplained``.
    """
    path = route.path()
    read: set[str] = set()
    attacked: set[str] = set()
    seen = walk.reads.setdefault(route.rule.endpoint, set())

    def send(data: dict, label: str, spoiled: str | list | None = None) -> None:
        response, names_read = post(client, path, data)
        seen.update(names_read)
        read.update(names_read & set(names))
        if response.status_code >= 500:
            walk.wrong[f"{path} {label}"] = response.status_code
        elif isinstance(spoiled, str) and response.status_code == 422 and disallowed_in_text(spoiled):
            page = response.get_data(as_text=True)
            name = label.split("=", 1)[0]
            if not typed_field(page, name) or (route.rule.endpoint, name) in ANOTHER_FORMS_FIELD:
                return
            language = "ar" if '<html lang="ar"' in page else "en"
            with force_locale(language):
                message = html.escape(str(CONTROL_CHARACTERS_MESSAGE))
            if message not in page:
                walk.unexplained[f"{path} {label}"] = language

    send({name: value for name, value in valid.items() if not is_csrf(name)}, "without a CSRF token")
    while True:
        for name in sorted(read - attacked):
            attacked.add(name)
            for value in spoil(valid[name]):
                send({**valid, name: value}, f"{name}={value!r}", value)
        send(valid, "as it is")
        if read <= attacked:
            return


def walk_post_routes(routes, walkers, form_fields, post, names, spoil) -> PostWalk:
    """Every POST route attacked by the role it is for: ``walkers(route)`` is (client, its CSRF token)."""
    walk = PostWalk()
    for route in focal_points_first(routes):
        if "POST" in route.methods:
            client, token = walkers(route)
            tokens = dict.fromkeys(("csrf_token", "pick-csrf_token", "confirmed-csrf_token"), token)
            post_attacks(post, client, route, {**form_fields, **tokens}, names, spoil, walk)
    return walk


@pytest.fixture
def walkers(app, signed_in, session_csrf_token, administrator):
    """The administrators' pages are walked as an administrator, every other route as a
    coordinator; signing out and ending every session each get a sign-in of their own."""
    administrators_token = csrf_token(administrator, "/admin/accounts")

    def walker(route):
        if route.rule.endpoint.startswith("admin."):
            return administrator, administrators_token
        if route.rule.endpoint in ("accounts.logout", "accounts.end_all_sessions"):
            browser = app.test_client()
            assert AuthActions(browser).login().status_code == 302
            return browser, csrf_token(browser, "/letters/new")
        return signed_in, session_csrf_token

    return walker


def not_attacked(app, walk: PostWalk) -> dict[str, str]:
    """Each POST route of the URL map the walk did not attack, and why."""
    missing = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint in missing:
            continue
        read = {"csrf_token" if is_csrf(name) else name for name in walk.reads.get(rule.endpoint, set())}
        if rule.endpoint in ONLY_A_CSRF_TOKEN or rule.endpoint in ONLY_A_FILE:
            if "csrf_token" not in read:
                missing[rule.endpoint] = "never reached its form"
            elif read - {"csrf_token"}:
                missing[rule.endpoint] = (
                    f"reads {sorted(read - {'csrf_token'})}: take it off ONLY_A_CSRF_TOKEN"
                )
        elif not read - {"csrf_token"}:
            missing[rule.endpoint] = "no field of it was attacked"
    return missing


def stored_disallowed_text() -> dict[str, str]:
    """Every stored text (and text inside stored JSON) holding a character no field may hold, or
    longer than its column (SQLite stores it; PostgreSQL would have refused it)."""
    found = {}

    def texts(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from texts(key)
                yield from texts(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from texts(item)

    for table in db.metadata.sorted_tables:
        columns = [
            column for column in table.columns if isinstance(column.type, sa.String | sa.Text | sa.JSON)
        ]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                length = getattr(column.type, "length", None)
                too_long = isinstance(value, str) and length is not None and len(value) > length
                if too_long or any(disallowed_in_text(text) for text in texts(value)):
                    found[f"{table.name}.{column.name}"] = repr(value)[:200]
    return found


def test_no_post_route_gives_a_5xx_for_a_disallowed_character_in_any_form_field(
    app, routes, form_fields, walkers, form_reads
):
    walk = walk_post_routes(
        routes,
        walkers,
        form_fields,
        form_reads,
        form_fields,
        spoiled_values,
    )
    assert walk.wrong == {}
    assert not_attacked(app, walk) == {}
    assert walk.unexplained == {}
    assert stored_disallowed_text() == {}


def test_no_post_route_gives_a_5xx_for_an_oversized_or_non_numeric_id_in_a_form(
    routes, form_fields, walkers, form_reads
):
    walk = walk_post_routes(
        routes, walkers, form_fields, form_reads, ID_FIELDS, lambda _original: BAD_ID_VALUES
    )
    assert walk.wrong == {}


def test_the_attacks_reach_the_fields_each_form_reads(signed_in, form_fields, session_csrf_token, form_reads):
    """The read tracking behind ``post_attacks`` sees WTForms' reads and a view's own (the picker)."""
    valid = {**form_fields, "csrf_token": session_csrf_token}
    _response, read = form_reads(signed_in, "/letters/new", valid)
    assert {"title_en", "body_ar", "base_revision", "action"} <= read
    assert "decline_reason" not in read and "choice" not in read
    _response, read = form_reads(signed_in, "/login", valid)
    assert {"email", "password"} <= read and "title_en" not in read


def test_a_nul_in_a_letter_field_brings_the_form_back_with_the_rest_of_the_input(app, signed_in):
    data = {
        **LETTER_TEXT,
        "title_en": "Detainees\x00",
        "action": "save",
        "csrf_token": csrf_token(signed_in, "/letters/new"),
    }
    response = signed_in.post("/letters/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Remove the invisible control characters from this field." in page
    assert LETTER_TEXT["title_ar"] in page and "Release the detainees." in page

    assert db.session.query(Letter).count() == 0


def test_a_nul_in_the_signing_form_is_refused_in_the_focal_points_language(app, client, invite):

    invitation, link = invite(language="ar")
    path = link.removeprefix("http://localhost")
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "revision_id": invitation.letter.current_revision.id,
            "name_en": "Syrian Archive",
            "name_ar": "الأرشيف السوري",
            "signer_name": "Rima",
            "signer_role": "المديرة",
            "decline_reason": "لا\x00",
            "decline": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "احذف محارف التحكم غير المرئية من هذا الحقل." in page
    assert "المديرة" in page
    assert db.session.query(Signature).count() == 0


def test_a_nul_in_the_sign_in_form_is_refused_not_looked_up(client, coordinator):
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "email": "coordinator@example.org\x00",
            "password": "x",
        },
    )
    assert response.status_code == 422
    assert "Remove the invisible control characters from this field." in response.get_data(as_text=True)


def test_an_oversized_base_revision_is_refused_on_the_field(app, signed_in, letter):

    path = f"/letters/{letter.id}/edit"
    data = {**LETTER_TEXT, "action": "save", "csrf_token": csrf_token(signed_in, path)}
    response = signed_in.post(path, data={**data, "base_revision": str(MAX_ID + 1)})
    assert response.status_code == 422
    assert "This number is too large." in response.get_data(as_text=True)
    assert db.session.query(LetterRevision).count() == 1


def test_every_form_derives_from_the_checking_base():
    from flask_wtf import FlaskForm

    import letterhub.forms.accounts
    import letterhub.forms.imports
    import letterhub.forms.letters
    import letterhub.forms.signing  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("letterhub.")]
    assert len(forms) >= 9
    assert [cls.__name__ for cls in forms if not issubclass(cls, Form)] == []


@pytest.mark.parametrize(
    ("text", "disallowed"),
    [
        ("Syrian Archive", False),
        ("الأرشيف السوري", False),
        ("line one\r\nline two\ttabbed", False),
        ("zero\u200cwidth non-joiner", False),
        ("\U0001f600", False),
        ("\x00", True),
        ("\x08", True),
        ("\x7f", True),
        ("\x9b", True),
        ("\ud83d", True),
        ("\ufffe", True),
        ("\ufdd0", True),
        ("\U0001ffff", True),
    ],
)
def test_disallowed_characters_in_text(text, disallowed):
    assert disallowed_in_text(text) is disallowed


def test_tab_and_line_breaks_are_disallowed_in_an_address_only():
    assert disallowed_in_text("a\tb\r\n") is False
    assert disallowed_in_text("a\tb", allowed=frozenset()) is True


def test_the_path_check_does_not_refuse_ordinary_addresses(client):
    assert client.get("/verify/" + quote("رمز")).status_code == 404
    assert client.get("/login?next=/letters/%D8%B1%D8%B3%D8%A7%D9%84%D8%A9&lang=ar").status_code == 200


@pytest.mark.parametrize("limit", [1, 9, 10, 99, 100, 2019, 2**31 - 1, 2**63 - 1])
def test_the_id_pattern_matches_exactly_1_to_its_limit(limit):
    import re

    from letterhub.input_hygiene import digits_up_to

    pattern = re.compile(digits_up_to(limit) + r"\Z")
    samples = {1, 2, 9, 10, 11, 99, 100, 101, limit - 1, limit, limit + 1, limit * 10, 0}
    samples |= {int(str(limit)[:k] + "9" * (len(str(limit)) - k)) for k in range(len(str(limit)))}
    for number in samples:
        assert bool(pattern.match(str(number))) == (1 <= number <= limit), number
    assert not pattern.match("01")
