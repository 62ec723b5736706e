"""Coordinator accounts: creation, password hashing (Argon2id) and sign-in checks."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import User


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


def create_user(email: str, name: str, password: str, locale: str = "en") -> User:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account for {email} exists already.")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password), locale=locale)
    db.session.add(user)
    db.session.flush()
    return user


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


def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
