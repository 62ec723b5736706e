"""Who belongs to a letter's drafting team, and with which role (see services.permissions)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class LetterRole(enum.Enum):
    OWNER = "owner"  # everything, including the team, closing and reopening
    EDITOR = "editor"  # the text, the invitations, the list options
    REVIEWER = "reviewer"  # reads and comments


class LetterMember(Model):
    """One account on one letter's team. No row: the letter does not exist for that account."""

    __tablename__ = "letter_members"
    __table_args__ = (
        UniqueConstraint("letter_id", "user_id"),
        CheckConstraint("role IN ('owner', 'editor', 'reviewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[LetterRole] = mapped_column(enum_column(LetterRole))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    letter = relationship("Letter")
    user = relationship("User", foreign_keys=[user_id])
    added_by = relationship("User", foreign_keys=[added_by_id])
