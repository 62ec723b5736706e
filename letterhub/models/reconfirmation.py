from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class ReconfirmationRequest(Model):
    """An email asking one organisation to confirm again, recorded by a substantive save and
    written by the mail worker (services.reconfirming).

    The save inserts these rows in its own transaction (one statement for the whole list);
    a worker claims a batch with a conditional UPDATE of ``claimed_until``, renders and queues
    each email, and marks the row done (``done_at``, ``outcome``) in the same transaction as
    the outbox message, so each request gives one email even with several workers running.
    """

    __tablename__ = "reconfirmation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    # the substantive revision that asked, and the one the organisation had confirmed
    revision_id: Mapped[int] = mapped_column(ForeignKey("letter_revisions.id", ondelete="CASCADE"))
    confirmed_revision_id: Mapped[int] = mapped_column(ForeignKey("letter_revisions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "sent", or why no email was needed any more: "answered" (confirmed again, declined or
    # revoked meanwhile), "closed" (signing closed), "superseded" (a later substantive change
    # asked again)
    outcome: Mapped[str] = mapped_column(String(20), default="")
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )

    invitation = relationship("Invitation")
    revision = relationship("LetterRevision", foreign_keys=[revision_id])
    confirmed_revision = relationship("LetterRevision", foreign_keys=[confirmed_revision_id])
