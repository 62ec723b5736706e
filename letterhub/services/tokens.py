"""Signed invitation links.

A link carries only the invitation's id and a random nonce, signed with itsdangerous
(URLSafeTimedSerializer, HMAC-SHA-256, a salt used for nothing else, the time it was signed;
its maximum age is checked by services.signing, since the letter's deadline can extend it).
The database keeps only the nonce's SHA-256, so:

* a resend draws a new nonce and every older link stops working (``superseded``);
* a coordinator can revoke a link (the invitation's state says so);
* reading the database does not give anyone a working link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

INVITATION_SALT = "letterhub.invitation-link.v1"


class LinkError(Exception):
    """A link that cannot be used. ``reason`` is one of the REASONS below."""

    REASONS = ("invalid", "expired", "revoked", "superseded", "unknown")

    def __init__(self, reason: str, invitation=None):
        if reason not in self.REASONS:
            raise ValueError(f"unknown link error reason {reason!r}")
        super().__init__(reason)
        self.reason = reason
        # The invitation the link named, when it is known (expired, revoked, superseded): its
        # page can then say when the newer email went out and whom to ask.
        self.invitation = invitation


@dataclass(frozen=True)
class IssuedLink:
    token: str
    nonce_hash: str


def signing_keys() -> list[str]:
    """The app's keys signed data may carry, oldest first: SECRET_KEY_FALLBACKS, then SECRET_KEY.

    itsdangerous signs with the last and accepts any of them, so a key being rotated out
    keeps its links working until it is removed from SECRET_KEY_FALLBACKS.
    """
    config = current_app.config
    return [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]


def _serializer(secret_keys: list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_keys, salt=INVITATION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def issue_invitation_token(invitation_id: int, secret_keys: list[str]) -> IssuedLink:
    """A link signed with the newest of ``secret_keys`` (see ``signing_keys``)."""
    nonce = secrets.token_urlsafe(24)
    token = _serializer(secret_keys).dumps({"i": invitation_id, "n": nonce})
    return IssuedLink(token=token, nonce_hash=hash_nonce(nonce))


def read_invitation_token(token: str, secret_keys: list[str]) -> tuple[int, str, datetime]:
    """Return (invitation id, nonce hash, time signed) from a link signed with any of
    ``secret_keys``, or raise LinkError('invalid').

    The age is not checked here: how long a link lives depends on the letter's deadline,
    which can move (see services.deadlines.link_expires_at); the signed time is returned so
    the caller can check it.
    """
    try:
        payload, signed_at = _serializer(secret_keys).loads(token, return_timestamp=True)
    except BadSignature as error:
        raise LinkError("invalid") from error
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("i"), int)
        or not isinstance(payload.get("n"), str)
    ):
        raise LinkError("invalid")
    return payload["i"], hash_nonce(payload["n"]), signed_at.astimezone(UTC)


def nonce_matches(stored_hash: str | None, presented_hash: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, presented_hash)
