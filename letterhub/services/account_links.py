"""Signed links to set an account's name and password: for a new team member, an account an
administrator created, or a password an administrator reset.

The link carries the account's id, the letter to land on (a team invitation) and a fingerprint
of the account's current password hash, signed with itsdangerous (HMAC-SHA-256, a salt per
purpose used for nothing else, the time it was signed; ``ACCOUNT_LINK_MAX_AGE_HOURS``). Setting
the password changes the hash, so a link works once; issuing a new one for an account without
a password draws a new placeholder hash, so older links stop working too. The database keeps
no link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models import User
from . import mailing, permissions
from .tokens import signing_keys

# One salt per purpose: a link made for one purpose is no use for the other.
SALTS = {
    "join": "letterhub.account-join-link.v1",  # a new team member sets their name and password
    "reset": "letterhub.account-reset-link.v1",  # an administrator created or reset the account
}
# The password hash of an account that has never had a password: no Argon2 hash, so no
# password verifies against it (services.accounts.authenticate), and random, so that a new
# link made for the account retires the older ones.
NO_PASSWORD_PREFIX = "!no-password:"  # noqa: S105 (a marker, not a password)


class AccountLinkError(Exception):
    """A link that cannot be used: ``reason`` is "invalid", "expired", "used" or "withdrawn"
    (a team invitation whose account is no longer on the letter's team)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkTarget:
    user: User
    letter_id: int | None
    purpose: str


def no_password() -> str:
    return NO_PASSWORD_PREFIX + secrets.token_urlsafe(24)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith(NO_PASSWORD_PREFIX)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        signing_keys(), salt=SALTS[purpose], signer_kwargs={"digest_method": hashlib.sha256}
    )


def issue(user: User, purpose: str, *, letter_id: int | None = None) -> str:
    """The link (absolute URL) for ``user``; a no-password account gets a new placeholder first."""
    if not has_password(user):
        user.password_hash = no_password()
    payload = {"u": user.id, "p": _fingerprint(user.password_hash), "l": letter_id, "k": purpose}
    token = _serializer(purpose).dumps(payload)
    return f"{current_app.config['BASE_URL'].rstrip('/')}/account/link/{purpose}/{token}"


def read(purpose: str, token: str) -> LinkTarget:
    """The account and letter a link names, or AccountLinkError."""
    if purpose not in SALTS:
        raise AccountLinkError("invalid")
    max_age = int(float(current_app.config["ACCOUNT_LINK_MAX_AGE_HOURS"]) * 3600)
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise AccountLinkError("expired") from error
    except BadSignature as error:
        raise AccountLinkError("invalid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or payload.get("k") != purpose:
        raise AccountLinkError("invalid")
    user = db.session.get(User, payload["u"])
    if user is None or not user.active:
        raise AccountLinkError("invalid")
    if not hmac.compare_digest(str(payload.get("p", "")), _fingerprint(user.password_hash)):
        raise AccountLinkError("used")
    letter_id = payload.get("l") if isinstance(payload.get("l"), int) else None
    if purpose == "join" and (letter_id is None or permissions.role_of(user, letter_id) is None):
        raise AccountLinkError("withdrawn")
    return LinkTarget(user, letter_id, purpose)


def send(user: User, purpose: str, *, language: str, letter=None, by: User | None = None) -> str:
    """Issue a link and queue its email (``templates/emails/account_<purpose>/``) in ``language``."""
    first_time = not has_password(user)
    link = issue(user, purpose, letter_id=letter.id if letter is not None else None)
    hours = int(float(current_app.config["ACCOUNT_LINK_MAX_AGE_HOURS"]))
    with force_locale(language):
        title = letter.display_title(language) if letter is not None else ""
        context = {
            "user": user,
            "link": link,
            "letter_title": title,
            "by": by,
            "hours": hours,
            "first_time": first_time,
        }
        subject, body_text, body_html = mailing.render_email_parts(f"account_{purpose}", **context)
    mailing.enqueue(user.email, subject, body_text, body_html, language=language)
    return link
