from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship, validates

from ..extensions import Model
from ..services.imports import folding
from ..services.names import clean_email, clean_name
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
    emails = relationship(
        "OrganizationEmail",
        back_populates="organization",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrganizationEmail.id",
    )

    @validates("name_en", "name_ar")
    def _keep_name_key(self, attribute: str, value: str) -> str:
        setattr(self, f"{attribute}_key", name_key(value or ""))
        setattr(self, f"{attribute}_folded", folding.name_key(value or ""))
        return value

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second

    # Focal-point addresses. Loading many entries that read them: selectinload(Organization.emails).

    @property
    def email(self) -> str:
        """The primary focal-point address, or "" when the entry has none."""
        primary = self.primary_email
        return primary.email if primary is not None else ""

    @email.setter
    def email(self, address: str) -> None:
        """Make ``address`` the primary, adding it if the entry does not know it; "" changes nothing."""
        if clean_email(address):
            self.add_email(address, primary=True)

    @property
    def primary_email(self) -> OrganizationEmail | None:
        return next((entry for entry in self.emails if entry.is_primary), None)

    def emails_primary_first(self) -> list[OrganizationEmail]:
        return sorted(self.emails, key=lambda entry: not entry.is_primary)

    def email_entry(self, address: str) -> OrganizationEmail | None:
        """The entry's row for ``address`` (compared by :func:`clean_email`), if it has one."""
        key = clean_email(address)
        return next((entry for entry in self.emails if entry.key == key), None)

    def add_email(self, address: str, *, primary: bool = False) -> OrganizationEmail:
        """The row for ``address``, added if new; it becomes the primary if asked or if there is none."""
        if not clean_email(address):
            raise ValueError("an empty address")
        entry = self.email_entry(address)
        if entry is None:
            entry = OrganizationEmail(email=address.strip(), key=clean_email(address), is_primary=False)
            self.emails.append(entry)
        if primary or self.primary_email is None:
            self.make_primary(entry)
        return entry

    def make_primary(self, entry: OrganizationEmail) -> None:
        """``entry`` becomes the one primary address.

        The old primary is written as not primary before the new one is written as primary:
        the database holds one primary per organisation (a unique index) at every statement.
        """
        for other in self.emails:
            if other is not entry and other.is_primary:
                other.is_primary = False
                self._flush()
        entry.is_primary = True

    def remove_email(self, entry: OrganizationEmail) -> None:
        """Forget ``entry``; if it was the primary, the oldest remaining address becomes primary."""
        was_primary = entry.is_primary
        self.emails.remove(entry)
        if was_primary and self.emails:
            self._flush()  # the old primary's row is deleted before another is marked primary
            self.emails[0].is_primary = True

    def _flush(self) -> None:
        session = object_session(self)
        if session is not None:
            session.flush()


class AliasSource(enum.Enum):
    IMPORT = "import"  # a published list spelled the name this way
    MANUAL = "manual"  # a coordinator added it
    MERGE = "merge"  # a name of an entry merged into this one
    RENAME = "rename"  # a name the entry had before a coordinator renamed it


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


class OrganizationEmail(Model):
    """A focal-point address of an organisation; one of each organisation's is its primary.

    ``key`` is the address as compared (:func:`clean_email`): one row per organisation and key.
    A partial unique index holds each organisation to one primary address.
    """

    __tablename__ = "organization_emails"
    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        Index(
            "uq_organization_emails_primary",
            "organization_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    key: Mapped[str] = mapped_column(String(254), index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization = relationship("Organization", back_populates="emails")
