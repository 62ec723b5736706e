from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class ReminderKind(enum.Enum):
    SCHEDULED = "scheduled"  # a point of the letter's schedule, counted back from the deadline
    MANUAL = "manual"  # "remind now" on the letter page


class Reminder(Model):
    """One reminder sent to one invitation, written with its outbox message in one transaction.

    ``scheduled_for`` is the point it answers: the deadline minus ``days_before`` for a
    scheduled reminder, the moment the coordinator asked for a manual one. The unique
    constraint on (invitation, scheduled_for) is what makes a scheduled point send once even
    when several workers reach it at the same moment: the second insert fails.
    """

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("invitation_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    days_before: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )

    invitation = relationship("Invitation", back_populates="reminders")
