"""Coordinator accounts: creation, password hashing (Argon2id) and sign-in checks."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import LoginSession, SessionEnd, User
from . import account_links, audit, login_sessions


def _hasher() -> PasswordHasher:
    """Argon2id with the parameters named by PASSWORD_HASH_PROFILE (RFC 9106's, by default).

    The tests use argon2's CHEAPEST profile to stay fast; hashes carry their own parameters,
    so a hash made under one profile still verifies under another (and is rehashed on sign-in).
    """
    profile = current_app.config.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user-facing reason why an account cannot be created."""


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def create_user(email: str, name: str, password: str, locale: str = "en", *, is_admin: bool = False) -> User:
    """A coordinator account (an administrator's with ``is_admin``)."""
    email = email.strip().lower()
    check_password_length(password)
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account for {email} exists already.")
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password),
        locale=locale,
        is_admin=is_admin,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_user_without_password(
    email: str, name: str, locale: str = "en", *, is_admin: bool = False, by: User | None = None
) -> User:
    """An account whose owner sets the password through an emailed link (account_links)."""
    email = email.strip().lower()
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account for {email} exists already.")
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=account_links.no_password(),
        locale=locale,
        is_admin=is_admin,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user=by, account=user.id, admin=is_admin)
    return user


def set_admin(user: User, is_admin: bool, *, by: User | None = None) -> None:
    user.is_admin = is_admin
    audit.record("user.admin_changed", user=by, account=user.id, admin=is_admin)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Rehashes outdated hashes."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        _hasher().hash(password)  # spend the same time whether or not the account exists
        return None
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")


def change_password(user: User, new_password: str, *, keep: LoginSession | None = None) -> int:
    """Set a new password and end every login session of the account except ``keep``.

    Whoever knew the old password may hold a session: it must not outlive the change.
    Returns the number of sessions ended.
    """
    check_password_length(new_password)
    user.password_hash = hash_password(new_password)
    ended = login_sessions.end_all(user, SessionEnd.PASSWORD_CHANGED, keep=keep)
    audit.record("user.password_changed", user=user, sessions_ended=ended)
    return ended


def deactivate(user: User) -> int:
    """Refuse the account's sign-ins from now on and end its sessions; returns how many ended."""
    user.active = False
    ended = login_sessions.end_all(user, SessionEnd.DEACTIVATED)
    audit.record("user.deactivated", user=user, sessions_ended=ended)
    return ended


def reactivate(user: User) -> None:
    user.active = True
    audit.record("user.reactivated", user=user)
