"""Signed invitation links.

A link carries only the invitation's id and a random nonce, signed with itsdangerous
(URLSafeTimedSerializer, HMAC-SHA-256, a salt used for nothing else, a maximum age). The
database keeps only the nonce's SHA-256, so:

* a resend draws a new nonce and every older link stops working (``superseded``);
* a coordinator can revoke a link (the invitation's state says so);
* reading the database does not give anyone a working link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

INVITATION_SALT = "letterhub.invitation-link.v1"


class LinkError(Exception):
    """A link that cannot be used. ``reason`` is one of the REASONS below."""

    REASONS = ("invalid", "expired", "revoked", "superseded", "unknown")

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(f"unknown link error reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedLink:
    token: str
    nonce_hash: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt=INVITATION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def issue_invitation_token(invitation_id: int, secret_key: str) -> IssuedLink:
    nonce = secrets.token_urlsafe(24)
    token = _serializer(secret_key).dumps({"i": invitation_id, "n": nonce})
    return IssuedLink(token=token, nonce_hash=hash_nonce(nonce))


def read_invitation_token(token: str, secret_key: str, max_age_seconds: int) -> tuple[int, str]:
    """Return (invitation id, nonce hash) from a link, or raise LinkError('invalid'|'expired')."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise LinkError("expired") from error
    except BadSignature as error:
        raise LinkError("invalid") from error
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("i"), int)
        or not isinstance(payload.get("n"), str)
    ):
        raise LinkError("invalid")
    return payload["i"], hash_nonce(payload["n"])


def nonce_matches(stored_hash: str | None, presented_hash: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, presented_hash)
