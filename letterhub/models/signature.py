from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow

# The version of the consent wording a focal point agrees to when confirming (the checkbox's
# text on the signing page). Change it whenever that wording changes: every decision records
# the version it was given under, and the evidence report shows it.
CONSENT_WORDING_VERSION = "2026-12-01"


class Decision(enum.Enum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class DecisionKind(enum.Enum):
    """What one recorded decision did: a first answer, a change, or a confirmation withdrawn."""

    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # a decline replacing a confirmation of the same text


class Signature(Model):
    """An organisation's answer to a letter: confirmed or declined, bound to the text shown.

    One row per (letter, organisation), enforced by the database, so a double submit or two
    concurrent confirmations can never produce two signatures. ``revision_sha256`` is the hash
    of the exact text the focal point read when pressing Confirm.
    """

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("letter_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("letter_revisions.id"))
    revision_sha256: Mapped[str] = mapped_column(String(64))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_role: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(20), default="")  # CONSENT_WORDING_VERSION agreed to
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The organisation confirmed but asked not to be named publicly: counted in the public
    # outputs ("and N organisations that prefer not to be named"), never named there.
    unnamed: Mapped[bool] = mapped_column(Boolean, default=False)

    invitation = relationship("Invitation", back_populates="signature")
    organization = relationship("Organization")
    revision = relationship("LetterRevision")
    decisions = relationship("SignatureDecision", back_populates="signature", order_by="SignatureDecision.id")


class SignatureDecision(Model):
    """One answer as it was given: the history of a signature, appended to, never changed.

    ``signatures`` holds an organisation's current answer (one row per letter and organisation);
    every confirmation, decline and withdrawal also leaves a row here, so a changed answer keeps
    the earlier one as evidence: who, for which text (revision and SHA-256), when, from where.
    """

    __tablename__ = "signature_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), index=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind))
    revision_id: Mapped[int] = mapped_column(ForeignKey("letter_revisions.id"))
    revision_number: Mapped[int] = mapped_column(Integer)
    revision_sha256: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_role: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    unnamed: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    signature = relationship("Signature", back_populates="decisions")
    revision = relationship("LetterRevision")
