from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class InvitationState(enum.Enum):
    PENDING = "pending"  # created and queued or sent; the link has not been opened
    OPENED = "opened"  # the focal point opened the signing page
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    REVOKED = "revoked"  # the coordinator withdrew the link; it opens nothing any more


class Invitation(Model):
    """An organisation invited to sign one letter, reachable through one signed link.

    The link carries this row's id and a random nonce; only the nonce's SHA-256 is stored
    (``token_hash``). Resending replaces the nonce, so older links stop working.
    """

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("letter_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="ar")
    state: Mapped[InvitationState] = mapped_column(
        enum_column(InvitationState), default=InvitationState.PENDING
    )
    token_hash: Mapped[str | None] = mapped_column(String(64))
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The coordinator asked not to remind this organisation (scheduled or "remind now").
    do_not_remind: Mapped[bool] = mapped_column(default=False)

    letter = relationship("Letter", back_populates="invitations")
    organization = relationship("Organization")
    signature = relationship("Signature", back_populates="invitation", uselist=False)
    messages = relationship("OutboxMessage", back_populates="invitation", order_by="OutboxMessage.id")
    reminders = relationship(
        "Reminder", back_populates="invitation", order_by="Reminder.id", cascade="all, delete-orphan"
    )

    @property
    def latest_message(self):
        return self.messages[-1] if self.messages else None
