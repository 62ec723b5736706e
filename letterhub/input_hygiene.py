"""Input hygiene in one place: what characters a URL and a form field may hold, and what ids look like.

Untrusted text reaches the app through three doors, and each is checked once, here:

* **the address** (path and query string): :func:`refuse_malformed_address` runs before every
  view and answers 400 with the normal error page for bad percent-encoding, bytes that are
  not UTF-8, and control characters or noncharacters. No page of the app takes a control
  character in its address (no GET form has a multi-line field), so none is allowed, not
  even tab, CR or LF, except in ``next``, whose own validator drops a hostile value whole;
* **ids in the path**: routes use the ``id`` converter (:class:`IdConverter`), which matches
  1 … 2³¹−1 only (PostgreSQL's ``integer``), so ``/letters/99999999999999999999999`` is a 404 like any missing letter
  instead of an overflow in the database driver;
* **form fields**: every form derives from :class:`letterhub.forms.base.Form`, which uses
  :func:`disallowed_in_text` on every submitted value.

PostgreSQL refuses NUL in text, SQLite and Python take it: checking at the door keeps the
two databases answering alike.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# The largest id both databases store: ids are INTEGER columns, 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1

# Line breaks and tabs are text in a form field (a letter's body, a list of addressees).
FORM_WHITESPACE = frozenset("\t\n\r")

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_noncharacter(char: str) -> bool:
    """U+FDD0…U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF, U+1FFFE …)."""
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def disallowed_in_text(text: str, *, allowed: frozenset[str] = FORM_WHITESPACE) -> bool:
    """True if ``text`` holds a control character (other than ``allowed``), a lone surrogate or a noncharacter."""
    for char in text:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or is_noncharacter(char):
            return True
    return False


class MalformedAddress(BadRequest):
    """A path or query string the app refuses to read; shown with the normal 400 page."""

    description = "The address is malformed."


def _decoded(part: str) -> str | None:
    """A percent-encoded WSGI string (latin-1 code units) as text, or None if it is malformed."""
    if _BAD_PERCENT.search(part):
        return None
    try:
        raw = unquote_to_bytes(part.encode("latin-1"))
        return raw.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


# Query parameters whose values have a validator of their own that refuses control characters
# by falling back to a default: a hostile ``next`` (services/urls.safe_redirect_target) still
# signs the user in and lands on the default page. Their encoding is checked all the same.
OWN_VALIDATOR_PARAMETERS = frozenset({"next"})


def malformed_address(environ: dict) -> bool:
    """True if the request's path or query string is badly encoded or holds a disallowed character.

    The server has already percent-decoded ``PATH_INFO`` (leaving a bad ``%zz`` as it was), so
    the encoding of the path is checked on the raw request line (``RAW_URI``, which gunicorn,
    Werkzeug's server and its test client all set).
    """
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    if raw_uri and not raw_uri.startswith("/"):
        raw_uri = urlsplit(raw_uri).path  # absolute-form request line (through a proxy)
    for text in (_wsgi_text(environ.get("PATH_INFO", "")), _decoded(raw_uri.split("?", 1)[0])):
        if text is None or disallowed_in_text(text, allowed=frozenset()):
            return True
    for pair in environ.get("QUERY_STRING", "").split("&"):
        raw_name, _, raw_value = pair.partition("=")
        name, value = _decoded(raw_name.replace("+", " ")), _decoded(raw_value.replace("+", " "))
        if name is None or value is None or disallowed_in_text(name, allowed=frozenset()):
            return True
        if name not in OWN_VALIDATOR_PARAMETERS and disallowed_in_text(value, allowed=frozenset()):
            return True
    return False


def _wsgi_text(path_info: str) -> str | None:
    """PATH_INFO as text: the server decoded it into latin-1 code units; they must be UTF-8."""
    try:
        return path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def refuse_malformed_address() -> None:
    if malformed_address(request.environ):
        raise MalformedAddress()


def digits_up_to(limit: int) -> str:
    """A regular expression (no groups) for the decimal numbers 1 … ``limit``, without leading zeros."""
    text = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(text) - position - 1
            alternatives.append(f"{text[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives.append(text)
    return "(?:" + "|".join(alternatives) + ")"


class IdConverter(IntegerConverter):
    """``<id:letter_id>``: a database id, 1 … 2³¹−1; anything else does not match (404).

    The limit is in the pattern rather than in ``max``: Werkzeug answers 405 instead of 404 when
    a converter refuses a value for a path that another method's rule shares.
    """

    regex = digits_up_to(MAX_ID)


def init_app(app: Flask) -> None:
    """Register the ``id`` converter (before any blueprint) and the address check (before any view)."""
    app.url_map.converters["id"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed_address)
