from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, sql
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class User(UserMixin, Model):
    """A coordinator (or an administrator): someone who drafts letters and invites organisations."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    # An installation administrator: sees and does everything on every letter, manages accounts.
    # Everyone else is a coordinator, who sees only the letters whose team they are on.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sql.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Not a column: the token of the login session this object was signed in or loaded through
    # (letterhub.services.login_sessions). Flask-Login keeps it in the session cookie.
    __allow_unmapped__ = True
    session_token: str | None = None

    def get_id(self) -> str:
        """Flask-Login's alternative token: the login session's token, never the account's id.

        Without a login session it returns a value the user loader can never accept, so a
        ``login_user`` that bypasses ``login_sessions.sign_in`` signs nobody in.
        """
        return self.session_token or f"no-session:{self.id}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for inactive accounts
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email}>"
