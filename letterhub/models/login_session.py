from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class SessionEnd(enum.Enum):
    """Why a login session ended before it expired."""

    SIGNED_OUT = "signed_out"  # the user signed out on that device
    ENDED_ELSEWHERE = "ended_elsewhere"  # ended from the account page of another session
    ALL_DEVICES = "all_devices"  # "sign out of all devices"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    DEACTIVATED = "deactivated"


class LoginSession(Model):
    """One sign-in on one device. The session cookie names it; it decides whether the cookie works.

    The cookie carries a random token; only the token's SHA-256 is stored, so reading the
    database gives nobody a working session. Ending a session (sign-out, "sign out of all
    devices", a new password, a deactivated account) sets ``revoked_at``: every copy of the
    cookie stops working at once. Rows stay ``SESSION_HISTORY_DAYS`` after they end or expire,
    then the worker deletes them (services.login_sessions.prune).
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[SessionEnd | None] = mapped_column(enum_column(SessionEnd))

    user = relationship("User")

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
