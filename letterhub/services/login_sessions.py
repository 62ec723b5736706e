"""Server-side login sessions: what makes a session cookie work, and what ends it everywhere.

Flask-Login still loads the user, guards the views and signs out; what it keeps in the
session cookie is not the account's id but a random token naming one ``LoginSession`` row
(Flask-Login's "alternative token" pattern). The user loader accepts the token only while
its row is neither revoked nor expired and the account is active, so ending the row ends
every copy of the cookie at once.

"Keep me signed in" makes the same session cookie permanent (``REMEMBER_ME_DAYS``) instead of
adding Flask-Login's separate remember cookie: one cookie, signed by Flask (so
``SECRET_KEY_FALLBACKS`` applies), with the session cookie's flags, ended by the same row.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, session
from flask_login import login_user, logout_user
from sqlalchemy import CursorResult, delete, or_, select

from ..extensions import db
from ..models import LoginSession, SessionEnd, User
from ..models.types import utcnow

# last_seen_at is written at most this often per session (it costs a write per request otherwise).
LAST_SEEN_PRECISION = timedelta(minutes=5)
MAX_USER_AGENT_LENGTH = 300


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_in(user: User, *, remember: bool, ip_address: str = "", user_agent: str = "") -> LoginSession:
    """Start a login session for ``user`` and put its token in the (already cleared) session cookie."""
    config = current_app.config
    now = utcnow()
    lifetime = (
        timedelta(days=int(config["REMEMBER_ME_DAYS"]))
        if remember
        else timedelta(hours=int(config["SIGN_IN_HOURS"]))
    )
    token = secrets.token_urlsafe(32)
    login_session = LoginSession(
        token_hash=hash_token(token),
        user_id=user.id,
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        ip_address=ip_address[:64],
        user_agent=user_agent[:MAX_USER_AGENT_LENGTH],
    )
    db.session.add(login_session)
    db.session.flush()
    user.session_token = token
    login_user(user, remember=False)  # never Flask-Login's own remember cookie: see the module's docstring
    session.permanent = remember
    g.login_session = login_session
    return login_session


def user_for_token(token: str) -> User | None:
    """Flask-Login's user loader: the account behind a session token, if its session still works."""
    if not isinstance(token, str) or not token:
        return None
    login_session = db.session.scalars(
        select(LoginSession).where(LoginSession.token_hash == hash_token(token))
    ).first()
    if login_session is None or not login_session.is_valid(utcnow()):
        return None
    user = login_session.user
    if not user.active:
        return None
    user.session_token = token
    g.login_session = login_session
    return user


def current_session() -> LoginSession | None:
    """The login session of this request's signed-in user (None when nobody is signed in)."""
    return g.get("login_session")


def note_activity(login_session: LoginSession, now: datetime | None = None) -> bool:
    """Move ``last_seen_at`` forward if it is older than LAST_SEEN_PRECISION; True if it changed."""
    now = now or utcnow()
    if now - login_session.last_seen_at < LAST_SEEN_PRECISION:
        return False
    login_session.last_seen_at = now
    return True


def end(login_session: LoginSession, reason: SessionEnd) -> None:
    if login_session.revoked_at is None:
        login_session.revoked_at = utcnow()
        login_session.revoked_reason = reason


def sign_out() -> None:
    """End this request's login session and clear Flask-Login's part of the cookie."""
    login_session = current_session()
    if login_session is not None:
        end(login_session, SessionEnd.SIGNED_OUT)
    logout_user()
    g.pop("login_session", None)


def prune(now: datetime | None = None) -> int:
    """Delete the sessions that ended or expired more than ``SESSION_HISTORY_DAYS`` ago; how many.

    Such a row opens nothing any more; it was kept a while only to say where and when the
    account was used (the audit trail keeps every sign-in and sign-out for good).
    """
    cutoff = (now or utcnow()) - timedelta(days=float(current_app.config["SESSION_HISTORY_DAYS"]))
    deleted: CursorResult = db.session.execute(  # type: ignore[assignment]
        delete(LoginSession)
        .where(or_(LoginSession.expires_at < cutoff, LoginSession.revoked_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount


def active_sessions(user: User) -> list[LoginSession]:
    """The user's sessions that still work, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    ).all()
    return [row for row in rows if row.is_valid(now)]


def end_all(user: User, reason: SessionEnd, *, keep: LoginSession | None = None) -> int:
    """End every working session of ``user`` (except ``keep``); returns how many ended."""
    ended = 0
    for login_session in active_sessions(user):
        if keep is not None and login_session.id == keep.id:
            continue
        end(login_session, reason)
        ended += 1
    return ended
