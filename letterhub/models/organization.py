from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import Model
from ..services.imports import folding
from ..services.names import clean_name
from .types import UTCDateTime, enum_column, utcnow


def name_key(name: str) -> str:
    """Names that differ only in case, spacing or direction marks are the same organisation."""
    return clean_name(name).casefold()


class Organization(Model):
    """An organisation in the directory; it outlives any one letter."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # the usual focal point
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # name_key() of each name, kept in step by the validator below, so that finding an
    # organisation already on a letter's list is an indexed query, not a scan of the list.
    name_en_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    name_ar_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    # folding.name_key() of each name (Arabic letter variants, case, punctuation, "the"): the
    # directory's search and its "looks like an existing one" warning match on these.
    name_en_folded: Mapped[str] = mapped_column(String(300), default="", index=True)
    name_ar_folded: Mapped[str] = mapped_column(String(300), default="", index=True)
    country: Mapped[str] = mapped_column(String(100), default="")

    aliases = relationship(
        "OrganizationAlias",
        back_populates="organization",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrganizationAlias.id",
    )
    tags = relationship(
        "OrganizationTag",
        back_populates="organization",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrganizationTag.name",
    )

    @validates("name_en", "name_ar")
    def _keep_name_key(self, attribute: str, value: str) -> str:
        setattr(self, f"{attribute}_key", name_key(value or ""))
        setattr(self, f"{attribute}_folded", folding.name_key(value or ""))
        return value

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second


class AliasSource(enum.Enum):
    IMPORT = "import"  # a published list spelled the name this way
    MANUAL = "manual"  # a coordinator added it
    MERGE = "merge"  # a name of an entry merged into this one


class OrganizationAlias(Model):
    """Another spelling of an organisation's name: what an import or a focal point wrote.

    ``key`` is the spelling folded (:func:`folding.name_key`); one alias per organisation and
    key, so a spelling that differs only by a hamza or "the" is not stored twice.
    """

    __tablename__ = "organization_aliases"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    spelling: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300), index=True)
    source: Mapped[AliasSource] = mapped_column(enum_column(AliasSource))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization = relationship("Organization", back_populates="aliases")


class OrganizationTag(Model):
    """A label a coordinator puts on organisations ("Idlib partners", "media") to find them together.

    ``key`` is the tag folded, so "Media" and "media" are one tag of an organisation.
    """

    __tablename__ = "organization_tags"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), index=True)

    organization = relationship("Organization", back_populates="tags")
