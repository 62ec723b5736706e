"""Organisations proposed for a letter's list by someone other than a coordinator, and
invitations handed from one focal point to a colleague.

A *proposal* comes from a focal point's link (a nomination) or from the letter's public
sign-on page (an open sign-on request). Nothing in it reaches the list until a coordinator
approves it: only then is an invitation created (and its link sent).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class ProposalSource(enum.Enum):
    NOMINATION = "nomination"  # a focal point proposed another organisation from their link
    OPEN_SIGNON = "open_signon"  # an organisation asked to sign on the letter's public page


class ProposalStatus(enum.Enum):
    UNCONFIRMED = "unconfirmed"  # an open sign-on request whose email is not confirmed yet
    PENDING = "pending"  # waiting for a coordinator
    APPROVED = "approved"  # an invitation was created and sent
    REJECTED = "rejected"


class Proposal(Model):
    """One organisation proposed for one letter, waiting for (or decided by) a coordinator.

    ``confirm_token_hash`` is the SHA-256 of the nonce in an open sign-on request's email
    confirmation link (double opt-in); ``invitation_id`` is the invitation its approval created.
    """

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    source: Mapped[ProposalSource] = mapped_column(enum_column(ProposalSource))
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), index=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="ar")
    country: Mapped[str] = mapped_column(String(100), default="")
    # The invitation whose focal point nominated this organisation (nominations only).
    nominated_by_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))

    letter = relationship("Letter")
    decided_by = relationship("User")
    nominated_by = relationship("Invitation", foreign_keys=[nominated_by_invitation_id])
    invitation = relationship("Invitation", foreign_keys=[invitation_id])
    organization = relationship("Organization")

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second


class InvitationForward(Model):
    """A focal point handed their invitation to a colleague: the link moved from one address to another.

    ``from_token_hash`` is the nonce hash of the link that was handed on, so that link's page
    can say what happened to it. ``other_domain`` flags a new address whose domain is none of
    the organisation's known focal points' domains.
    """

    __tablename__ = "invitation_forwards"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    from_email: Mapped[str] = mapped_column(String(254))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    from_token_hash: Mapped[str | None] = mapped_column(String(64))
    other_domain: Mapped[bool] = mapped_column(default=False)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitation = relationship("Invitation")
